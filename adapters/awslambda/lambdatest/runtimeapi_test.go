package lambdatest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
)

func newServer(t *testing.T) *lambdatest.RuntimeAPI {
	t.Helper()
	s := lambdatest.NewRuntimeAPI()
	t.Cleanup(func() { s.Close() })
	return s
}

func base(s *lambdatest.RuntimeAPI) string {
	return "http://" + s.Addr() + "/" + lambdatest.APIVersion + "/runtime/"
}

// next polls for an invocation as a function's runtime client does.
func next(t *testing.T, s *lambdatest.RuntimeAPI) (id string, payload []byte, h http.Header) {
	t.Helper()
	resp, err := http.Get(base(s) + "invocation/next")
	if err != nil {
		t.Error(err)
		return "", nil, nil
	}
	defer resp.Body.Close()
	payload, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("next: status %d", resp.StatusCode)
	}
	return resp.Header.Get(lambdatest.HeaderRequestID), payload, resp.Header
}

func post(t *testing.T, url, contentType string, body io.Reader, trailer http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", contentType)
	req.Trailer = trailer
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestBufferedResponse(t *testing.T) {
	s := newServer(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		id, payload, h := next(t, s)
		ms, err := strconv.ParseInt(h.Get(lambdatest.HeaderDeadlineMS), 10, 64)
		if err != nil || time.UnixMilli(ms).Before(time.Now()) {
			t.Errorf("deadline header %q", h.Get(lambdatest.HeaderDeadlineMS))
		}
		if h.Get(lambdatest.HeaderTraceID) != "Root=1-abc" {
			t.Errorf("trace header %q", h.Get(lambdatest.HeaderTraceID))
		}
		if code := post(t, base(s)+"invocation/"+id+"/response", "application/json", strings.NewReader(`{"echo":`+string(payload)+`}`), nil); code != http.StatusAccepted {
			t.Errorf("response: status %d", code)
		}
		// A second answer to the same invocation is refused.
		if code := post(t, base(s)+"invocation/"+id+"/response", "application/json", strings.NewReader(`{}`), nil); code != http.StatusBadRequest {
			t.Errorf("second response: status %d, want 400", code)
		}
	}()
	res, err := s.Invoke(context.Background(), []byte(`{"n":1}`), lambdatest.InvokeOptions{TraceID: "Root=1-abc"})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if string(res.Payload) != `{"echo":{"n":1}}` || res.ContentType != "application/json" || res.Error != nil {
		t.Errorf("result = %+v, payload %s", res, res.Payload)
	}
}

func TestErrorResponse(t *testing.T) {
	s := newServer(t)
	posted := make(chan struct{})
	defer func() { <-posted }()
	go func() {
		defer close(posted)
		id, _, _ := next(t, s)
		req, _ := http.NewRequest(http.MethodPost, base(s)+"invocation/"+id+"/error",
			strings.NewReader(`{"errorMessage":"boom","errorType":"errorString"}`))
		req.Header.Set(lambdatest.HeaderErrorType, "errorString")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusAccepted {
			t.Errorf("error post: %v %v", resp, err)
		}
	}()
	res, err := s.Invoke(context.Background(), []byte(`{}`), lambdatest.InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.Type != "errorString" || res.Error.Message != "boom" {
		t.Errorf("error = %+v", res.Error)
	}
}

// TestStreamedResponse checks that each chunk reaches the test before the
// function sends the next one, and that error trailers are kept.
func TestStreamedResponse(t *testing.T) {
	s := newServer(t)
	pr, pw := io.Pipe()
	sent := make(chan struct{})
	posted := make(chan struct{})
	defer func() { <-posted }()
	go func() {
		defer close(posted)
		id, _, _ := next(t, s)
		trailer := http.Header{lambdatest.TrailerErrorType: nil, lambdatest.TrailerErrorBody: nil}
		go func() {
			pw.Write([]byte("first"))
			<-sent // the test has read "first"
			pw.Write([]byte("second"))
			trailer.Set(lambdatest.TrailerErrorType, "Runtime.StreamError")
			trailer.Set(lambdatest.TrailerErrorBody, "eyJ4IjoxfQ==")
			pw.Close()
		}()
		post(t, base(s)+"invocation/"+id+"/response", "application/vnd.awslambda.http-integration-response", pr, trailer)
	}()
	st, err := s.InvokeStream(context.Background(), []byte(`{}`), lambdatest.InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 64)
	n, err := io.ReadAtLeast(st.Body, p, len("first"))
	if err != nil || string(p[:n]) != "first" {
		t.Fatalf("first read = %q, %v", p[:n], err)
	}
	close(sent)
	rest, err := io.ReadAll(st.Body)
	if err != nil || string(rest) != "second" {
		t.Fatalf("rest = %q, %v", rest, err)
	}
	if got := st.Trailer().Get(lambdatest.TrailerErrorType); got != "Runtime.StreamError" {
		t.Errorf("trailer error type = %q", got)
	}
	if st.ContentType != "application/vnd.awslambda.http-integration-response" {
		t.Errorf("content type = %q", st.ContentType)
	}
}

func TestInitErrorAndUnknownID(t *testing.T) {
	s := newServer(t)
	if code := post(t, base(s)+"init/error", "application/json", strings.NewReader(`{"errorMessage":"no config","errorType":"InitError"}`), nil); code != http.StatusAccepted {
		t.Fatalf("init/error: %d", code)
	}
	if got := s.InitErrors(); len(got) != 1 || got[0].Message != "no config" || got[0].Type != "InitError" {
		t.Errorf("InitErrors = %+v", got)
	}
	if code := post(t, base(s)+"invocation/nope/response", "application/json", strings.NewReader(`{}`), nil); code != http.StatusBadRequest {
		t.Errorf("unknown ID: %d, want 400", code)
	}
}

func TestInvokeWithoutFunction(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Invoke(ctx, []byte(`{}`), lambdatest.InvokeOptions{}); err == nil {
		t.Fatal("Invoke without a polling function succeeded")
	}
	s.Close()
	if _, err := s.Invoke(context.Background(), []byte(`{}`), lambdatest.InvokeOptions{}); err != lambdatest.ErrClosed {
		t.Fatalf("Invoke after Close = %v, want ErrClosed", err)
	}
}

// A function process would be started with AWS_LAMBDA_RUNTIME_API set to
// the fake's Addr; here a goroutine plays its runtime client.
func ExampleRuntimeAPI() {
	s := lambdatest.NewRuntimeAPI()
	defer s.Close()
	// A function process would be started with AWS_LAMBDA_RUNTIME_API=s.Addr();
	// here a goroutine plays its runtime client.
	go func() {
		api := "http://" + s.Addr() + "/2018-06-01/runtime/invocation/"
		resp, err := http.Get(api + "next")
		if err != nil {
			return
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		answer := strings.NewReader(`{"got":` + string(event) + `}`)
		if resp, err := http.Post(api+id+"/response", "application/json", answer); err == nil {
			resp.Body.Close()
		}
	}()
	res, err := s.Invoke(context.Background(), []byte(`"hello"`), lambdatest.InvokeOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(res.Payload))
	// Output: {"got":"hello"}
}
