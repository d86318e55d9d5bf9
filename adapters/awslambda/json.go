package awslambda

import (
	"fmt"

	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// scanner reads an event with the shared single-pass scanner. Strings
// without escapes are substrings of the scanner's source, a single string
// copy of the whole payload, so that decoding an event costs one allocation
// for all of its plain strings; values the adapter does not need are skipped
// without being built. Its methods read fields whose type errors name the
// field.
type scanner struct{ jsonscan.Scanner }

// typeError reports that field holds a value of the wrong JSON type.
func (d *scanner) typeError(field, want string) error {
	return &jsonscan.SyntaxError{Msg: fmt.Sprintf("%s: want %s, got %s", field, want, d.Kind()), Offset: d.Pos()}
}

// object opens an object; a null counts as an empty object.
func (d *scanner) object(field string) (jsonscan.Iter, error) {
	if isNull, err := d.Null(); isNull || err != nil {
		return jsonscan.Iter{}, err
	}
	it, ok := d.Open('{')
	if !ok {
		return it, d.typeError(field, "object")
	}
	return it, nil
}

// array opens an array; a null counts as an empty array.
func (d *scanner) array(field string) (jsonscan.Iter, error) {
	if isNull, err := d.Null(); isNull || err != nil {
		return jsonscan.Iter{}, err
	}
	it, ok := d.Open('[')
	if !ok {
		return it, d.typeError(field, "array")
	}
	return it, nil
}

// stringField reads a string value; null reads as "".
func (d *scanner) stringField(field string) (string, error) {
	switch d.Peek() {
	case '"':
		return d.Str()
	case 'n':
		return "", d.Literal("null")
	}
	return "", d.typeError(field, "string")
}

// boolField reads a boolean value; null reads as false.
func (d *scanner) boolField(field string) (bool, error) {
	switch d.Peek() {
	case 't', 'f':
		return d.Bool()
	case 'n':
		return false, d.Literal("null")
	}
	return false, d.typeError(field, "boolean")
}
