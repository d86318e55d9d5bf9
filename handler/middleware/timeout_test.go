package middleware

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
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
		ctx := handler.WithLogger(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
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
