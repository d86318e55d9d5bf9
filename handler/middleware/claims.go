package middleware

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// Claims gives typed access to the claims of an identity: the verified JWT
// claims JWT puts there, or the authorizer context a platform passed (where
// numbers and lists often arrive as strings; the accessors accept both).
type Claims map[string]any

// ClaimsOf returns id's claims; it is nil (and every accessor reports
// absence) when id is nil or has none.
func ClaimsOf(id *handler.Identity) Claims {
	if id == nil {
		return nil
	}
	return Claims(id.Claims)
}

// String returns the claim as a string, and whether it is a string.
func (c Claims) String(name string) (string, bool) {
	s, ok := c[name].(string)
	return s, ok
}

// Strings returns the claim as a list of strings: a JSON array of strings,
// or a single string as a one-element list. It returns nil when the claim
// is absent or of another type.
func (c Claims) Strings(name string) []string {
	switch v := c[name].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// Int returns the claim as an integer: a JSON number without fraction or a
// decimal string.
func (c Claims) Int(name string) (int64, bool) {
	switch v := c[name].(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	case int64:
		return v, true
	case int:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Bool returns the claim as a boolean: JSON true/false or the strings
// "true"/"false".
func (c Claims) Bool(name string) (bool, bool) {
	switch v := c[name].(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return false, false
}

// Time returns a NumericDate claim ("exp", "iat", "nbf", "auth_time") as a
// time: seconds since the epoch, as a number or a decimal string.
func (c Claims) Time(name string) (time.Time, bool) {
	n, ok := c.Int(name)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// Subject returns the "sub" claim.
func (c Claims) Subject() string { s, _ := c.String("sub"); return s }

// Issuer returns the "iss" claim.
func (c Claims) Issuer() string { s, _ := c.String("iss"); return s }

// Audience returns the "aud" claim as a list.
func (c Claims) Audience() []string { return c.Strings("aud") }

// Expiry returns the "exp" claim.
func (c Claims) Expiry() (time.Time, bool) { return c.Time("exp") }

// Has reports whether the claim equals value or, for a list, contains it.
func (c Claims) Has(name, value string) bool {
	for _, s := range c.Strings(name) {
		if s == value {
			return true
		}
	}
	return false
}
