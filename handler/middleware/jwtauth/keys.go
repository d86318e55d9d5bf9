package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/anyfunc/anyfunc/handler"
)

// jwtAlgorithms are the signature algorithms JWT verifies. "none" is not
// among them, and go-jose refuses it anyway.
var jwtAlgorithms = []jose.SignatureAlgorithm{
	jose.HS256, jose.HS384, jose.HS512,
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// MinHMACKeyLen is the shortest HMAC secret JWT accepts: 256 bits, the
// output size of SHA-256 (RFC 7518, section 3.2).
const MinHMACKeyLen = 32

// verifyKey is one key with the algorithms it may verify.
type verifyKey struct {
	kid  string
	key  any // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	algs []jose.SignatureAlgorithm
}

func (k *verifyKey) allows(alg jose.SignatureAlgorithm) bool {
	for _, a := range k.algs {
		if a == alg {
			return true
		}
	}
	return false
}

// newVerifyKey checks key and algs and fills in the algorithms the key's
// type allows when algs is empty. An algorithm that does not fit the key's
// type (HS256 with an RSA key, RS256 with a secret) is an error: that is
// what keeps algorithm confusion out.
func newVerifyKey(kid string, key any, algs []string) (verifyKey, error) {
	if jwk, ok := key.(jose.JSONWebKey); ok {
		key, kid = jwk.Key, firstNonEmpty(kid, jwk.KeyID)
		if len(algs) == 0 && jwk.Algorithm != "" {
			algs = []string{jwk.Algorithm}
		}
	}
	if jwk, ok := key.(*jose.JSONWebKey); ok && jwk != nil {
		return newVerifyKey(kid, *jwk, algs)
	}
	var fits []jose.SignatureAlgorithm
	switch k := key.(type) {
	case []byte:
		if len(k) < MinHMACKeyLen {
			return verifyKey{}, fmt.Errorf("HMAC secret is %d bytes; at least %d are required", len(k), MinHMACKeyLen)
		}
		key = append([]byte(nil), k...)
		// A secret must be at least as long as the hash's output.
		fits = []jose.SignatureAlgorithm{jose.HS256}
		if len(k) >= 48 {
			fits = append(fits, jose.HS384)
		}
		if len(k) >= 64 {
			fits = append(fits, jose.HS512)
		}
	case *rsa.PrivateKey:
		return newVerifyKey(kid, &k.PublicKey, algs)
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return verifyKey{}, fmt.Errorf("RSA key has %d bits; at least 2048 are required", k.N.BitLen())
		}
		fits = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}
	case *ecdsa.PrivateKey:
		return newVerifyKey(kid, &k.PublicKey, algs)
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			fits = []jose.SignatureAlgorithm{jose.ES256}
		case elliptic.P384():
			fits = []jose.SignatureAlgorithm{jose.ES384}
		case elliptic.P521():
			fits = []jose.SignatureAlgorithm{jose.ES512}
		default:
			return verifyKey{}, errors.New("unsupported elliptic curve")
		}
	case ed25519.PrivateKey:
		return newVerifyKey(kid, k.Public(), algs)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return verifyKey{}, errors.New("malformed Ed25519 key")
		}
		fits = []jose.SignatureAlgorithm{jose.EdDSA}
	default:
		return verifyKey{}, fmt.Errorf("unsupported key type %T", key)
	}
	vk := verifyKey{kid: kid, key: key, algs: fits}
	if len(algs) > 0 {
		vk.algs = nil
		for _, a := range algs {
			alg := jose.SignatureAlgorithm(strings.TrimSpace(a))
			found := false
			for _, f := range fits {
				found = found || f == alg
			}
			if !found {
				return verifyKey{}, fmt.Errorf("algorithm %q does not fit a %T key", a, key)
			}
			vk.algs = append(vk.algs, alg)
		}
	}
	return vk, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// keySet is an immutable set of keys.
type keySet struct {
	keys      []verifyKey
	fetchedAt time.Time
}

// candidates appends to dst the keys that may verify a token with the given
// kid and alg: keys with that kid (a key without kid matches any), or all
// keys when the token names none, restricted to keys that allow alg.
func (s *keySet) candidates(dst []*verifyKey, kid string, alg jose.SignatureAlgorithm) []*verifyKey {
	if s == nil {
		return dst
	}
	for i := range s.keys {
		k := &s.keys[i]
		if (kid == "" || k.kid == "" || k.kid == kid) && k.allows(alg) {
			dst = append(dst, k)
		}
	}
	return dst
}

// maxJWKSSize bounds a JWKS or discovery document.
const maxJWKSSize = 1 << 20

// remoteKeys is a JWKS fetched from a URL (or found by OIDC discovery),
// cached, refreshed when too old or when a token names an unknown key (at
// most once per minInterval), and served stale when a refresh fails.
type remoteKeys struct {
	jwksURL     string // fixed URL, or "" with issuer set
	issuer      string // OIDC discovery
	client      *http.Client
	now         func() time.Time
	minInterval time.Duration
	maxAge      time.Duration

	set atomic.Pointer[keySet]

	mu          sync.Mutex // serialises refreshes
	lastAttempt atomic.Int64
	discovered  string // jwks_uri from discovery, under mu
}

// errNoKeys is the 503 answered when no key set could ever be fetched.
var errNoKeys = &handler.Error{Status: http.StatusServiceUnavailable, Code: "keys_unavailable",
	Message: "The token cannot be verified right now; retry later."}

// current returns the key set, fetching it first if there is none yet or it
// is older than maxAge (and a fetch is allowed). While one request refreshes
// a set that is merely old, the others verify with the old set instead of
// waiting for the fetch.
func (rk *remoteKeys) current(ctx context.Context) (*keySet, error) {
	s := rk.set.Load()
	if s != nil && rk.now().Sub(s.fetchedAt) < rk.maxAge {
		return s, nil
	}
	if s != nil {
		if !rk.mu.TryLock() {
			return s, nil // a refresh is under way
		}
		defer rk.mu.Unlock()
		return rk.refreshLocked(ctx, s)
	}
	return rk.refresh(ctx, s)
}

// refresh fetches the key set unless another goroutine replaced seen in the
// meantime or the last attempt was less than minInterval ago. On failure it
// keeps the old set. It returns the set to use. A request that needs a key
// the set lacks (no set, an unknown kid) waits for a refresh under way.
func (rk *remoteKeys) refresh(ctx context.Context, seen *keySet) (*keySet, error) {
	rk.mu.Lock()
	defer rk.mu.Unlock()
	return rk.refreshLocked(ctx, seen)
}

// refreshLocked is refresh with rk.mu held.
func (rk *remoteKeys) refreshLocked(ctx context.Context, seen *keySet) (*keySet, error) {
	if s := rk.set.Load(); s != seen {
		return s, nil // refreshed while we waited
	}
	now := rk.now()
	if last := rk.lastAttempt.Load(); last != 0 && now.Sub(time.Unix(0, last)) < rk.minInterval {
		if seen == nil {
			return nil, errNoKeys
		}
		return seen, nil
	}
	rk.lastAttempt.Store(now.UnixNano())
	// A refresh serves every later request: do not let this request's
	// cancellation abort it, but bound it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	keys, err := rk.fetch(fctx)
	if err != nil {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "JWKS refresh failed; keeping the cached keys",
			slog.String("error", err.Error()), slog.Bool("haveKeys", seen != nil))
		if seen == nil {
			return nil, &handler.Error{Status: errNoKeys.Status, Code: errNoKeys.Code, Message: errNoKeys.Message, Err: err}
		}
		return seen, nil
	}
	s := &keySet{keys: keys, fetchedAt: now}
	rk.set.Store(s)
	return s, nil
}

// fetch downloads and parses the JWKS, discovering its URL first for OIDC.
func (rk *remoteKeys) fetch(ctx context.Context) ([]verifyKey, error) {
	u := rk.jwksURL
	if u == "" {
		if rk.discovered == "" {
			var doc struct {
				Issuer  string `json:"issuer"`
				JWKSURI string `json:"jwks_uri"`
			}
			if err := rk.getJSON(ctx, strings.TrimSuffix(rk.issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
				return nil, fmt.Errorf("OIDC discovery: %w", err)
			}
			if doc.Issuer != rk.issuer {
				return nil, fmt.Errorf("OIDC discovery: document names issuer %q, want %q", doc.Issuer, rk.issuer)
			}
			if err := checkKeyURL(doc.JWKSURI); err != nil {
				return nil, fmt.Errorf("OIDC discovery: jwks_uri: %w", err)
			}
			rk.discovered = doc.JWKSURI
		}
		u = rk.discovered
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := rk.getJSON(ctx, u, &doc); err != nil {
		rk.discovered = "" // discover again next time: the URL may have moved
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	var keys []verifyKey
	for _, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil || !jwk.Valid() || !jwk.IsPublic() {
			continue // unknown or malformed key types are skipped, as RFC 7517 asks
		}
		if jwk.Use != "" && jwk.Use != "sig" {
			continue
		}
		if _, secret := jwk.Key.([]byte); secret {
			continue // a published symmetric key would let anyone sign
		}
		vk, err := newVerifyKey("", jwk, nil)
		if err != nil {
			continue
		}
		keys = append(keys, vk)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS at %s holds no usable signing key", u)
	}
	return keys, nil
}

func (rk *remoteKeys) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := rk.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return err
	}
	if len(body) > maxJWKSSize {
		return fmt.Errorf("GET %s: document larger than %d bytes", u, maxJWKSSize)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// checkKeyURL requires https, except for loopback hosts (local runs and
// tests).
func checkKeyURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%q must use https", s)
}
