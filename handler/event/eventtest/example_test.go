package eventtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/event/eventtest"
)

// Test a consumer that fails a message's first delivery: the redelivery
// succeeds.
func Example() {
	app := event.NewApp(nil)
	app.Consume("todo-events", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		if m.DeliveryCount == 1 {
			return errors.New("not yet")
		}
		_, hasDeadline := ctx.Deadline()
		fmt.Printf("processed %s (%s) on delivery %d, deadline %v\n", m.ID, m.Body, m.DeliveryCount, hasDeadline)
		return nil
	}))
	m := eventtest.NewMessage(`{"op":"create"}`, eventtest.ID("m-1"), eventtest.Queue("todo-events"))
	fmt.Println(eventtest.DeliverTo(app, m))
	fmt.Println(eventtest.DeliverTo(app, eventtest.Redeliver(m)))
	// Output:
	// not yet
	// processed m-1 ({"op":"create"}) on delivery 2, deadline true
	// <nil>
}
