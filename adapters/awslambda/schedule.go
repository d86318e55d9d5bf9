package awslambda

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler/event"
)

// PastDueAfter is how late a scheduled event may arrive and still not be
// PastDue: EventBridge's schedules have a precision of one minute.
const PastDueAfter = time.Minute

// serveSchedule fires the schedule an EventBridge event names: a rule's
// "Scheduled Event" names it by the rule's name (the last segment of
// resources[0]), a Scheduler input by its "schedule" member.
func (h *Handler) serveSchedule(ctx context.Context, t *trigger) ([]byte, error) {
	name, at := t.schedule, t.schedTime
	if name == "" {
		name = t.resource
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		at = t.time
	}
	if name == "" {
		return nil, fmt.Errorf("%w: a scheduled event without resources[0] (the rule's ARN) names no schedule", ErrMalformedEvent)
	}
	s, ok := h.app.ScheduleNamed(name)
	if !ok {
		return nil, fmt.Errorf("%w: no schedule named %q is declared (the rule's or the Scheduler input's name must be the schedule's name)", ErrNotServed, name)
	}
	tick := &event.Tick{Schedule: name}
	if at != "" {
		tm, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return nil, fmt.Errorf("%w: scheduled time %q is not RFC 3339", ErrMalformedEvent, at)
		}
		tick.Time = tm
		tick.PastDue = h.o.now().Sub(tm) > PastDueAfter
	} else {
		tick.Time = h.o.now()
	}
	if err := event.Fire(ctx, s.Handler, tick); err != nil {
		return nil, fmt.Errorf("awslambda: schedule %q failed: %w", name, err)
	}
	return []byte("null"), nil
}
