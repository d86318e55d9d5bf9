package azurefunctions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
)

// FuzzAzurePayload feeds arbitrary envelopes to the payload handler: it must
// never panic, always answer HTTP 200 with a well-formed answer, and answer
// either the handler's result or a 4xx/5xx problem.
func FuzzAzurePayload(f *testing.F) {
	for _, seed := range []string{
		`{"Data":{"req":{"Url":"http://h/api/echo?a=1&a=2","Method":"GET","Query":{"a":"1,2"},"Headers":{"Accept":["*/*"]},"Params":{"path":"echo"},"Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Claims":[],"NameClaimType":"n","RoleClaimType":"r"}]}},"Metadata":{"sys":{"MethodName":"f"},"Query":"{}"}}`,
		`{"Data":{"req":{"Url":"https://h/api/x%2Fy","Method":"POST","Query":"{\"q\":\"\\u00e9\"}","Headers":{"Content-Type":["application/octet-stream"]},"Body":"AAEC"}}}`,
		`{"Data":{"req":{"Url":"http://h/api/b","Method":"PUT","Headers":{"Content-Type":["multipart/form-data; boundary=x"]},"Body":"bad base64"}}}`,
		`{"Data":{"req":{"Url":"http://h/api/u","Method":"POST","Body":"\ud83d\ude00 \ud800 \\n \u0000"}}}`,
		`{"Data":{"req":{"Url":"http://h","Method":"GET","Identities":[{"IsAuthenticated":true,"AuthenticationType":"aad","Claims":[{"Type":"scp","Value":"a b"},{"Type":"roles","Value":"r"}]}]}}}`,
		`{"Data":{"req":{"Url":"http://h","Method":"GET","Identities":"[{\"IsAuthenticated\":true,\"AuthenticationType\":\"aad\",\"Claims\":[{\"Type\":\"sub\",\"Value\":\"u\\u00e9\"}]}]"}}}`,
		`{"Data":{"req":null}}`, `{"Data":{"req":{}}}`, `{}`, `[]`, `null`, ``, `{"Data":{"req":{"Method":"GET","Url":"http://h/%"}}}`,
		`{"Metadata":[[[{"a":[1,-2.5e3,true,false,null,"x"]}]]],"Data":{"req":{"Method":"HEAD","Url":"http://h/api/h"}}}`,
	} {
		f.Add(seed)
	}
	h := payloadServer(f, handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		if r.Path == "/api/panic" || r.Path == "/panic" {
			panic("fuzz")
		}
		return &handler.Response{
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			Body:   []byte(r.Method + " " + r.Path + "?" + r.RawQuery + " " + strconv.Itoa(len(r.Body))),
		}, nil
	}))
	f.Fuzz(func(t *testing.T, env string) {
		req := httptest.NewRequest(http.MethodPost, "/anyfunc", strings.NewReader(env))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("HTTP %d", rec.Code)
		}
		var a answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer is not JSON: %v: %q", err, rec.Body.String())
		}
		status, err := strconv.Atoi(a.Outputs.Res.StatusCode)
		if err != nil || (status != 200 && status != 400 && status != 413 && status != 500) {
			t.Fatalf("status %q", a.Outputs.Res.StatusCode)
		}
		if status != 200 && a.Outputs.Res.Headers["Content-Type"] != "application/problem+json" {
			t.Fatalf("status %d without a problem body: %+v", status, a.Outputs.Res)
		}
	})
}
