package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/store"
)

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{store.ErrNotFound, 404, "not_found"},
		{&store.Error{Kind: store.ErrAlreadyExists, Op: "put"}, 409, "already_exists"},
		{fmt.Errorf("saving: %w", &store.Error{Kind: store.ErrRevisionMismatch}), 412, "precondition_failed"},
		{store.ErrTooLarge, 413, "too_large"},
		{store.ErrInvalidArgument, 400, "invalid_argument"},
		{&store.Error{Kind: store.ErrThrottled, RetryAfter: 1500 * time.Millisecond}, 429, "throttled"},
		{store.ErrUnavailable, 503, "unavailable"},
		{store.ErrNotSupported, 501, "not_implemented"},
		// A store call cut short by the deadline is a timeout, whatever the store made of it.
		{&store.Error{Kind: store.ErrUnavailable, Err: context.DeadlineExceeded}, 504, "timeout"},
		{context.Canceled, 503, "canceled"},
		{&queue.BatchError{Errs: []error{nil, &queue.Error{Kind: queue.ErrThrottled, Op: "send"}}}, 429, "throttled"},
		{&queue.Error{Kind: queue.ErrUnavailable, Op: "receive"}, 503, "unavailable"},
		{&queue.BatchError{Errs: []error{&queue.Error{Kind: queue.ErrTooLarge, Op: "send", Msg: "body of 70000 bytes"}}}, 413, "too_large"},
		{&queue.Error{Kind: queue.ErrInvalidArgument, Op: "send"}, 400, "invalid_argument"},
		{&queue.Error{Kind: queue.ErrCanceled, Op: "send", Err: context.DeadlineExceeded}, 504, "timeout"},
		// A missing queue is the server's misconfiguration, not the client's 404.
		{&queue.Error{Kind: queue.ErrNotFound, Op: "send", Msg: "queue jobs"}, 500, "internal"},
		{handler.NewError(418, "", "short and stout"), 418, "i_m_a_teapot"},
		{errors.New("db password=hunter2 leaked"), 500, "internal"},
	}
	for _, c := range cases {
		resp := handler.ErrorResponse(c.err, "req-1")
		var p struct {
			Type, Title, Detail, Code, RequestID string
			Status                               int
		}
		if err := json.Unmarshal(resp.Body, &p); err != nil {
			t.Fatalf("%v: body %s: %v", c.err, resp.Body, err)
		}
		if resp.Status != c.status || p.Status != c.status || p.Code != c.code || p.RequestID != "req-1" ||
			resp.Header.Get("Content-Type") != "application/problem+json" || p.Type != handler.DefaultProblemTypeBase+c.code {
			t.Errorf("%v: %d %s", c.err, resp.Status, resp.Body)
		}
		if strings.Contains(string(resp.Body), "hunter2") {
			t.Errorf("internal error text sent: %s", resp.Body)
		}
	}
	if ra := handler.ErrorResponse(&store.Error{Kind: store.ErrThrottled, RetryAfter: 1500 * time.Millisecond}, "").Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After = %q, want 2 (rounded up)", ra)
	}
}

// TestSetProblemTypeBase checks that the "type" of problem bodies follows
// the configured base URI, and that a relative base is refused.
func TestSetProblemTypeBase(t *testing.T) {
	t.Cleanup(func() { handler.SetProblemTypeBase(handler.DefaultProblemTypeBase) })
	if err := handler.SetProblemTypeBase("/problems/"); err == nil {
		t.Error("a relative base was accepted")
	}
	if err := handler.SetProblemTypeBase("https://api.example.com/problems/"); err != nil {
		t.Fatal(err)
	}
	resp := handler.ErrorResponse(handler.NewError(404, "not_found", "No such todo."), "rid")
	var p struct{ Type string }
	if err := json.Unmarshal(resp.Body, &p); err != nil || p.Type != "https://api.example.com/problems/not_found" {
		t.Errorf("type = %q (%v), want the configured base + code", p.Type, err)
	}
}
