package awsdynamodb

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTransport sits between the SDK and moto: it counts the requests by
// operation and lets a test rewrite a request before moto sees it, or
// answer in moto's place, to inject unprocessed keys and throttling.
type fakeTransport struct {
	base http.RoundTripper

	mu    sync.Mutex
	calls []string
	// hook, when set, handles the request of operation op with JSON body
	// body; send forwards a (possibly changed) body to moto. It returns
	// the HTTP status and body of the answer.
	hook func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error)
}

func newFakeTransport() *fakeTransport { return &fakeTransport{base: http.DefaultTransport} }

func (f *fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	f.mu.Lock()
	f.calls = append(f.calls, op)
	hook := f.hook
	f.mu.Unlock()
	if hook == nil {
		return f.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body.Close()
	send := func(b []byte) (int, []byte, error) {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		resp, err := f.base.RoundTrip(r)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return resp.StatusCode, out, err
	}
	status, out, err := hook(op, body, send)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(out)), 10))
	return &http.Response{
		StatusCode:    status,
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)),
		Request:       req,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
	}, nil
}

// setHook installs h and forgets the calls counted so far.
func (f *fakeTransport) setHook(h func(op string, body []byte, send func([]byte) (int, []byte, error)) (int, []byte, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
	f.calls = nil
}

// reset forgets the calls counted so far.
func (f *fakeTransport) reset() { f.setHook(f.hook) }

// count returns the number of calls of op, or of all calls if op is "".
func (f *fakeTransport) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if op == "" || c == op {
			n++
		}
	}
	return n
}

// throttle is the body DynamoDB sends when it throttles a request.
func throttle() (int, []byte, error) {
	return http.StatusBadRequest, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`), nil
}

// newFakeDriver returns a driver on a fresh table whose requests go
// through a fakeTransport; the SDK makes one attempt per call, as in
// production.
func newFakeDriver(t *testing.T) (*dynamoDriver, *fakeTransport) {
	t.Helper()
	ft := newFakeTransport()
	c, err := NewClient(context.Background(), append(TestingOptions(), WithHTTPClient(&http.Client{Transport: ft}))...)
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, WithClient(c))
	d.batchDelay = time.Millisecond
	return d, ft
}

func jsonMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("bad JSON %s: %v", b, err)
	}
	return m
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
