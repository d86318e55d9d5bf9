package awslambda_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
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
