// Command statsfunc is the function the Lambda stats end-to-end test
// builds and runs against a fake Runtime API: the to-do example's own app
// (todo.NewApp: the API behind the example's middleware, GET /stats, the
// consumer of its events and the repair schedule) on a memory store, with
// one test-only message middleware that injects faults.
//
// The test marks the messages to fail. A message whose attribute
// "e2e-fail" is "before" fails its first delivery before the consumer runs;
// "after" runs the consumer and then fails the delivery (an acknowledgement
// lost after the commit); "panic" runs the consumer and then panics. Later
// deliveries run the consumer alone. A message whose attribute
// "e2e-poison" is set fails every delivery without reaching the consumer.
//
// Environment: TODO_API_KEYS (the callers), E2E_QUEUE (the name of the
// events queue) and E2E_NOW (RFC 3339: the worker's and the API's clock,
// fixed so that "completed today" is the test's day).
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func main() {
	if err := run(); err != nil {
		slog.Error("statsfunc", "error", err)
		os.Exit(1)
	}
}

func run() error {
	c, err := todo.ConfigFromEnv("mem://todos")
	if err != nil {
		return err
	}
	now, err := time.Parse(time.RFC3339, os.Getenv("E2E_NOW"))
	if err != nil {
		return err
	}
	clock := func() time.Time { return now }
	s := memstore.New(memstore.WithClock(clock))
	w := todo.NewWorker(s, clock)
	h, err := c.Wrap(s, todo.WithWorker(w), todo.WithClock(clock))
	if err != nil {
		return err
	}
	app := todo.NewApp(h, w, os.Getenv("E2E_QUEUE"))
	app.UseMessages(faults)
	if err := app.Err(); err != nil {
		return err
	}
	return awslambda.Start(app, awslambda.WithMaxBodyBytes(todo.MaxBodyBytes))
}

// faults fails the deliveries the test marked (see the package comment).
func faults(next event.MessageHandler) event.MessageHandler {
	return event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		if m.Attributes["e2e-poison"] != "" {
			return errors.New("statsfunc: poison message")
		}
		mode := m.Attributes["e2e-fail"]
		if m.DeliveryCount != 1 || mode == "" {
			return next.HandleMessage(ctx, m)
		}
		if mode == "before" {
			return errors.New("statsfunc: first delivery fails before the consumer")
		}
		if err := next.HandleMessage(ctx, m); err != nil {
			return err
		}
		if mode == "panic" {
			panic("statsfunc: first delivery panics after the consumer")
		}
		return errors.New("statsfunc: first delivery fails after the consumer")
	})
}
