package awslambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

// sdkDir returns the directory of the aws-lambda-go module, whose event
// fixtures the tests decode.
var sdkDir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
})

func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	dir, err := sdkDir()
	if err != nil {
		t.Fatalf("locating aws-lambda-go: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captured is what the handler saw.
type captured struct {
	req *handler.Request
	inv *handler.Invocation
}

// capture invokes a Handler that records the request with payload.
func capture(t *testing.T, payload []byte, opts ...awslambda.Option) (captured, []byte, error) {
	t.Helper()
	var c captured
	h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		cp := *r
		c.req = &cp
		c.inv, _ = handler.InvocationFrom(ctx)
		return &handler.Response{Header: map[string][]string{"Content-Type": {"text/plain"}}, Body: []byte("ok")}, nil
	}), opts...)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req"})
	out, err := h.Invoke(ctx, payload)
	return c, out, err
}

type wantRequest struct {
	method, path, rawPath, rawQuery, host, remoteAddr, requestID string
	nHeaders                                                     int
	header                                                       map[string][]string
	body                                                         string
	identity                                                     *handler.Identity
	// response lists the members the encoded response must have besides
	// statusCode, body and isBase64Encoded.
	response []string
}

const crlfBody = "{\r\n\t\"a\": 1\r\n}"

var httpFixtures = map[string]wantRequest{
	"events/testdata/alb-lambda-target-request-headers-only.json": {
		method: "GET", path: "/", rawQuery: "key=hello", host: "lambda-test-alb-1334523864.us-east-1.elb.amazonaws.com",
		remoteAddr: "25.12.198.67", requestID: "lambda-req", nHeaders: 10,
		header:   map[string][]string{"X-Myheader": {"123"}, "X-Imforwards": {"20"}, "User-Agent": {"curl/7.54.0"}},
		response: []string{"statusDescription", "headers"},
	},
	"events/testdata/alb-lambda-target-request-multivalue-headers.json": {
		method: "GET", path: "/", rawQuery: "key=hello", host: "lambda-test-alb-1234567.us-east-1.elb.amazonaws.com",
		remoteAddr: "72.21.198.67", requestID: "lambda-req", nHeaders: 10,
		header:   map[string][]string{"X-Myheader": {"123"}, "Connection": {"keep-alive"}},
		response: []string{"statusDescription", "multiValueHeaders"},
	},
	"events/testdata/apigw-request.json": {
		method: "POST", path: "/hello/world", rawQuery: "name=me", host: "gy415nuibc.execute-api.us-east-1.amazonaws.com",
		remoteAddr: "192.168.196.186", requestID: "deef4878-7910-11e6-8f14-25afc3e9ae33", nHeaders: 19,
		header: map[string][]string{"Headername": {"headerValue"}, "Cache-Control": {"no-cache"},
			"X-Forwarded-For": {"54.240.196.186, 54.182.214.83"}, "Cloudfront-Viewer-Country": {"US"}},
		body: crlfBody,
		identity: &handler.Identity{Source: awslambda.SourceLambdaAuthorizer, Subject: "admin",
			Claims: map[string]any{"principalId": "admin", "clientId": 1.0, "clientName": "Exata"}},
		response: []string{"multiValueHeaders"},
	},
	"events/testdata/apigw-restapi-openapi-request.json": {
		method: "POST", path: "/hello/world", rawQuery: "name=me", host: "gy415nuibc.execute-api.us-east-1.amazonaws.com",
		remoteAddr: "192.168.196.186", requestID: "deef4878-7910-11e6-8f14-25afc3e9ae33", nHeaders: 19,
		header: map[string][]string{"Headername": {"headerValue"}, "Accept-Encoding": {"gzip, deflate"}},
		body:   crlfBody,
		identity: &handler.Identity{Source: awslambda.SourceLambdaAuthorizer, Subject: "admin",
			Claims: map[string]any{"principalId": "admin", "clientId": 1.0, "clientName": "Exata"}},
		response: []string{"multiValueHeaders"},
	},
	"events/testdata/apigw-v2-request-iam.json": {
		method: "GET", path: "/my/path", rawQuery: "parameter1=value1&parameter1=value2&parameter2=value",
		host: "id.execute-api.us-east-1.amazonaws.com", remoteAddr: "IP", requestID: "id", nHeaders: 3,
		header: map[string][]string{"Header1": {"value1"}, "Header2": {"value2"}, "Cookie": {"cookie1; cookie2"}},
		body:   crlfBody,
		identity: &handler.Identity{Source: awslambda.SourceIAM, Subject: "arn:aws:iam::1234567890:user/Admin",
			Claims: map[string]any{
				"accessKey": "ARIA2ZJZYVUEREEIHAKY", "accountId": "1234567890",
				"callerId": "AROA7ZJZYVRE7C3DUXHH6:CognitoIdentityCredentials",
				"cognitoIdentity": map[string]any{"amr": []any{"foo"},
					"identityId": "us-east-1:3f291106-8703-466b-8f2b-3ecee1ca56ce", "identityPoolId": "us-east-1:4f291106-8703-466b-8f2b-3ecee1ca56ce"},
				"principalOrgId": "AwsOrgId", "userArn": "arn:aws:iam::1234567890:user/Admin", "userId": "AROA2ZJZYVRE7Y3TUXHH6"}},
		response: []string{"headers"},
	},
	"events/testdata/apigw-v2-request-jwt-authorizer.json": {
		method: "GET", path: "/my/path", rawQuery: "parameter1=value1&parameter1=value2&parameter2=value",
		host: "id.execute-api.us-east-1.amazonaws.com", remoteAddr: "IP", requestID: "id", nHeaders: 3,
		header: map[string][]string{"Header1": {"value1"}, "Cookie": {"cookie1; cookie2"}},
		body:   crlfBody,
		identity: &handler.Identity{Source: awslambda.SourceJWT, Scopes: []string{"scope1", "scope2"},
			Claims: map[string]any{"claim1": "value1", "claim2": "value2"}},
		response: []string{"headers"},
	},
	"events/testdata/apigw-v2-request-lambda-authorizer.json": {
		method: "GET", path: "/my/path", rawQuery: "parameter1=value1&parameter1=value2&parameter2=value",
		host: "id.execute-api.us-east-1.amazonaws.com", remoteAddr: "IP", requestID: "id", nHeaders: 3,
		header:   map[string][]string{"Header2": {"value2"}, "Cookie": {"cookie1; cookie2"}},
		body:     crlfBody,
		identity: &handler.Identity{Source: awslambda.SourceLambdaAuthorizer, Claims: map[string]any{"key": "value"}},
		response: []string{"headers"},
	},
	"events/testdata/apigw-v2-request-no-authorizer.json": {
		method: "GET", path: "/", host: "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com",
		remoteAddr: "1.2.3.4", requestID: "LV7fzho-PHcEJPw=", nHeaders: 8,
		header:   map[string][]string{"Content-Length": {"0"}, "X-Forwarded-For": {"1.2.3.4"}, "User-Agent": {"curl/7.58.0"}},
		response: []string{"headers"},
	},
	"events/testdata/lambda-urls-request.json": {
		method: "POST", path: "/my/path", rawQuery: "parameter1=value1&parameter1=value2&parameter2=value",
		host: "<url-id>.lambda-url.us-west-2.on.aws", remoteAddr: "123.123.123.123", requestID: "id", nHeaders: 3,
		// A comma-joined value is one value: it is never split.
		header: map[string][]string{"Header1": {"value1"}, "Header2": {"value1,value2"}, "Cookie": {"cookie1; cookie2"}},
		body:   "Hello from client!",
		identity: &handler.Identity{Source: awslambda.SourceIAM, Subject: "arn:aws:iam::111122223333:user/example-user",
			Claims: map[string]any{"accessKey": "AKIA...", "accountId": "111122223333", "callerId": "AIDA...",
				"userArn": "arn:aws:iam::111122223333:user/example-user", "userId": "AIDA..."}},
		response: []string{"headers"},
	},
	"lambdaurl/testdata/function-url-domain-only-get-request-trailing-slash.json": {
		method: "GET", path: "/", host: "lambda-url-id.lambda-url.us-west-2.on.aws", remoteAddr: "127.0.0.1",
		requestID: "3a72f39b-d6bd-4a4f-b040-f94d09b4daa3", nHeaders: 14,
		header:   map[string][]string{"Accept": {"application/xml"}, "X-Amz-Security-Token": {"security-token"}},
		response: []string{"headers"},
	},
	"lambdaurl/testdata/function-url-domain-only-get-request.json": {
		method: "GET", path: "/", host: "lambda-url-id.lambda-url.us-west-2.on.aws", remoteAddr: "127.0.0.1",
		requestID: "deeb7e49-a9a8-4a8f-bcd1-5482231e2087", nHeaders: 14,
		header:   map[string][]string{"Content-Type": {"application/json"}, "X-Amzn-Tls-Version": {"TLSv1.2"}},
		response: []string{"headers"},
	},
	"lambdaurl/testdata/function-url-domain-only-request-with-base64-encoded-body.json": {
		method: "POST", path: "/", host: "lambda-url-id.lambda-url.us-west-2.on.aws", remoteAddr: "127.0.0.1",
		requestID: "9701a3d4-36ad-40bd-bf0b-a525c987d27f", nHeaders: 15,
		header:   map[string][]string{"Content-Type": {"idk"}, "Content-Length": {"6"}},
		body:     "<idk/>",
		response: []string{"headers"},
	},
	"lambdaurl/testdata/function-url-request-with-headers-and-cookies-and-text-body.json": {
		method: "POST", path: "/hello", rawQuery: "hello=world&foo=bar", host: "lambda-url-id.lambda-url.us-west-2.on.aws",
		remoteAddr: "127.0.0.1", requestID: "5bbd0e3e-fe7a-4299-9076-32d4de45391b", nHeaders: 19,
		header:   map[string][]string{"Header2": {"h1,h2"}, "Cookie": {"foo=bar; hello=hello"}, "Content-Type": {"application/json"}},
		body:     `{"hello": "world"}`,
		response: []string{"headers"},
	},
}

func TestFixturesDecode(t *testing.T) {
	for name, want := range httpFixtures {
		t.Run(filepath.Base(name), func(t *testing.T) {
			c, out, err := capture(t, fixture(t, name))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			r := c.req
			if r == nil {
				t.Fatal("the handler was not called")
			}
			for _, f := range []struct{ what, got, want string }{
				{"Method", r.Method, want.method}, {"Path", r.Path, want.path}, {"RawPath", r.RawPath, want.rawPath},
				{"RawQuery", r.RawQuery, want.rawQuery}, {"Host", r.Host, want.host},
				{"RemoteAddr", r.RemoteAddr, want.remoteAddr}, {"RequestID", r.RequestID, want.requestID},
				{"Body", string(r.Body), want.body},
			} {
				if f.got != f.want {
					t.Errorf("%s = %q, want %q", f.what, f.got, f.want)
				}
			}
			if want.body == "" && r.Body != nil {
				t.Errorf("Body = %q, want nil", r.Body)
			}
			if len(r.Header) != want.nHeaders {
				t.Errorf("len(Header) = %d, want %d: %q", len(r.Header), want.nHeaders, r.Header)
			}
			for k, v := range want.header {
				if !slices.Equal(r.Header[k], v) {
					t.Errorf("Header[%s] = %q, want %q", k, r.Header[k], v)
				}
			}
			if !reflect.DeepEqual(r.Identity, want.identity) {
				t.Errorf("Identity = %#v, want %#v", r.Identity, want.identity)
			}
			if c.inv == nil || c.inv.Platform != awslambda.Platform || c.inv.ID != "lambda-req" {
				t.Errorf("Invocation = %+v, want platform %q and ID lambda-req", c.inv, awslambda.Platform)
			}
			var resp map[string]any
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatalf("the response is not JSON: %v: %s", err, out)
			}
			wantKeys := append([]string{"statusCode", "body", "isBase64Encoded"}, want.response...)
			var gotKeys []string
			for k := range resp {
				gotKeys = append(gotKeys, k)
			}
			slices.Sort(gotKeys)
			slices.Sort(wantKeys)
			if !slices.Equal(gotKeys, wantKeys) {
				t.Errorf("response members = %q, want %q: %s", gotKeys, wantKeys, out)
			}
			if resp["body"] != "ok" || resp["statusCode"] != 200.0 || resp["isBase64Encoded"] != false {
				t.Errorf("response = %s", out)
			}
		})
	}
}

// TestFixturesNotHTTP checks that every other fixture of aws-lambda-go
// (SQS, S3, authorizer requests, WebSocket events, responses, ...) is
// refused with an error that says what it was.
func TestFixturesNotHTTP(t *testing.T) {
	dir, err := sdkDir()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "events/testdata/*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("found %d fixtures (%v)", len(files), err)
	}
	n := 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		if _, ok := httpFixtures[filepath.ToSlash(rel)]; ok {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			payload, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, out, err := capture(t, payload)
			if c.req != nil {
				t.Fatalf("the handler was called with %+v", c.req)
			}
			if !errors.Is(err, awslambda.ErrNotHTTPEvent) && !errors.Is(err, awslambda.ErrMalformedEvent) {
				t.Fatalf("Invoke = %s, %v; want an error wrapping ErrNotHTTPEvent or ErrMalformedEvent", out, err)
			}
			if !strings.Contains(err.Error(), "saw") && !errors.Is(err, awslambda.ErrMalformedEvent) {
				t.Errorf("the error does not say what it saw: %v", err)
			}
		})
	}
	t.Logf("%d non-HTTP fixtures refused", n)
}
