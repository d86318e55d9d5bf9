package azurefunctions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// payloadServer returns adaptertest.Handler (or h) behind the payload
// protocol, in-process, with no host.json.
func payloadServer(t testing.TB, h handler.Handler, opts ...azurefunctions.Option) http.Handler {
	t.Helper()
	if h == nil {
		h = adaptertest.Handler()
	}
	opts = append([]azurefunctions.Option{azurefunctions.WithMode(azurefunctions.ModePayload), azurefunctions.WithDir(t.TempDir())}, opts...)
	hh, err := azurefunctions.NewHandler(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return hh
}

type answer struct {
	Outputs struct {
		Res struct {
			StatusCode string            `json:"statusCode"`
			Status     string            `json:"status"`
			Headers    map[string]string `json:"headers"`
			Body       string            `json:"body"`
		} `json:"res"`
	} `json:"Outputs"`
	Logs        []string `json:"Logs"`
	ReturnValue any      `json:"ReturnValue"`
}

// invoke POSTs envelope and decodes the answer, failing unless the handler
// answered HTTP 200 with a well-formed answer.
func invoke(t testing.TB, h http.Handler, envelope string) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/anyfunc", strings.NewReader(envelope))
	req.Header.Set(azurefunctions.InvocationIDHeader, "inv-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d, want 200 (the answer carries the status): %s", rec.Code, rec.Body)
	}
	var a answer
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("the answer is not the envelope answer: %v: %s", err, rec.Body)
	}
	if a.Outputs.Res.StatusCode == "" || a.Outputs.Res.Status != a.Outputs.Res.StatusCode || a.Logs == nil || a.ReturnValue != nil {
		t.Fatalf("malformed answer %+v", a)
	}
	return a
}

func TestMalformedEnvelopes(t *testing.T) {
	h := payloadServer(t, nil)
	for _, tc := range []struct{ name, env, detail string }{
		{"not json", `hello`, "not a JSON object"},
		{"array", `[]`, "not a JSON object"},
		{"truncated", `{"Data":{"req":{"Method":"GET"`, "not valid JSON"},
		{"trailing data", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x"}}} {}`, "not valid JSON"},
		{"missing Data", `{"Metadata":{}}`, "no Data.req"},
		{"missing req", `{"Data":{"other":{"Method":"GET"}}}`, "no Data.req"},
		{"Data not object", `{"Data":"x"}`, "Data must be an object"},
		{"req not object", `{"Data":{"req":[1]}}`, "Data.req must be an object"},
		{"no Method", `{"Data":{"req":{"Url":"http://h/api/x"}}}`, "Method is missing"},
		{"Method number", `{"Data":{"req":{"Method":7,"Url":"http://h/api/x"}}}`, "Method must be a string"},
		{"Method not a token", `{"Data":{"req":{"Method":"GE T","Url":"http://h/api/x"}}}`, "not an HTTP method"},
		{"no Url", `{"Data":{"req":{"Method":"GET"}}}`, "Url is missing"},
		{"relative Url", `{"Data":{"req":{"Method":"GET","Url":"/api/x"}}}`, "absolute http(s) URL"},
		{"bad escape in Url", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/%zz"}}}`, "invalid percent-escape"},
		{"bad base64", `{"Data":{"req":{"Method":"POST","Url":"http://h/api/adaptertest/echo/x","Headers":{"Content-Type":["application/octet-stream"]},"Body":"!!!"}}}`, "not valid base64"},
		{"Body number", `{"Data":{"req":{"Method":"POST","Url":"http://h/api/x","Body":12}}}`, "Body must be a string"},
		{"Body object", `{"Data":{"req":{"Method":"POST","Url":"http://h/api/x","Body":{"a":1}}}}`, "Body must be a string"},
		{"Headers list", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Headers":["a"]}}}`, "Headers must be an object"},
		{"Header value number", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Headers":{"A":[1]}}}}`, "Headers.A must be a list of strings"},
		{"Query number", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Query":3}}}`, "Query must be an object"},
		{"Query string not json", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Query":"a=b"}}}`, "Query is not valid"},
		{"Query value object", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Query":{"a":{}}}}}`, "Query.a must be a string"},
		{"Identities object", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":{}}}}`, "Identities must be a list"},
		{"Identities string not json", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":"[{"}}}`, "Identities is not valid"},
		{"Identities string object", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":"{}"}}}`, "Identities must be a list of objects (or its JSON as a string), found a string holding an object"},
		{"Identities string number", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":"7"}}}`, "found a string holding a number"},
		{"Identities string trailing", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":"[] []"}}}`, "Identities is not valid"},
		{"Identities string item", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":"[1]"}}}`, "Identities[] must be an object"},
		{"Identities string IsAuthenticated", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":"[{\"IsAuthenticated\":\"yes\"}]"}}}`, "IsAuthenticated must be a boolean"},
		{"IsAuthenticated string", `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":[{"IsAuthenticated":"yes"}]}}}`, "IsAuthenticated must be a boolean"},
		{"deep nesting", `{"Metadata":` + strings.Repeat("[", 100000) + `}`, "not valid JSON"},
		{"control char", "{\"Data\":{\"req\":{\"Method\":\"GET\",\"Url\":\"http://h/api/\x01\"}}}", "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := invoke(t, h, tc.env)
			res := a.Outputs.Res
			if res.StatusCode != "400" {
				t.Fatalf("status %s, want 400: %s", res.StatusCode, res.Body)
			}
			if res.Headers["Content-Type"] != "application/problem+json" {
				t.Errorf("Content-Type %q", res.Headers["Content-Type"])
			}
			if !strings.Contains(res.Body, tc.detail) {
				t.Errorf("problem %s does not say %q", res.Body, tc.detail)
			}
			if !strings.Contains(res.Body, `"requestId":"inv-1"`) {
				t.Errorf("problem %s lacks the invocation ID", res.Body)
			}
			if len(a.Logs) != 1 || !strings.Contains(a.Logs[0], tc.detail) {
				t.Errorf("Logs = %q", a.Logs)
			}
		})
	}
	// The handler still serves after all of that.
	a := invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api/adaptertest/echo/ok"}}}`)
	if a.Outputs.Res.StatusCode != "200" {
		t.Fatalf("after malformed envelopes: %+v", a)
	}
}

func TestPayloadRefusals(t *testing.T) {
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		switch r.Path {
		case "/png":
			return &handler.Response{Header: http.Header{"Content-Type": {"image/png"}}, Body: []byte{0x89, 'P', 'N', 'G'}}, nil
		case "/gzip":
			return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}, "Content-Encoding": {"gzip"}}, Body: []byte("x")}, nil
		case "/cookies":
			return &handler.Response{Header: http.Header{"Set-Cookie": {"a=1", "b=2"}}}, nil
		case "/latin1":
			return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte{'c', 0xe9}}, nil
		case "/png-empty":
			return &handler.Response{Header: http.Header{"Content-Type": {"image/png"}}}, nil
		}
		return &handler.Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
			Stream: strings.NewReader("{\"ok\":true,\"s\":\"é\u2028\"}")}, nil
	}))
	for _, tc := range []struct{ path, why string }{
		{"/png", "binary (image/png)"},
		{"/gzip", "gzip-encoded"},
		{"/cookies", "more than one Set-Cookie"},
		{"/latin1", "not valid UTF-8"},
	} {
		a := invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api`+tc.path+`"}}}`)
		res := a.Outputs.Res
		if res.StatusCode != "500" || !strings.Contains(res.Body, tc.why) || !strings.Contains(res.Body, "enableProxyingHttpRequest") {
			t.Errorf("%s: got %s %s, want a 500 problem naming %q and enableProxyingHttpRequest", tc.path, res.StatusCode, res.Body, tc.why)
		}
		if len(a.Logs) != 1 {
			t.Errorf("%s: Logs = %q", tc.path, a.Logs)
		}
	}
	if a := invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api/png-empty"}}}`); a.Outputs.Res.StatusCode != "200" {
		t.Errorf("an empty image/png response was refused: %+v", a)
	}
	a := invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api/stream"}}}`)
	res := a.Outputs.Res
	if res.StatusCode != "201" || res.Body != `{"ok":true,"s":"é`+"\u2028"+`"}` || res.Headers["X-Multi"] != "a, b" || len(a.Logs) != 0 {
		t.Errorf("streamed JSON answer = %+v", a)
	}
}

func TestPayloadRequest(t *testing.T) {
	var got *handler.Request
	var inv *handler.Invocation
	var ids []azurefunctions.ClaimsIdentity
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		inv, _ = handler.InvocationFrom(ctx)
		ids = azurefunctions.IdentitiesFrom(ctx)
		return nil, nil
	}), azurefunctions.WithBasePath("/base/"))
	env := `{"Data":{"req":{
		"Url":"https://app.azurewebsites.net/BASE/items/a%2Fb",
		"Method":"POST",
		"Query":"{\"x\":\"1,2\",\"y\":\"a b\"}",
		"Headers":{"content-type":["application/octet-stream"],"x-multi":["one","two"],"X-Single":"s","X-Null":null},
		"Params":{"path":"items/a/b"},
		"Identities":[
			{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true,"Claims":[
				{"Type":"http://schemas.microsoft.com/2017/07/functions/claims/keyid","Value":"default","Properties":{},"Subject":null}]},
			{"AuthenticationType":"aad","IsAuthenticated":true,"Name":"Ann","Actor":null,"BootstrapContext":null,"Label":null,
			 "NameClaimType":"name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role","Claims":[
				{"Type":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier","Value":"user-1","ValueType":"string","Issuer":"iss","OriginalIssuer":"iss"},
				{"Type":"scp","Value":"read write"},
				{"Type":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role","Value":"admin"},
				{"Type":"groups","Value":"g1"},{"Type":"groups","Value":"g2"}]}],
		"Body":"AAEC/w=="}},
	 "Metadata":{"sys":{"MethodName":"anyfunc"},"Headers":"{}"}}`
	a := invoke(t, h, env)
	if a.Outputs.Res.StatusCode != "200" {
		t.Fatalf("answer %+v", a)
	}
	if got.Method != "POST" || got.Path != "/items/a/b" || got.RawPath != "/items/a%2Fb" || got.Host != "app.azurewebsites.net" {
		t.Errorf("request line: %s %q %q %q", got.Method, got.Path, got.RawPath, got.Host)
	}
	if got.RawQuery != "x=1%2C2&y=a+b" {
		t.Errorf("RawQuery %q (from Query, the Url having none)", got.RawQuery)
	}
	if string(got.Body) != "\x00\x01\x02\xff" {
		t.Errorf("Body %q, want the base64-decoded bytes", got.Body)
	}
	if v := got.Header["X-Multi"]; len(v) != 2 || v[1] != "two" || got.Header.Get("X-Single") != "s" || got.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("Header %v", got.Header)
	}
	if got.PathValue("path") != "items/a/b" || got.RequestID != "inv-1" {
		t.Errorf("PathValue %q RequestID %q", got.PathValue("path"), got.RequestID)
	}
	if inv.Platform != "azure-functions" || inv.ID != "inv-1" || inv.Function != "anyfunc" {
		t.Errorf("invocation %+v", inv)
	}
	id := got.Identity
	if id == nil || id.Source != "azure" || id.Subject != "user-1" || strings.Join(id.Scopes, " ") != "read write admin" {
		t.Fatalf("Identity %+v", id)
	}
	if g, ok := id.Claims["groups"].([]any); !ok || len(g) != 2 || id.Claims["scp"] != "read write" {
		t.Errorf("Claims %v", id.Claims)
	}
	if len(ids) != 2 || ids[1].Name != "Ann" || ids[1].Claims[0].Issuer != "iss" || ids[0].Value("http://schemas.microsoft.com/2017/07/functions/claims/keyid") != "default" {
		t.Errorf("IdentitiesFrom %+v", ids)
	}
}

func TestPayloadAnonymousAndKeyIdentity(t *testing.T) {
	var got *handler.Identity
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r.Identity
		return nil, nil
	}))
	invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Claims":[]}]}}}`)
	if got != nil {
		t.Errorf("anonymous request has Identity %+v", got)
	}
	invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":[{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true,"Claims":[{"Type":"http://schemas.microsoft.com/2017/07/functions/claims/keyid","Value":"k1"}]}]}}}`)
	// A function key names a key, not a user: its own source, so that
	// TrustIdentity("azure") does not admit every key holder.
	if got == nil || got.Subject != "k1" || got.Source != azurefunctions.SourceFunctionKey {
		t.Errorf("function-key request has Identity %+v", got)
	}
}

// TestPayloadIdentitiesAsString checks the Identities older hosts send: the
// list's JSON in a string (JsonConvert.SerializeObject).
func TestPayloadIdentitiesAsString(t *testing.T) {
	var got *handler.Identity
	var ids []azurefunctions.ClaimsIdentity
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got, ids = r.Identity, azurefunctions.IdentitiesFrom(ctx)
		return nil, nil
	}))
	list := `[{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true,"Claims":[{"Type":"http://schemas.microsoft.com/2017/07/functions/claims/keyid","Value":"default"}]},` +
		`{"AuthenticationType":"aad","IsAuthenticated":true,"Name":"Ann é","NameClaimType":"name","Claims":[` +
		`{"Type":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier","Value":"user-1"},{"Type":"scp","Value":"read write"}]}]`
	quoted, _ := json.Marshal(list)
	for name, tc := range map[string]struct {
		identities string
		subject    string
		n          int
	}{
		"list":      {string(quoted), "user-1", 2},
		"anonymous": {`"[{\"AuthenticationType\":null,\"IsAuthenticated\":false,\"Claims\":[]}]"`, "", 1},
		"null":      {`"null"`, "", 0},
		"empty":     {`""`, "", 0},
		"spaces":    {`" [ ] "`, "", 0},
	} {
		t.Run(name, func(t *testing.T) {
			got, ids = nil, nil
			a := invoke(t, h, `{"Data":{"req":{"Method":"GET","Url":"http://h/api/x","Identities":`+tc.identities+`}}}`)
			if a.Outputs.Res.StatusCode != "200" {
				t.Fatalf("answer %+v", a)
			}
			if len(ids) != tc.n {
				t.Errorf("IdentitiesFrom %+v, want %d", ids, tc.n)
			}
			if tc.subject == "" {
				if got != nil {
					t.Errorf("Identity %+v, want nil", got)
				}
				return
			}
			if got == nil || got.Source != "azure" || got.Subject != tc.subject || strings.Join(got.Scopes, " ") != "read write" {
				t.Errorf("Identity %+v", got)
			}
			if ids[1].Name != "Ann é" || ids[0].Value("http://schemas.microsoft.com/2017/07/functions/claims/keyid") != "default" {
				t.Errorf("IdentitiesFrom %+v", ids)
			}
		})
	}
}

func TestPayloadProbeAndMethod(t *testing.T) {
	h := payloadServer(t, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("readiness probe: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/anyfunc", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET /anyfunc: %d %v", rec.Code, rec.Header())
	}
}

func TestPayloadBodyLimit(t *testing.T) {
	h := payloadServer(t, nil, azurefunctions.WithMaxBodyBytes(4))
	a := invoke(t, h, `{"Data":{"req":{"Method":"POST","Url":"http://h/api/adaptertest/echo/x","Body":"12345"}}}`)
	if a.Outputs.Res.StatusCode != "413" {
		t.Errorf("5-byte body with a 4-byte limit: %+v", a.Outputs.Res)
	}
	a = invoke(t, h, `{"Data":{"req":{"Method":"POST","Url":"http://h/api/adaptertest/echo/x","Body":"1234"}}}`)
	if a.Outputs.Res.StatusCode != "200" {
		t.Errorf("4-byte body with a 4-byte limit: %+v", a.Outputs.Res)
	}
	big := `{"Data":{"req":{"Method":"POST","Url":"http://h/api/x","Body":"` + strings.Repeat("a", 2<<20) + `"}}}`
	if a := invoke(t, h, big); a.Outputs.Res.StatusCode != "413" {
		t.Errorf("2 MiB envelope with a 4-byte limit: %s", a.Outputs.Res.StatusCode)
	}
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func deadlineProbe(left *time.Duration, has *bool) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		var dl time.Time
		dl, *has = ctx.Deadline()
		*left = time.Until(dl)
		return nil, nil
	})
}

type panickingStream struct{}

func (panickingStream) Read([]byte) (int, error) { panic("secret stream panic") }

// TestPayloadStreamPanic checks that a panic while the adapter buffers a
// Response.Stream is a 500 answer, not a panic out of ServeHTTP (which the
// host sees as a dropped connection).
func TestPayloadStreamPanic(t *testing.T) {
	h := payloadServer(t, handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: panickingStream{}}, nil
	}))
	a := invoke(t, h, `{"Data":{"req":{"Url":"http://x/api/a","Method":"GET"}}}`)
	if a.Outputs.Res.StatusCode != "500" || strings.Contains(a.Outputs.Res.Body, "secret") {
		t.Fatalf("answer %+v, want a 500 problem without the panic text", a.Outputs.Res)
	}
	h = payloadServer(t, handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: panickingCloser{strings.NewReader("x")}}, nil
	}))
	a = invoke(t, h, `{"Data":{"req":{"Url":"http://x/api/a","Method":"GET"}}}`)
	if a.Outputs.Res.StatusCode != "500" || strings.Contains(a.Outputs.Res.Body, "secret") {
		t.Fatalf("answer %+v, want a 500 problem without the panic text", a.Outputs.Res)
	}
}

type panickingCloser struct{ io.Reader }

func (panickingCloser) Close() error { panic("secret close panic") }

// TestPayloadHEADHasNoBody checks that a HEAD answer carries no body in
// payload mode, as in proxy mode and on every other adapter (it carried
// the GET body before).
func TestPayloadHEADHasNoBody(t *testing.T) {
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("the body of a GET")}, nil
	}))
	for method, want := range map[string]string{"HEAD": "", "GET": "the body of a GET"} {
		a := invoke(t, h, `{"Data":{"req":{"Url":"https://x.azurewebsites.net/api/doc","Method":"`+method+`","Headers":{}}},"Metadata":{}}`)
		if a.Outputs.Res.StatusCode != "200" || a.Outputs.Res.Body != want {
			t.Errorf("%s: %s %q, want 200 %q", method, a.Outputs.Res.StatusCode, a.Outputs.Res.Body, want)
		}
	}
}

// TestPayloadManyHeadersAndPairs sends more headers, header values,
// non-canonical header names, query pairs and path parameters than the
// adapter keeps room for in one invocation's storage, twice, and checks that
// each request sees exactly its own: names canonical as net/http makes them
// (a name it cannot canonicalize kept as sent), every value in order, and
// nothing of the first request changed by the second.
func TestPayloadManyHeadersAndPairs(t *testing.T) {
	var got []*handler.Request
	var ids [][]azurefunctions.ClaimsIdentity
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = append(got, r)
		ids = append(ids, azurefunctions.IdentitiesFrom(ctx))
		return nil, nil
	}))
	envelope := func(n int) (string, http.Header) {
		want := http.Header{}
		var hdrs, query, params []string
		for i := range 40 {
			name := fmt.Sprintf("X-MS-LONG-HEADER-NAME-NUMBER-%d-of-%d", i, n)
			if i%3 == 0 {
				name = strings.ToLower(name)
			}
			vals := []string{fmt.Sprintf("v%d-%d", i, n), fmt.Sprintf("w%d-%d", i, n)}
			want[http.CanonicalHeaderKey(name)] = vals
			hdrs = append(hdrs, fmt.Sprintf("%q:[%q,%q]", name, vals[0], vals[1]))
		}
		hdrs = append(hdrs, `"bad name":["kept"]`, `"x-same":["1"]`, `"X-SAME":["2"]`)
		want["bad name"] = []string{"kept"}
		want["X-Same"] = []string{"1", "2"}
		for i := range 9 {
			query = append(query, fmt.Sprintf(`"q%d":"%d"`, i, n))
			params = append(params, fmt.Sprintf(`"p%d":"%d-%d"`, i, i, n))
		}
		return fmt.Sprintf(`{"Data":{"req":{"Url":"http://h/x","Method":"GET","Headers":{%s},"Query":{%s},"Params":{%s},`+
			`"Identities":[{"IsAuthenticated":true,"AuthenticationType":"aad","Name":"n%d"},{"Name":"second"}]}}}`,
			strings.Join(hdrs, ","), strings.Join(query, ","), strings.Join(params, ","), n), want
	}
	env1, want1 := envelope(1)
	env2, want2 := envelope(2)
	for _, env := range []string{env1, env2} {
		if a := invoke(t, h, env); a.Outputs.Res.StatusCode != "200" {
			t.Fatalf("answer %+v", a)
		}
	}
	if a := invoke(t, h, `{"Data":{"req":{"Url":"http://h/x","Method":"GET","Identities":[]}}}`); a.Outputs.Res.StatusCode != "200" {
		t.Fatalf("answer %+v", a)
	}
	if a := invoke(t, h, `{"Data":{"req":{"Url":"http://h/x","Method":"GET"}}}`); a.Outputs.Res.StatusCode != "200" {
		t.Fatalf("answer %+v", a)
	}
	for i, want := range []http.Header{want1, want2} {
		r, n := got[i], i+1
		if !reflect.DeepEqual(r.Header, want) {
			t.Errorf("request %d: Header\n%v\nwant\n%v", n, r.Header, want)
		}
		var q []string
		for p := range 9 {
			q = append(q, fmt.Sprintf("q%d=%d", p, n))
		}
		if r.RawQuery != strings.Join(q, "&") {
			t.Errorf("request %d: RawQuery %q", n, r.RawQuery)
		}
		for p := range 9 {
			if v := r.PathValue(fmt.Sprintf("p%d", p)); v != fmt.Sprintf("%d-%d", p, n) {
				t.Errorf("request %d: PathValue(p%d) = %q", n, p, v)
			}
		}
		if len(ids[i]) != 2 || ids[i][0].Name != fmt.Sprintf("n%d", n) || ids[i][1].Name != "second" || r.Identity == nil || r.Identity.Subject != fmt.Sprintf("n%d", n) {
			t.Errorf("request %d: identities %+v, Identity %+v", n, ids[i], r.Identity)
		}
	}
	if ids[2] == nil || len(ids[2]) != 0 {
		t.Errorf("Identities [] gave %#v, want an empty list", ids[2])
	}
	if ids[3] != nil {
		t.Errorf("no Identities gave %#v, want nil", ids[3])
	}
}

// TestPayloadKeepsNothingOfTheEnvelope serves many different envelopes at
// once and checks every string each request keeps (its request line,
// headers, path values, identities and claims, and the invocation's
// answer), both while its handler runs, after the others' envelopes have
// been read into the buffers the adapter reuses, and once all are done.
func TestPayloadKeepsNothingOfTheEnvelope(t *testing.T) {
	type seen struct {
		r   *handler.Request
		ids []azurefunctions.ClaimsIdentity
	}
	const n = 64
	var mu sync.Mutex
	got := map[string]seen{}
	check := func(t *testing.T, i string, r *handler.Request, ids []azurefunctions.ClaimsIdentity) {
		t.Helper()
		if r.Method != "PATCH" || r.Path != "/items/"+i || r.Host != "h"+i+".example" || r.RawQuery != "q="+i ||
			r.Header.Get("X-Item") != "value "+i || r.Header.Get("X-Upper-"+i) != "u"+i || r.PathValue("id") != i ||
			string(r.Body) != `{"n":"`+i+`"}` {
			t.Errorf("request %s: %s %s %s ?%s %v %q %q", i, r.Method, r.Host, r.Path, r.RawQuery, r.Header, r.PathValue("id"), r.Body)
		}
		if len(ids) != 1 || ids[0].Name != "name "+i || len(ids[0].Claims) != 1 || ids[0].Claims[0].Value != "sub-"+i ||
			r.Identity == nil || r.Identity.Subject != "sub-"+i || r.Identity.Claims["sub"] != "sub-"+i {
			t.Errorf("request %s: identities %+v, Identity %+v", i, ids, r.Identity)
		}
	}
	h := payloadServer(t, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		i := strings.TrimPrefix(r.Path, "/items/")
		ids := azurefunctions.IdentitiesFrom(ctx)
		runtime.Gosched() // let other invocations reuse the envelope buffers
		check(t, i, r, ids)
		mu.Lock()
		got[i] = seen{r, ids}
		mu.Unlock()
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(r.Header.Get("X-Item"))}, nil
	}))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := strconv.Itoa(i)
			env := `{"Metadata":{"Headers":"{\"x-item\":\"value ` + s + `\"}"},"Data":{"req":{` +
				`"Url":"https://h` + s + `.example/api/items/` + s + `?q=` + s + `","Method":"PATCH",` +
				`"Headers":{"x-item":["value ` + s + `"],"X-UPPER-` + s + `":"u` + s + `","Content-Type":["application/json"]},` +
				`"Params":{"id":"` + s + `"},` +
				`"Identities":[{"AuthenticationType":"aad","IsAuthenticated":true,"Name":"name ` + s + `","Claims":[{"Type":"sub","Value":"sub-` + s + `"}]}],` +
				`"Body":"{\"n\":\"` + s + `\"}"}}}`
			a := invoke(t, h, env)
			if a.Outputs.Res.StatusCode != "200" || a.Outputs.Res.Body != "value "+s {
				t.Errorf("invocation %d answered %+v", i, a.Outputs.Res)
			}
		}()
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d requests served, want %d", len(got), n)
	}
	for i, g := range got {
		check(t, i, g.r, g.ids)
	}
}
