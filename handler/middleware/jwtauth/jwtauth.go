// Package jwtauth authenticates callers by a JSON Web Token (RFC 7519)
// signed with a static key, a JWKS or an OpenID Connect issuer's keys,
// verified with go-jose. It is a package of its own so that a program
// using package middleware for CORS, API keys or body limits does not link
// go-jose.
//
//	auth, err := jwtauth.New(
//		jwtauth.WithOIDCIssuer("https://accounts.google.com"),
//		jwtauth.WithAudience("https://api.example.com"))
//
// The caller's claims are in Request.Identity; middleware.RequireScope,
// middleware.RequireClaim and middleware.ClaimsOf read them.
package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/anyfunc/anyfunc/handler"
)

// Option configures [New].
type Option func(*jwtConfig)

type jwtConfig struct {
	static      []staticJWTKey
	jwksURL     string
	oidcIssuer  string
	issuers     []string
	audiences   []string
	anyAudience bool
	leeway      time.Duration
	now         func() time.Time
	client      *http.Client
	minInterval time.Duration
	maxAge      time.Duration
	trusted     []string
	scopeClaims []string
	realm       string
}

type staticJWTKey struct {
	kid  string
	key  any
	algs []string
}

// WithKey adds a static verification key: an HMAC secret ([]byte), an
// *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey (or the matching
// private key, whose public half is used), or a jose.JSONWebKey. kid, when
// not empty, must equal the token's "kid" header. algs is the key's
// allow-list ("RS256", "ES256", ...); empty means every algorithm of the
// key's type (HS256, and HS384 and HS512 for secrets of at least 48 and 64
// bytes; RS256/384/512 and PS256/384/512
// for RSA; ES256, ES384 or ES512 by curve; EdDSA). An algorithm that does
// not fit the key's type is a construction error, so a token cannot make an
// RSA public key serve as an HMAC secret.
func WithKey(kid string, key any, algs ...string) Option {
	return func(c *jwtConfig) { c.static = append(c.static, staticJWTKey{kid, key, algs}) }
}

// WithSecret adds an HS256 secret, as read from an environment variable. It
// must be at least MinHMACKeyLen bytes.
func WithSecret(secret string) Option { return WithKey("", []byte(secret), "HS256") }

// WithJWKSURL verifies tokens with the keys published at url (https, or http
// on a loopback host). The set is fetched on first use, kept for the
// WithJWKSMaxAge, refetched when a token names an unknown "kid" (at most once
// per WithJWKSRefreshInterval), and served stale when a refetch fails. Each
// key may verify only its own "alg", or the algorithms its type allows
// when it names none; symmetric keys in a JWKS are ignored.
func WithJWKSURL(url string) Option { return func(c *jwtConfig) { c.jwksURL = url } }

// WithOIDCIssuer finds the JWKS by OpenID Connect discovery
// (issuer + "/.well-known/openid-configuration", fetched on first use) and
// requires the tokens' "iss" to be issuer.
func WithOIDCIssuer(issuer string) Option { return func(c *jwtConfig) { c.oidcIssuer = issuer } }

// WithIssuer requires the "iss" claim to be one of issuers. Each argument may
// hold several, separated by commas.
func WithIssuer(issuers ...string) Option {
	return func(c *jwtConfig) { c.issuers = append(c.issuers, splitList(issuers)...) }
}

// WithAudience requires the "aud" claim to contain one of audiences. Each
// argument may hold several, separated by commas.
func WithAudience(audiences ...string) Option {
	return func(c *jwtConfig) { c.audiences = append(c.audiences, splitList(audiences)...) }
}

// WithAnyAudience accepts tokens whatever their "aud" claim. Keys from a JWKS
// URL or OIDC discovery sign tokens for every application of the identity
// provider, so JWT refuses such a key source without WithAudience unless this
// option says that every audience is meant.
func WithAnyAudience() Option { return func(c *jwtConfig) { c.anyAudience = true } }

// WithLeeway sets the clock skew tolerated on "exp", "nbf" and "iat"; the
// default is 30 seconds.
func WithLeeway(d time.Duration) Option { return func(c *jwtConfig) { c.leeway = d } }

// WithClock sets the clock used for token times and the JWKS cache; the
// default (and nil) is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *jwtConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// WithHTTPClient sets the client that fetches JWKS and discovery documents;
// the default is a client with a 10-second timeout.
func WithHTTPClient(client *http.Client) Option { return func(c *jwtConfig) { c.client = client } }

// WithJWKSRefreshInterval sets the shortest time between two JWKS fetches
// (after the first); the default is one minute.
func WithJWKSRefreshInterval(d time.Duration) Option { return func(c *jwtConfig) { c.minInterval = d } }

// WithJWKSMaxAge sets how long a fetched JWKS is used before it is fetched
// again; the default is one hour.
func WithJWKSMaxAge(d time.Duration) Option { return func(c *jwtConfig) { c.maxAge = d } }

// WithTrustIdentity accepts, instead of a token, a Request.Identity whose
// Source is one of sources: an identity the platform has verified already,
// such as "aws-jwt" (an API Gateway JWT authorizer), "aws-lambda-authorizer"
// or "azure" (a user signed in through Azure App Service authentication;
// a caller with only a function key is "azure-function-key"). Such
// requests pass unchanged; the platform's authorizer is
// then responsible for the issuer, audience and expiry checks. An identity
// with an empty Subject is not trusted (the request must then carry a
// token): a platform that names no caller has verified no one.
func WithTrustIdentity(sources ...string) Option {
	return func(c *jwtConfig) { c.trusted = append(c.trusted, splitList(sources)...) }
}

// WithScopeClaims sets the claims Identity.Scopes are read from, in order; the
// default is "scope" (space-separated, RFC 8693) then "scp" (a string or an
// array, as Azure AD and Okta issue).
func WithScopeClaims(names ...string) Option { return func(c *jwtConfig) { c.scopeClaims = names } }

// WithRealm sets the realm named in WWW-Authenticate; the default is "api".
func WithRealm(realm string) Option { return func(c *jwtConfig) { c.realm = realm } }

// New returns middleware that authenticates the caller by a bearer token
// (Authorization: Bearer <JWT>) signed with one of HS256/384/512,
// RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA.
//
// The token's key is chosen by its "kid" and must allow its "alg"; the
// signature is verified with go-jose; "exp" is required and, with "nbf" and
// "iat", checked with the Leeway; "iss" and "aud" are checked when WithIssuer,
// WithOIDCIssuer or WithAudience are set. On success Request.Identity becomes
// Source "jwt", Subject the "sub" claim, Scopes from the WithScopeClaims and
// Claims every claim (read them with middleware.ClaimsOf); the handler is then
// called.
//
// A missing token is answered 401 with WWW-Authenticate: Bearer; a token
// that fails any check 401 with error="invalid_token" and a description
// of what failed. When no key set could ever be fetched the answer is 503.
//
// A token without a "sub" claim is refused: the identity names a caller.
//
// New returns an error when no key source is configured, a static key is
// unusable, a URL is not https (or loopback http), both WithJWKSURL and
// WithOIDCIssuer are set, or WithJWKSURL or WithOIDCIssuer is set without WithAudience (or
// WithAnyAudience).
func New(opts ...Option) (handler.Middleware, error) {
	c := jwtConfig{
		leeway:      30 * time.Second,
		now:         time.Now,
		minInterval: time.Minute,
		maxAge:      time.Hour,
		scopeClaims: []string{"scope", "scp"},
		realm:       "api",
	}
	for _, o := range opts {
		o(&c)
	}
	v := &jwtVerifier{cfg: c}
	if len(c.static) > 0 {
		v.static = &keySet{}
		for i, sk := range c.static {
			k, err := newVerifyKey(sk.kid, sk.key, sk.algs)
			if err != nil {
				return nil, fmt.Errorf("middleware: JWT: key %d: %w", i, err)
			}
			v.static.keys = append(v.static.keys, k)
		}
	}
	if c.jwksURL != "" && c.oidcIssuer != "" {
		return nil, errors.New("middleware: JWT: set WithJWKSURL or WithOIDCIssuer, not both")
	}
	if u := firstNonEmpty(c.jwksURL, c.oidcIssuer); u != "" {
		if err := checkKeyURL(u); err != nil {
			return nil, fmt.Errorf("middleware: JWT: %w", err)
		}
		client := c.client
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		v.remote = &remoteKeys{jwksURL: c.jwksURL, issuer: c.oidcIssuer, client: client, now: c.now,
			minInterval: c.minInterval, maxAge: c.maxAge}
		if c.oidcIssuer != "" {
			v.cfg.issuers = append(v.cfg.issuers, c.oidcIssuer)
		}
	}
	if v.remote != nil && len(c.audiences) == 0 && !c.anyAudience {
		return nil, errors.New("middleware: JWT: a JWKS URL or OIDC issuer signs tokens for every application of the identity provider: set WithAudience (or WithAnyAudience)")
	}
	if v.static == nil && v.remote == nil {
		return nil, errors.New("middleware: JWT: no key: use WithKey, WithSecret, WithJWKSURL or OIDCIssuer")
	}
	if c.leeway < 0 || c.minInterval < 0 || c.maxAge <= 0 {
		return nil, errors.New("middleware: JWT: WithLeeway and WithJWKSRefreshInterval must not be negative, WithJWKSMaxAge must be positive")
	}
	v.challenge = `Bearer realm="` + strings.ReplaceAll(c.realm, `"`, `'`) + `"`
	v.missing = &handler.Error{Status: http.StatusUnauthorized, Code: "missing_token",
		Message: "A bearer token is required.", Header: http.Header{"Www-Authenticate": {v.challenge}}}
	return v.middleware, nil
}

type jwtVerifier struct {
	cfg       jwtConfig
	static    *keySet
	remote    *remoteKeys
	challenge string
	missing   *handler.Error
}

func (v *jwtVerifier) middleware(next handler.Handler) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		// A trusted source vouches only for a caller it names: an identity
		// without a Subject (an anonymous request an adapter mistook for an
		// authorized one, or an authorizer that returned no principal) still
		// needs a token.
		if r.Identity != nil && r.Identity.Subject != "" && v.trusts(r.Identity.Source) {
			return next.ServeRequest(ctx, r)
		}
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			return nil, v.missing
		}
		id, err := v.verify(ctx, token)
		if err != nil {
			return nil, err
		}
		r.Identity = id
		return next.ServeRequest(ctx, r)
	})
}

func (v *jwtVerifier) trusts(source string) bool {
	for _, s := range v.cfg.trusted {
		if s == source {
			return true
		}
	}
	return false
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

// invalid returns the 401 for a token that failed a check.
func (v *jwtVerifier) invalid(desc string, cause error) error {
	return &handler.Error{Status: http.StatusUnauthorized, Code: "invalid_token",
		Message: "The bearer token is not valid: " + desc + ".",
		Header:  http.Header{"Www-Authenticate": {v.challenge + `, error="invalid_token", error_description="` + desc + `"`}},
		Err:     cause}
}

// verify checks token and returns the identity it proves, or a 401 (503)
// *handler.Error.
func (v *jwtVerifier) verify(ctx context.Context, token string) (*handler.Identity, error) {
	tok, err := jwt.ParseSigned(token, jwtAlgorithms)
	if err != nil {
		return nil, v.invalid("malformed token or unsupported algorithm", err)
	}
	if len(tok.Headers) != 1 {
		return nil, v.invalid("malformed token", nil)
	}
	alg, kid := jose.SignatureAlgorithm(tok.Headers[0].Algorithm), tok.Headers[0].KeyID
	var buf [4]*verifyKey
	keys := v.static.candidates(buf[:0], kid, alg)
	var remote *keySet
	if v.remote != nil {
		remote, err = v.remote.current(ctx)
		if err != nil && len(keys) == 0 {
			return nil, err
		}
		n := len(keys)
		keys = remote.candidates(keys, kid, alg)
		if err == nil && len(keys) == n && v.remote.unknown(remote, kid) {
			// A key we have not seen: the issuer may have rotated.
			if remote, err = v.remote.refresh(ctx, remote); err != nil && len(keys) == 0 {
				return nil, err
			}
			keys = remote.candidates(keys, kid, alg)
		}
	}
	if len(keys) == 0 {
		return nil, v.invalid("no key for this kid and alg", nil)
	}
	var std jwt.Claims
	var all map[string]any
	verified := false
	for _, k := range keys {
		if err = tok.Claims(k.key, &std, &all); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, v.invalid("signature or claims malformed", err)
	}
	if std.Expiry == nil {
		return nil, v.invalid("token has no expiry", nil)
	}
	if std.Subject == "" {
		return nil, v.invalid("token has no subject", nil)
	}
	if len(v.cfg.issuers) > 0 && !contains1(v.cfg.issuers, std.Issuer) {
		return nil, v.invalid("wrong issuer", nil)
	}
	exp := jwt.Expected{AnyAudience: v.cfg.audiences, Time: v.cfg.now()}
	if err := std.ValidateWithLeeway(exp, v.cfg.leeway); err != nil {
		switch {
		case errors.Is(err, jwt.ErrExpired):
			return nil, v.invalid("token expired", err)
		case errors.Is(err, jwt.ErrNotValidYet):
			return nil, v.invalid("token not valid yet", err)
		case errors.Is(err, jwt.ErrIssuedInTheFuture):
			return nil, v.invalid("token issued in the future", err)
		case errors.Is(err, jwt.ErrInvalidAudience):
			return nil, v.invalid("wrong audience", err)
		}
		return nil, v.invalid("claims rejected", err)
	}
	return &handler.Identity{Source: "jwt", Subject: std.Subject, Scopes: scopesFrom(all, v.cfg.scopeClaims), Claims: all}, nil
}

// unknown reports whether kid names no key of s; a token without kid counts
// as unknown when s had nothing for it.
func (rk *remoteKeys) unknown(s *keySet, kid string) bool {
	if kid == "" {
		return true
	}
	for i := range s.keys {
		if s.keys[i].kid == kid {
			return false
		}
	}
	return true
}

func contains1(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scopesFrom reads scopes from the first present claim of names: a
// space-separated string or an array of strings.
func scopesFrom(claims map[string]any, names []string) []string {
	for _, n := range names {
		switch v := claims[n].(type) {
		case string:
			return strings.Fields(v)
		case []any:
			out := make([]string, 0, len(v))
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return nil
}

// splitList splits comma-separated entries and trims spaces, dropping
// empty ones (package middleware has the same for its own options).
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}
