package awslambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// FuzzDecodeEvent checks that decoding never panics, refuses what
// encoding/json refuses, and agrees with encoding/json on the members it
// reads. It is seeded with every fixture of aws-lambda-go.
func FuzzDecodeEvent(f *testing.F) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		f.Fatal(err)
	}
	dir := strings.TrimSpace(string(out))
	var files []string
	for _, pat := range []string{"events/testdata/*.json", "lambdaurl/testdata/*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 60 {
		f.Fatalf("found only %d fixtures in %s", len(files), dir)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":"2.0","rawPath":"/a\u00e9\ud83d\ude00","requestContext":{"http":{"method":"GET"}},"body":"aGk=","isBase64Encoded":true}`))
	f.Add([]byte(`{"httpMethod":"GET","path":"/%2F%zz","requestContext":{"elb":{}},"multiValueQueryStringParameters":{"a":["1","2"]}}`))
	f.Add([]byte(`{"Records":[{"messageId":"a","body":"caf\u00e9","attributes":{"ApproximateReceiveCount":"2","SentTimestamp":"1"},"messageAttributes":{"k":{"stringValue":"v","dataType":"String"}},"eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:r:1:q.fifo"},{"messageId":"b","body":7}]}`))
	f.Add([]byte(`{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-01T00:00:00Z","resources":["arn:aws:events:r:1:rule/repair"],"detail":{}}`))
	f.Add([]byte(`{"schedule":"repair","scheduledTime":"2026-01-01T00:00:00Z"}`))
	o := newOptions([]Option{WithMaxBodyBytes(1 << 20)})
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkTrigger(t, payload)
		var r handler.Request
		shape, _, herr, err := decodeEvent(payload, &r, &o)
		if err != nil {
			if !errors.Is(err, ErrMalformedEvent) && !errors.Is(err, ErrNotHTTPEvent) {
				t.Fatalf("error %v wraps neither ErrMalformedEvent nor ErrNotHTTPEvent", err)
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("accepted invalid JSON as %v", shape)
		}
		if herr != nil {
			if herr.Status < 400 || herr.Status > 499 {
				t.Fatalf("refusal with status %d", herr.Status)
			}
			return
		}
		if !isToken(r.Method) || !strings.HasPrefix(r.Path, "/") || r.Header == nil {
			t.Fatalf("decoded an invalid request: %+v", r)
		}
		if r.BasePath != "" && (r.BasePath[0] != '/' || strings.HasSuffix(r.BasePath, "/")) {
			t.Fatalf("BasePath %q does not start with / or ends with one", r.BasePath)
		}
		if !utf8.Valid(payload) {
			return // encoding/json replaces invalid UTF-8; the adapter keeps the bytes
		}
		var tree any
		if json.Unmarshal(payload, &tree) != nil || !exactKeys(tree) {
			return // encoding/json matches keys case-insensitively; Lambda's keys are exact
		}
		switch shape {
		case shapeV2, shapeFunctionURL:
			var ev events.APIGatewayV2HTTPRequest
			if json.Unmarshal(payload, &ev) != nil {
				return
			}
			if r.Method != ev.RequestContext.HTTP.Method || r.RawQuery != ev.RawQueryString {
				t.Fatalf("method/query %q %q, encoding/json says %q %q", r.Method, r.RawQuery, ev.RequestContext.HTTP.Method, ev.RawQueryString)
			}
			if ev.RawPath != "" && r.Path != ev.RawPath {
				t.Fatalf("path %q, encoding/json says %q", r.Path, ev.RawPath)
			}
			checkBody(t, r.Body, ev.Body, ev.IsBase64Encoded)
		case shapeV1:
			var ev events.APIGatewayProxyRequest
			if json.Unmarshal(payload, &ev) != nil {
				return
			}
			if r.Method != ev.HTTPMethod {
				t.Fatalf("method %q, encoding/json says %q", r.Method, ev.HTTPMethod)
			}
			checkBody(t, r.Body, ev.Body, ev.IsBase64Encoded)
		}
	})
}

func checkBody(t *testing.T, got []byte, body string, b64 bool) {
	t.Helper()
	want := []byte(body)
	if b64 {
		var err error
		if want, err = base64.StdEncoding.DecodeString(body); err != nil {
			if want, err = base64.RawStdEncoding.DecodeString(body); err != nil {
				return
			}
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("body %q, encoding/json says %q", got, want)
	}
}

// compared are the members the differential check reads.
var compared = []string{"Records", "messageId", "eventSource", "eventSourceARN", "rawPath", "rawQueryString", "body", "isBase64Encoded", "httpMethod", "requestContext", "http", "method"}

// exactKeys reports whether no object key in v differs from a compared
// member only by case.
func exactKeys(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			for _, c := range compared {
				if k != c && strings.EqualFold(k, c) {
					return false
				}
			}
			if !exactKeys(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !exactKeys(e) {
				return false
			}
		}
	}
	return true
}

// checkTrigger checks the SQS and EventBridge decoder: it never panics,
// refuses what encoding/json refuses, and agrees with encoding/json's
// events.SQSEvent on the IDs, bodies and queues of the records it found
// well formed.
func checkTrigger(t *testing.T, payload []byte) {
	b := &sqsBatch{}
	d := &scanner{jsonscan.New(string(payload))}
	tr, err := sniffTrigger(d, b)
	if err != nil {
		return
	}
	if !json.Valid(payload) {
		t.Fatalf("trigger decoder accepted invalid JSON as %v", tr.kind)
	}
	for _, r := range b.records {
		if r.err != nil && !errors.Is(r.err, ErrMalformedEvent) {
			t.Fatalf("record error %v does not wrap ErrMalformedEvent", r.err)
		}
		if r.err == nil && (r.msg.ID == "" || r.msg.Queue == "" || r.msg.DeliveryCount < 0) {
			t.Fatalf("a record without ID or queue was accepted: %+v", r.msg)
		}
	}
	if tr.kind != kindSQS || !utf8.Valid(payload) {
		return
	}
	var tree any
	if json.Unmarshal(payload, &tree) != nil || !exactKeys(tree) {
		return
	}
	var ev events.SQSEvent
	if json.Unmarshal(payload, &ev) != nil {
		return
	}
	if len(ev.Records) != len(b.records) {
		t.Fatalf("%d records, encoding/json says %d", len(b.records), len(ev.Records))
	}
	for i, r := range b.records {
		e := ev.Records[i]
		if r.msg.ID != e.MessageId || string(r.msg.Body) != e.Body || r.msg.Queue != e.EventSourceARN {
			t.Fatalf("record %d: %q %q %q, encoding/json says %q %q %q", i, r.msg.ID, r.msg.Body, r.msg.Queue, e.MessageId, e.Body, e.EventSourceARN)
		}
	}
}
