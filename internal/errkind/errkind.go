// Package errkind holds the error-kind machinery packages store and queue
// share: kind sentinels (optionally included in a parent kind), the
// "<pkg>: <op>: <kind>: <detail>" wording of their *Error types, the
// message/cause split of their Errorf, and their BatchError helpers. It is
// internal: applications see only store's and queue's own types.
package errkind

import (
	"errors"
	"fmt"
	"strings"
)

// kind is a sentinel error for errors.Is; it also matches its parent.
type kind struct {
	msg    string
	parent error
}

// New returns a kind whose message is "pkg: msg"; errors.Is(kind, parent)
// holds when parent is not nil.
func New(pkg, msg string, parent error) error { return &kind{pkg + ": " + msg, parent} }

func (k *kind) Error() string { return k.msg }

func (k *kind) Is(target error) bool { return k.parent != nil && target == k.parent }

// Message words an error of package pkg: "pkg: op: kind: detail", where
// kind is k's message without its "pkg: " prefix, op is left out when
// empty, and detail is msg, or else cause's text, or else nothing.
func Message(pkg, op string, k error, msg string, cause error) string {
	s := pkg + ": "
	if op != "" {
		s += op + ": "
	}
	s += strings.TrimPrefix(k.Error(), pkg+": ")
	if msg != "" {
		s += ": " + msg
	} else if cause != nil {
		s += ": " + cause.Error()
	}
	return s
}

// Sprintf formats like fmt.Errorf and returns the message and the error a
// %w verb wrapped (nil without one).
func Sprintf(format string, args ...any) (msg string, cause error) {
	e := fmt.Errorf(format, args...)
	return e.Error(), errors.Unwrap(e)
}

// BatchMessage words a batch error of package pkg whose entries are errs
// (nil where that entry succeeded): "pkg: N of M <what> failed; first at
// I: <error>".
func BatchMessage(pkg, what string, errs []error) string {
	n, first := 0, -1
	for i, err := range errs {
		if err != nil {
			n++
			if first < 0 {
				first = i
			}
		}
	}
	if n == 0 {
		return pkg + ": batch: no errors"
	}
	return fmt.Sprintf("%s: %d of %d %s failed; first at %d: %v", pkg, n, len(errs), what, first, errs[first])
}

// Failed returns the non-nil entries of errs, in order.
func Failed(errs []error) []error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}
