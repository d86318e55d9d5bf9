package event

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/anyfunc/anyfunc/handler"
)

// PanicError is the error [Deliver] and [Fire] return when the handler
// panicked. The adapters treat it like any other failure: that message is
// redelivered, the others in its batch are not affected.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error returns "event: handler panicked: VALUE".
func (e *PanicError) Error() string { return fmt.Sprintf("event: handler panicked: %v", e.Value) }

// Deliver calls h with m and returns its error. A panic in h is recovered,
// logged at Error with its stack through handler.Logger(ctx), and returned
// as a [*PanicError]; it fails m only. Every adapter delivers each message
// through Deliver.
func Deliver(ctx context.Context, h MessageHandler, m *Message) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovered(ctx, v, "message", slog.String("messageId", m.ID), slog.String("queue", m.Queue))
		}
	}()
	return h.HandleMessage(ctx, m)
}

// Fire calls h with t and returns its error; a panic is recovered as in
// [Deliver].
func Fire(ctx context.Context, h ScheduleHandler, t *Tick) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = recovered(ctx, v, "tick", slog.String("schedule", t.Schedule))
		}
	}()
	return h.HandleTick(ctx, t)
}

func recovered(ctx context.Context, v any, what string, attrs ...slog.Attr) error {
	pe := &PanicError{Value: v, Stack: debug.Stack()}
	attrs = append(attrs, slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(pe.Stack)))
	handler.Logger(ctx).LogAttrs(ctx, slog.LevelError, "event: "+what+" handler panicked", attrs...)
	return pe
}
