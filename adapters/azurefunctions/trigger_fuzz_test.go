package azurefunctions_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler/event"
)

// FuzzAzureTriggerPayload feeds arbitrary queueTrigger and timerTrigger
// invocations to an app's consumer and schedule: the adapter must never
// panic, answer 200 only after the handler succeeded, 400 for what it
// cannot decode and 500 for a handler failure, always with a well-formed
// {"Outputs","Logs","ReturnValue"} answer, and give the handler a message
// with an ID.
func FuzzAzureTriggerPayload(f *testing.F) {
	for _, p := range []string{"testdata/queue-trigger.json", "testdata/timer-trigger.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, string(b))
		f.Add(true, string(b))
	}
	for _, seed := range []string{
		`{"Data":{"msg":{"a":[1,"\u00e9"]}},"Metadata":{"Id":"x","DequeueCount":"2","InsertionTime":"2026-01-01T00:00:00Z"}}`,
		`{"Data":{"timer":"{\"IsPastDue\":true}"},"Metadata":{"sys":{"UtcNow":"2026-01-01T00:00:00.5Z"}}}`,
		`{"Data":{"msg":"fail"},"Metadata":{"Id":"f"}}`, `{"Data":{"msg":"panic"},"Metadata":{"Id":"p"}}`,
		`{"Data":null}`, `{}`, `null`, ``, `{"Data":{"a":1,"b":2},"Metadata":[]}`,
	} {
		f.Add(false, seed)
		f.Add(true, seed)
	}
	app := event.NewApp(nil)
	app.Consume("q", event.MessageHandlerFunc(func(_ context.Context, m *event.Message) error {
		if m.ID == "" || m.DeliveryCount < 0 {
			panic("the adapter delivered a message without an ID or with a negative count")
		}
		switch string(m.Body) {
		case "fail":
			return context.Canceled
		case "panic":
			panic("fuzz")
		}
		return nil
	}))
	app.Schedule("s", event.ScheduleHandlerFunc(func(_ context.Context, tk *event.Tick) error {
		if tk.Time.IsZero() {
			panic("a tick without a time")
		}
		return nil
	}), event.Every(time.Minute))
	h, err := azurefunctions.NewHandler(app, azurefunctions.WithMode(azurefunctions.ModePayload), azurefunctions.WithDir(f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, timer bool, env string) {
		fn := "/q"
		if timer {
			fn = "/s"
		}
		req := httptest.NewRequest(http.MethodPost, fn, strings.NewReader(env))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var a struct {
			Outputs     map[string]any
			Logs        []string
			ReturnValue any
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a.Outputs == nil {
			t.Fatalf("answer is not well formed: %v: %q", err, rec.Body.String())
		}
		switch rec.Code {
		case 200:
			if len(a.Logs) != 0 {
				t.Fatalf("success with logs %v", a.Logs)
			}
		case 400, 500:
			if len(a.Logs) != 1 {
				t.Fatalf("failure %d without its reason: %v", rec.Code, a.Logs)
			}
			if strings.Contains(a.Logs[0], "adapter delivered") || strings.Contains(a.Logs[0], "without a time") {
				t.Fatal(a.Logs[0])
			}
		default:
			t.Fatalf("HTTP %d", rec.Code)
		}
	})
}
