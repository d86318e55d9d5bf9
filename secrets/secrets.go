// Package secrets reads an application's secrets (signing keys, API keys,
// passwords) from a cloud's secret manager once per process, and keeps
// their values out of logs and errors.
//
// A [Cache] asks its [Getter] for each secret the first time it is
// requested and answers from memory afterwards, so that a serverless
// function pays for the secret manager once per cold start, not once per
// invocation. Concurrent first requests for one secret share one read.
// A failed read is not kept: the next Get tries again.
//
//	c, err := awssecrets.Open(ctx)             // package secrets/awssecrets
//	v, err := c.Get(ctx, "todo/app")           // a name or an ARN
//	key, err := v.Field("jwt_secret")          // a member of a JSON secret
//	jwtauth.WithSecret(key.Reveal())
//
// # Values never print
//
// A [Value] formats as [Redacted] with every fmt verb, in slog (it is a
// slog.LogValuer) and in JSON; only [Value.Reveal] gives the plaintext.
// Errors name the secret, never its value.
//
// # Errors
//
// Errors are [*Error] values whose Kind is one of [ErrNotFound],
// [ErrPermissionDenied], [ErrInvalidArgument] and [ErrUnavailable], for
// errors.Is; the native error of the secret manager stays reachable with
// errors.As.
//
// # Backends
//
// secrets/awssecrets reads AWS Secrets Manager. On Google Cloud and Azure
// the platform itself resolves secrets into environment variables
// (Cloud Run's --set-secrets, App Service Key Vault references), which
// [Env] reads; local runs use plain environment variables.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// Redacted is what a Value prints as.
const Redacted = "[REDACTED]"

// Value is a secret's value. Its zero value is the empty secret.
type Value struct {
	s string
}

// NewValue wraps a plaintext secret.
func NewValue(plaintext string) Value { return Value{s: plaintext} }

// Reveal returns the plaintext. Pass it to what needs it (a key, a
// password); never log it.
func (v Value) Reveal() string { return v.s }

// IsZero reports whether the secret is empty.
func (v Value) IsZero() bool { return v.s == "" }

// String returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString returns [Redacted], for %#v.
func (v Value) GoString() string { return Redacted }

// Format writes [Redacted] whatever the verb and flags.
func (v Value) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue returns [Redacted], so that slog never writes the plaintext.
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON writes [Redacted] as a JSON string.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText writes [Redacted].
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Field returns the member key of a secret that holds a JSON object of
// strings (Secrets Manager's key/value secrets). A secret that is not such
// an object, or that lacks key, is an [ErrInvalidArgument] or
// [ErrNotFound] error naming the key, not the content.
func (v Value) Field(key string) (Value, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(v.s), &m); err != nil {
		// The decoder's error may quote the secret: keep it out.
		return Value{}, &Error{Kind: ErrInvalidArgument, Op: "field", Msg: fmt.Sprintf("secrets: field %q: the secret is not a JSON object", key)}
	}
	f, ok := m[key]
	if !ok {
		return Value{}, &Error{Kind: ErrNotFound, Op: "field", Msg: fmt.Sprintf("secrets: field %q: the secret has no such key", key)}
	}
	s, ok := f.(string)
	if !ok {
		return Value{}, &Error{Kind: ErrInvalidArgument, Op: "field", Msg: fmt.Sprintf("secrets: field %q: not a string", key)}
	}
	return Value{s: s}, nil
}

// Error kinds, for errors.Is.
var (
	// ErrNotFound: no secret (or no current version, or no key) of that name.
	ErrNotFound = errors.New("secret not found")
	// ErrPermissionDenied: the caller may not read the secret.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrInvalidArgument: a bad name, a bad configuration, or a secret
	// whose content is not what was asked for.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnavailable: the secret manager could not be reached or failed.
	ErrUnavailable = errors.New("secret manager unavailable")
)

// Error is the error of every operation of this package and its backends.
// Its message names the secret, never its value.
type Error struct {
	// Kind is one of the Err* values.
	Kind error
	// Op is the operation: "get", "field", "open".
	Op string
	// Name is the secret's name or ARN, when there is one.
	Name string
	// Msg is the whole message.
	Msg string
	// Err is the native error of the secret manager, if any.
	Err error
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the kind and the native error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Getter reads one secret from a secret manager. Backends implement it;
// applications use a [Cache].
type Getter interface {
	// GetSecret returns the current value of the secret name, or an
	// *Error.
	GetSecret(ctx context.Context, name string) (Value, error)
}

// GetterFunc adapts a function to a Getter.
type GetterFunc func(ctx context.Context, name string) (Value, error)

// GetSecret calls f.
func (f GetterFunc) GetSecret(ctx context.Context, name string) (Value, error) { return f(ctx, name) }

// Cache reads each secret from its Getter once per process. It is safe for
// concurrent use; create it once (at start-up) and keep it.
type Cache struct {
	g  Getter
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	done chan struct{}
	v    Value
	err  error
}

// NewCache returns a Cache over g.
func NewCache(g Getter) *Cache { return &Cache{g: g, m: map[string]*entry{}} }

// Get returns the secret name, read from the Getter the first time and
// from memory afterwards. Concurrent first calls share one read; a failed
// read is forgotten, so that a later call tries again.
func (c *Cache) Get(ctx context.Context, name string) (Value, error) {
	if name == "" {
		return Value{}, &Error{Kind: ErrInvalidArgument, Op: "get", Msg: "secrets: empty secret name"}
	}
	c.mu.Lock()
	e, ok := c.m[name]
	if !ok {
		e = &entry{done: make(chan struct{})}
		c.m[name] = e
		c.mu.Unlock()
		e.v, e.err = c.g.GetSecret(ctx, name)
		if e.err != nil {
			c.mu.Lock()
			delete(c.m, name)
			c.mu.Unlock()
		}
		close(e.done)
		return e.v, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		// The read this call waited for; a failed one was forgotten, so
		// that the next call tries again.
		return e.v, e.err
	case <-ctx.Done():
		return Value{}, &Error{Kind: ErrUnavailable, Op: "get", Name: name, Msg: fmt.Sprintf("secrets: %q: %v", name, ctx.Err()), Err: ctx.Err()}
	}
}

// Env returns the environment variable name as a Value (platforms such as
// Cloud Run and Azure App Service resolve secrets into the environment),
// and whether it was set.
func Env(name string) (Value, bool) {
	s, ok := os.LookupEnv(name)
	return Value{s: s}, ok
}
