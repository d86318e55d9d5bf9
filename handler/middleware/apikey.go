package middleware

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/anyfunc/anyfunc/handler"
)

// A KeySource looks up the caller an API key belongs to.
type KeySource interface {
	// LookupKey returns the identity key grants, or nil and no error when
	// the key is unknown. An error means the lookup itself failed. Since
	// keys are secrets, implementations should not leak through timing
	// which keys exist (compare digests in constant time, as StaticKeys
	// does).
	LookupKey(ctx context.Context, key string) (*handler.Identity, error)
}

// StaticKey is one configured API key.
type StaticKey struct {
	// Name identifies the key's owner; it becomes Identity.Subject.
	Name string
	// Key is the secret, at least MinAPIKeyLen bytes.
	Key string
	// Scopes become Identity.Scopes.
	Scopes []string
}

// MinAPIKeyLen is the shortest API key StaticKeys accepts.
const MinAPIKeyLen = 16

// StaticKeys returns a KeySource over a fixed set of keys. Every lookup
// compares SHA-256 digests of the presented key with every configured key
// in constant time, so neither the position nor the length of a mismatch
// shows in the time taken. It returns an error for an empty name, a key
// shorter than MinAPIKeyLen, or a repeated name or key.
func StaticKeys(keys ...StaticKey) (KeySource, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("middleware: StaticKeys: no key")
	}
	s := &staticKeys{entries: make([]staticEntry, len(keys))}
	names := make(map[string]bool, len(keys))
	digests := make(map[[32]byte]bool, len(keys))
	for i, k := range keys {
		if k.Name == "" {
			return nil, fmt.Errorf("middleware: StaticKeys: key %d has no name", i)
		}
		if len(k.Key) < MinAPIKeyLen {
			return nil, fmt.Errorf("middleware: StaticKeys: key %q is shorter than %d bytes", k.Name, MinAPIKeyLen)
		}
		d := sha256.Sum256([]byte(k.Key))
		if names[k.Name] || digests[d] {
			return nil, fmt.Errorf("middleware: StaticKeys: key %q: repeated name or key", k.Name)
		}
		names[k.Name], digests[d] = true, true
		s.entries[i] = staticEntry{digest: d, name: k.Name, scopes: append([]string(nil), k.Scopes...)}
	}
	return s, nil
}

// ParseKeys parses API keys written as "name:key,name:key,..." (the form
// of an environment variable such as TODO_API_KEYS) into a StaticKeys
// source. An entry may grant scopes after a second colon, separated by
// spaces: "ci:k3y...:todos:read todos:write". Names and keys cannot contain
// ':' or ','; scopes cannot contain ',' or spaces.
func ParseKeys(s string) (KeySource, error) {
	var keys []StaticKey
	for i, entry := range splitList([]string{s}) {
		name, rest, ok := strings.Cut(entry, ":")
		if !ok {
			// Without a colon the entry may be a bare key: show none of it.
			return nil, fmt.Errorf("middleware: ParseKeys: entry %d is not name:key", i+1)
		}
		key, scopes, _ := strings.Cut(rest, ":")
		keys = append(keys, StaticKey{Name: strings.TrimSpace(name), Key: strings.TrimSpace(key), Scopes: strings.Fields(scopes)})
	}
	return StaticKeys(keys...)
}

type staticEntry struct {
	digest [32]byte
	name   string
	scopes []string
}

type staticKeys struct{ entries []staticEntry }

// LookupKey compares key's digest with every configured key's digest in
// constant time.
func (s *staticKeys) LookupKey(_ context.Context, key string) (*handler.Identity, error) {
	d := sha256.Sum256([]byte(key))
	match := -1
	for i := range s.entries {
		eq := subtle.ConstantTimeCompare(d[:], s.entries[i].digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return nil, nil
	}
	e := &s.entries[match]
	return &handler.Identity{Source: "apikey", Subject: e.name, Scopes: append([]string(nil), e.scopes...)}, nil
}

// APIKeyOption configures [APIKey].
type APIKeyOption func(*apiKeyConfig)

type apiKeyConfig struct {
	header, query, realm string
}

// APIKeyHeader sets the request header that carries the key; the default
// is X-Api-Key. An empty name reads no header (then set APIKeyQuery).
func APIKeyHeader(name string) APIKeyOption { return func(c *apiKeyConfig) { c.header = name } }

// APIKeyQuery also accepts the key in the named query parameter, which is
// off by default because URLs end up in logs. The header wins when both
// are present.
func APIKeyQuery(param string) APIKeyOption { return func(c *apiKeyConfig) { c.query = param } }

// APIKeyRealm sets the realm named in WWW-Authenticate; the default is
// "api".
func APIKeyRealm(realm string) APIKeyOption { return func(c *apiKeyConfig) { c.realm = realm } }

// APIKey returns middleware that authenticates the caller by an API key
// looked up in src. On success it sets Request.Identity to the key's
// identity (Source "apikey", Subject the key's name, its scopes) and calls
// the handler. A missing key is answered 401 "missing_api_key", an unknown
// one 401 "invalid_api_key", both with WWW-Authenticate; a failing lookup
// is returned as the error it is (a 5xx). APIKey returns an error when src
// is nil or no header or query parameter is configured.
func APIKey(src KeySource, opts ...APIKeyOption) (handler.Middleware, error) {
	c := apiKeyConfig{header: "X-Api-Key", realm: "api"}
	for _, o := range opts {
		o(&c)
	}
	if src == nil {
		return nil, fmt.Errorf("middleware: APIKey: nil KeySource")
	}
	if c.header == "" && c.query == "" {
		return nil, fmt.Errorf("middleware: APIKey: neither a header nor a query parameter carries the key")
	}
	header := http.CanonicalHeaderKey(c.header)
	challenge := http.Header{"Www-Authenticate": {`APIKey realm="` + strings.ReplaceAll(c.realm, `"`, `'`) + `"`}}
	missing := &handler.Error{Status: http.StatusUnauthorized, Code: "missing_api_key",
		Message: "An API key is required.", Header: challenge}
	invalid := &handler.Error{Status: http.StatusUnauthorized, Code: "invalid_api_key",
		Message: "The API key is not valid.", Header: challenge}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			var key string
			if header != "" {
				if v := r.Header[header]; len(v) > 0 {
					key = v[0]
				}
			}
			if key == "" && c.query != "" {
				key = r.Query().Get(c.query)
			}
			if key == "" {
				return nil, missing
			}
			id, err := src.LookupKey(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("middleware: API key lookup: %w", err)
			}
			if id == nil {
				return nil, invalid
			}
			r.Identity = id
			return next.ServeRequest(ctx, r)
		})
	}, nil
}
