package awslambda_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
)

const v2Fixture = "events/testdata/apigw-v2-request-no-authorizer.json"

// edit returns the v2 fixture with its top-level members changed: a nil
// value deletes the member, a json.RawMessage is used as is.
func edit(t *testing.T, changes map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, v2Fixture), &ev); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		if v == nil {
			delete(ev, k)
		} else {
			ev[k] = v
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMalformedEvents(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	tests := []struct {
		name    string
		payload []byte
		is      error
		says    string
	}{
		{"empty", nil, awslambda.ErrMalformedEvent, "empty event"},
		{"spaces", []byte("  \n"), awslambda.ErrMalformedEvent, "empty event"},
		{"array", []byte(`[1,2]`), awslambda.ErrNotHTTPEvent, "JSON array"},
		{"string", []byte(`"GET /"`), awslambda.ErrNotHTTPEvent, "JSON string"},
		{"trailing-data", append(fixture(t, v2Fixture), "{}"...), awslambda.ErrMalformedEvent, "data after"},
		{"headers-number", edit(t, map[string]any{"headers": 5}), awslambda.ErrMalformedEvent, "headers: want object, got number"},
		{"header-value-array", edit(t, map[string]any{"headers": map[string]any{"a": []string{"b"}}}), awslambda.ErrMalformedEvent, "headers.a: want string, got array"},
		{"rawpath-number", edit(t, map[string]any{"rawPath": 7}), awslambda.ErrMalformedEvent, "rawPath: want string, got number"},
		{"rawpath-relative", edit(t, map[string]any{"rawPath": "a/b"}), awslambda.ErrMalformedEvent, `rawPath "a/b" does not start with /`},
		{"base64-flag-string", edit(t, map[string]any{"isBase64Encoded": "yes"}), awslambda.ErrMalformedEvent, "isBase64Encoded: want boolean, got string"},
		{"cookies-string", edit(t, map[string]any{"cookies": "a=1"}), awslambda.ErrMalformedEvent, "cookies: want array, got string"},
		{"body-object", edit(t, map[string]any{"body": map[string]any{}}), awslambda.ErrMalformedEvent, "body: want string, got object"},
		{"request-context-array", edit(t, map[string]any{"requestContext": []int{}}), awslambda.ErrMalformedEvent, "requestContext: want object, got array"},
		{"invalid-base64", edit(t, map[string]any{"body": "!!not base64!!", "isBase64Encoded": true}), awslambda.ErrMalformedEvent, "invalid base64"},
		{"v2-no-request-context", edit(t, map[string]any{"requestContext": nil}), awslambda.ErrMalformedEvent, "without requestContext"},
		{"v2-no-method", edit(t, map[string]any{"requestContext": map[string]any{"http": map[string]any{"path": "/"}}}), awslambda.ErrMalformedEvent, "without requestContext.http.method"},
		{"bad-method", edit(t, map[string]any{"requestContext": map[string]any{"http": map[string]any{"method": "GE T"}}}), awslambda.ErrMalformedEvent, "invalid HTTP method"},
		{"bad-header-name", edit(t, map[string]any{"headers": map[string]any{"a b": "c"}}), awslambda.ErrMalformedEvent, `invalid header name "a b"`},
		{"10mb-header", edit(t, map[string]any{"headers": map[string]any{"x-big": big}}), awslambda.ErrMalformedEvent, "the headers are 10485"},
		{"deep-nesting", []byte(`{"stageVariables":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`), awslambda.ErrMalformedEvent, "nesting deeper than"},
		{"bad-escape", []byte(`{"version":"2.0","rawPath":"/\q"}`), awslambda.ErrMalformedEvent, "invalid escape"},
		{"control-char", []byte("{\"rawPath\":\"/\x01\"}"), awslambda.ErrMalformedEvent, "control character"},
		{"bad-number", []byte(`{"a":01}`), awslambda.ErrMalformedEvent, "invalid number"},
		{"bad-literal", []byte(`{"a":tru}`), awslambda.ErrMalformedEvent, "invalid literal"},
		{"missing-colon", []byte(`{"a" 1}`), awslambda.ErrMalformedEvent, `want ':'`},
		{"sqs", []byte(`{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`), awslambda.ErrNotHTTPEvent, `saw an event from "aws:sqs"`},
		{"eventbridge", []byte(`{"source":"aws.events","detail-type":"Scheduled Event"}`), awslambda.ErrNotHTTPEvent, `source "aws.events"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out, err := capture(t, tt.payload)
			if c.req != nil {
				t.Errorf("the handler was called with %+v", c.req)
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("Invoke = %.200s, %.300v; want an error wrapping %v", out, err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %.300q does not say %q", err, tt.says)
			}
		})
	}
}

// TestTruncatedEvents cuts every HTTP fixture at every byte before its end:
// each prefix is refused as malformed, and the handler is never called.
func TestTruncatedEvents(t *testing.T) {
	for name := range httpFixtures {
		full := bytes.TrimSpace(fixture(t, name))
		for i := 0; i < len(full); i++ {
			c, _, err := capture(t, full[:i])
			if c.req != nil || !errors.Is(err, awslambda.ErrMalformedEvent) {
				t.Fatalf("%s cut at %d: handler called %v, err %v; want ErrMalformedEvent", name, i, c.req != nil, err)
			}
		}
	}
}
