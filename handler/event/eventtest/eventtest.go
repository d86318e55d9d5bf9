// Package eventtest provides utilities for testing message consumers and
// schedules (package handler/event), in the spirit of handlertest: build a
// message with [NewMessage] or a tick with [NewTick], run a handler the way
// every adapter does with [Deliver] and [Fire], and play redelivery with
// [Redeliver].
//
// Like httptest, the helpers panic on misuse (an unknown queue or
// schedule) instead of taking a *testing.T.
package eventtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
)

// DefaultQueue is the Queue of messages built by [NewMessage].
const DefaultQueue = "test-queue"

// DefaultTimeout is the deadline [Deliver] and [Fire] give the handler's
// context, as a platform does.
const DefaultTimeout = 30 * time.Second

// Epoch is the EnqueuedAt of messages and the Time of ticks built here,
// unless an option sets them: a fixed time, so that results do not depend
// on the clock.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var seq atomic.Int64

// A MessageOption sets a field of a message built by [NewMessage].
type MessageOption func(*event.Message)

// ID sets the message's ID.
func ID(id string) MessageOption { return func(m *event.Message) { m.ID = id } }

// Attr sets an attribute.
func Attr(name, value string) MessageOption {
	return func(m *event.Message) {
		if m.Attributes == nil {
			m.Attributes = map[string]string{}
		}
		m.Attributes[name] = value
	}
}

// Queue sets the queue the message comes from.
func Queue(q string) MessageOption { return func(m *event.Message) { m.Queue = q } }

// EnqueuedAt sets when the message was sent.
func EnqueuedAt(t time.Time) MessageOption { return func(m *event.Message) { m.EnqueuedAt = t } }

// NewMessage returns a message as an adapter delivers it the first time:
// the body, a new ID ("msg-1", "msg-2", ...), DeliveryCount 1, EnqueuedAt
// [Epoch], Queue [DefaultQueue], then the options applied.
func NewMessage(body string, opts ...MessageOption) *event.Message {
	m := &event.Message{ID: fmt.Sprintf("msg-%d", seq.Add(1)), Body: []byte(body), DeliveryCount: 1, EnqueuedAt: Epoch, Queue: DefaultQueue}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Redeliver returns a copy of m as the platform delivers it again after a
// failure: the same ID, body and attributes, DeliveryCount one higher.
func Redeliver(m *event.Message) *event.Message {
	c := *m
	c.Body = slices.Clone(m.Body)
	c.Attributes = maps.Clone(m.Attributes)
	c.DeliveryCount++
	return &c
}

// NewTick returns a tick of schedule at [Epoch], not past due.
func NewTick(schedule string) *event.Tick { return &event.Tick{Schedule: schedule, Time: Epoch} }

// Invocation is the handler.Invocation [Deliver] and [Fire] put in the
// context.
var Invocation = handler.Invocation{Platform: "test", ID: "test-invocation", Function: "test"}

func testContext() (context.Context, context.CancelFunc) {
	inv := Invocation
	ctx := adapterkit.ContextWithInvocation(context.Background(), &inv)
	return context.WithTimeout(ctx, DefaultTimeout)
}

// Deliver runs h with m as every adapter does (event.Deliver: a panic
// becomes an *event.PanicError), under a context with [DefaultTimeout] and
// [Invocation], and returns h's outcome: nil acknowledges m, an error has
// it redelivered.
func Deliver(h event.MessageHandler, m *event.Message) error {
	ctx, cancel := testContext()
	defer cancel()
	return event.Deliver(ctx, h, m)
}

// Fire runs h with t as every adapter does, under the same context as
// [Deliver].
func Fire(h event.ScheduleHandler, t *event.Tick) error {
	ctx, cancel := testContext()
	defer cancel()
	return event.Fire(ctx, h, t)
}

// DeliverTo delivers m to the consumer app picks for m.Queue
// (event.App.ConsumerFor), with the app's middleware, as an adapter does.
// It panics if no consumer serves m.Queue or the app's declarations are
// invalid.
func DeliverTo(app *event.App, m *event.Message) error {
	if err := app.Err(); err != nil {
		panic("eventtest: " + err.Error())
	}
	c, ok := app.ConsumerFor(m.Queue)
	if !ok {
		panic(fmt.Sprintf("eventtest: no consumer of queue %q is declared", m.Queue))
	}
	return Deliver(c.Handler, m)
}

// FireSchedule fires app's schedule named t.Schedule, with the app's
// middleware. It panics if no such schedule is declared or the app's
// declarations are invalid.
func FireSchedule(app *event.App, t *event.Tick) error {
	if err := app.Err(); err != nil {
		panic("eventtest: " + err.Error())
	}
	s, ok := app.ScheduleNamed(t.Schedule)
	if !ok {
		panic(fmt.Sprintf("eventtest: no schedule named %q is declared", t.Schedule))
	}
	return Fire(s.Handler, t)
}
