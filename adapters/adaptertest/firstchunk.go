package adaptertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// FirstChunk checks that a streaming adapter sends each chunk of a
// Response.Stream as the handler produces it: the first chunk must reach
// the client while the handler is still waiting to produce the second.
// There is no clock in the check. The handler's route
// (/adaptertest/first-chunk) returns a stream whose first Read yields
// "first chunk\n" and whose second Read asks a release server started here
// and waits for its answer; the release server answers only once the client
// has read the first chunk. An adapter that buffers the stream therefore
// never answers; the check then fails when the test's deadline (go test
// -timeout) is near, saying so.
//
// Run it only for adapters (or modes) that stream; a front door that
// cannot stream is checked by [Run]'s "stream" case, which needs the whole
// body.
func FirstChunk(t *testing.T, rt http.RoundTripper) {
	t.Helper()
	seen := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(seen) }) }
	defer release()
	rel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-seen:
			io.WriteString(w, "release")
		case <-r.Context().Done():
		}
	}))
	defer rel.Close()

	ctx, cancel := context.WithCancel(context.Background())
	if dl, ok := t.Deadline(); ok {
		// Not a timing assertion: only a way to fail cleanly instead of
		// hanging until go test kills the process.
		ctx, cancel = context.WithDeadline(context.Background(), dl.Add(-5*time.Second))
	}
	defer cancel()
	req := newRequest(t, http.MethodGet, Prefix+"first-chunk?release="+url.QueryEscape(rel.URL), nil).WithContext(ctx)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("first-chunk: %v (an adapter that buffers the stream cannot answer: the handler produces the rest only after the client has read the first chunk)", err)
	}
	defer resp.Body.Close()
	want := "first chunk\n"
	first := make([]byte, len(want))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != want {
		t.Fatalf("first-chunk: status %d, first chunk %q, %v; want %q before the handler produces the rest", resp.StatusCode, first, err, want)
	}
	release()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(rest) != "second chunk after release\n" {
		t.Errorf("first-chunk: rest of the body %q, %v; want %q", rest, err, "second chunk after release\n")
	}
}

// firstChunkStream is the first-chunk route's body: "first chunk\n", then,
// once the release server answers, "second chunk after " and its answer.
type firstChunkStream struct {
	ctx     context.Context
	release string
	step    int
}

func (s *firstChunkStream) Read(p []byte) (int, error) {
	s.step++
	switch s.step {
	case 1:
		return copy(p, "first chunk\n"), nil
	case 2:
		req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.release, nil)
		if err != nil {
			return 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, err
		}
		return copy(p, "second chunk after "+string(b)+"\n"), nil
	}
	return 0, io.EOF
}

func firstChunk(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	u, err := url.Parse(r.Query().Get("release"))
	if err != nil || u.Hostname() != "127.0.0.1" {
		return nil, handler.NewError(http.StatusBadRequest, "bad_release", "The release parameter must be a URL on 127.0.0.1.")
	}
	return &handler.Response{
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Stream: &firstChunkStream{ctx: ctx, release: u.String()},
	}, nil
}
