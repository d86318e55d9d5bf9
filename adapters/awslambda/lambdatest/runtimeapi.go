package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIVersion is the Runtime API version the fake serves.
const APIVersion = "2018-06-01"

// Runtime API header names, as the fake sends them with each invocation
// (the first four) and reads them from a function's answers (the rest).
const (
	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMS  = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	HeaderErrorType   = "Lambda-Runtime-Function-Error-Type"
	TrailerErrorType  = "Lambda-Runtime-Function-Error-Type"
	TrailerErrorBody  = "Lambda-Runtime-Function-Error-Body"
)

// DefaultFunctionARN is the Lambda-Runtime-Invoked-Function-Arn sent when
// [InvokeOptions.FunctionARN] is empty.
const DefaultFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:test"

// DefaultDeadline is how long a function has for an invocation when
// [InvokeOptions.Deadline] is zero.
const DefaultDeadline = 30 * time.Second

// ErrClosed is returned by [RuntimeAPI.Invoke] and [RuntimeAPI.InvokeStream]
// after [RuntimeAPI.Close].
var ErrClosed = errors.New("lambdatest: runtime API closed")

// RuntimeAPI is a fake AWS Lambda Runtime API server. It speaks the
// documented Runtime API (version 2018-06-01) the way aws-lambda-go's
// runtime client uses it: a function process started with
// AWS_LAMBDA_RUNTIME_API set to [RuntimeAPI.Addr] polls
// /2018-06-01/runtime/invocation/next, and answers each invocation with
// /invocation/{id}/response (buffered, or streamed with chunked encoding
// and error trailers) or /invocation/{id}/error; /runtime/init/error
// records initialization failures ([RuntimeAPI.InitErrors]).
//
// A test queues invocations with [RuntimeAPI.Invoke] (waits for the whole
// answer) or [RuntimeAPI.InvokeStream] (returns as soon as the answer
// starts, so the test can watch a streamed body arrive chunk by chunk).
// Invocations are served one at a time, in order, to whichever process
// polls. [StartFunction] runs a built binary against a new RuntimeAPI.
//
// Create one with [NewRuntimeAPI]; the zero value is not usable.
type RuntimeAPI struct {
	ln      net.Listener
	srv     *http.Server
	queue   chan *invocation
	closed  chan struct{}
	once    sync.Once
	mu      sync.Mutex
	pending map[string]*invocation
	seq     int
	initErr []FunctionError
}

// NewRuntimeAPI starts a fake Runtime API on a free port of 127.0.0.1.
// Like httptest.NewServer it panics if it cannot listen. The caller must
// Close it.
func NewRuntimeAPI() *RuntimeAPI {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("lambdatest: listen on a free port: " + err.Error())
	}
	s := &RuntimeAPI{
		ln:      ln,
		queue:   make(chan *invocation),
		closed:  make(chan struct{}),
		pending: map[string]*invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+APIVersion+"/runtime/invocation/next", s.next)
	mux.HandleFunc("POST /"+APIVersion+"/runtime/invocation/{id}/response", s.response)
	mux.HandleFunc("POST /"+APIVersion+"/runtime/invocation/{id}/error", s.error)
	mux.HandleFunc("POST /"+APIVersion+"/runtime/init/error", s.initError)
	s.srv = &http.Server{Handler: mux}
	go s.srv.Serve(ln)
	return s
}

// Addr returns the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (s *RuntimeAPI) Addr() string { return s.ln.Addr().String() }

// Close stops the fake; pending and later Invoke calls return ErrClosed.
func (s *RuntimeAPI) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.srv.Close()
}

// FunctionError is the error document a function posts to /error or
// /init/error.
type FunctionError struct {
	// Type is the Lambda-Runtime-Function-Error-Type header, or the
	// document's errorType.
	Type string
	// Message is the document's errorMessage.
	Message string
	// Body is the document as posted.
	Body []byte
}

// InvokeOptions describes one invocation.
type InvokeOptions struct {
	// Deadline is how long the function has, sent as
	// Lambda-Runtime-Deadline-Ms; 0 means DefaultDeadline.
	Deadline time.Duration
	// FunctionARN is sent as Lambda-Runtime-Invoked-Function-Arn; ""
	// means DefaultFunctionARN.
	FunctionARN string
	// TraceID is sent as Lambda-Runtime-Trace-Id; "" sends none.
	TraceID string
}

// Result is the function's whole answer to one invocation.
type Result struct {
	// RequestID is the invocation's AWS request ID.
	RequestID string
	// ContentType is the Content-Type of the posted response.
	ContentType string
	// Payload is the posted response body (for a streamed response, all
	// of it).
	Payload []byte
	// Chunks counts the reads in which the body arrived.
	Chunks int
	// Error is set when the function posted to /error, or when a
	// streamed response ended with error trailers.
	Error *FunctionError
}

// Stream is an answer that has started to arrive.
type Stream struct {
	// RequestID is the invocation's AWS request ID.
	RequestID string
	// ContentType is the Content-Type of the response.
	ContentType string
	// Body yields the response body as the function sends it. After it
	// returns io.EOF, Trailer holds the trailers.
	Body io.Reader
	// Error is set instead of Body when the function posted to /error.
	Error *FunctionError

	done    chan struct{}
	trailer http.Header
}

// Trailer returns the response's trailers; it waits until Body is done.
func (st *Stream) Trailer() http.Header {
	if st.done != nil {
		<-st.done
	}
	return st.trailer
}

type invocation struct {
	id      string
	payload []byte
	opts    InvokeOptions
	started chan *Stream // receives one Stream when the answer starts
}

// Invoke queues payload as an invocation and waits for the whole answer.
func (s *RuntimeAPI) Invoke(ctx context.Context, payload []byte, opts InvokeOptions) (*Result, error) {
	st, err := s.InvokeStream(ctx, payload, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{RequestID: st.RequestID, ContentType: st.ContentType, Error: st.Error}
	if st.Error != nil {
		return res, nil
	}
	var buf bytes.Buffer
	p := make([]byte, 64<<10)
	for {
		n, err := st.Body.Read(p)
		if n > 0 {
			res.Chunks++
			buf.Write(p[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	res.Payload = buf.Bytes()
	if tr := st.Trailer(); tr.Get(TrailerErrorType) != "" {
		res.Error = &FunctionError{Type: tr.Get(TrailerErrorType), Body: []byte(tr.Get(TrailerErrorBody))}
	}
	return res, nil
}

// InvokeStream queues payload as an invocation and returns as soon as the
// function starts answering, or ctx is done.
func (s *RuntimeAPI) InvokeStream(ctx context.Context, payload []byte, opts InvokeOptions) (*Stream, error) {
	s.mu.Lock()
	s.seq++
	inv := &invocation{
		id:      "inv-" + strconv.Itoa(s.seq) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		payload: payload,
		opts:    opts,
		started: make(chan *Stream, 1),
	}
	s.pending[inv.id] = inv
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, inv.id)
		s.mu.Unlock()
	}()
	select {
	case s.queue <- inv:
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: no function polled for the invocation: %w", ctx.Err())
	case <-s.closed:
		return nil, ErrClosed
	}
	select {
	case st := <-inv.started:
		return st, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdatest: the function did not answer invocation %s: %w", inv.id, ctx.Err())
	case <-s.closed:
		return nil, ErrClosed
	}
}

// InitErrors returns the errors posted to /runtime/init/error.
func (s *RuntimeAPI) InitErrors() []FunctionError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]FunctionError(nil), s.initErr...)
}

func (s *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-s.queue:
		d := inv.opts.Deadline
		if d <= 0 {
			d = DefaultDeadline
		}
		h := w.Header()
		h.Set(HeaderRequestID, inv.id)
		h.Set(HeaderDeadlineMS, strconv.FormatInt(time.Now().Add(d).UnixMilli(), 10))
		arn := inv.opts.FunctionARN
		if arn == "" {
			arn = DefaultFunctionARN
		}
		h.Set(HeaderFunctionARN, arn)
		if inv.opts.TraceID != "" {
			h.Set(HeaderTraceID, inv.opts.TraceID)
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-r.Context().Done():
	case <-s.closed:
		http.Error(w, "server closed", http.StatusInternalServerError)
	}
}

func (s *RuntimeAPI) lookup(w http.ResponseWriter, r *http.Request) *invocation {
	s.mu.Lock()
	inv := s.pending[r.PathValue("id")]
	if inv != nil {
		delete(s.pending, inv.id) // an invocation is answered once
	}
	s.mu.Unlock()
	if inv == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errorMessage":"unknown or already answered request ID %q","errorType":"InvalidRequestID"}`, r.PathValue("id"))
	}
	return inv
}

func (s *RuntimeAPI) response(w http.ResponseWriter, r *http.Request) {
	inv := s.lookup(w, r)
	if inv == nil {
		return
	}
	pr, pw := io.Pipe()
	st := &Stream{RequestID: inv.id, ContentType: r.Header.Get("Content-Type"), Body: pr, done: make(chan struct{})}
	inv.started <- st
	// Pass the body on read by read, so the test sees each chunk as the
	// function flushes it.
	p := make([]byte, 64<<10)
	var err error
	for {
		var n int
		n, err = r.Body.Read(p)
		if n > 0 {
			if _, werr := pw.Write(p[:n]); werr != nil {
				err = werr
				break
			}
		}
		if err != nil {
			break
		}
	}
	st.trailer = r.Trailer
	close(st.done)
	if err == io.EOF {
		pw.Close()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
		return
	}
	pw.CloseWithError(err)
	http.Error(w, "reading the response: "+err.Error(), http.StatusBadRequest)
}

func readFunctionError(r *http.Request) FunctionError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	fe := FunctionError{Type: r.Header.Get(HeaderErrorType), Body: body}
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) == nil {
		fe.Message = doc.Message
		if fe.Type == "" {
			fe.Type = doc.Type
		}
	}
	return fe
}

func (s *RuntimeAPI) error(w http.ResponseWriter, r *http.Request) {
	inv := s.lookup(w, r)
	if inv == nil {
		return
	}
	fe := readFunctionError(r)
	inv.started <- &Stream{RequestID: inv.id, ContentType: r.Header.Get("Content-Type"), Error: &fe}
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

func (s *RuntimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	s.mu.Lock()
	s.initErr = append(s.initErr, fe)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// String describes the fake for logs: "lambdatest.RuntimeAPI(127.0.0.1:PORT)".
func (s *RuntimeAPI) String() string {
	return "lambdatest.RuntimeAPI(" + strings.TrimPrefix(s.Addr(), "tcp://") + ")"
}
