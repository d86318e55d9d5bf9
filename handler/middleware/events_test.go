package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware"
)

func eventLogLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogMessages(t *testing.T) {
	var buf bytes.Buffer
	h := event.ChainMessages(event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		handler.Logger(ctx).Info("working", "token", "s3cret")
		if string(m.Body) == "fail" {
			return errors.New("nope")
		}
		if string(m.Body) == "panic" {
			panic("boom")
		}
		return nil
	}), middleware.LogMessages(middleware.LogTo(&buf)))
	ctx := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: "aws-lambda", ID: "inv-1"})
	tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	_ = event.Deliver(ctx, h, &event.Message{ID: "m1", Queue: "arn:aws:sqs:r:1:q", Body: []byte("ok"), DeliveryCount: 1, Attributes: map[string]string{"traceparent": tp}})
	_ = event.Deliver(ctx, h, &event.Message{ID: "m2", Queue: "q", Body: []byte("fail"), DeliveryCount: 2})
	_ = event.Deliver(ctx, h, &event.Message{ID: "m3", Queue: "q", Body: []byte("panic")})
	lines := eventLogLines(t, &buf)
	if len(lines) != 6 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	w := lines[0]
	if w["message"] != "working" || w["messageId"] != "m1" || w["requestId"] != "inv-1" || w["traceId"] != "0af7651916cd43dd8448eb211c80319c" || w["token"] != "[REDACTED]" {
		t.Errorf("handler's line %v", w)
	}
	ok := lines[1]
	if ok["message"] != "message" || ok["outcome"] != "ok" || ok["level"] != "INFO" || ok["deliveryCount"] != 1.0 || ok["queue"] != "arn:aws:sqs:r:1:q" {
		t.Errorf("outcome line %v", ok)
	}
	if f := lines[3]; f["outcome"] != "failed" || f["error"] != "nope" || f["level"] != "WARN" || f["messageId"] != "m2" {
		t.Errorf("failure line %v", f)
	}
	if p := lines[5]; p["outcome"] != "failed" || p["messageId"] != "m3" {
		t.Errorf("panic line %v", p)
	}
}

func TestLogTicks(t *testing.T) {
	var buf bytes.Buffer
	h := event.ChainTicks(event.ScheduleHandlerFunc(func(ctx context.Context, tk *event.Tick) error {
		if tk.PastDue {
			return errors.New("late")
		}
		return nil
	}), middleware.LogTicks(middleware.LogTo(&buf), middleware.WithLogFormat(middleware.LogGCP)))
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	_ = h.HandleTick(context.Background(), &event.Tick{Schedule: "repair", Time: at})
	_ = h.HandleTick(context.Background(), &event.Tick{Schedule: "repair", Time: at, PastDue: true})
	lines := eventLogLines(t, &buf)
	if len(lines) != 2 || lines[0]["severity"] != "INFO" || lines[0]["schedule"] != "repair" || lines[0]["scheduledTime"] != "2026-01-01T10:00:00Z" ||
		lines[1]["severity"] != "ERROR" || lines[1]["error"] != "late" || lines[1]["pastDue"] != true {
		t.Errorf("lines %v", lines)
	}
}
