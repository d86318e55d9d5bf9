// Package jsonscan is a small, allocation-lean JSON pull scanner and string
// encoder shared by the adapters that read and write their platform's JSON
// envelopes by hand (adapters/awslambda, adapters/azurefunctions).
//
// A [Scanner] reads one document left to right. The caller asks for the
// values it needs (strings, booleans, numbers, objects and arrays through an
// [Iter]) and skips the rest with [Scanner.Skip], which checks them without
// building them. Strings without escapes are returned as substrings of the
// source, so reading them costs no allocation; strings with escapes are
// unescaped (including \uXXXX surrogate pairs; a lone surrogate becomes
// U+FFFD, as encoding/json does). [Scanner.StringSpan] returns a string's
// bounds instead, for callers that unescape lazily with [AppendUnescaped].
//
// Every method reports malformed input as a [*SyntaxError] naming what is
// wrong and where; none panics. Nesting deeper than [MaxDepth] is refused.
// Unlike encoding/json, strings holding invalid UTF-8 are returned with
// their bytes as they are.
//
// [AppendString] is the encoding side: it appends a string as a JSON string
// literal.
package jsonscan

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth bounds the nesting of arrays and objects that [Scanner.Skip] and
// [Scanner.Value] accept, so that hostile input cannot exhaust the stack.
const MaxDepth = 256

// SyntaxError describes malformed JSON, or a value of the wrong type, at a
// byte offset of the source.
type SyntaxError struct {
	Msg    string // what is wrong
	Offset int    // where, in bytes from the start of the source
}

// Error returns "invalid JSON at offset N: " followed by Msg.
func (e *SyntaxError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

const msgEOF = "unexpected end of JSON input"

// Scanner reads one JSON document. Create it with [New]; it is meant to be
// held as a value and passed by pointer, which costs no allocation.
type Scanner struct {
	src string
	pos int
}

// New returns a Scanner at the start of src.
func New(src string) Scanner { return Scanner{src: src} }

// Source returns the document being read.
func (s *Scanner) Source() string { return s.src }

// Pos returns the offset of the next unread byte.
func (s *Scanner) Pos() int { return s.pos }

// Errorf returns a *SyntaxError at the current offset.
func (s *Scanner) Errorf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: s.pos}
}

func (s *Scanner) eof() error { return &SyntaxError{Msg: msgEOF, Offset: len(s.src)} }

func (s *Scanner) ws() {
	for s.pos < len(s.src) {
		// Every white space byte is at most ' ': one comparison passes
		// anything else.
		if c := s.src[s.pos]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		s.pos++
	}
}

// Peek skips white space and returns the next byte without consuming it, or
// 0 at the end of the source (a NUL byte in the source, never valid JSON
// outside a string, reads as 0 too; [Scanner.Kind] tells them apart).
func (s *Scanner) Peek() byte {
	for s.pos < len(s.src) {
		// Every white space byte is at most ' ': one comparison passes
		// anything else.
		if c := s.src[s.pos]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
		s.pos++
	}
	return 0
}

// Kind is the JSON type of a value, as [Scanner.Kind] guesses it from the
// value's first byte.
type Kind uint8

// The kinds of value.
const (
	End     Kind = iota // no value: the end of the source
	Invalid             // a byte no JSON value starts with
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{End: "end of input", Invalid: "invalid JSON", Null: "null",
	Bool: "boolean", Number: "number", String: "string", Array: "array", Object: "object"}

// String returns the kind's name for error messages: "object", "array",
// "string", "number", "boolean", "null", "end of input" or "invalid JSON".
func (k Kind) String() string { return kindNames[k] }

// Kind returns the kind of the next value, for error messages.
func (s *Scanner) Kind() Kind {
	switch s.Peek() {
	case '{':
		return Object
	case '[':
		return Array
	case '"':
		return String
	case 't', 'f':
		return Bool
	case 'n':
		return Null
	case 0:
		if s.pos >= len(s.src) {
			return End
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return Number
	}
	return Invalid
}

// Literal consumes lit (true, false or null), which must come next.
func (s *Scanner) Literal(lit string) error {
	s.ws()
	if len(s.src)-s.pos < len(lit) || s.src[s.pos:s.pos+len(lit)] != lit {
		return s.Errorf("invalid literal")
	}
	s.pos += len(lit)
	return nil
}

// Null consumes a null if one comes next and reports whether it did.
func (s *Scanner) Null() (bool, error) {
	if s.Peek() != 'n' {
		return false, nil
	}
	return true, s.Literal("null")
}

// Bool reads true or false. Any other value is an error naming its kind and
// is left unread.
func (s *Scanner) Bool() (bool, error) {
	switch s.Peek() {
	case 't':
		return true, s.Literal("true")
	case 'f':
		return false, s.Literal("false")
	}
	return false, s.Errorf("want boolean, got %s", s.Kind())
}

// End checks that nothing but white space follows the value just read.
func (s *Scanner) End() error {
	if s.Peek(); s.pos < len(s.src) {
		return s.Errorf("data after the top-level value")
	}
	return nil
}

// Iter walks the members of an object or the elements of an array; see
// [Scanner.Open]. Its zero value is a finished walk, which is how callers
// that read null as an empty container can represent one.
type Iter struct {
	close byte // '}' or ']'; 0 once finished
	first bool
}

// Open consumes c, '{' or '[', if it comes next and returns an Iter over the
// object's members or the array's elements. Otherwise it consumes nothing
// and reports false.
func (s *Scanner) Open(c byte) (Iter, bool) {
	if s.Peek() != c || (c != '{' && c != '[') {
		return Iter{}, false
	}
	s.pos++
	return Iter{close: c + 2, first: true}, true // '}' is '{'+2, ']' is '['+2
}

// More reports whether another element of it follows, consuming the comma
// before it, or consumes the closing bracket and reports false. After true
// the caller must read the element (or, for an object, use [Scanner.NextKey]
// instead).
func (s *Scanner) More(it *Iter) (bool, error) {
	if it.close == 0 {
		return false, nil
	}
	c := s.Peek()
	if c == it.close {
		s.pos++
		it.close = 0
		return false, nil
	}
	if !it.first {
		if c != ',' {
			if s.pos >= len(s.src) {
				return false, s.eof()
			}
			what := "array"
			if it.close == '}' {
				what = "object"
			}
			return false, s.Errorf("want ',' or '%c' in %s, got %q", it.close, what, c)
		}
		s.pos++
	} else if s.pos >= len(s.src) {
		return false, s.eof()
	}
	it.first = false
	return true, nil
}

// NextKey is [Scanner.More] for an object: when another member follows it
// also reads the member's key and colon, leaving the value to the caller.
func (s *Scanner) NextKey(it *Iter) (key string, ok bool, err error) {
	if ok, err = s.More(it); !ok || err != nil {
		return "", false, err
	}
	if key, err = s.Key(); err != nil {
		return "", false, err
	}
	return key, true, nil
}

// Key reads an object key and the colon after it.
func (s *Scanner) Key() (string, error) {
	if c := s.Peek(); c != '"' {
		if s.pos >= len(s.src) {
			return "", s.eof()
		}
		return "", s.Errorf("want object key, got %q", c)
	}
	key, err := s.Str()
	if err != nil {
		return "", err
	}
	if c := s.Peek(); c != ':' {
		if s.pos >= len(s.src) {
			return "", s.eof()
		}
		return "", s.Errorf("want ':' after object key, got %q", c)
	}
	s.pos++
	return key, nil
}

// Span locates the contents of a string (between, not including, its
// quotes) in the source.
type Span struct {
	Start, End int
	Escaped    bool // the contents hold backslash escapes
}

// Str reads a string. Without escapes it is a substring of the source and
// costs no allocation; with escapes it is unescaped into a new string (one
// allocation). Any
// other value is an error naming its kind and is left unread.
func (s *Scanner) Str() (string, error) {
	sp, err := s.StringSpan()
	if err != nil {
		return "", err
	}
	if !sp.Escaped {
		return s.src[sp.Start:sp.End], nil
	}
	b, err := AppendUnescaped(make([]byte, 0, sp.End-sp.Start), s.src[sp.Start:sp.End])
	if err != nil {
		return "", &SyntaxError{Msg: err.Error(), Offset: sp.Start}
	}
	// b is new and referenced nowhere else: the string can share it.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// AppendStr reads a string and appends its unescaped contents to dst. With
// a nil dst the result is a new slice of the right size, or nil for "".
func (s *Scanner) AppendStr(dst []byte) ([]byte, error) {
	sp, err := s.StringSpan()
	if err != nil {
		return dst, err
	}
	raw := s.src[sp.Start:sp.End]
	if dst == nil && len(raw) > 0 {
		dst = make([]byte, 0, len(raw)) // exactly one allocation
	}
	if !sp.Escaped {
		return append(dst, raw...), nil
	}
	b, err := AppendUnescaped(dst, raw)
	if err != nil {
		return dst, &SyntaxError{Msg: err.Error(), Offset: sp.Start}
	}
	return b, nil
}

// StringSpan reads a string, checking its escapes, and returns where its
// contents are without unescaping them. Any other value is an error naming
// its kind and is left unread.
func (s *Scanner) StringSpan() (Span, error) {
	if c := s.Peek(); c != '"' {
		return Span{}, s.Errorf("want string, got %s", s.Kind())
	}
	src := s.src
	start := s.pos + 1
	escaped := false
	i := start
	for {
		i = nextSpecial(src, i)
		if i >= len(src) {
			s.pos = len(src)
			return Span{}, s.eof()
		}
		switch c := src[i]; {
		case c == '"':
			s.pos = i + 1
			return Span{start, i, escaped}, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(src) {
				s.pos = len(src)
				return Span{}, s.eof()
			}
			switch src[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(src, i+2); !ok {
					s.pos = i
					return Span{}, s.Errorf(`invalid \u escape in string`)
				}
				i += 6
			default:
				s.pos = i
				return Span{}, s.Errorf("invalid escape %q in string", src[i:i+2])
			}
		default: // a control character
			s.pos = i
			return Span{}, s.Errorf("control character %#x in string", c)
		}
	}
}

// nextSpecial returns the index of the first quote, backslash or control
// character in src from i on, or len(src). Most of a string is bytes that
// need no attention: it passes them eight at a time.
func nextSpecial(src string, i int) int {
	for ; i+8 <= len(src); i += 8 {
		if m := specialInString(load64(src, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(src) && plainInString[src[i]] {
		i++
	}
	return i
}

// plainInString[c] reports whether c stands for itself inside a JSON string:
// any byte but a quote, a backslash or a control character.
var plainInString = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101 // 1 in each byte
	msb = 0x8080808080808080 // the top bit of each byte
)

// load64 returns the eight bytes of s from i as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// specialInString returns a word whose lowest set bit is the top bit of the
// first (lowest) byte of w that is a quote, a backslash or a control
// character, or 0 when there is none. (x - lsb*n) & ^x & msb has the top
// bit of the first byte of x below n (n <= 0x80) set, and no bit below it
// (a borrow only moves up from a byte below n); a byte of w equals c exactly
// when that byte of w ^ lsb*c is below 1.
func specialInString(w uint64) uint64 {
	q := w ^ (lsb * '"')
	b := w ^ (lsb * '\\')
	return ((w-lsb*0x20)&^w | (q-lsb)&^q | (b-lsb)&^b) & msb
}

// notPlainASCII is specialInString for what AppendEscaped cannot copy as
// it is: also any byte from 0x80 on.
func notPlainASCII(w uint64) uint64 {
	return specialInString(w) | w&msb
}

// AppendUnescaped appends the unescaped form of raw, the contents of a JSON
// string between its quotes, to dst. A \u escape of a lone UTF-16 surrogate
// becomes U+FFFD; other bytes are copied as they are. raw may be a string or
// a byte slice (a span of the event bytes), so a caller holding bytes need
// not copy them into a string first. dst may be raw[:0] to unescape in
// place: the output never gets ahead of the input it is made from.
func AppendUnescaped[T string | []byte](dst []byte, raw T) ([]byte, error) {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(raw) {
			return dst, errors.New("truncated escape")
		}
		switch e := raw[i+1]; e {
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
			r, ok := hex4(raw, i+2)
			if !ok {
				return dst, errors.New(`invalid \u escape`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2, ok := hex4(raw, i+2); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							dst = utf8.AppendRune(dst, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			// Quote a copy: raw must not escape.
			return dst, fmt.Errorf("invalid escape %q", []byte{'\\', e})
		}
		i += 2
	}
	return dst, nil
}

func hex4[T string | []byte](s T, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
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

// Number reads a number and returns its text.
func (s *Scanner) Number() (string, error) {
	s.ws()
	src, start, i := s.src, s.pos, s.pos
	if i < len(src) && src[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(src) && '0' <= src[i] && src[i] <= '9' {
			i++
			n++
		}
		return n
	}
	first := i
	if n := digits(); n == 0 || (n > 1 && src[first] == '0') {
		if n == 0 {
			if i >= len(src) {
				return "", s.eof()
			}
			s.pos = i
			return "", s.Errorf("invalid character %q looking for a value", src[i])
		}
		return "", s.Errorf("invalid number")
	}
	if i < len(src) && src[i] == '.' {
		i++
		if digits() == 0 {
			s.pos = i
			return "", s.Errorf("invalid number")
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.pos = i
			return "", s.Errorf("invalid number")
		}
	}
	s.pos = i
	return src[start:i], nil
}

// Skip reads one value of any type, checking that it is well formed, without
// building it. It does not recurse: containers are tracked in a fixed-size
// bit stack, so it costs no allocation.
func (s *Scanner) Skip() error {
	var objects [MaxDepth/64 + 1]uint64 // bit d: the container at depth d is an object
	depth := 0
	for {
		// A value.
		switch c := s.Peek(); c {
		case '{', '[':
			if depth > MaxDepth {
				return s.Errorf("nesting deeper than %d", MaxDepth)
			}
			s.pos++
			if s.Peek() == c+2 {
				s.pos++
				break
			}
			if c == '{' {
				objects[depth/64] |= 1 << (depth % 64)
				if _, err := s.Key(); err != nil {
					return err
				}
			} else {
				objects[depth/64] &^= 1 << (depth % 64)
			}
			depth++
			continue
		case '"':
			if _, err := s.StringSpan(); err != nil {
				return err
			}
		case 't':
			if err := s.Literal("true"); err != nil {
				return err
			}
		case 'f':
			if err := s.Literal("false"); err != nil {
				return err
			}
		case 'n':
			if err := s.Literal("null"); err != nil {
				return err
			}
		case 0:
			if s.pos >= len(s.src) {
				return s.eof()
			}
			return s.Errorf("invalid character %q looking for a value", c)
		default:
			if _, err := s.Number(); err != nil {
				return err
			}
		}
		// After a value: close finished containers, or move to the next member.
		for {
			if depth == 0 {
				return nil
			}
			d := depth - 1
			close, what := byte(']'), "array"
			isObject := objects[d/64]&(1<<(d%64)) != 0
			if isObject {
				close, what = '}', "object"
			}
			c := s.Peek()
			if c == close {
				s.pos++
				depth--
				continue
			}
			if c != ',' {
				if s.pos >= len(s.src) {
					return s.eof()
				}
				return s.Errorf("want ',' or '%c' in %s, got %q", close, what, c)
			}
			s.pos++
			if isObject {
				if _, err := s.Key(); err != nil {
					return err
				}
			}
			break
		}
	}
}

// Value reads any value into the types encoding/json would use for an any:
// map[string]any, []any, string, float64, bool or nil.
func (s *Scanner) Value() (any, error) { return s.value(0) }

func (s *Scanner) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, s.Errorf("nesting deeper than %d", MaxDepth)
	}
	switch c := s.Peek(); c {
	case '{':
		it, _ := s.Open('{')
		m := map[string]any{}
		for {
			k, ok, err := s.NextKey(&it)
			if err != nil {
				return nil, err
			}
			if !ok {
				return m, nil
			}
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
	case '[':
		it, _ := s.Open('[')
		a := []any{}
		for {
			ok, err := s.More(&it)
			if err != nil {
				return nil, err
			}
			if !ok {
				return a, nil
			}
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case '"':
		return s.Str()
	case 't':
		return true, s.Literal("true")
	case 'f':
		return false, s.Literal("false")
	case 'n':
		return nil, s.Literal("null")
	case 0:
		if s.pos >= len(s.src) {
			return nil, s.eof()
		}
		return nil, s.Errorf("invalid character %q looking for a value", c)
	default:
		n, err := s.Number()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return nil, s.Errorf("number %s out of range", n)
		}
		return f, nil
	}
}
