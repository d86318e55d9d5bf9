package middleware

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

// waitsForCancel blocks until its context is done, reports the context's
// error on saw, and returns the given result.
func waitsForCancel(saw chan<- error, resp *handler.Response, fail bool) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		<-ctx.Done()
		saw <- ctx.Err()
		if fail {
			return nil, errors.New("store: get: unavailable")
		}
		return resp, nil
	})
}

func TestTimeoutAnswers504AndCancelsHandler(t *testing.T) {
	for _, opts := range [][]TimeoutOption{nil, {AnswerAtDeadline()}} {
		saw := make(chan error, 1)
		resp := serve(Timeout(time.Millisecond, opts...)(waitsForCancel(saw, nil, true)), &handler.Request{})
		wantStatus(t, resp, http.StatusGatewayTimeout)
		if !bytes.Contains(resp.Body, []byte(`"code":"timeout"`)) || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("response = %v %s", resp.Header, resp.Body)
		}
		if err := <-saw; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("handler context error = %v, want DeadlineExceeded", err)
		}
	}
}

func TestTimeoutLateSuccessIsSent(t *testing.T) {
	saw := make(chan error, 1)
	late := &handler.Response{Status: http.StatusCreated, Body: []byte("created anyway")}
	resp := serve(Timeout(time.Millisecond)(waitsForCancel(saw, late, false)), &handler.Request{})
	wantStatus(t, resp, http.StatusCreated)
	<-saw
}

func TestAnswerAtDeadlineDoesNotWaitForTheHandler(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	stubborn := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		defer close(finished)
		<-release // ignores its context
		return &handler.Response{Body: []byte("late")}, nil
	})
	resp := serve(Timeout(time.Millisecond, AnswerAtDeadline())(stubborn), &handler.Request{})
	wantStatus(t, resp, http.StatusGatewayTimeout)
	close(release)
	<-finished
}

func TestTimeoutPassesFastHandler(t *testing.T) {
	for _, opts := range [][]TimeoutOption{nil, {AnswerAtDeadline()}} {
		resp := serve(Timeout(time.Hour, opts...)(&ok{}), &handler.Request{})
		wantStatus(t, resp, http.StatusOK)
		if string(resp.Body) != "ok" {
			t.Errorf("body = %q", resp.Body)
		}
	}
}

func TestTimeoutKeepsHandlerErrorsAndPanics(t *testing.T) {
	notFound := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return nil, handler.NewError(http.StatusNotFound, "", "no")
	})
	boom := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		panic("boom")
	})
	for _, opts := range [][]TimeoutOption{nil, {AnswerAtDeadline()}} {
		wantStatus(t, serve(Timeout(time.Hour, opts...)(notFound), &handler.Request{}), http.StatusNotFound)

		var logs bytes.Buffer
		ctx := handler.ContextWithLogger(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
		res := handlertest.ServeContext(ctx, Timeout(time.Hour, opts...)(boom), &handler.Request{Header: http.Header{}})
		wantStatus(t, res, http.StatusInternalServerError)
		if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "timeout_test.go") {
			t.Errorf("the panic log lacks the value or the handler's stack:\n%s", logs.String())
		}
	}
}

func TestTimeoutParentCanceled(t *testing.T) {
	for _, opts := range [][]TimeoutOption{nil, {AnswerAtDeadline()}} {
		ctx, cancel := context.WithCancel(context.Background())
		blocked := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		})
		_, err := Timeout(time.Hour, opts...)(blocked).ServeRequest(ctx, &handler.Request{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want Canceled", err)
		}
	}
}

func TestTimeoutRefusesBadConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Timeout(0) did not panic")
		}
	}()
	Timeout(0)
}

// awaitClose waits for ch to be closed; the timer only turns a hang into
// a failure.
func awaitClose(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("gave up waiting for %s", what)
	}
}

// ctxStream is a response stream produced under the handler's context, as
// FromHTTP's and server-sent events' are: reading it fails once the
// context is done.
type ctxStream struct {
	ctx    context.Context
	chunks []string
	closes int
}

func (s *ctxStream) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	return n, nil
}

func (s *ctxStream) Close() error { s.closes++; return nil }

// expiring is a platform context whose deadline, earlier than any
// Timeout's, passes when expire is closed.
type expiring struct {
	context.Context
	expire chan struct{}
}

func (e *expiring) Deadline() (time.Time, bool) { return time.Unix(1, 0), true }
func (e *expiring) Done() <-chan struct{}       { return e.expire }
func (e *expiring) Err() error {
	select {
	case <-e.expire:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func TestTimeoutKeepsStreamContextUntilTheStreamEnds(t *testing.T) {
	for _, opts := range [][]TimeoutOption{nil, {AnswerAtDeadline()}} {
		var stream *ctxStream
		h := Timeout(time.Hour, opts...)(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			stream = &ctxStream{ctx: ctx, chunks: []string{"a", "b", "c"}}
			return &handler.Response{Stream: stream}, nil
		}))

		// Read to its end: the context lives until EOF.
		resp, err := h.ServeRequest(context.Background(), &handler.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.ctx.Err(); err != nil {
			t.Fatalf("%d options: the handler's context ended when it returned its stream: %v", len(opts), err)
		}
		b, err := io.ReadAll(resp.Stream)
		if string(b) != "abc" || err != nil {
			t.Errorf("%d options: stream = %q, %v; want abc", len(opts), b, err)
		}
		if err := stream.ctx.Err(); err != context.Canceled {
			t.Errorf("%d options: after EOF the handler's context error = %v, want Canceled", len(opts), err)
		}
		c, ok := resp.Stream.(io.Closer)
		if !ok {
			t.Fatalf("%d options: the stream is not an io.Closer", len(opts))
		}
		c.Close()
		if stream.closes != 1 {
			t.Errorf("%d options: the handler's stream was closed %d times, want 1", len(opts), stream.closes)
		}

		// Closed unread: the context ends at Close.
		resp, err = h.ServeRequest(context.Background(), &handler.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.ctx.Err(); err != nil {
			t.Fatalf("%d options: the handler's context ended when it returned its stream: %v", len(opts), err)
		}
		resp.Stream.(io.Closer).Close()
		if err := stream.ctx.Err(); err != context.Canceled || stream.closes != 1 {
			t.Errorf("%d options: after Close the context error = %v and the stream was closed %d times; want Canceled, 1",
				len(opts), err, stream.closes)
		}

		// Never closed: the context still ends at the (platform's) deadline.
		platform := &expiring{Context: context.Background(), expire: make(chan struct{})}
		resp, err = h.ServeRequest(platform, &handler.Request{})
		if err != nil || resp.Stream == nil {
			t.Fatal(resp, err)
		}
		if err := stream.ctx.Err(); err != nil {
			t.Fatalf("%d options: the handler's context ended when it returned its stream: %v", len(opts), err)
		}
		close(platform.expire)
		awaitClose(t, stream.ctx.Done(), "the deadline to end the stream's context")
		if err := stream.ctx.Err(); err != context.DeadlineExceeded {
			t.Errorf("%d options: at the deadline the handler's context error = %v, want DeadlineExceeded", len(opts), err)
		}
	}
}

func TestTimeoutStreamContextEndsAtItsOwnDeadline(t *testing.T) {
	var stream *ctxStream
	h := Timeout(time.Millisecond)(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		stream = &ctxStream{ctx: ctx}
		return &handler.Response{Stream: stream}, nil
	}))
	resp, err := h.ServeRequest(context.Background(), &handler.Request{})
	if err != nil || resp.Stream == nil {
		t.Fatal(resp, err)
	}
	awaitClose(t, stream.ctx.Done(), "Timeout's deadline")
	if err := stream.ctx.Err(); err != context.DeadlineExceeded {
		t.Errorf("the handler's context error = %v, want DeadlineExceeded (not cancelled on return)", err)
	}
	if _, err := resp.Stream.Read(make([]byte, 8)); err != context.DeadlineExceeded {
		t.Errorf("Read after the deadline = %v", err)
	}
}

// A net/http handler that flushes events, each after checking its request
// context, streams them all through FromHTTP and Timeout.
func TestTimeoutStreamsFromHTTPEvents(t *testing.T) {
	events := handler.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 3; i++ {
			if r.Context().Err() != nil {
				return
			}
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
		}
	}))
	for _, opts := range [][]TimeoutOption{nil, {AnswerAtDeadline()}} {
		rec := httptest.NewRecorder()
		handler.HTTP(Timeout(time.Hour, opts...)(events)).ServeHTTP(rec, httptest.NewRequest("GET", "/events", nil))
		if want := "data: 0\n\ndata: 1\n\ndata: 2\n\n"; rec.Body.String() != want {
			t.Errorf("%d options: body = %q, want %q", len(opts), rec.Body.String(), want)
		}
	}
}

func TestCancelStreamCancelsOnce(t *testing.T) {
	cancels := 0
	inner := &closeTracker{Reader: strings.NewReader("x")}
	s := &cancelStream{r: inner, cancel: func() { cancels++ }}
	if b, err := io.ReadAll(s); string(b) != "x" || err != nil {
		t.Fatalf("ReadAll = %q, %v", b, err)
	}
	s.Read(make([]byte, 1))
	s.Close()
	s.Close()
	if cancels != 1 || !inner.closed {
		t.Errorf("cancelled %d times, inner stream closed %v; want 1, true", cancels, inner.closed)
	}

	// A stream that is no io.Closer is still one once wrapped.
	cancels = 0
	s = &cancelStream{r: strings.NewReader("x"), cancel: func() { cancels++ }}
	if err := s.Close(); err != nil || cancels != 1 {
		t.Errorf("Close = %v, cancelled %d times", err, cancels)
	}
}

// slowKeys answers a lookup only once its context is done, as a key store
// that ignores its context would.
type slowKeys struct{}

func (slowKeys) LookupKey(ctx context.Context, key string) (*handler.Identity, error) {
	<-ctx.Done()
	return &handler.Identity{Source: "apikey", Subject: "bob"}, nil
}

// Middleware inside Timeout that writes to the request after the deadline
// must not race with middleware outside it (Logger) that reads the request
// once Timeout answered. Run with -race.
func TestAnswerAtDeadlineLateHandlerGetsItsOwnRequest(t *testing.T) {
	finished := make(chan struct{})
	route := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		defer close(finished)
		r.Pattern = "GET /todos/{id}"
		r.SetPathValue("id", "1")
		r.Header.Set("X-Late", "1")
		return &handler.Response{}, nil
	})
	h := Logger(LogTo(io.Discard))(Timeout(time.Millisecond, AnswerAtDeadline())(mustAPIKey(t, slowKeys{})(route)))
	r := &handler.Request{Method: "GET", Path: "/todos/1", Header: http.Header{"X-Api-Key": {bobKey}}}
	wantStatus(t, serve(h, r), http.StatusGatewayTimeout)
	awaitClose(t, finished, "the late handler")
	if r.Identity != nil || r.Pattern != "" || r.PathValue("id") != "" || r.Header.Get("X-Late") != "" {
		t.Errorf("the late handler wrote to the request: identity %v, pattern %q, id %q, header %v",
			r.Identity, r.Pattern, r.PathValue("id"), r.Header)
	}
}

func TestAnswerAtDeadlineKeepsWhatTheHandlerSetInTime(t *testing.T) {
	keys, err := ParseKeys("bob:" + bobKey)
	if err != nil {
		t.Fatal(err)
	}
	route := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		r.Pattern = "GET /todos/{id}"
		r.SetPathValue("id", "1")
		r.Header.Set("X-Seen", "1")
		return &handler.Response{}, nil
	})
	h := Timeout(time.Hour, AnswerAtDeadline())(mustAPIKey(t, keys)(route))
	r := &handler.Request{Method: "GET", Path: "/todos/1", Header: http.Header{"X-Api-Key": {bobKey}}}
	if _, err := h.ServeRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if r.Identity == nil || r.Identity.Subject != "bob" || r.Pattern != "GET /todos/{id}" || r.PathValue("id") != "1" || r.Header.Get("X-Seen") != "1" {
		t.Errorf("the request lacks what the handler set: identity %v, pattern %q, id %q, header %v",
			r.Identity, r.Pattern, r.PathValue("id"), r.Header)
	}
}

// A late response's stream is closed, releasing its producer.
func TestAnswerAtDeadlineClosesLateStream(t *testing.T) {
	release := make(chan struct{})
	producerDone := make(chan struct{})
	stubborn := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		<-release // ignores its context
		pr, pw := io.Pipe()
		go func() {
			defer close(producerDone)
			for {
				if _, err := pw.Write([]byte("tick\n")); err != nil {
					return // the reader closed the pipe
				}
			}
		}()
		return &handler.Response{Stream: pr}, nil
	})
	wantStatus(t, serve(Timeout(time.Millisecond, AnswerAtDeadline())(stubborn), &handler.Request{}), http.StatusGatewayTimeout)
	close(release)
	awaitClose(t, producerDone, "the producer of the late stream to be released")
}

// TestAnswerAtDeadlineKeepsPathValuesAddedInTime checks that path values the
// handler adds in time are kept, when the request already had some before
// Timeout (as an Azure payload-mode request has its Params, set by the
// adapter): the copy the handler runs on must not share the request's own
// room for path values, or writing the copy back overwrites what the handler
// added there with what the request held before.
func TestAnswerAtDeadlineKeepsPathValuesAddedInTime(t *testing.T) {
	router := handler.NewRouter()
	router.HandleFunc("GET /todos/{id}", func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		r.SetPathValue("list", "home")
		return &handler.Response{}, nil
	})
	var inside []string
	h := Timeout(time.Hour, AnswerAtDeadline())(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		resp, err := router.ServeRequest(ctx, r)
		inside = []string{r.PathValue("id"), r.PathValue("list")}
		return resp, err
	}))
	r := &handler.Request{Method: "GET", Path: "/todos/1", Header: http.Header{}}
	r.SetPathValue("tenant", "acme") // before Timeout, as an adapter sets them
	if _, err := h.ServeRequest(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := []string{r.PathValue("id"), r.PathValue("list")}; got[0] != "1" || got[1] != "home" || inside[0] != "1" || inside[1] != "home" {
		t.Errorf("path values id, list: %q after Timeout, %q inside; want 1, home", got, inside)
	}

	// Without a router: the handler adds one and replaces one, after one
	// value set before Timeout (in the Request's own room) or five (past it).
	h = Timeout(time.Hour, AnswerAtDeadline())(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		r.SetPathValue("id", "1")
		r.SetPathValue("tenant", "other")
		return &handler.Response{}, nil
	}))
	for _, before := range []int{1, 5} {
		r = &handler.Request{Method: "GET", Path: "/todos/1", Header: http.Header{}}
		r.SetPathValue("tenant", "acme")
		for i := 1; i < before; i++ {
			r.SetPathValue(fmt.Sprint("p", i), "v")
		}
		if _, err := h.ServeRequest(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if r.PathValue("id") != "1" || r.PathValue("tenant") != "other" || before > 1 && r.PathValue("p4") != "v" {
			t.Errorf("%d values before: id %q, tenant %q, p4 %q after Timeout; want 1, other, v", before, r.PathValue("id"), r.PathValue("tenant"), r.PathValue("p4"))
		}
	}
}
