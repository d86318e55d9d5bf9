package awslambda

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON values the scanner accepts, so that a
// hostile event cannot exhaust the stack.
const maxDepth = 256

// scanner reads one JSON document once, left to right. Strings without
// escapes are returned as substrings of s, a single string copy of the whole
// payload, so that decoding an event costs one allocation for all of its
// plain strings; values the adapter does not need are skipped without being
// built.
type scanner struct {
	s   string
	pos int
}

// syntaxError describes malformed JSON at an offset.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.offset) + ": " + e.msg
}

var errEOF = errors.New("unexpected end of JSON input")

func (d *scanner) errorf(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: d.pos}
}

func (d *scanner) ws() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (d *scanner) peek() byte {
	d.ws()
	if d.pos >= len(d.s) {
		return 0
	}
	return d.s[d.pos]
}

func (d *scanner) expect(c byte) error {
	d.ws()
	if d.pos >= len(d.s) {
		return &syntaxError{msg: errEOF.Error(), offset: d.pos}
	}
	if d.s[d.pos] != c {
		return d.errorf("want %q, got %q", c, d.s[d.pos])
	}
	d.pos++
	return nil
}

// kind names the JSON type starting at the next byte, for error messages.
func (d *scanner) kind() string {
	switch d.peek() {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case 0:
		return "end of input"
	default:
		return "number"
	}
}

// null consumes a null literal if one is next and reports whether it did.
func (d *scanner) null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *scanner) literal(lit string) error {
	if len(d.s)-d.pos < len(lit) || d.s[d.pos:d.pos+len(lit)] != lit {
		return d.errorf("invalid literal")
	}
	d.pos += len(lit)
	return nil
}

// object iterates over the members of an object: more reports whether a
// member follows and reads its key. The first call consumes the '{'.
// A null counts as an empty object.
type objectIter struct {
	d     *scanner
	first bool
	done  bool
}

func (d *scanner) object(field string) (objectIter, error) {
	if isNull, err := d.null(); isNull || err != nil {
		return objectIter{d: d, done: true}, err
	}
	if d.peek() != '{' {
		return objectIter{}, d.typeError(field, "object")
	}
	d.pos++
	return objectIter{d: d, first: true}, nil
}

func (it *objectIter) next() (key string, ok bool, err error) {
	if it.done {
		return "", false, nil
	}
	d := it.d
	c := d.peek()
	if c == '}' {
		d.pos++
		it.done = true
		return "", false, nil
	}
	if !it.first {
		if c != ',' {
			if c == 0 {
				return "", false, &syntaxError{msg: errEOF.Error(), offset: d.pos}
			}
			return "", false, d.errorf("want ',' or '}' in object, got %q", c)
		}
		d.pos++
	}
	it.first = false
	if d.peek() != '"' {
		if d.pos >= len(d.s) {
			return "", false, &syntaxError{msg: errEOF.Error(), offset: d.pos}
		}
		return "", false, d.errorf("want object key, got %q", d.s[d.pos])
	}
	key, err = d.str()
	if err != nil {
		return "", false, err
	}
	if err := d.expect(':'); err != nil {
		return "", false, err
	}
	return key, true, nil
}

// array iterates over the elements of an array; a null is an empty array.
type arrayIter struct {
	d     *scanner
	first bool
	done  bool
}

func (d *scanner) array(field string) (arrayIter, error) {
	if isNull, err := d.null(); isNull || err != nil {
		return arrayIter{d: d, done: true}, err
	}
	if d.peek() != '[' {
		return arrayIter{}, d.typeError(field, "array")
	}
	d.pos++
	return arrayIter{d: d, first: true}, nil
}

func (it *arrayIter) next() (bool, error) {
	if it.done {
		return false, nil
	}
	d := it.d
	c := d.peek()
	if c == ']' {
		d.pos++
		it.done = true
		return false, nil
	}
	if !it.first {
		if c != ',' {
			if c == 0 {
				return false, &syntaxError{msg: errEOF.Error(), offset: d.pos}
			}
			return false, d.errorf("want ',' or ']' in array, got %q", c)
		}
		d.pos++
	}
	it.first = false
	return true, nil
}

// typeError reports that field holds a value of the wrong JSON type.
func (d *scanner) typeError(field, want string) error {
	return &syntaxError{msg: fmt.Sprintf("%s: want %s, got %s", field, want, d.kind()), offset: d.pos}
}

// stringField reads a string value; null reads as "".
func (d *scanner) stringField(field string) (string, error) {
	c := d.peek()
	if c == '"' {
		return d.str()
	}
	if c == 'n' {
		return "", d.literal("null")
	}
	return "", d.typeError(field, "string")
}

// boolField reads a boolean value; null reads as false.
func (d *scanner) boolField(field string) (bool, error) {
	switch d.peek() {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return false, d.literal("null")
	}
	return false, d.typeError(field, "boolean")
}

// str reads a string; the next byte must be '"'. A string without escapes is
// a substring of the payload; one with escapes is unescaped into a new string.
func (d *scanner) str() (string, error) {
	start, end, escaped, err := d.strSpan()
	if err != nil {
		return "", err
	}
	if !escaped {
		return d.s[start:end], nil
	}
	b, err := unescape(make([]byte, 0, end-start), d.s[start:end])
	if err != nil {
		return "", &syntaxError{msg: err.Error(), offset: start}
	}
	return string(b), nil
}

// strSpan consumes a string and returns the bounds of its contents (without
// quotes) and whether they contain escapes.
func (d *scanner) strSpan() (start, end int, escaped bool, err error) {
	d.pos++ // '"'
	start = d.pos
	s := d.s
	for i := d.pos; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			d.pos = i + 1
			return start, i, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(s) {
				break
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := hex4(s, i+2); !ok {
					d.pos = i
					return 0, 0, false, d.errorf(`invalid \u escape in string`)
				}
				i += 5
			default:
				d.pos = i
				return 0, 0, false, d.errorf("invalid escape %q in string", s[i:i+2])
			}
		case c < 0x20:
			d.pos = i
			return 0, 0, false, d.errorf("control character %#x in string", c)
		}
	}
	d.pos = len(s)
	return 0, 0, false, &syntaxError{msg: errEOF.Error(), offset: len(s)}
}

// unescape appends the unescaped form of the JSON string contents s to b.
func unescape(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return nil, errors.New("truncated escape")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return nil, errors.New(`invalid \u escape`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return nil, fmt.Errorf("invalid escape %q", "\\"+string(e))
		}
		i += 2
	}
	return b, nil
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip consumes one value of any type without building it.
func (d *scanner) skip() error { return d.skipDepth(0) }

func (d *scanner) skipDepth(depth int) error {
	if depth > maxDepth {
		return d.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := d.peek(); c {
	case '{':
		it, _ := d.object("")
		for {
			_, ok, err := it.next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := d.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		it, _ := d.array("")
		for {
			ok, err := it.next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := d.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case '"':
		_, _, _, err := d.strSpan()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case 0:
		return &syntaxError{msg: errEOF.Error(), offset: d.pos}
	default:
		_, err := d.number()
		return err
	}
}

// number consumes a JSON number and returns its text.
func (d *scanner) number() (string, error) {
	s, start, i := d.s, d.pos, d.pos
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if n := digits(); n == 0 || (n > 1 && s[start] == '0') || (n > 1 && s[start] == '-' && s[start+1] == '0') {
		d.pos = start
		if n == 0 {
			if i >= len(s) {
				return "", &syntaxError{msg: errEOF.Error(), offset: i}
			}
			return "", d.errorf("invalid character %q looking for a value", s[start])
		}
		return "", d.errorf("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return "", d.errorf("invalid number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return "", d.errorf("invalid number")
		}
	}
	d.pos = i
	return s[start:i], nil
}

// value decodes any JSON value into the types encoding/json would use for an
// any: map[string]any, []any, string, float64, bool or nil.
func (d *scanner) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := d.peek(); c {
	case '{':
		it, _ := d.object("")
		m := map[string]any{}
		for {
			k, ok, err := it.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				return m, nil
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
	case '[':
		it, _ := d.array("")
		a := []any{}
		for {
			ok, err := it.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				return a, nil
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	case 0:
		return nil, &syntaxError{msg: errEOF.Error(), offset: d.pos}
	default:
		n, err := d.number()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return nil, d.errorf("number %s out of range", n)
		}
		return f, nil
	}
}
