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
	var logs bytes.Buffer
	ctx := handler.WithLogger(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
	res := handlertest.ServeContext(ctx, Timeout(time.Hour)(boom), &handler.Request{Header: http.Header{}})
	wantStatus(t, res, http.StatusInternalServerError)
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "timeout_test.go") {
		t.Errorf("the panic log lacks the value or the handler's stack:\n%s", logs.String())
	}
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
