package statsproof_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/examples/todo/internal/statsproof"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/memqueue"
)

// TestStatsLocally is the stats proof (package statsproof) locally: the
// example's app served by httpserver, whose triggers pull the events from
// a memqueue broker, redeliver a failed one (at once: retry delay 0) and
// move it to QUEUE-dlq after its 5th failure, as cmd/local runs it. Once
// the app acknowledged every other event and the dead-letter queue holds
// 5: each event was acknowledged once and failed only as marked, GET
// /stats over HTTP equals the users' todos as the history left them, and
// the dead-lettered are exactly the 5 poison events.
func TestStatsLocally(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "mem://todos")
	t.Setenv("TODO_JWT_SECRET", "")
	t.Setenv("TODO_JWKS_URL", "")
	t.Setenv("TODO_API_KEYS", statsproof.APIKeys())
	c, err := todo.ConfigFromEnv("mem://todos")
	if err != nil {
		t.Fatal(err)
	}
	c.Logs = io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	app, err := statsproof.App(c, "todo-events")
	if err != nil {
		t.Fatal(err)
	}
	b := memqueue.New()
	q, err := b.Open(ctx, "todo-events")
	if err != nil {
		t.Fatal(err)
	}
	dlq, err := b.OpenSubscription(ctx, "todo-events"+httpserver.DeadLetterSuffix)
	if err != nil {
		t.Fatal(err)
	}
	msgs, want := statsproof.History()
	for _, m := range msgs {
		if _, err := q.Send(ctx, &queue.Message{Body: m.Body}); err != nil {
			t.Fatal(err)
		}
	}

	quiet := slog.New(slog.DiscardHandler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(srvCtx, ln, app, httpserver.WithLogger(quiet),
			httpserver.WithTriggerOptions(httpserver.WithBroker(b), httpserver.WithRetryDelay(0)))
	}()
	base := "http://" + ln.Addr().String()
	get := func(path, user string, v any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("X-Api-Key", statsproof.APIKey(user))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(body, v) != nil {
			t.Fatalf("GET %s as %s: %d %s", path, user, resp.StatusCode, body)
		}
	}

	var dead []string
	var got statsproof.Deliveries
	for {
		got = statsproof.Deliveries{}
		get(statsproof.AcksPath, "alice", &got)
		dm, err := dlq.Receive(ctx, queue.MaxReceive, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range dm {
			if _, fault, err := statsproof.Decode(m.Body); err != nil || fault != "poison" {
				t.Errorf("dead-lettered: %s", m.Body)
			}
			dead = append(dead, string(m.Body))
		}
		if len(dm) > 0 {
			if err := dlq.Ack(ctx, dm...); err != nil {
				t.Fatal(err)
			}
		}
		if len(got.Acked) >= statsproof.Size-statsproof.Poison && len(dead) >= statsproof.Poison {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the server stopped: %v", err)
		case <-ctx.Done():
			t.Fatalf("%d of %d events acknowledged, %d dead-lettered: %v", len(got.Acked), statsproof.Size-statsproof.Poison, len(dead), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	failedFirst, problems := got.Check(msgs, 5)
	for _, p := range problems {
		t.Error(p)
	}
	if len(dead) != statsproof.Poison {
		t.Errorf("dead-lettered %d, want the %d poison events: %v", len(dead), statsproof.Poison, dead)
	}
	for _, u := range statsproof.Users {
		var st todo.Stats
		get("/stats", u, &st)
		if st != want[u] {
			t.Errorf("GET /stats as %s = %+v, want %+v", u, st, want[u])
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("500 events, %d first deliveries failed, %d dead-lettered; stats %+v", failedFirst, len(dead), want)
}
