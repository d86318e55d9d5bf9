// Package mediatype decides, for the adapters whose platforms carry a
// response body in a JSON string (Lambda, Azure Functions payload mode),
// which Content-Types name UTF-8 text. One list for every adapter, so that
// the same response is text on every cloud.
package mediatype

import "strings"

// textTypes are the application/* types that are text.
var textTypes = [...]string{
	"application/json", "application/xml", "application/javascript", "application/ecmascript",
	"application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson",
	"application/yaml", "application/x-yaml", "application/sql", "application/csv",
}

// Split returns the media type of a Content-Type header value, trimmed
// but not lower-cased, and its parameters (what follows the first ";").
func Split(contentType string) (mt, params string) {
	mt, params, _ = strings.Cut(contentType, ";")
	return strings.TrimSpace(mt), params
}

// IsText reports whether a body of this Content-Type is UTF-8 text:
// text/*, JSON, XML, JavaScript, YAML, form, GraphQL, SQL and CSV types
// (and any +json or +xml type), in any letter case, whose charset, if one
// is given, is UTF-8 or its subset US-ASCII. An empty Content-Type is not
// text; adapters decide what to do with it. It does not allocate.
func IsText(contentType string) bool {
	mt, params := Split(contentType)
	if mt == "" {
		return false
	}
	text := false
	switch {
	case len(mt) > 5 && strings.EqualFold(mt[:5], "text/"):
		text = true
	case hasSuffixFold(mt, "+json"), hasSuffixFold(mt, "+xml"):
		text = true
	default:
		for _, t := range textTypes {
			if strings.EqualFold(mt, t) {
				text = true
				break
			}
		}
	}
	if !text || params == "" {
		return text
	}
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "charset") {
			v = strings.Trim(strings.TrimSpace(v), `"`)
			return strings.EqualFold(v, "utf-8") || strings.EqualFold(v, "utf8") || strings.EqualFold(v, "us-ascii")
		}
	}
	return true
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
