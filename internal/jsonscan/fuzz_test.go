package jsonscan_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// FuzzScanner checks the scanner against encoding/json: it accepts exactly
// the documents json.Valid accepts (within MaxDepth), Str returns the string
// encoding/json decodes (for valid UTF-8), and AppendString's output decodes
// back to its input.
func FuzzScanner(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,-2.5e3,true,false,null,"x"],"b":{}}`, `"\ud83d\ude00 \ud800 \\n \u0000"`,
		`"\udc00\ud800\udc00"`, `[01]`, `-0.0e+1`, `{"a" 1}`, `"a\qb"`, "\"\x01\"", ``, `  null `,
		`[[[[]]]]`, `{"k":"v",}`, `"\u2028<>&\xff"`,
		`"0123456789abcdefg\"hijklmnopqrstuvwxyz\u00e9ABCDEFGHIJKLMNOP\\QRSTUVWXYZ\ud83d\ude00é€0123456789"`,
		"\"0123456789abcdef\x01ghijklmnopqrstuv\"", "\"0123456789abcdef\xff\xfeghijklmnopqrstuvwxyz\u2028\u2029\"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := jsonscan.New(in)
		err := s.Skip()
		if err == nil {
			err = s.End()
		}
		if valid := json.Valid([]byte(in)); valid != (err == nil) {
			if !(valid && err != nil && deep(in)) {
				t.Fatalf("Skip+End = %v, json.Valid = %v", err, valid)
			}
		}
		if _, ok := err.(*jsonscan.SyntaxError); err != nil && !ok {
			t.Fatalf("error %T %v is not a *SyntaxError", err, err)
		}

		s = jsonscan.New(in)
		if s.Kind() == jsonscan.String {
			got, err := s.Str()
			var want string
			jerr := json.Unmarshal([]byte(in), &want)
			if err == nil {
				err = s.End()
			}
			if (err == nil) != (jerr == nil) {
				t.Fatalf("Str = %q, %v; encoding/json = %q, %v", got, err, want, jerr)
			}
			if err == nil && utf8.ValidString(got) && got != want {
				t.Fatalf("Str = %q, encoding/json = %q", got, want)
			}
		}

		out := jsonscan.AppendString(nil, in)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", in, out, err)
		}
		if utf8.ValidString(in) && back != in {
			t.Fatalf("AppendString(%q) decodes to %q", in, back)
		}
	})
}

// deep reports whether in nests more than MaxDepth containers, which the
// scanner refuses though encoding/json accepts.
func deep(in string) bool {
	d, max := 0, 0
	inString := false
	for i := 0; i < len(in); i++ {
		switch c := in[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			d++
			max = maxInt(max, d)
		case c == ']' || c == '}':
			d--
		}
	}
	return max > jsonscan.MaxDepth+1
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
