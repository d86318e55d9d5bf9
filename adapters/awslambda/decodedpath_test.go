package awslambda_test

import (
	"os"
	"testing"
)

// TestHTTPAPIPayload1PathIsDecoded decodes an HTTP API payload 1.0 event
// for the client path "/literal%25value/a%252541". API Gateway HTTP APIs
// deliver the path decoded, in payload 1.0's path as in 2.0's rawPath (AWS's
// documentation does not say so; captures of real events do, see
// testdata/http-api-v1-decoded-path.json), so the adapter must not decode it
// again: that turned "%va" into a 400 and "%2541" into "A". A REST API's
// path (no "version") is still decoded once, as it arrives encoded.
func TestHTTPAPIPayload1PathIsDecoded(t *testing.T) {
	payload, err := os.ReadFile("testdata/http-api-v1-decoded-path.json")
	if err != nil {
		t.Fatal(err)
	}
	c, out, err := capture(t, payload)
	if err != nil {
		t.Fatalf("Invoke: %v (%s)", err, out)
	}
	if c.req == nil {
		t.Fatalf("the handler was not called: %s", out)
	}
	if c.req.Path != "/literal%value/a%2541" || c.req.RawPath != "" {
		t.Errorf("Path %q RawPath %q; want the event's path as is", c.req.Path, c.req.RawPath)
	}
}
