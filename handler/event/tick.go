package event

import (
	"context"
	"time"
)

// Tick is one firing of a schedule, delivered to a [ScheduleHandler].
type Tick struct {
	// Schedule is the name the schedule was declared under.
	Schedule string
	// Time is when the tick was scheduled to fire (the EventBridge event's
	// time, X-CloudScheduler-ScheduleTime, the timer's due time), which
	// may be earlier than now.
	Time time.Time
	// PastDue reports that the tick fires late: Azure's IsPastDue, or a
	// local tick that waited for the previous run to end.
	PastDue bool
}

// A ScheduleHandler runs on each tick of a schedule. An error fails the
// invocation, which the platform may retry (EventBridge retries
// asynchronous invocations, Cloud Scheduler per its retry config; an Azure
// timer does not retry).
type ScheduleHandler interface {
	HandleTick(ctx context.Context, t *Tick) error
}

// ScheduleHandlerFunc adapts a function to a [ScheduleHandler].
type ScheduleHandlerFunc func(ctx context.Context, t *Tick) error

// HandleTick calls f(ctx, t).
func (f ScheduleHandlerFunc) HandleTick(ctx context.Context, t *Tick) error { return f(ctx, t) }

// TickMiddleware wraps a ScheduleHandler with behaviour that runs before
// or after it.
type TickMiddleware func(ScheduleHandler) ScheduleHandler

// ChainTicks returns h wrapped by mws, the first outermost.
func ChainTicks(h ScheduleHandler, mws ...TickMiddleware) ScheduleHandler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
