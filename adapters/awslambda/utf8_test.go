package awslambda_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/handler"
)

// TestTextBodyNotUTF8 checks that a text-typed body that is not valid
// UTF-8 ("caf\xe9" labelled UTF-8) reaches the client byte for byte through every
// front door that decodes base64, and is refused with a 500 problem, not
// altered, behind a REST API without a matching binary media type. Lambda
// replaced the invalid byte with U+FFFD before.
func TestTextBodyNotUTF8(t *testing.T) {
	const latin1 = "caf\xe9"
	h := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(latin1)}, nil
	}))
	for _, c := range []struct {
		name    string
		shape   lambdatest.Shape
		version string // "1.0": an HTTP API's payload 1.0
		refused bool
	}{
		{"rest-api", lambdatest.V1, "", true},
		{"http-api-payload-1.0", lambdatest.V1, "1.0", false},
		{"http-api-payload-2.0", lambdatest.V2, "", false},
		{"function-url", lambdatest.FunctionURL, "", false},
		{"alb", lambdatest.ALB, "", false},
		{"alb-multi-value", lambdatest.ALBMultiValue, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "https://api.example.com/menu", nil)
			payload, err := lambdatest.Event(c.shape, req, nil, "req-1")
			if err != nil {
				t.Fatal(err)
			}
			if c.version != "" {
				var ev map[string]any
				json.Unmarshal(payload, &ev)
				ev["version"] = c.version
				payload, _ = json.Marshal(ev)
			}
			out, err := h.Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			var raw struct {
				IsBase64Encoded bool `json:"isBase64Encoded"`
			}
			json.Unmarshal(out, &raw)
			resp, err := lambdatest.Response(c.shape, req, out)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if c.refused {
				if resp.StatusCode != 500 || !strings.Contains(string(body), "response_not_sendable") || strings.Contains(string(body), "caf") {
					t.Errorf("= %d %q; want a 500 problem without the body", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != 200 || string(body) != latin1 || !raw.IsBase64Encoded {
				t.Errorf("= %d %q (base64 %v); want 200 %q sent base64-encoded", resp.StatusCode, body, raw.IsBase64Encoded, latin1)
			}
		})
	}
}
