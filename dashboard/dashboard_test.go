package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// app is a router whose handlers take d of the clock and fail as asked.
func app(clock *fakeClock) handler.Handler {
	r := handler.NewRouter()
	r.HandleFunc("GET /todos", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		clock.add(10 * time.Millisecond)
		switch req.Query().Get("fail") {
		case "500":
			return nil, errors.New("boom: internal detail")
		case "429":
			return nil, handler.NewError(http.StatusTooManyRequests, "rate_limited", "slow down")
		case "panic":
			panic("handler panic")
		}
		return &handler.Response{}, nil
	})
	r.HandleFunc("POST /todos/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		clock.add(200 * time.Millisecond)
		return &handler.Response{Status: http.StatusCreated}, nil
	})
	return r
}

func newDashboard(t *testing.T, clock *fakeClock, opts ...dashboard.Option) *dashboard.Dashboard {
	t.Helper()
	d, err := dashboard.New("test API", append([]dashboard.Option{dashboard.WithClock(clock.now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func panelOf(t *testing.T, s *dashboard.Snapshot, name string) dashboard.Panel {
	t.Helper()
	for _, p := range s.Panels {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no panel %q in %+v", name, s.Panels)
	return dashboard.Panel{}
}

func TestRecordsRequests(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)}
	d := newDashboard(t, clock)
	h := d.Middleware()(app(clock))
	var failedIDs []string
	for i := 0; i < 20; i++ {
		target := "/todos"
		switch i {
		case 3, 9:
			target += "?fail=500"
		case 15:
			target += "?fail=panic"
		case 5, 6, 7:
			target += "?fail=429"
		}
		res := handlertest.Serve(h, handlertest.NewRequest("GET", target, nil))
		if res.Status >= 500 {
			p, err := res.Problem()
			if err != nil {
				t.Fatal(err)
			}
			failedIDs = append(failedIDs, p.RequestID)
		}
	}
	for i := 0; i < 4; i++ {
		handlertest.Serve(h, handlertest.NewRequest("POST", "/todos/x", nil))
	}
	handlertest.Serve(h, handlertest.NewRequest("GET", "/nowhere", nil))
	clock.add(time.Minute)

	s, err := d.Snapshot(15 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if s.App != "test API" || s.Window != "15m" || len(s.Chart) != 15 {
		t.Errorf("header: app %q window %q, %d chart points", s.App, s.Window, len(s.Chart))
	}
	if s.Totals.Count != 25 || s.Totals.Errors != 3 || s.Totals.ErrorRate != 12 || s.Totals.Severity != "critical" {
		t.Errorf("totals %+v, want 25 requests, 3 errors, 12%%, critical", s.Totals)
	}
	get := panelOf(t, s, "GET /todos")
	if get.Count != 20 || get.Errors != 3 || get.Kind != "route" {
		t.Errorf("GET /todos: %+v", get)
	}
	// 10 ms lies in the bucket [8192 µs, 12288 µs); p50 and p95 are
	// that bucket's upper bound.
	if get.P50Ms != 12.288 || get.P95Ms != 12.288 || get.AvgMs != 10 {
		t.Errorf("GET /todos latency: avg %v p50 %v p95 %v", get.AvgMs, get.P50Ms, get.P95Ms)
	}
	if len(get.Histogram) != 1 || get.Histogram[0].Count != 20 || get.Histogram[0].UpToMs != 12.288 {
		t.Errorf("GET /todos histogram %+v, want 20 under 12.288 ms", get.Histogram)
	}
	post := panelOf(t, s, "POST /todos/{id}")
	if post.Count != 4 || post.Errors != 0 || post.P95Ms != 262.144 {
		t.Errorf("POST /todos/{id}: %+v", post)
	}
	if p := panelOf(t, s, "(unmatched)"); p.Count != 1 {
		t.Errorf("(unmatched): %+v", p)
	}
	if s.MemoryBytes == 0 || get.MemoryBytes != s.MemoryBytes {
		t.Errorf("memory %d, panel %d", s.MemoryBytes, get.MemoryBytes)
	}
	var points uint64
	for _, p := range s.Chart {
		points += p.Count
	}
	if last := s.Chart[len(s.Chart)-2]; points != 25 || last.Count != 25 {
		t.Errorf("chart: %d requests in all, %d in the minute before the last, want 25", points, last.Count)
	}
	var ids []string
	bursts := 0
	for _, e := range s.Events {
		switch e.Kind {
		case dashboard.EventServerError:
			ids = append([]string{e.RequestID}, ids...)
			if e.Source != "GET /todos" || e.Status != 500 {
				t.Errorf("event %+v", e)
			}
		case dashboard.EventRateLimited:
			bursts++
			if e.Count != 3 {
				t.Errorf("burst of %d 429s, want 3", e.Count)
			}
		}
	}
	if strings.Join(ids, ",") != strings.Join(failedIDs, ",") || bursts != 1 {
		t.Errorf("5xx events name %v, want %v; %d bursts", ids, failedIDs, bursts)
	}
	if len(s.Alerts) == 0 || s.Alerts[0].Severity != "critical" || !strings.Contains(s.Alerts[0].Message, "12.00%") {
		t.Errorf("alerts %+v", s.Alerts)
	}

	// An hour later the 15-minute window is empty; the day still counts.
	clock.add(time.Hour)
	s, _ = d.Snapshot(15 * time.Minute)
	if s.Totals.Count != 0 || len(s.Events) != 0 {
		t.Errorf("an hour later, 15m window: %+v, %d events", s.Totals, len(s.Events))
	}
	s, _ = d.Snapshot(24 * time.Hour)
	if s.Totals.Count != 25 || len(s.Chart) != 24 || s.Resolution != "1h" {
		t.Errorf("24h window: %+v, %d points, %s", s.Totals, len(s.Chart), s.Resolution)
	}
	if _, err := d.Snapshot(2 * time.Hour); err == nil {
		t.Error("a 2h window was accepted")
	}
}

func TestConsumersAndSchedules(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	d := newDashboard(t, clock, dashboard.WithMaxDeliveries(3), dashboard.WithLateAfter(time.Minute))
	fail := errors.New("consumer failed")
	consume := event.ChainMessages(event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		clock.add(5 * time.Millisecond)
		if string(m.Body) == "bad" {
			return fail
		}
		return nil
	}), d.MessageMiddleware())
	queue := "arn:aws:sqs:us-east-1:123456789012:jobs"
	for i := 1; i <= 5; i++ {
		consume.HandleMessage(context.Background(), &event.Message{ID: "m-ok", Body: []byte("ok"), Queue: queue, DeliveryCount: 1})
	}
	for n := 1; n <= 3; n++ {
		if err := consume.HandleMessage(context.Background(), &event.Message{ID: "m-bad", Body: []byte("bad"), Queue: queue, DeliveryCount: n}); !errors.Is(err, fail) {
			t.Fatalf("the middleware changed the error: %v", err)
		}
	}
	tick := event.ChainTicks(event.ScheduleHandlerFunc(func(ctx context.Context, tk *event.Tick) error { return nil }), d.TickMiddleware())
	tick.HandleTick(context.Background(), &event.Tick{Schedule: "purge", Time: clock.now()})
	tick.HandleTick(context.Background(), &event.Tick{Schedule: "purge", Time: clock.now().Add(-5 * time.Minute)})
	tick.HandleTick(context.Background(), &event.Tick{Schedule: "purge", Time: clock.now(), PastDue: true})

	s, err := d.Snapshot(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c := panelOf(t, s, "jobs"); c.Kind != "consumer" || c.Count != 8 || c.Errors != 3 {
		t.Errorf("consumer panel %+v", c)
	}
	if p := panelOf(t, s, "purge"); p.Kind != "schedule" || p.Count != 3 || p.Errors != 0 {
		t.Errorf("schedule panel %+v", p)
	}
	if s.Totals.Count != 0 {
		t.Errorf("messages and ticks counted as HTTP requests: %+v", s.Totals)
	}
	kinds := map[dashboard.EventKind]int{}
	for _, e := range s.Events {
		kinds[e.Kind]++
		if e.Kind == dashboard.EventDeadLettered && (e.MessageID != "m-bad" || e.Count != 3 || e.Source != "jobs") {
			t.Errorf("dead-letter event %+v", e)
		}
		if e.Kind == dashboard.EventLateSchedule && e.Source != "purge" {
			t.Errorf("late event %+v", e)
		}
	}
	if kinds[dashboard.EventDeadLettered] != 1 || kinds[dashboard.EventLateSchedule] != 2 {
		t.Errorf("events %v: want 1 dead-lettered (the third delivery only), 2 late ticks", kinds)
	}
	var msgs []string
	for _, a := range s.Alerts {
		msgs = append(msgs, a.Severity+": "+a.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"critical: 1 message(s) went to the dead-letter queue", "warning: 2 schedule tick(s) ran late", "consumer jobs: 3 of 8 failed"} {
		if !strings.Contains(all, want) {
			t.Errorf("alerts lack %q:\n%s", want, all)
		}
	}
}

func TestNewRefusesOpenAddressWithoutAuth(t *testing.T) {
	for _, addr := range []string{":8090", "0.0.0.0:8090", "192.168.1.2:80", "[::]:8090", "nonsense"} {
		if _, err := dashboard.New("x", dashboard.WithAddr(addr)); err == nil {
			t.Errorf("New accepted %q without authentication", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:8090", "localhost:8090"} {
		if _, err := dashboard.New("x", dashboard.WithAddr(addr)); err != nil {
			t.Errorf("New refused %q: %v", addr, err)
		}
	}
	if _, err := dashboard.New("x", dashboard.WithAddr(":8090"), dashboard.WithBasicAuth("ops", "pw-0123456789")); err != nil {
		t.Errorf("New refused :8090 with basic auth: %v", err)
	}
	if _, err := dashboard.New(""); err == nil {
		t.Error("New accepted an empty name")
	}
}

func TestHandlerAccess(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	d := newDashboard(t, clock)
	get := func(h http.Handler, remote, target string, auth ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		r.RemoteAddr = remote
		if len(auth) == 2 {
			r.SetBasicAuth(auth[0], auth[1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	h := d.Handler()
	if w := get(h, "10.1.2.3:5555", "/"); w.Code != http.StatusForbidden {
		t.Errorf("a remote peer without auth got %d", w.Code)
	}
	for _, target := range []string{"/", "/app.js", "/style.css", "/snapshot.json", "/snapshot.json?window=24h"} {
		w := get(h, "127.0.0.1:5555", target)
		if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s from loopback: %d, CSP %q", target, w.Code, w.Header().Get("Content-Security-Policy"))
		}
	}
	if w := get(h, "127.0.0.1:5555", "/snapshot.json?window=7d"); w.Code != http.StatusBadRequest {
		t.Errorf("window=7d: %d", w.Code)
	}
	w := get(h, "[::1]:5555", "/snapshot.json?window=1h")
	var s dashboard.Snapshot
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || s.App != "test API" || s.Window != "1h" || len(s.Chart) != 60 {
		t.Errorf("snapshot.json: %v %+v", err, s)
	}
	// The page loads nothing from elsewhere.
	for _, asset := range []string{"/", "/app.js", "/style.css"} {
		body := get(h, "127.0.0.1:1", asset).Body.String()
		for _, ext := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(strings.ReplaceAll(body, "http://www.w3.org/2000/svg", ""), ext) {
				t.Errorf("%s refers to %q", asset, ext)
			}
		}
	}

	authed, err := dashboard.New("x", dashboard.WithAddr(":0"), dashboard.WithBasicAuth("ops", "pw-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	ah := authed.Handler()
	if w := get(ah, "10.1.2.3:5555", "/"); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: %d", w.Code)
	}
	if w := get(ah, "10.1.2.3:5555", "/", "ops", "wrong"); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", w.Code)
	}
	if w := get(ah, "10.1.2.3:5555", "/", "ops", "pw-0123456789"); w.Code != http.StatusOK {
		t.Errorf("right password: %d", w.Code)
	}
}

func TestServe(t *testing.T) {
	d := newDashboard(t, &fakeClock{t: time.Now()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Serve(ctx, ln, nil) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /snapshot.json: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}
