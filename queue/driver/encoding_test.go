package driver

import (
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// TestBase64EnvelopeSize checks the counted size against the encoded one.
func TestBase64EnvelopeSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "9", "\"", "\\", "\t", "\n", "\r", "\x01", "é", "日", "🚀", "\u2028", "\u2029", "<", "&", "\xff", " "}
	str := func() string {
		s := ""
		for i := rng.IntN(8); i > 0; i-- {
			s += alphabet[rng.IntN(len(alphabet))]
		}
		return s
	}
	for i := 0; i < 5000; i++ {
		body := []byte(str())
		if i%7 == 0 {
			body = append([]byte(EnvelopePrefix), body...)
		}
		var attrs map[string]string
		for j := rng.IntN(4); j > 0; j-- {
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrs[str()] = str()
		}
		want := base64.StdEncoding.EncodedLen(len(EncodeEnvelope(body, attrs)))
		if got := Base64EnvelopeSize(body, attrs); got != want {
			t.Fatalf("Base64EnvelopeSize(%q, %q) = %d; want %d", body, attrs, got, want)
		}
	}
}
