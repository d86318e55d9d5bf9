package event

import (
	"encoding/hex"
	"strings"
)

// TraceParentFromXRay converts an X-Ray trace header
// ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
// to a W3C traceparent ("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01").
// It returns "" for a header without a valid Root and Parent.
func TraceParentFromXRay(h string) string {
	var root, parent string
	flags := "00"
	for part := range strings.SplitSeq(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			if v == "1" {
				flags = "01"
			}
		}
	}
	// Root is 1-{8 hex epoch}-{24 hex random}.
	if len(root) != 35 || root[0] != '1' || root[1] != '-' || root[10] != '-' || !isHex(root[2:10]) || !isHex(root[11:]) {
		return ""
	}
	if len(parent) != 16 || !isHex(parent) {
		return ""
	}
	tid := strings.ToLower(root[2:10] + root[11:])
	if tid == strings.Repeat("0", 32) || parent == "0000000000000000" {
		return ""
	}
	return "00-" + tid + "-" + strings.ToLower(parent) + "-" + flags
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
