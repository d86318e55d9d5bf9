package azurefunctions

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner is a small pull parser over one JSON document, just enough to read
// the host's envelope without building a map of everything in it: the
// adapter reads the fields it needs and skips the rest (Metadata repeats the
// request's headers and query as strings). Every method reports malformed
// input as an error; none panics.
type scanner struct {
	b   []byte
	src string // b as a string, when b is never modified: strings are cut from it
	i   int
}

// newScanner returns a scanner over b, which must not be modified afterwards:
// the strings it returns share b's memory.
func newScanner(b []byte) *scanner {
	return &scanner{b: b, src: unsafe.String(unsafe.SliceData(b), len(b))}
}

var errEnd = errors.New("unexpected end of JSON")

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// kind names the JSON type of the next value, for error messages.
func (s *scanner) kind() string {
	switch s.peek() {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return "invalid JSON"
}

// null consumes a null and reports whether there was one.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("invalid literal")
	}
	s.i += len(lit)
	return nil
}

// open consumes the opening byte c ('{' or '[').
func (s *scanner) open(c byte) error {
	if s.peek() != c {
		return s.errorf("expected %q", c)
	}
	s.i++
	return nil
}

// more reports whether the object or array being read has another member,
// consuming the separating comma or the closing byte. first is true before
// the first member.
func (s *scanner) more(close byte, first bool) (bool, error) {
	c := s.peek()
	if c == close {
		s.i++
		return false, nil
	}
	if !first {
		if c != ',' {
			if c == 0 {
				return false, errEnd
			}
			return false, s.errorf("expected ',' or %q", close)
		}
		s.i++
	}
	if c == 0 {
		return false, errEnd
	}
	return true, nil
}

// key reads an object key and its colon. The result aliases the input when
// the key has no escapes (it is then only valid while the input is) and is
// otherwise decoded into scratch.
func (s *scanner) key(scratch []byte) ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errorf("expected an object key")
	}
	start, end, escaped, err := s.scanString()
	if err != nil {
		return nil, err
	}
	k := s.b[start:end]
	if escaped {
		if k, err = s.unescape(scratch[:0], k); err != nil {
			return nil, err
		}
	}
	if s.peek() != ':' {
		return nil, s.errorf("expected ':'")
	}
	s.i++
	return k, nil
}

// keyStr reads an object key and its colon as a string (a substring of src
// when the key has no escapes).
func (s *scanner) keyStr() (string, error) {
	k, err := s.str()
	if err != nil {
		return "", err
	}
	if s.peek() != ':' {
		return "", s.errorf("expected ':'")
	}
	s.i++
	return k, nil
}

// str reads a string value. Without escapes it is a substring of src and
// costs no allocation.
func (s *scanner) str() (string, error) {
	if s.peek() != '"' {
		return "", s.errorf("expected a string, found %s", s.kind())
	}
	start, end, escaped, err := s.scanString()
	if err != nil {
		return "", err
	}
	if !escaped {
		if s.src != "" {
			return s.src[start:end], nil
		}
		return string(s.b[start:end]), nil
	}
	b, err := s.unescape(make([]byte, 0, end-start), s.b[start:end])
	return string(b), err
}

// strBytes reads a string value into a new byte slice.
func (s *scanner) strBytes() ([]byte, error) {
	start, end, escaped, err := s.scanString()
	if err != nil {
		return nil, err
	}
	if !escaped {
		return append([]byte(nil), s.b[start:end]...), nil
	}
	return s.unescape(make([]byte, 0, end-start), s.b[start:end])
}

// scanString consumes the string at s.i (which is at its opening quote) and
// returns the span of its contents and whether it holds escapes.
func (s *scanner) scanString() (start, end int, escaped bool, err error) {
	s.i++
	start = s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			end = s.i
			s.i++
			return start, end, escaped, nil
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			return 0, 0, false, s.errorf("control character in string")
		default:
			s.i++
		}
	}
	return 0, 0, false, errEnd
}

// unescape appends the decoded contents of seg, a string's span as
// scanString found it, to dst.
func (s *scanner) unescape(dst, seg []byte) ([]byte, error) {
	for i := 0; i < len(seg); {
		c := seg[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(seg) {
			return nil, errEnd
		}
		e := seg[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(seg, i)
			if !ok {
				return nil, s.errorf("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(seg) && seg[i] == '\\' && seg[i+1] == 'u' {
					if r2, ok = hex4(seg, i+2); !ok {
						return nil, s.errorf("invalid \\u escape")
					}
					if utf16.DecodeRune(r, r2) == utf8.RuneError {
						r2 = -1 // leave the second escape for the next round
					} else {
						i += 6
					}
				}
				r = utf16.DecodeRune(r, r2) // U+FFFD for a lone surrogate
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return nil, s.errorf("invalid escape \\%c", e)
		}
	}
	return dst, nil
}

func hex4(b []byte, i int) (rune, bool) {
	if len(b)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// boolean reads true or false.
func (s *scanner) boolean() (bool, error) {
	switch s.peek() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.errorf("expected a boolean, found %s", s.kind())
}

// skip consumes one value of any type, checking that it is well formed.
func (s *scanner) skip() error {
	stack := make([]byte, 0, 32) // open brackets
	for {
		switch c := s.peek(); c {
		case 0:
			return errEnd
		case '{', '[':
			s.i++
			stack = append(stack, c)
			if s.peek() == c+2 { // '}' is '{'+2, ']' is '['+2
				s.i++
				stack = stack[:len(stack)-1]
				break
			}
			if c == '{' {
				if _, err := s.key(nil); err != nil {
					return err
				}
			}
			continue
		case '"':
			if _, _, _, err := s.scanString(); err != nil {
				return err
			}
		case 't':
			if err := s.literal("true"); err != nil {
				return err
			}
		case 'f':
			if err := s.literal("false"); err != nil {
				return err
			}
		case 'n':
			if err := s.literal("null"); err != nil {
				return err
			}
		default:
			if err := s.number(); err != nil {
				return err
			}
		}
		// After a value: close finished containers, or move to the next member.
		for {
			if len(stack) == 0 {
				return nil
			}
			top := stack[len(stack)-1]
			c := s.peek()
			if c == top+2 {
				s.i++
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				if c == 0 {
					return errEnd
				}
				return s.errorf("expected ',' or %q", top+2)
			}
			s.i++
			if top == '{' {
				if _, err := s.key(nil); err != nil {
					return err
				}
			}
			break
		}
	}
}

// number consumes a JSON number.
func (s *scanner) number() error {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		s.i = start
		return s.errorf("unexpected character")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	return nil
}

// end checks that nothing but white space follows the document.
func (s *scanner) end() error {
	if s.peek() != 0 {
		return s.errorf("data after the end of the document")
	}
	return nil
}
