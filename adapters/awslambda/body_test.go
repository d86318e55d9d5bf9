package awslambda

import (
	"bytes"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
)

// TestBodyOwnsItsBytes checks the request's copy of the event (decoded in
// place, see buildBody): the runtime reusing its buffer changes nothing the
// handler holds, a handler appending to the body does not overwrite the
// headers that follow it in the event, and escapes are decoded right.
func TestBodyOwnsItsBytes(t *testing.T) {
	for _, c := range []struct {
		name, body, want string
		base64           bool
	}{
		{"plain", `hello`, "hello", false},
		{"escaped", `{\"a\":\"caf\u00e9 \ud83d\ude00 \ud800 \\\/\"}`, "{\"a\":\"caf\u00e9 \U0001F600 \uFFFD \\/\"}", false},
		{"base64", `aGk\/`, "hi?", true}, // "\/" unescaped before decoding
	} {
		t.Run(c.name, func(t *testing.T) {
			b64 := "false"
			if c.base64 {
				b64 = "true"
			}
			payload := []byte(`{"version":"2.0","rawPath":"/p","requestContext":{"http":{"method":"POST"}},"body":"` + c.body +
				`","isBase64Encoded":` + b64 + `,"headers":{"x-after":"tail-value"}}`)
			o := newOptions(nil)
			var r handler.Request
			if _, _, herr, err := decodeEvent(payload, &r, &o); err != nil || herr != nil {
				t.Fatalf("decodeEvent: %v %v", err, herr)
			}
			if string(r.Body) != c.want {
				t.Fatalf("body %q, want %q", r.Body, c.want)
			}
			r.Body = append(r.Body, bytes.Repeat([]byte{'!'}, 64)...)
			for i := range payload {
				payload[i] = 'X' // the runtime's next invocation reuses the buffer
			}
			if got := r.Header.Get("X-After"); got != "tail-value" {
				t.Errorf("header after the body = %q, want tail-value", got)
			}
			if r.Path != "/p" || r.Method != "POST" {
				t.Errorf("method %q path %q, want POST /p", r.Method, r.Path)
			}
			if string(r.Body[:len(c.want)]) != c.want {
				t.Errorf("body after reuse %q, want %q", r.Body[:len(c.want)], c.want)
			}
		})
	}
}
