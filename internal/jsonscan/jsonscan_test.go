package jsonscan_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

func TestStr(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`""`, ""},
		{`"plain"`, "plain"},
		{`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t"},
		{`"\u00e9\u4e16"`, "é世"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud800x"`, "\ufffdx"},
		{`"\ud800\u0041"`, "\ufffdA"},
		{`"\udc00\ud83d\ude00"`, "\ufffd😀"},
		{"  \"x\"", "x"},
	} {
		s := jsonscan.New(tt.in)
		got, err := s.Str()
		if err != nil || got != tt.want {
			t.Errorf("Str(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if err := s.End(); err != nil {
			t.Errorf("End after %s: %v", tt.in, err)
		}
	}
}

func TestStrErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"a\qb"`, `invalid escape "\\q"`},
		{`"\u12g4"`, `invalid \u escape`},
		{"\"a\x01\"", "control character 0x1"},
		{`"abc`, "unexpected end of JSON input"},
		{`"ab\`, "unexpected end of JSON input"},
		{`12`, "want string, got number"},
		{`{}`, "want string, got object"},
		{``, "want string, got end of input"},
		{`?`, "want string, got invalid JSON"},
	} {
		s := jsonscan.New(tt.in)
		_, err := s.Str()
		var se *jsonscan.SyntaxError
		if !errorAs(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Str(%q) error %v, want a *SyntaxError containing %q", tt.in, err, tt.want)
		}
	}
}

func errorAs(err error, se **jsonscan.SyntaxError) bool {
	e, ok := err.(*jsonscan.SyntaxError)
	*se = e
	return ok
}

func TestStringSpanIsLazy(t *testing.T) {
	src := `{"body":"a\nb","x":1}`
	s := jsonscan.New(src)
	it, ok := s.Open('{')
	if !ok {
		t.Fatal("Open('{') = false")
	}
	k, ok, err := s.NextKey(&it)
	if err != nil || !ok || k != "body" {
		t.Fatalf("NextKey = %q, %v, %v", k, ok, err)
	}
	sp, err := s.StringSpan()
	if err != nil || !sp.Escaped || src[sp.Start:sp.End] != `a\nb` {
		t.Fatalf("StringSpan = %+v, %v", sp, err)
	}
	b, err := jsonscan.AppendUnescaped([]byte("<"), src[sp.Start:sp.End])
	if err != nil || string(b) != "<a\nb" {
		t.Fatalf("AppendUnescaped = %q, %v", b, err)
	}
	if err := s.Skip(); err == nil {
		t.Fatal("Skip at a ',' succeeded")
	}
}

func TestIterate(t *testing.T) {
	s := jsonscan.New(` { "a" : [1, "two", true, null, {"b": []}], "c": {} } `)
	it, _ := s.Open('{')
	var got []string
	for {
		k, ok, err := s.NextKey(&it)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, k+"="+s.Kind().String())
		if err := s.Skip(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.End(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a=array c=object" {
		t.Errorf("members %q", got)
	}
	var zero jsonscan.Iter
	if ok, err := s.More(&zero); ok || err != nil {
		t.Errorf("More on the zero Iter = %v, %v", ok, err)
	}
}

func TestErrorsNameTheProblem(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a" 1}`, "want ':' after object key"},
		{`{"a":1 "b":2}`, `want ',' or '}' in object, got '"'`},
		{`[1 2]`, `want ',' or ']' in array, got '2'`},
		{`{1:2}`, `want object key, got '1'`},
		{`[tru]`, "invalid literal"},
		{`[01]`, "invalid number"},
		{`[-]`, "invalid character ']' looking for a value"},
		{`[1.]`, "invalid number"},
		{`[1e+]`, "invalid number"},
		{`[1,`, "unexpected end of JSON input"},
		{`{"a":`, "unexpected end of JSON input"},
		{strings.Repeat("[", jsonscan.MaxDepth+2) + strings.Repeat("]", jsonscan.MaxDepth+2), "nesting deeper than 256"},
	} {
		for _, f := range []struct {
			name string
			read func(*jsonscan.Scanner) error
		}{
			{"Skip", (*jsonscan.Scanner).Skip},
			{"Value", func(s *jsonscan.Scanner) error { _, err := s.Value(); return err }},
		} {
			s := jsonscan.New(tt.in)
			err := f.read(&s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s(%.40s) = %v, want an error containing %q", f.name, tt.in, err, tt.want)
			}
		}
	}
	s := jsonscan.New(`{} x`)
	if err := s.Skip(); err != nil {
		t.Fatal(err)
	}
	if err := s.End(); err == nil || !strings.Contains(err.Error(), "offset 3: data after the top-level value") {
		t.Errorf("End = %v", err)
	}
}

func TestDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", jsonscan.MaxDepth+1) + strings.Repeat("]", jsonscan.MaxDepth+1)
	s := jsonscan.New(ok)
	if err := s.Skip(); err != nil {
		t.Errorf("Skip of %d nested arrays: %v", jsonscan.MaxDepth+1, err)
	}
	deep := strings.Repeat(`{"a":`, 100000)
	s = jsonscan.New(deep)
	if err := s.Skip(); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Errorf("Skip of 100000 nested objects: %v", err)
	}
}

func TestBoolNumberValue(t *testing.T) {
	s := jsonscan.New(`[true, false, -12.5e3, "x", {"k": [null]}]`)
	it, _ := s.Open('[')
	var got []any
	for {
		ok, err := s.More(&it)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		switch s.Kind() {
		case jsonscan.Bool:
			b, err := s.Bool()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		case jsonscan.Number:
			n, err := s.Number()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, n)
		default:
			v, err := s.Value()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
	}
	want := []any{true, false, "-12.5e3", "x", map[string]any{"k": []any{nil}}}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("got %s, want %s", g, w)
	}
	s = jsonscan.New(`"yes"`)
	if _, err := s.Bool(); err == nil || !strings.Contains(err.Error(), "want boolean, got string") {
		t.Errorf("Bool on a string: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", `""`},
		{"plain <&>", `"plain <&>"`},
		{"q\"b\\n\nr\rt\t\x00\x1f", `"q\"b\\n\nr\rt\t\u0000\u001f"`},
		{"é世😀", `"é世😀"`},
		{"a\u2028b\u2029c", `"a\u2028b\u2029c"`},
		{"bad\xffutf8\xc3", "\"bad\ufffdutf8\ufffd\""},
	} {
		if got := string(jsonscan.AppendString([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendString(%q) = %s, want x%s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal([]byte(tt.want), &back); err != nil || (utf8.ValidString(tt.in) && back != tt.in) {
			t.Errorf("%s does not decode to %q: %q, %v", tt.want, tt.in, back, err)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	src := `{"a":"plain","b":[1,2,{"c":null}],"d":"esc\"aped","e":true}`
	buf := make([]byte, 0, 256)
	escaped := []byte(`a\n\u00e9 \ud83d\ude00 b`) // under 32 bytes: converted on the stack
	n := testing.AllocsPerRun(100, func() {
		s := jsonscan.New(src)
		it, _ := s.Open('{')
		for {
			k, ok, err := s.NextKey(&it)
			if err != nil || !ok {
				break
			}
			switch k {
			case "a":
				_, _ = s.Str()
			case "d":
				_, _ = s.StringSpan()
			default:
				_ = s.Skip()
			}
		}
		buf = jsonscan.AppendString(buf[:0], src)
		// raw does not escape, so converting a short []byte for it is free.
		buf, _ = jsonscan.AppendUnescaped(buf[:0], string(escaped))
	})
	if n != 0 {
		t.Errorf("%v allocations per run, want 0", n)
	}
}

func TestAppendEscapedPieces(t *testing.T) {
	b := []byte(`"`)
	for i, v := range []string{"a\"", "b\n", "é"} {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = jsonscan.AppendEscaped(b, v)
	}
	b = append(b, '"')
	if string(b) != `"a\", b\n, é"` {
		t.Errorf("got %s", b)
	}
}

func TestAppendStr(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []byte
	}{
		{`""`, nil},
		{`"abc"`, []byte("abc")},
		{`"a\tb\u00e9"`, []byte("a\tbé")},
	} {
		s := jsonscan.New(tt.in)
		got, err := s.AppendStr(nil)
		if err != nil || string(got) != string(tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("AppendStr(nil) of %s = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	s := jsonscan.New(`"x"`)
	if got, err := s.AppendStr([]byte("pre-")); err != nil || string(got) != "pre-x" {
		t.Errorf("AppendStr(pre-) = %q, %v", got, err)
	}
}

func TestOpenLeavesOtherValues(t *testing.T) {
	s := jsonscan.New(` [1]`)
	if _, ok := s.Open('{'); ok {
		t.Fatal("Open('{') on an array succeeded")
	}
	if _, ok := s.Open('"'); ok {
		t.Fatal("Open('\"') succeeded")
	}
	if s.Kind() != jsonscan.Array {
		t.Fatalf("Open consumed input: next is %v", s.Kind())
	}
	s = jsonscan.New("\x00")
	if k := s.Kind(); k != jsonscan.Invalid {
		t.Errorf("Kind of a NUL byte = %v, want invalid JSON", k)
	}
	if err := s.End(); err == nil {
		t.Error("End before a NUL byte succeeded")
	}
}
