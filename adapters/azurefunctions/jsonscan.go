package azurefunctions

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a small pull parser over one JSON document, just enough to read
// the host's envelope without building a map of everything in it: the
// adapter reads the fields it needs and skips the rest (Metadata repeats the
// request's headers and query as strings). Every method reports malformed
// input as an error; none panics.
type scanner struct {
	b []byte
	i int
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
// the key has no escapes and is only valid until the next call.
func (s *scanner) key(scratch []byte) ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errorf("expected an object key")
	}
	k, err := s.strBytes(scratch[:0], true)
	if err != nil {
		return nil, err
	}
	if s.peek() != ':' {
		return nil, s.errorf("expected ':'")
	}
	s.i++
	return k, nil
}

// str reads a string value.
func (s *scanner) str() (string, error) {
	if s.peek() != '"' {
		return "", s.errorf("expected a string, found %s", s.kind())
	}
	b, err := s.strBytes(nil, true)
	return string(b), err
}

// strBytes reads the string at s.i. With alias set and no escapes in it, the
// result is a subslice of the input; otherwise the decoded string is
// appended to dst.
func (s *scanner) strBytes(dst []byte, alias bool) ([]byte, error) {
	s.i++ // opening quote
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			seg := s.b[start:s.i]
			s.i++
			if alias && dst == nil {
				return seg, nil
			}
			return append(dst, seg...), nil
		case c == '\\':
			return s.unescape(append(dst, s.b[start:s.i]...))
		case c < 0x20:
			return nil, s.errorf("control character in string")
		}
		s.i++
	}
	return nil, errEnd
}

// unescape continues a string that has escapes, at the first backslash.
func (s *scanner) unescape(dst []byte) ([]byte, error) {
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return dst, nil
		case c < 0x20:
			return nil, s.errorf("control character in string")
		case c != '\\':
			dst = append(dst, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return nil, errEnd
		}
		e := s.b[s.i+1]
		s.i += 2
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
			r, ok := s.hex4()
			if !ok {
				return nil, s.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					if r2, ok = s.hex4(); !ok {
						return nil, s.errorf("invalid \\u escape")
					}
					if utf16.DecodeRune(r, r2) == utf8.RuneError {
						s.i, r2 = save, -1
					}
				}
				r = utf16.DecodeRune(r, r2) // U+FFFD for a lone surrogate
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return nil, s.errorf("invalid escape \\%c", e)
		}
	}
	return nil, errEnd
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
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
	s.i += 4
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
	var stack []byte // open brackets
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
			if _, err := s.strBytes(nil, true); err != nil {
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
