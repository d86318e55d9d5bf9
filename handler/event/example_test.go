package event_test

import (
	"context"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// Declare one app with a consumer and a schedule; an adapter serves it.
// Here the messages are delivered by hand, as an adapter would.
func Example() {
	app := event.NewApp(nil) // an HTTP handler goes here
	app.Consume("todo-events", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		fmt.Printf("%s from %s: %s (delivery %d)\n", m.ID, event.QueueName(m.Queue), m.Body, m.DeliveryCount)
		return nil
	}))
	app.Schedule("repair", event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) error {
		fmt.Println("tick", t.Schedule, t.Time.Format(time.RFC3339))
		return nil
	}), event.Every(time.Hour))
	if err := app.Err(); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	c, _ := app.ConsumerFor("arn:aws:sqs:eu-west-1:123456789012:todo-events")
	_ = event.Deliver(ctx, c.Handler, &event.Message{ID: "m-1", Body: []byte(`{"op":"create"}`), DeliveryCount: 1, Queue: "arn:aws:sqs:eu-west-1:123456789012:todo-events"})
	s, _ := app.ScheduleNamed("repair")
	_ = event.Fire(ctx, s.Handler, &event.Tick{Schedule: "repair", Time: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)})
	fmt.Println("azure timer:", s.Cron)
	// Output:
	// m-1 from todo-events: {"op":"create"} (delivery 1)
	// tick repair 2026-01-01T10:00:00Z
	// azure timer: 0 0 * * * *
}

// Count each message once, however often it is delivered: the dedupe
// record and the counter commit in one atomic write.
func ExampleDedupe_Apply() {
	ctx := context.Background()
	s := memstore.New()
	d := event.NewDedupe(s)
	counter := store.Key{Partition: "user#ann", Sort: "stats"}
	_, _ = s.Put(ctx, &store.Item{Key: counter, Data: map[string]any{"created": 0}})

	m := &event.Message{ID: "m-1", Queue: "todo-events", Body: []byte(`{"user":"ann","op":"create"}`)}
	for range 3 { // delivered three times
		applied, err := d.Apply(ctx, "user#ann", m, store.UpdateOp(counter, []store.FieldOp{store.Increment("created", 1)}))
		fmt.Println(applied, err)
	}
	it, _ := s.Get(ctx, counter)
	fmt.Println("created:", it.Data["created"])
	// Output:
	// true <nil>
	// false <nil>
	// false <nil>
	// created: 1
}
