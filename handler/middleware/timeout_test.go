package middleware

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

func TestTimeoutAnswers504AndCancelsHandler(t *testing.T) {
	sawErr := make(chan error, 1)
	slow := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		<-ctx.Done()
		sawErr <- ctx.Err()
		return &handler.Response{Body: []byte("late")}, nil
	})
	resp := serve(Timeout(time.Millisecond)(slow), &handler.Request{})
	wantStatus(t, resp, http.StatusGatewayTimeout)
	if !bytes.Contains(resp.Body, []byte(`"code":"timeout"`)) || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("response = %v %s", resp.Header, resp.Body)
	}
	if err := <-sawErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("handler context error = %v, want DeadlineExceeded", err)
	}
}

func TestTimeoutPassesFastHandler(t *testing.T) {
	next := &ok{}
	resp := serve(Timeout(time.Hour)(next), &handler.Request{})
	wantStatus(t, resp, http.StatusOK)
	if string(resp.Body) != "ok" {
		t.Errorf("body = %q", resp.Body)
	}
}

func TestTimeoutKeepsHandlerErrorsAndPanics(t *testing.T) {
	notFound := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return nil, handler.NewError(http.StatusNotFound, "", "no")
	})
	wantStatus(t, serve(Timeout(time.Hour)(notFound), &handler.Request{}), http.StatusNotFound)

	boom := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		panic("boom")
	})
	wantStatus(t, serve(Timeout(time.Hour)(boom), &handler.Request{}), http.StatusInternalServerError)
}

func TestTimeoutParentCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	blocked := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	})
	_, err := Timeout(time.Hour)(blocked).ServeRequest(ctx, &handler.Request{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want Canceled", err)
	}
}
