package awslambda_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware/jwtauth"
)

func TestIdentity(t *testing.T) {
	v1 := func(rc map[string]any) []byte {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, v1Fixture), &ev); err != nil {
			t.Fatal(err)
		}
		ctx := ev["requestContext"].(map[string]any)
		for k, v := range rc {
			if v == nil {
				delete(ctx, k)
			} else {
				ctx[k] = v
			}
		}
		b, _ := json.Marshal(ev)
		return b
	}
	v2 := func(authorizer any) []byte {
		return edit(t, map[string]any{"requestContext": map[string]any{
			"http": map[string]any{"method": "GET", "sourceIp": "1.2.3.4"}, "authorizer": authorizer}})
	}
	tests := []struct {
		name    string
		payload []byte
		want    *handler.Identity
	}{
		{"v1-cognito", v1(map[string]any{"authorizer": map[string]any{"claims": map[string]any{"sub": "u-1", "scope": "read write", "email": "a@b.c"}}}),
			&handler.Identity{Source: awslambda.SourceJWT, Subject: "u-1", Scopes: []string{"read", "write"},
				Claims: map[string]any{"sub": "u-1", "scope": "read write", "email": "a@b.c"}}},
		{"v1-iam", v1(map[string]any{"authorizer": nil, "identity": map[string]any{"sourceIp": "1.1.1.1", "userArn": "arn:aws:iam::1:user/x", "accessKey": "AK", "caller": "C", "apiKey": "not-identity"}}),
			&handler.Identity{Source: awslambda.SourceIAM, Subject: "arn:aws:iam::1:user/x",
				Claims: map[string]any{"userArn": "arn:aws:iam::1:user/x", "accessKey": "AK", "caller": "C"}}},
		{"v1-anonymous", v1(map[string]any{"authorizer": nil, "identity": map[string]any{"sourceIp": "1.1.1.1", "userArn": nil, "user": "", "apiKey": "k"}}), nil},
		{"v1-http-api-jwt", v1(map[string]any{"authorizer": map[string]any{"jwt": map[string]any{"claims": map[string]any{"sub": "s"}, "scopes": nil}}}),
			&handler.Identity{Source: awslambda.SourceJWT, Subject: "s", Claims: map[string]any{"sub": "s"}}},
		{"v2-jwt-scope-claim", v2(map[string]any{"jwt": map[string]any{"claims": map[string]any{"sub": "s", "scope": "a b"}}}),
			&handler.Identity{Source: awslambda.SourceJWT, Subject: "s", Scopes: []string{"a", "b"}, Claims: map[string]any{"sub": "s", "scope": "a b"}}},
		{"v2-lambda-nested", v2(map[string]any{"lambda": map[string]any{"userId": "u", "roles": []string{"admin"}, "n": 2}}),
			&handler.Identity{Source: awslambda.SourceLambdaAuthorizer, Subject: "u",
				Claims: map[string]any{"userId": "u", "roles": []any{"admin"}, "n": 2.0}}},
		{"v2-null-authorizer", v2(nil), nil},
		// API Gateway shows routes without an authorizer with null
		// placeholders: they are no verified caller.
		{"v1-placeholder-authorizer", v1(map[string]any{"authorizer": placeholderAuthorizer(), "identity": anonymousV1Identity()}), nil},
		{"v1-placeholder-authorizer-iam", v1(map[string]any{"authorizer": placeholderAuthorizer(),
			"identity": map[string]any{"sourceIp": "1.1.1.1", "userArn": "arn:aws:iam::1:user/x"}}),
			&handler.Identity{Source: awslambda.SourceIAM, Subject: "arn:aws:iam::1:user/x", Claims: map[string]any{"userArn": "arn:aws:iam::1:user/x"}}},
		{"v1-empty-claims", v1(map[string]any{"authorizer": map[string]any{"claims": map[string]any{}, "scopes": []any{}}, "identity": anonymousV1Identity()}), nil},
		{"v1-empty-principal", v1(map[string]any{"authorizer": map[string]any{"principalId": "", "claims": nil}, "identity": anonymousV1Identity()}), nil},
		{"v1-lambda-null-context", v1(map[string]any{"authorizer": map[string]any{"principalId": "p-1", "tenant": "t", "claims": nil, "scopes": nil}}),
			&handler.Identity{Source: awslambda.SourceLambdaAuthorizer, Subject: "p-1", Claims: map[string]any{"principalId": "p-1", "tenant": "t"}}},
		{"v1-lambda-context-only", v1(map[string]any{"authorizer": map[string]any{"tenant": "t", "claims": nil}, "identity": anonymousV1Identity()}),
			&handler.Identity{Source: awslambda.SourceLambdaAuthorizer, Claims: map[string]any{"tenant": "t"}}},
		{"v1-http-api-jwt-placeholder", v1(map[string]any{"authorizer": map[string]any{"jwt": placeholderAuthorizer()}, "identity": anonymousV1Identity()}), nil},
		{"v2-jwt-placeholder", v2(map[string]any{"jwt": placeholderAuthorizer()}), nil},
		{"v2-lambda-null-context", v2(map[string]any{"lambda": map[string]any{"userId": nil}}), nil},
		{"v2-lambda-empty", v2(map[string]any{"lambda": map[string]any{}}), nil},
		{"v2-empty-iam", v2(map[string]any{"iam": map[string]any{}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, err := capture(t, tt.payload)
			if err != nil || c.req == nil {
				t.Fatalf("Invoke: %s, %v", out, err)
			}
			if !reflect.DeepEqual(c.req.Identity, tt.want) {
				t.Errorf("Identity = %#v, want %#v", c.req.Identity, tt.want)
			}
		})
	}
}

// placeholderAuthorizer is what API Gateway reports for a route without an
// authorizer.
func placeholderAuthorizer() map[string]any { return map[string]any{"claims": nil, "scopes": nil} }

// anonymousV1Identity is requestContext.identity of an unsigned request.
func anonymousV1Identity() map[string]any {
	return map[string]any{"sourceIp": "1.1.1.1", "userArn": nil, "user": nil, "caller": nil, "accessKey": nil}
}

// TestTrustIdentityAnonymous runs jwtauth.New with TrustIdentity over
// real aws-lambda-go fixtures and the placeholder authorizer: only a
// verified caller with a subject skips the token check.
func TestTrustIdentityAnonymous(t *testing.T) {
	auth, err := jwtauth.New(jwtauth.WithSecret(strings.Repeat("s", 32)),
		jwtauth.WithTrustIdentity(awslambda.SourceLambdaAuthorizer, awslambda.SourceJWT, awslambda.SourceIAM))
	if err != nil {
		t.Fatal(err)
	}
	h := mustHandler(auth(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: map[string][]string{"Content-Type": {"text/plain"}},
			Body: []byte(r.Identity.Source + ":" + r.Identity.Subject)}, nil
	})))
	placeholder := func(name string) []byte {
		var ev map[string]any
		if err := json.Unmarshal(fixture(t, name), &ev); err != nil {
			t.Fatal(err)
		}
		rc := ev["requestContext"].(map[string]any)
		rc["authorizer"] = placeholderAuthorizer()
		rc["identity"] = anonymousV1Identity()
		b, _ := json.Marshal(ev)
		return b
	}
	for _, tt := range []struct {
		name    string
		payload []byte
		status  float64
		body    string
	}{
		{"apigw-request", fixture(t, "events/testdata/apigw-request.json"), 200, "aws-lambda-authorizer:admin"},
		{"apigw-request-placeholder", placeholder("events/testdata/apigw-request.json"), 401, ""},
		{"apigw-restapi-openapi-request-placeholder", placeholder("events/testdata/apigw-restapi-openapi-request.json"), 401, ""},
		{"apigw-v2-request-no-authorizer", fixture(t, "events/testdata/apigw-v2-request-no-authorizer.json"), 401, ""},
		// A Lambda authorizer context without a subject names no caller.
		{"apigw-v2-request-lambda-authorizer", fixture(t, "events/testdata/apigw-v2-request-lambda-authorizer.json"), 401, ""},
		{"apigw-v2-request-iam", fixture(t, "events/testdata/apigw-v2-request-iam.json"), 200, "aws-iam:arn:aws:iam::1234567890:user/Admin"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp map[string]any
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp["statusCode"] != tt.status || (tt.body != "" && resp["body"] != tt.body) {
				t.Errorf("response = %s, want %v %q", out, tt.status, tt.body)
			}
		})
	}
}
