package httpserver_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/memqueue"
)

// flaky is the cross-runtime proof's consumer: it fails the first delivery
// of about 10% of the messages (chosen by a hash of the body, so the choice
// is random-looking but reproducible) and every delivery of the messages
// marked "poison", and counts what it processed.
type flaky struct {
	mu        sync.Mutex
	processed map[string]int // body -> successful runs
	attempts  int
	done      chan struct{}
	want      int
}

func (f *flaky) HandleMessage(_ context.Context, m *event.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	body := string(m.Body)
	if strings.HasPrefix(body, "poison") {
		return errors.New("always fails")
	}
	h := fnv.New32a()
	h.Write(m.Body)
	if m.DeliveryCount == 1 && h.Sum32()%10 == 0 {
		return errors.New("fails its first delivery")
	}
	f.processed[body]++
	if len(f.processed) == f.want {
		close(f.done)
	}
	return nil
}

func send(t *testing.T, q *queue.Queue, bodies []string) {
	t.Helper()
	for i := 0; i < len(bodies); i += queue.MaxBatch {
		var batch []*queue.Message
		for _, b := range bodies[i:min(i+queue.MaxBatch, len(bodies))] {
			batch = append(batch, &queue.Message{Body: []byte(b)})
		}
		if _, err := q.Send(context.Background(), batch...); err != nil {
			t.Fatal(err)
		}
	}
}

// 500 messages, 10% failing their first delivery, 5 failing always: every
// other message is processed exactly once and the dead-letter queue holds
// exactly the 5.
func TestRunTriggersDeliversEveryMessage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := memqueue.New()
	var bodies []string
	for i := range 495 {
		bodies = append(bodies, fmt.Sprintf("message-%03d", i))
	}
	for i := range 5 {
		bodies = append(bodies, fmt.Sprintf("poison-%d", i))
	}
	f := &flaky{processed: map[string]int{}, done: make(chan struct{}), want: 495}
	app := event.NewApp(nil)
	app.Consume("todo-events", f)
	q, _ := b.Open(ctx, "todo-events")
	send(t, q, bodies)
	errc := make(chan error, 1)
	go func() {
		errc <- httpserver.RunTriggers(ctx, app, httpserver.WithBroker(b), httpserver.WithRetryDelay(0),
			httpserver.WithTriggerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	select {
	case <-f.done:
	case err := <-errc:
		t.Fatalf("RunTriggers returned early: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatalf("only %d of 495 messages processed", len(f.processed))
	}
	// The 5 poison messages reach the dead-letter queue after 5 deliveries.
	dlq, _ := b.OpenSubscription(ctx, "todo-events"+httpserver.DeadLetterSuffix)
	var dead []string
	for len(dead) < 5 {
		msgs, err := dlq.Receive(ctx, queue.MaxReceive, 30*time.Second)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("dead-letter queue: %d messages, %v", len(dead), err)
		}
		for _, m := range msgs {
			dead = append(dead, string(m.Body))
		}
		dlq.Ack(ctx, msgs...)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for _, body := range bodies[:495] {
		if n := f.processed[body]; n != 1 {
			t.Errorf("%s processed %d times", body, n)
		}
	}
	for _, d := range dead {
		if !strings.HasPrefix(d, "poison-") {
			t.Errorf("dead-lettered %s", d)
		}
	}
	if len(dead) != 5 || b.Len("todo-events") != 0 {
		t.Errorf("dead %v, %d left in the queue", dead, b.Len("todo-events"))
	}
	t.Logf("%d deliveries for 500 messages", f.attempts)
}

func TestRunTriggersFiresSchedules(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ticks := make(chan event.Tick, 10)
	app := event.NewApp(nil)
	app.Schedule("repair", event.ScheduleHandlerFunc(func(ctx context.Context, tk *event.Tick) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		select {
		case ticks <- *tk:
		default:
		}
		return nil
	}), event.Every(10*time.Millisecond), event.Cron("* * * * * *"))
	errc := make(chan error, 1)
	go func() { errc <- httpserver.RunTriggers(ctx, app, httpserver.WithBroker(memqueue.New())) }()
	for range 3 {
		select {
		case tk := <-ticks:
			if tk.Schedule != "repair" || tk.Time.IsZero() {
				t.Errorf("tick %+v", tk)
			}
		case err := <-errc:
			t.Fatalf("RunTriggers returned early: %v", err)
		case <-time.After(time.Minute):
			t.Fatal("no tick")
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Serve runs an App's triggers beside its HTTP handler: a message sent to
// mem://NAME anywhere in the process reaches the consumer of NAME.
func TestServeRunsTriggers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 1)
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("ok")}, nil
	}))
	app.Consume("serve-test-events", event.MessageHandlerFunc(func(_ context.Context, m *event.Message) error {
		got <- string(m.Body)
		return nil
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- httpserver.Serve(ctx, ln, app) }()
	q, err := queue.Open(ctx, "mem://serve-test-events")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if b != "hello" {
			t.Errorf("got %q", b)
		}
	case <-time.After(time.Minute):
		t.Fatal("the message never reached the consumer")
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HTTP %d", resp.StatusCode)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// An invalid app is refused before serving.
	bad := event.NewApp(nil)
	bad.Consume("", event.MessageHandlerFunc(func(context.Context, *event.Message) error { return nil }))
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := httpserver.Serve(context.Background(), ln2, bad); !errors.Is(err, event.ErrInvalidDeclaration) {
		t.Errorf("Serve(invalid app) = %v", err)
	}
}
