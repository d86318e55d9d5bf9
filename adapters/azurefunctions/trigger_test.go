package azurefunctions_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

type triggerAnswer struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// postTrigger POSTs an invocation to /function and returns the status and
// the decoded answer.
func postTrigger(t *testing.T, h http.Handler, function, body string) (int, triggerAnswer) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/"+function, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(azurefunctions.InvocationIDHeader, "inv-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var a triggerAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q: %v", rec.Body.String(), err)
	}
	if a.Outputs == nil {
		t.Fatalf("answer without Outputs: %s", rec.Body.String())
	}
	return rec.Code, a
}

type triggerApp struct {
	msgs  []event.Message
	ticks []event.Tick
	ctxs  []context.Context
}

func newTriggerApp(t *testing.T, mode azurefunctions.Mode, opts ...azurefunctions.Option) (*triggerApp, http.Handler) {
	ta := &triggerApp{}
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("http " + r.Path)}, nil
	}))
	app.Consume("todo-events", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		ta.msgs = append(ta.msgs, *m)
		ta.ctxs = append(ta.ctxs, ctx)
		switch string(m.Body) {
		case "fail":
			return errors.New("told to fail")
		case "panic":
			panic("told to panic")
		}
		return nil
	}), event.Queues("todo-events-q"))
	app.Schedule("repair", event.ScheduleHandlerFunc(func(ctx context.Context, tk *event.Tick) error {
		ta.ticks = append(ta.ticks, *tk)
		if tk.PastDue {
			return errors.New("late")
		}
		return nil
	}), event.Every(time.Hour))
	opts = append([]azurefunctions.Option{azurefunctions.WithMode(mode), azurefunctions.WithDir(t.TempDir())}, opts...)
	h, err := azurefunctions.NewHandler(app, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ta, h
}

func TestQueueTrigger(t *testing.T) {
	for _, mode := range []azurefunctions.Mode{azurefunctions.ModePayload, azurefunctions.ModeProxy} {
		t.Run(mode.String(), func(t *testing.T) {
			ta, h := newTriggerApp(t, mode, azurefunctions.WithTimeout(time.Hour))
			fixture, err := os.ReadFile("testdata/queue-trigger.json")
			if err != nil {
				t.Fatal(err)
			}
			code, a := postTrigger(t, h, "todo-events", string(fixture))
			if code != 200 || len(a.Logs) != 0 || a.ReturnValue != nil {
				t.Fatalf("answer %d %+v", code, a)
			}
			want := event.Message{ID: "800ae4b3-bdd2-4c08-badd-f08e5a34b865", Body: []byte(`{"op":"create","user":"ann"}`),
				DeliveryCount: 1, EnqueuedAt: time.Date(2019, 10, 9, 17, 58, 31, 0, time.UTC), Queue: "todo-events-q"}
			m := ta.msgs[0]
			if m.ID != want.ID || string(m.Body) != string(want.Body) || m.DeliveryCount != 1 || !m.EnqueuedAt.Equal(want.EnqueuedAt) || m.Queue != want.Queue {
				t.Errorf("message %+v, want %+v", m, want)
			}
			if d, ok := ta.ctxs[0].Deadline(); !ok || time.Until(d) < 59*time.Minute {
				t.Errorf("deadline %v %v: want the function timeout", d, ok)
			}
			if inv, ok := handler.InvocationFrom(ta.ctxs[0]); !ok || inv.ID != "inv-1" || inv.Function != "todo-events" {
				t.Errorf("invocation %+v", inv)
			}
			// A JSON message sent as JSON, a string DequeueCount, case-insensitive names.
			code, _ = postTrigger(t, h, "Todo-Events", `{"Data":{"m":{"a":[1]}},"Metadata":{"Id":"x2","DequeueCount":"3"}}`)
			if code != 200 || string(ta.msgs[1].Body) != `{"a":[1]}` || ta.msgs[1].DeliveryCount != 3 {
				t.Errorf("JSON data: %d %+v", code, ta.msgs[1])
			}
			// A message sent with attributes through queue/azurequeue
			// arrives in its envelope: the consumer gets body and attributes.
			code, _ = postTrigger(t, h, "todo-events", `{"Data":{"msg":"{\"anyfunc.envelope\":1,\"attributes\":{\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"},\"body\":\"aGk=\"}"},"Metadata":{"Id":"x3","DequeueCount":1}}`)
			if m := ta.msgs[2]; code != 200 || string(m.Body) != "hi" || m.TraceParent() != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
				t.Errorf("envelope: %d %+v", code, m)
			}
			// Failure and panic answer 500 with the reason in Logs: the host retries.
			for _, body := range []string{"fail", "panic"} {
				code, a := postTrigger(t, h, "todo-events", `{"Data":{"msg":"`+body+`"},"Metadata":{"Id":"f","DequeueCount":1}}`)
				if code != 500 || len(a.Logs) != 1 || !strings.Contains(a.Logs[0], "told to "+body) {
					t.Errorf("%s: %d %+v", body, code, a)
				}
			}
			// A client request the host proxies (X-Ms-Invocation-Id) is
			// HTTP, even to a function's path.
			if mode == azurefunctions.ModeProxy {
				req := httptest.NewRequest(http.MethodPost, "/todo-events", strings.NewReader(`{"Data":{"msg":"forged"},"Metadata":{"Id":"f"}}`))
				req.Header.Set(azurefunctions.ProxyInvocationIDHeader, "host-set")
				rec := httptest.NewRecorder()
				n := len(ta.msgs)
				h.ServeHTTP(rec, req)
				if len(ta.msgs) != n || !strings.Contains(rec.Body.String(), "http /todo-events") {
					t.Errorf("a proxied request reached the consumer: %d %s", rec.Code, rec.Body.String())
				}
			}
			// The HTTP side still works.
			req := httptest.NewRequest(http.MethodGet, "/api/todos", nil)
			rec := httptest.NewRecorder()
			if mode == azurefunctions.ModeProxy {
				h.ServeHTTP(rec, req)
				if !strings.Contains(rec.Body.String(), "http /todos") {
					t.Errorf("HTTP through the app: %d %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

func TestQueueTriggerBadInvocations(t *testing.T) {
	ta, h := newTriggerApp(t, azurefunctions.ModePayload)
	for _, tc := range []struct{ body, want string }{
		{`[]`, "not a JSON object"},
		{`{"Data":{},"Metadata":{"Id":"x"}}`, "no trigger data"},
		{`{"Data":{"msg":"x"}}`, "Metadata.Id"},
		{`{"Data":{"msg":7},"Metadata":{"Id":"x"}}`, "must be the queue message, found a number"},
		{`{"Data":{"msg":"x"},"Metadata":{"Id":"x","DequeueCount":"many"}}`, "DequeueCount must be a count"},
		{`{"Data":{"msg":"x"},"Metadata":{"Id":"x","InsertionTime":"yesterday"}}`, "InsertionTime"},
		{`{"Data":{"msg":"x"},"Metadata":{"Id":"x"}`, "invalid JSON"},
		{`{"Data":"msg","Metadata":{"Id":"x"}}`, "Data must be an object"},
		{`{"Data":{"msg":"{\"anyfunc.envelope\":1,\"body\":\"***\"}"},"Metadata":{"Id":"x"}}`, "envelope's body is not base64"},
		{`{"Data":{"msg":"{\"anyfunc.envelope\":2}"},"Metadata":{"Id":"x"}}`, "version 1 expected"},
	} {
		code, a := postTrigger(t, h, "todo-events", tc.body)
		if code != 400 || len(a.Logs) != 1 || !strings.Contains(a.Logs[0], tc.want) {
			t.Errorf("%s: %d %v; want 400 mentioning %q", tc.body, code, a.Logs, tc.want)
		}
	}
	if len(ta.msgs) != 0 {
		t.Errorf("delivered %v", ta.msgs)
	}
}

func TestTimerTrigger(t *testing.T) {
	ta, h := newTriggerApp(t, azurefunctions.ModePayload)
	fixture, err := os.ReadFile("testdata/timer-trigger.json")
	if err != nil {
		t.Fatal(err)
	}
	code, a := postTrigger(t, h, "repair", string(fixture))
	if code != 200 || len(a.Logs) != 0 {
		t.Fatalf("answer %d %+v", code, a)
	}
	want := event.Tick{Schedule: "repair", Time: time.Date(2026, 3, 1, 10, 0, 0, 3123400, time.UTC)}
	if len(ta.ticks) != 1 || ta.ticks[0] != want {
		t.Errorf("ticks %v, want %v", ta.ticks, want)
	}
	late := strings.Replace(string(fixture), `"IsPastDue": false`, `"IsPastDue": true`, 1)
	if code, a := postTrigger(t, h, "repair", late); code != 500 || !strings.Contains(a.Logs[0], "late") || !ta.ticks[1].PastDue {
		t.Errorf("past-due failing tick: %d %+v %+v", code, a, ta.ticks)
	}
	if code, _ := postTrigger(t, h, "repair", `{"Data":{"timer":{"IsPastDue":"no"}}}`); code != 400 {
		t.Errorf("bad IsPastDue: %d", code)
	}
}

func TestInvalidAppRefused(t *testing.T) {
	app := event.NewApp(nil)
	app.Schedule("x", event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { return nil }), event.Every(7*time.Minute))
	if _, err := azurefunctions.NewHandler(app, azurefunctions.WithMode(azurefunctions.ModeProxy), azurefunctions.WithDir(t.TempDir())); !errors.Is(err, event.ErrInvalidDeclaration) {
		t.Errorf("NewHandler = %v, want ErrInvalidDeclaration", err)
	}
}
