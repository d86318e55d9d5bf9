package gcpfunctions_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware/jwtauth"
)

type gcpApp struct {
	msgs  []event.Message
	ticks []event.Tick
}

func newGCPApp(t *testing.T, opts ...gcpfunctions.Option) (*gcpApp, http.Handler) {
	ga := &gcpApp{}
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("http " + r.Method + " " + r.Path)}, nil
	}))
	app.Consume("todo-events", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		ga.msgs = append(ga.msgs, *m)
		switch string(m.Body) {
		case "fail":
			return errors.New("secret internal detail")
		case "panic":
			panic("told to panic")
		}
		return nil
	}))
	app.Schedule("repair", event.ScheduleHandlerFunc(func(ctx context.Context, tk *event.Tick) error {
		ga.ticks = append(ga.ticks, *tk)
		return nil
	}), event.Every(time.Hour))
	h, err := gcpfunctions.NewHandler(app, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ga, h
}

// pushBody is the documented body of a push request and of the data of an
// Eventarc messagePublished CloudEvent.
func pushBody(id, data string, extra string) string {
	return `{"message":{"attributes":{"kind":"create","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},"data":"` +
		base64.StdEncoding.EncodeToString([]byte(data)) + `","messageId":"` + id + `","message_id":"` + id +
		`","publishTime":"2026-03-01T10:00:00.123Z","publish_time":"2026-03-01T10:00:00.123Z"},"subscription":"projects/my-project/subscriptions/todo-events-push"` + extra + `}`
}

func do(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func binaryEvent(typ, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Type", typ)
	req.Header.Set("Ce-Source", "//pubsub.googleapis.com/projects/my-project/topics/todo-events")
	req.Header.Set("Ce-Id", "1234567890")
	req.Header.Set("Ce-Time", "2026-03-01T10:00:00.123Z")
	return req
}

func TestPubSubCloudEvent(t *testing.T) {
	ga, h := newGCPApp(t)
	rec := do(h, binaryEvent(gcpfunctions.PubSubEventType, pushBody("m-1", `{"op":"create"}`, "")))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("binary CloudEvent: %d %s", rec.Code, rec.Body.String())
	}
	m := ga.msgs[0]
	if m.ID != "m-1" || string(m.Body) != `{"op":"create"}` || m.Queue != "projects/my-project/topics/todo-events" ||
		!m.EnqueuedAt.Equal(time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC)) || m.Attributes["kind"] != "create" ||
		m.TraceParent() != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Errorf("message %+v", m)
	}
	// Structured mode.
	structured := `{"specversion":"1.0","type":"` + gcpfunctions.PubSubEventType + `","source":"//pubsub.googleapis.com/projects/my-project/topics/todo-events","id":"9","data":` + pushBody("m-2", "x", "") + `}`
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(structured))
	req.Header.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	if rec := do(h, req); rec.Code != http.StatusNoContent || len(ga.msgs) != 2 || ga.msgs[1].ID != "m-2" {
		t.Errorf("structured CloudEvent: %d %s", rec.Code, rec.Body.String())
	}
	// A CloudEvent of another type is refused with a 4xx naming the type.
	rec = do(h, binaryEvent("google.cloud.storage.object.v1.finalized", `{"bucket":"b"}`))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "google.cloud.storage.object.v1.finalized") {
		t.Errorf("wrong type: %d %s", rec.Code, rec.Body.String())
	}
	// A failure is a non-2xx, so Pub/Sub redelivers; the error text stays inside.
	for _, body := range []string{"fail", "panic"} {
		rec = do(h, binaryEvent(gcpfunctions.PubSubEventType, pushBody("m-"+body, body, "")))
		if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "told to") {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body.String())
		}
	}
	// Malformed events are 400, and reach no consumer.
	n := len(ga.msgs)
	for _, body := range []string{`{`, `[]`, `{"message":{"data":"***","messageId":"x"}}`, `{"message":{"data":"eA=="}}`, `{"message":{"messageId":"x","publishTime":"noon"}}`, `{"message":{"messageId":"x","attributes":{"a":1}}}`} {
		rec = do(h, binaryEvent(gcpfunctions.PubSubEventType, body))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Header().Get("Content-Type"), "problem+json") {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body.String())
		}
	}
	if len(ga.msgs) != n {
		t.Errorf("a malformed event reached the consumer")
	}
	// A topic without a consumer.
	req = binaryEvent(gcpfunctions.PubSubEventType, pushBody("m-9", "x", ""))
	req.Header.Set("Ce-Source", "//pubsub.googleapis.com/projects/my-project/topics/other")
	if rec := do(h, req); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "projects/my-project/topics/other") {
		t.Errorf("unknown topic: %d %s", rec.Code, rec.Body.String())
	}
}

func TestPubSubPush(t *testing.T) {
	ga, h := newGCPApp(t)
	req := httptest.NewRequest(http.MethodPost, "/_pubsub/todo-events", strings.NewReader(pushBody("p-1", "hello", `,"deliveryAttempt":3`)))
	req.Header.Set("Content-Type", "application/json")
	if rec := do(h, req); rec.Code != http.StatusNoContent {
		t.Fatalf("push: %d %s", rec.Code, rec.Body.String())
	}
	if m := ga.msgs[0]; m.ID != "p-1" || string(m.Body) != "hello" || m.DeliveryCount != 3 || m.Queue != "projects/my-project/subscriptions/todo-events-push" {
		t.Errorf("message %+v", m)
	}
	// Without a consumer in the path, the subscription's name picks it.
	_, h2 := newGCPApp(t, gcpfunctions.WithPushPath("/push/"))
	req = httptest.NewRequest(http.MethodPost, "/push", strings.NewReader(pushBody("p-2", "x", "")))
	if rec := do(h2, req); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "todo-events-push") {
		t.Errorf("push without a matching subscription: %d %s", rec.Code, rec.Body.String())
	}
	req = httptest.NewRequest(http.MethodPost, "/_pubsub/nobody", strings.NewReader(pushBody("p-3", "x", "")))
	if rec := do(h, req); rec.Code != http.StatusNotFound {
		t.Errorf("unknown consumer: %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodPost, "/_pubsub/todo-events", strings.NewReader(pushBody("p-4", "fail", "")))
	if rec := do(h, req); rec.Code != http.StatusInternalServerError {
		t.Errorf("failing push: %d", rec.Code)
	}
	// Other requests are HTTP.
	if rec := do(h, httptest.NewRequest(http.MethodPost, "/todos", strings.NewReader(`{}`))); rec.Body.String() != "http POST /todos" {
		t.Errorf("HTTP: %d %s", rec.Code, rec.Body.String())
	}
}

func TestCloudScheduler(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)
	secret := []byte("0123456789abcdef0123456789abcdef")
	auth, err := jwtauth.New(jwtauth.WithSecret(string(secret)), jwtauth.WithAudience("https://todo.example.run.app"), jwtauth.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ga, h := newGCPApp(t, gcpfunctions.WithTriggerAuth(auth), gcpfunctions.WithClock(func() time.Time { return now }))
	call := func(token, at string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(""))
		req.Header.Set("X-CloudScheduler", "true")
		req.Header.Set("X-CloudScheduler-JobName", "repair")
		req.Header.Set("X-CloudScheduler-ScheduleTime", at)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return do(h, req)
	}
	sign := func(aud string) string {
		s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, (&jose.SignerOptions{}).WithType("JWT"))
		tok, err := jwt.Signed(s).Claims(map[string]any{"sub": "scheduler@my-project.iam.gserviceaccount.com", "aud": aud, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if rec := call("", "2026-03-01T10:00:00Z"); rec.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", rec.Code)
	}
	if rec := call(sign("https://other.example"), "2026-03-01T10:00:00Z"); rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong audience: %d", rec.Code)
	}
	if len(ga.ticks) != 0 {
		t.Fatalf("an unauthenticated call fired the schedule")
	}
	if rec := call(sign("https://todo.example.run.app"), "2026-03-01T10:00:00Z"); rec.Code != http.StatusNoContent {
		t.Fatalf("authenticated call: %d %s", rec.Code, rec.Body.String())
	}
	if rec := call(sign("https://todo.example.run.app"), "2026-03-01T10:05:00Z"); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}
	want := []event.Tick{{Schedule: "repair", Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), PastDue: true}, {Schedule: "repair", Time: now}}
	if len(ga.ticks) != 2 || ga.ticks[0] != want[0] || ga.ticks[1] != want[1] {
		t.Errorf("ticks %v, want %v", ga.ticks, want)
	}
	if rec := call(sign("https://todo.example.run.app"), "ten"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad schedule time: %d", rec.Code)
	}
	// Auth also guards push and CloudEvents.
	if rec := do(h, binaryEvent(gcpfunctions.PubSubEventType, pushBody("m", "x", ""))); rec.Code != http.StatusUnauthorized || len(ga.msgs) != 0 {
		t.Errorf("unauthenticated CloudEvent: %d", rec.Code)
	}
}

func TestInvalidAppRefused(t *testing.T) {
	app := event.NewApp(nil)
	app.Consume("", event.MessageHandlerFunc(func(context.Context, *event.Message) error { return nil }))
	if _, err := gcpfunctions.NewHandler(app); !errors.Is(err, event.ErrInvalidDeclaration) {
		t.Errorf("NewHandler = %v, want ErrInvalidDeclaration", err)
	}
}
