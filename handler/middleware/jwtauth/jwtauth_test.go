package jwtauth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
)

// fakeClock is a settable clock for tests: no test sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var (
	rsaOnce      sync.Once
	rsaA, rsaB   *rsa.PrivateKey
	hmacSecret   = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	ecP256, _    = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecP384, _    = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _  = ed25519.GenerateKey(rand.Reader)
	testIssuer   = "https://issuer.example"
	testAudience = "todo-api"
)

func rsaKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	rsaOnce.Do(func() {
		var err error
		if rsaA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		if rsaB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	})
	return rsaA, rsaB
}

// claimsAt returns valid claims for a token issued at now.
func claimsAt(now time.Time) map[string]any {
	return map[string]any{
		"sub":   "user-1",
		"iss":   testIssuer,
		"aud":   []string{testAudience},
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"scope": "todos:read todos:write",
		"roles": []string{"admin", "dev"},
	}
}

func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func bearer(token string) *handler.Request {
	return &handler.Request{Header: http.Header{"Authorization": {"Bearer " + token}}}
}

func mustJWT(t testing.TB, opts ...Option) handler.Middleware {
	t.Helper()
	mw, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

func TestJWTAlgorithms(t *testing.T) {
	ra, _ := rsaKeys(t)
	clock := newFakeClock()
	h := mustJWT(t, WithClock(clock.Now), WithIssuer(testIssuer), WithAudience(testAudience),
		WithKey("hs", hmacSecret),
		WithKey("rs", &ra.PublicKey),
		WithKey("es256", &ecP256.PublicKey),
		WithKey("es384", &ecP384.PublicKey),
		WithKey("ed", edKey.Public()),
	)(whoami)
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		kid string
		key any
	}{
		{jose.HS256, "hs", hmacSecret}, {jose.HS384, "hs", hmacSecret}, {jose.HS512, "hs", hmacSecret},
		{jose.RS256, "rs", ra}, {jose.RS384, "rs", ra}, {jose.RS512, "rs", ra}, {jose.PS256, "rs", ra},
		{jose.ES256, "es256", ecP256}, {jose.ES384, "es384", ecP384}, {jose.EdDSA, "ed", edKey},
		{jose.RS256, "", ra}, // no kid: every key allowing RS256 is tried
	} {
		resp := serve(h, bearer(sign(t, tc.alg, tc.key, tc.kid, claimsAt(clock.Now()))))
		if resp.Status != 200 || string(resp.Body) != "jwt:user-1 todos:read todos:write" {
			t.Errorf("%s kid %q: %d %s", tc.alg, tc.kid, resp.Status, resp.Body)
		}
	}
}

func TestJWTRejects(t *testing.T) {
	ra, rb := rsaKeys(t)
	clock := newFakeClock()
	now := clock.Now()
	h := mustJWT(t, WithClock(clock.Now), WithIssuer(testIssuer), WithAudience(testAudience),
		WithKey("rs", &ra.PublicKey, "RS256"), WithKey("hs", hmacSecret, "HS256"))(whoami)

	with := func(k string, v any) map[string]any {
		c := claimsAt(now)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&ra.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	b64 := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claimsAt(now))
	algNone := b64([]byte(`{"alg":"none","typ":"JWT","kid":"rs"}`)) + "." + b64(payload) + "."
	// Re-sign a valid RS256 token's content with alg "none" but keep a signature.
	algNoneSig := b64([]byte(`{"alg":"none","kid":"rs"}`)) + "." + b64(payload) + "." + b64([]byte("sig"))

	for name, tc := range map[string]struct {
		token string
		desc  string
	}{
		"wrong key":                  {sign(t, jose.RS256, rb, "rs", claimsAt(now)), "signature"},
		"wrong key no kid":           {sign(t, jose.RS256, rb, "", claimsAt(now)), "signature"},
		"wrong hmac secret":          {sign(t, jose.HS256, []byte("another-secret-another-secret-123"), "hs", claimsAt(now)), "signature"},
		"expired":                    {sign(t, jose.RS256, ra, "rs", with("exp", now.Add(-31*time.Second).Unix())), "token expired"},
		"not yet valid":              {sign(t, jose.RS256, ra, "rs", with("nbf", now.Add(31*time.Second).Unix())), "token not valid yet"},
		"issued in the future":       {sign(t, jose.RS256, ra, "rs", with("iat", now.Add(time.Hour).Unix())), "issued in the future"},
		"wrong issuer":               {sign(t, jose.RS256, ra, "rs", with("iss", "https://evil.example")), "wrong issuer"},
		"no issuer":                  {sign(t, jose.RS256, ra, "rs", with("iss", nil)), "wrong issuer"},
		"wrong audience":             {sign(t, jose.RS256, ra, "rs", with("aud", "other-api")), "wrong audience"},
		"no expiry":                  {sign(t, jose.RS256, ra, "rs", with("exp", nil)), "no expiry"},
		"alg none":                   {algNone, "malformed token or unsupported algorithm"},
		"alg none with signature":    {algNoneSig, "malformed token or unsupported algorithm"},
		"RS256 key as HS256 PEM":     {sign(t, jose.HS256, pubPEM, "rs", claimsAt(now)), "no key for this kid and alg"},
		"RS256 key as HS256 DER":     {sign(t, jose.HS256, pubDER, "rs", claimsAt(now)), "no key for this kid and alg"},
		"RS256 key as HS256, no kid": {sign(t, jose.HS256, pubPEM, "", claimsAt(now)), "signature"},
		"HS384 not allowed":          {sign(t, jose.HS384, hmacSecret, "hs", claimsAt(now)), "no key for this kid and alg"},
		"unknown kid":                {sign(t, jose.RS256, ra, "nope", claimsAt(now)), "no key for this kid and alg"},
		"garbage":                    {"not.a.jwt", "malformed"},
	} {
		resp := serve(h, bearer(tc.token))
		if resp.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d %s", name, resp.Status, resp.Body)
			continue
		}
		wa := resp.Header.Get("WWW-Authenticate")
		if !strings.HasPrefix(wa, `Bearer realm="api", error="invalid_token"`) || !strings.Contains(wa, tc.desc) {
			t.Errorf("%s: WWW-Authenticate = %s, want description with %q", name, wa, tc.desc)
		}
	}

	// Within the leeway, the same times pass.
	for name, c := range map[string]map[string]any{
		"expired 29s ago": with("exp", now.Add(-29*time.Second).Unix()),
		"nbf in 29s":      with("nbf", now.Add(29*time.Second).Unix()),
	} {
		wantStatusNamed(t, name, serve(h, bearer(sign(t, jose.RS256, ra, "rs", c))), 200)
	}

	// No token at all.
	for _, r := range []*handler.Request{
		{Header: http.Header{}},
		{Header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}},
		{Header: http.Header{"Authorization": {"Bearer "}}},
	} {
		resp := serve(h, r)
		wantStatus(t, resp, http.StatusUnauthorized)
		if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="api"` {
			t.Errorf("missing token: WWW-Authenticate = %q", got)
		}
	}
}

func wantStatusNamed(t *testing.T, name string, resp *handlertest.Result, status int) {
	t.Helper()
	if resp.Status != status {
		t.Errorf("%s: status %d, want %d; body %s", name, resp.Status, status, resp.Body)
	}
}

// jwksServer serves a JWKS that tests can replace or make fail, counting
// fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    jose.JSONWebKeySet
	fail    bool
	fetches atomic.Int32
	issuer  string // for discovery; "" means the server's URL
}

func newJWKSServer(t testing.TB, keys ...jose.JSONWebKey) *jwksServer {
	s := &jwksServer{keys: jose.JSONWebKeySet{Keys: keys}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			iss := s.issuer
			if iss == "" {
				iss = s.URL
			}
			json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": s.URL + "/jwks"})
		case "/jwks":
			s.fetches.Add(1)
			if s.fail {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
			json.NewEncoder(w).Encode(s.keys)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(fail bool, keys ...jose.JSONWebKey) {
	s.mu.Lock()
	s.fail = fail
	if keys != nil {
		s.keys = jose.JSONWebKeySet{Keys: keys}
	}
	s.mu.Unlock()
}

func publicJWK(kid string, key any, alg jose.SignatureAlgorithm) jose.JSONWebKey {
	return jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg), Use: "sig"}
}

func TestJWKSRotation(t *testing.T) {
	ra, rb := rsaKeys(t)
	clock := newFakeClock()
	srv := newJWKSServer(t, publicJWK("k1", &ra.PublicKey, jose.RS256))
	h := mustJWT(t, WithJWKSURL(srv.URL+"/jwks"), WithClock(clock.Now), WithIssuer(testIssuer), WithAudience(testAudience))(whoami)
	tok := func(key *rsa.PrivateKey, kid string) *handler.Request {
		return bearer(sign(t, jose.RS256, key, kid, claimsAt(clock.Now())))
	}
	fetches := func(want int32) {
		t.Helper()
		if got := srv.fetches.Load(); got != want {
			t.Fatalf("JWKS fetched %d times, want %d", got, want)
		}
	}

	wantStatus(t, serve(h, tok(ra, "k1")), 200)
	wantStatus(t, serve(h, tok(ra, "k1")), 200)
	fetches(1)

	// The issuer rotates to k2. Within the refresh interval an unknown kid
	// does not cause a fetch.
	srv.set(false, publicJWK("k2", &rb.PublicKey, jose.RS256))
	clock.Advance(30 * time.Second)
	wantStatus(t, serve(h, tok(rb, "k2")), http.StatusUnauthorized)
	wantStatus(t, serve(h, tok(rb, "k2")), http.StatusUnauthorized)
	fetches(1)
	// A minute after the last fetch the unknown kid triggers one.
	clock.Advance(31 * time.Second)
	wantStatus(t, serve(h, tok(rb, "k2")), 200)
	fetches(2)
	wantStatus(t, serve(h, tok(rb, "k2")), 200)
	fetches(2)
	// k1 is gone now, and asking for it again within the minute fetches
	// nothing.
	wantStatus(t, serve(h, tok(ra, "k1")), http.StatusUnauthorized)
	fetches(2)
	// A key of the set cannot be used with another algorithm than its own.
	wantStatus(t, serve(h, bearer(sign(t, jose.PS256, rb, "k2", claimsAt(clock.Now())))), http.StatusUnauthorized)

	// The set ages out while the endpoint is down: the stale keys keep
	// working, and the failed fetch is not retried within the minute.
	srv.set(true)
	clock.Advance(2 * time.Hour)
	wantStatus(t, serve(h, tok(rb, "k2")), 200)
	fetches(3)
	wantStatus(t, serve(h, tok(rb, "k2")), 200)
	fetches(3)
	// Back up: the next allowed attempt succeeds.
	srv.set(false)
	clock.Advance(time.Minute)
	wantStatus(t, serve(h, tok(rb, "k2")), 200)
	fetches(4)
}

func TestJWKSConcurrentRefreshFetchesOnce(t *testing.T) {
	ra, _ := rsaKeys(t)
	clock := newFakeClock()
	srv := newJWKSServer(t, publicJWK("k1", &ra.PublicKey, jose.RS256))
	h := mustJWT(t, WithJWKSURL(srv.URL+"/jwks"), WithClock(clock.Now), WithAnyAudience())(whoami)
	tok := sign(t, jose.RS256, ra, "k1", claimsAt(clock.Now()))
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp := serve(h, bearer(tok)); resp.Status != 200 {
				t.Errorf("status %d %s", resp.Status, resp.Body)
			}
		}()
	}
	wg.Wait()
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times by 20 concurrent first requests, want 1", n)
	}
}

// TestJWKSStaleRefreshDoesNotBlock checks that while one request refreshes
// a key set that has aged out (the fetch held up here, whatever its
// deadline, until the test lets it go), other requests verify with the old
// set instead of waiting.
func TestJWKSStaleRefreshDoesNotBlock(t *testing.T) {
	ra, _ := rsaKeys(t)
	clock := newFakeClock()
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{publicJWK("k1", &ra.PublicKey, jose.RS256)}})
	if err != nil {
		t.Fatal(err)
	}
	rt := &heldTransport{body: jwks, started: make(chan struct{}), release: make(chan struct{})}
	h := mustJWT(t, WithJWKSURL("https://keys.example/jwks"), WithClock(clock.Now), WithAnyAudience(), WithHTTPClient(&http.Client{Transport: rt}))(whoami)
	tok := func() *handler.Request { return bearer(sign(t, jose.RS256, ra, "k1", claimsAt(clock.Now()))) }

	wantStatus(t, serve(h, tok()), 200) // first fetch
	clock.Advance(2 * time.Hour)        // the set ages out
	refreshed := make(chan int)
	go func() { refreshed <- serve(h, tok()).Status }()
	<-rt.started
	// The refresh is in flight and cannot end before release: these
	// requests complete only if they do not wait for it. (The timer only
	// turns a hang into a failure; a passing run never waits for it.)
	done := make(chan []int)
	go func() {
		var got []int
		for range 3 {
			got = append(got, serve(h, tok()).Status)
		}
		done <- got
	}()
	select {
	case got := <-done:
		if !slices.Equal(got, []int{200, 200, 200}) {
			t.Errorf("statuses during the refresh: %v", got)
		}
	case <-time.After(time.Minute):
		t.Error("requests with a stale key set waited for the refresh")
	}
	close(rt.release)
	if status := <-refreshed; status != 200 {
		t.Errorf("the refreshing request got %d", status)
	}
	if n := rt.fetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

// heldTransport answers every request with body; the second one only once
// release is closed, ignoring the request's context.
type heldTransport struct {
	body             []byte
	fetches          atomic.Int32
	started, release chan struct{}
}

func (rt *heldTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.fetches.Add(1) == 2 {
		close(rt.started)
		<-rt.release
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(rt.body)), Request: r}, nil
}

func TestJWKSUnavailable(t *testing.T) {
	ra, _ := rsaKeys(t)
	clock := newFakeClock()
	srv := newJWKSServer(t)
	srv.set(true)
	h := mustJWT(t, WithJWKSURL(srv.URL+"/jwks"), WithClock(clock.Now), WithAnyAudience())(whoami)
	resp := serve(h, bearer(sign(t, jose.RS256, ra, "k1", claimsAt(clock.Now()))))
	wantStatus(t, resp, http.StatusServiceUnavailable)
	// The request ID is random and may itself contain "500": look at the rest.
	var problem map[string]any
	if err := json.Unmarshal(resp.Body, &problem); err != nil {
		t.Fatalf("body is not a problem: %v: %s", err, resp.Body)
	}
	delete(problem, "requestId")
	rest, _ := json.Marshal(problem)
	if contains(rest, "500") || contains(rest, srv.URL) {
		t.Errorf("internal detail leaked: %s", resp.Body)
	}
	// Static keys keep working while the JWKS is unreachable.
	both := mustJWT(t, WithJWKSURL(srv.URL+"/jwks"), WithKey("static", hmacSecret), WithClock(clock.Now), WithAnyAudience())(whoami)
	wantStatus(t, serve(both, bearer(sign(t, jose.HS256, hmacSecret, "static", claimsAt(clock.Now())))), 200)
	wantStatus(t, serve(both, bearer(sign(t, jose.RS256, ra, "k1", claimsAt(clock.Now())))), http.StatusServiceUnavailable)
	// A JWKS of only symmetric keys offers nothing usable.
	srv.set(false, jose.JSONWebKey{Key: hmacSecret, KeyID: "k1", Algorithm: "HS256"})
	clock.Advance(time.Minute)
	wantStatus(t, serve(h, bearer(sign(t, jose.HS256, hmacSecret, "k1", claimsAt(clock.Now())))), http.StatusServiceUnavailable)
}

func TestOIDCDiscovery(t *testing.T) {
	_, rb := rsaKeys(t)
	clock := newFakeClock()
	srv := newJWKSServer(t, publicJWK("k1", &rb.PublicKey, ""), publicJWK("ec", &ecP256.PublicKey, ""))
	h := mustJWT(t, WithOIDCIssuer(srv.URL), WithClock(clock.Now), WithAnyAudience())(whoami)
	c := claimsAt(clock.Now())
	c["iss"] = srv.URL
	wantStatus(t, serve(h, bearer(sign(t, jose.PS256, rb, "k1", c))), 200)
	wantStatus(t, serve(h, bearer(sign(t, jose.ES256, ecP256, "ec", c))), 200)
	wantStatus(t, serve(h, bearer(sign(t, jose.RS256, rb, "k1", claimsAt(clock.Now())))), http.StatusUnauthorized) // iss differs

	// A discovery document naming another issuer is refused.
	bad := newJWKSServer(t, publicJWK("k1", &rb.PublicKey, ""))
	bad.issuer = "https://elsewhere.example"
	h = mustJWT(t, WithOIDCIssuer(bad.URL), WithClock(clock.Now), WithAnyAudience())(whoami)
	c["iss"] = bad.URL
	wantStatus(t, serve(h, bearer(sign(t, jose.RS256, rb, "k1", c))), http.StatusServiceUnavailable)
}

func TestJWTTrustIdentity(t *testing.T) {
	h := mustJWT(t, WithSecret(string(hmacSecret)), WithTrustIdentity("aws-jwt,azure"))(whoami)
	r := &handler.Request{Header: http.Header{}, Identity: &handler.Identity{Source: "aws-jwt", Subject: "u9", Scopes: []string{"s"}}}
	resp := serve(h, r)
	if resp.Status != 200 || string(resp.Body) != "aws-jwt:u9 s" {
		t.Errorf("trusted identity: %d %s", resp.Status, resp.Body)
	}
	r = &handler.Request{Header: http.Header{}, Identity: &handler.Identity{Source: "aws-lambda-authorizer", Subject: "u9"}}
	wantStatus(t, serve(h, r), http.StatusUnauthorized)
	// A trusted source without a subject names no caller: a token is
	// still required.
	r = &handler.Request{Header: http.Header{}, Identity: &handler.Identity{Source: "aws-jwt"}}
	wantStatus(t, serve(h, r), http.StatusUnauthorized)
	r = &handler.Request{Header: http.Header{}, Identity: &handler.Identity{Source: "azure", Claims: map[string]any{"x": "y"}}}
	wantStatus(t, serve(h, r), http.StatusUnauthorized)
}

func TestJWTBadConfig(t *testing.T) {
	ra, _ := rsaKeys(t)
	for name, opts := range map[string][]Option{
		"no key":            nil,
		"short secret":      {WithSecret("short")},
		"HS256 on RSA key":  {WithKey("", &ra.PublicKey, "HS256")},
		"RS256 on secret":   {WithKey("", hmacSecret, "RS256")},
		"ES384 on P-256":    {WithKey("", &ecP256.PublicKey, "ES384")},
		"none":              {WithKey("", hmacSecret, "none")},
		"HS512 on 48 bytes": {WithKey("", hmacSecret[:48], "HS512")},
		"string key":        {WithKey("", "secret-as-string-secret-as-string")},
		"http JWKS":         {WithJWKSURL("http://keys.example.com/jwks")},
		"relative JWKS":     {WithJWKSURL("/jwks")},
		"JWKS and OIDC":     {WithJWKSURL("https://a.example/jwks"), WithOIDCIssuer("https://a.example")},
		"zero max age":      {WithSecret(string(hmacSecret)), WithJWKSMaxAge(0)},
	} {
		if _, err := New(opts...); err == nil {
			t.Errorf("%s: JWT accepted the configuration", name)
		}
	}
}

func TestRequireScopeAndClaim(t *testing.T) {
	clock := newFakeClock()
	auth := mustJWT(t, WithSecret(string(hmacSecret)), WithClock(clock.Now))
	tok := bearer(sign(t, jose.HS256, hmacSecret, "", claimsAt(clock.Now())))
	for name, tc := range map[string]struct {
		mw     handler.Middleware
		status int
	}{
		"scope ok":        {middleware.RequireScope("todos:read"), 200},
		"scopes ok":       {middleware.RequireScope("todos:read", "todos:write"), 200},
		"scope missing":   {middleware.RequireScope("todos:read", "admin"), 403},
		"claim present":   {middleware.RequireClaim("roles"), 200},
		"claim in list":   {middleware.RequireClaim("roles", "viewer", "admin"), 200},
		"claim not in":    {middleware.RequireClaim("roles", "viewer"), 403},
		"claim equal":     {middleware.RequireClaim("sub", "user-1"), 200},
		"claim not equal": {middleware.RequireClaim("sub", "user-2"), 403},
		"claim absent":    {middleware.RequireClaim("tenant"), 403},
	} {
		h := auth(tc.mw(whoami))
		r := *tok
		r.Header = tok.Header.Clone()
		resp := serve(h, &r)
		wantStatusNamed(t, name, resp, tc.status)
		if tc.status == 403 && strings.HasPrefix(name, "scope") &&
			resp.Header.Get("WWW-Authenticate") != `Bearer error="insufficient_scope", scope="todos:read admin"` {
			t.Errorf("%s: WWW-Authenticate = %q", name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	wantStatus(t, serve(middleware.RequireScope("x")(whoami), &handler.Request{}), 401)
	wantStatus(t, serve(middleware.RequireClaim("x")(whoami), &handler.Request{}), 401)
}

func TestClaimsAccessors(t *testing.T) {
	c := middleware.Claims{"sub": "u", "iss": "i", "aud": "a", "exp": float64(1700000000), "n": "42", "b": "true",
		"list": []any{"x", "y"}, "mixed": []any{"x", 1.0}, "frac": 1.5}
	if c.Subject() != "u" || c.Issuer() != "i" || len(c.Audience()) != 1 {
		t.Errorf("registered claims wrong")
	}
	if exp, ok := c.Expiry(); !ok || exp.Unix() != 1700000000 {
		t.Errorf("Expiry = %v %v", exp, ok)
	}
	if n, ok := c.Int("n"); !ok || n != 42 {
		t.Errorf("Int(n) = %v %v", n, ok)
	}
	if _, ok := c.Int("frac"); ok {
		t.Errorf("Int(frac) accepted 1.5")
	}
	if b, ok := c.Bool("b"); !ok || !b {
		t.Errorf("Bool(b) = %v %v", b, ok)
	}
	if got := c.Strings("list"); len(got) != 2 || !c.Has("list", "y") {
		t.Errorf("Strings(list) = %v", got)
	}
	if c.Strings("mixed") != nil || c.Strings("missing") != nil {
		t.Errorf("Strings accepted a mixed or missing list")
	}
	if middleware.ClaimsOf(nil).Subject() != "" {
		t.Errorf("nil identity has a subject")
	}
}

func BenchmarkJWT(b *testing.B) {
	ra, _ := rsaKeys(b)
	srv := newJWKSServer(b, publicJWK("k1", &ra.PublicKey, jose.RS256))
	h := mustJWT(b, WithJWKSURL(srv.URL+"/jwks"), WithIssuer(testIssuer), WithAudience(testAudience))(whoami)
	tok := sign(b, jose.RS256, ra, "k1", claimsAt(time.Now()))
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := &handler.Request{Header: http.Header{"Authorization": {"Bearer " + tok}}}
		if _, err := h.ServeRequest(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestJWTRequiresAudienceForSharedKeys checks that a JWKS or OIDC key
// source without WithAudience is a configuration error (tokens the identity
// provider issued for another application would pass), unless WithAnyAudience
// says so, and that a token without "sub" is refused.
func TestJWTRequiresAudienceForSharedKeys(t *testing.T) {
	for name, opts := range map[string][]Option{
		"jwks": {WithJWKSURL("https://keys.example/jwks")},
		"oidc": {WithOIDCIssuer("https://issuer.example")},
	} {
		if _, err := New(opts...); err == nil || !strings.Contains(err.Error(), "Audience") {
			t.Errorf("%s without Audience: err = %v", name, err)
		}
		if _, err := New(append(opts, WithAnyAudience())...); err != nil {
			t.Errorf("%s with AnyAudience: %v", name, err)
		}
		if _, err := New(append(opts, WithAudience("todo-api"))...); err != nil {
			t.Errorf("%s with Audience: %v", name, err)
		}
	}
	// A shared secret is the application's own: no audience needed.
	if _, err := New(WithSecret("0123456789abcdef0123456789abcdef")); err != nil {
		t.Errorf("secret without Audience: %v", err)
	}
	clock := newFakeClock()
	h := mustJWT(t, WithSecret("0123456789abcdef0123456789abcdef"), WithClock(clock.Now))(whoami)
	claims := claimsAt(clock.Now())
	delete(claims, "sub")
	wantStatus(t, serve(h, bearer(sign(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "", claims))), http.StatusUnauthorized)
}

// whoami answers with the identity's subject and scopes.
var whoami = handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	if r.Identity == nil {
		return &handler.Response{Body: []byte("anonymous")}, nil
	}
	s := r.Identity.Source + ":" + r.Identity.Subject
	for _, sc := range r.Identity.Scopes {
		s += " " + sc
	}
	return &handler.Response{Body: []byte(s)}, nil
})

// serve runs h for r through handler.Serve, as every adapter does, with
// a quiet logger.
func serve(h handler.Handler, r *handler.Request) *handlertest.Result {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return handlertest.ServeContext(quiet, h, r)
}

// quiet is a context whose logger discards: refusals the tests provoke
// are not news.
var quiet = handler.ContextWithLogger(context.Background(), slog.New(slog.DiscardHandler))

// ok is a handler that counts its calls and answers 200 "ok".
type ok struct{ calls int }

func (o *ok) ServeRequest(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	o.calls++
	return &handler.Response{Body: []byte("ok")}, nil
}

func wantStatus(t *testing.T, resp *handlertest.Result, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body %s", resp.Status, status, resp.Body)
	}
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
