package jsonscan_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// specials are bytes and runes the word-at-a-time paths of StringSpan and
// AppendEscaped must stop at, or pass, in any position of a word.
var specials = []string{"\"", "\\", "\x00", "\x1f", "\x7f", " ", "\t", "\n", "é", "€", "😀", "\u2028", "\u2029",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\\n", "\\u00e9", "\\ud83d\\ude00"}

// decodeJSON returns what encoding/json decodes from a JSON string literal.
func decodeJSON(t *testing.T, lit []byte) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		t.Fatalf("%s: %v", lit, err)
	}
	return s
}

// TestAppendStringMatchesEncodingJSON puts each special byte or rune at
// every offset of plain ASCII strings of 0 to 40 bytes (so before, inside
// and after the eight-byte words, and in the byte tail), and checks that
// AppendString's literal decodes, by encoding/json, to what encoding/json's
// own encoding of the string decodes to (invalid UTF-8 becomes U+FFFD per
// byte in both), and that U+2028 and U+2029 are escaped as encoding/json
// escapes them.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	const plain = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
	for n := 0; n <= len(plain); n++ {
		for at := 0; at <= n; at++ {
			for _, sp := range specials {
				in := plain[:at] + sp + plain[at:n]
				got := jsonscan.AppendString(nil, in)
				want, err := json.Marshal(in)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := decodeJSON(t, got), decodeJSON(t, want); g != w {
					t.Fatalf("AppendString(%q) = %s decodes to %q; encoding/json's %s to %q", in, got, g, want, w)
				}
				if strings.ContainsAny(string(got), "\u2028\u2029") {
					t.Fatalf("AppendString(%q) = %s leaves U+2028/U+2029 unescaped", in, got)
				}
			}
		}
	}
}

// TestStrMatchesEncodingJSON does the same for reading: each special byte
// or escape at every offset of a JSON string literal of 0 to 40 plain
// bytes, read by Str, must be accepted or refused as encoding/json does,
// and read as it does when it is valid UTF-8.
func TestStrMatchesEncodingJSON(t *testing.T) {
	const plain = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
	for n := 0; n <= len(plain); n++ {
		for at := 0; at <= n; at++ {
			for _, sp := range append(specials, "\\", "\\u12", "\\x", "\\\"") {
				lit := `"` + plain[:at] + sp + plain[at:n] + `"`
				s := jsonscan.New(lit)
				got, err := s.Str()
				if err == nil {
					err = s.End()
				}
				var want string
				jerr := json.Unmarshal([]byte(lit), &want)
				if (err == nil) != (jerr == nil) {
					t.Fatalf("Str(%q) = %q, %v; encoding/json %q, %v", lit, got, err, want, jerr)
				}
				if err == nil && !strings.ContainsRune(want, '\ufffd') && got != want {
					t.Fatalf("Str(%q) = %q; encoding/json %q", lit, got, want)
				}
				// StringSpan must end where the literal does.
				s = jsonscan.New(lit)
				_, err = s.StringSpan()
				if err == nil {
					err = s.End()
				}
				if (err == nil) != (jerr == nil) {
					t.Fatalf("StringSpan(%q): %v; encoding/json %v", lit, err, jerr)
				}
			}
		}
	}
}

// FuzzAppendStringMatchesEncodingJSON checks AppendString against
// encoding/json on any input, invalid UTF-8 included.
func FuzzAppendStringMatchesEncodingJSON(f *testing.F) {
	for _, sp := range specials {
		f.Add("01234567" + sp + "89abcdefghij")
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := jsonscan.AppendString([]byte("x"), in)
		if got[0] != 'x' {
			t.Fatalf("AppendString overwrote dst: %q", got)
		}
		want, _ := json.Marshal(in)
		if g, w := decodeJSON(t, got[1:]), decodeJSON(t, want); g != w {
			t.Fatalf("AppendString(%q) = %s decodes to %q; encoding/json's %s to %q", in, got[1:], g, want, w)
		}
	})
}
