package eventtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/event/eventtest"
)

func TestHelpers(t *testing.T) {
	a, b := eventtest.NewMessage("x"), eventtest.NewMessage("y", eventtest.Attr("k", "v"))
	if a.ID == b.ID || a.DeliveryCount != 1 || a.Queue != eventtest.DefaultQueue || !a.EnqueuedAt.Equal(eventtest.Epoch) || b.Attributes["k"] != "v" {
		t.Errorf("messages %+v %+v", a, b)
	}
	r := eventtest.Redeliver(b)
	r.Attributes["k"] = "changed"
	r.Body[0] = 'z'
	if r.ID != b.ID || r.DeliveryCount != 2 || b.Attributes["k"] != "v" || string(b.Body) != "y" {
		t.Errorf("Redeliver shares or changed the original: %+v %+v", r, b)
	}
	var pe *event.PanicError
	err := eventtest.Deliver(event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		if inv, ok := handler.InvocationFrom(ctx); !ok || inv.Platform != "test" {
			return errors.New("no invocation")
		}
		panic("boom")
	}), a)
	if !errors.As(err, &pe) {
		t.Errorf("Deliver = %v, want a PanicError", err)
	}
	app := event.NewApp(nil)
	app.Schedule("s", event.ScheduleHandlerFunc(func(_ context.Context, tk *event.Tick) error {
		if tk.Schedule != "s" {
			return errors.New("wrong tick")
		}
		return nil
	}))
	if err := eventtest.FireSchedule(app, eventtest.NewTick("s")); err != nil {
		t.Error(err)
	}
	for name, f := range map[string]func(){
		"unknown schedule": func() { eventtest.FireSchedule(app, eventtest.NewTick("nope")) },
		"unknown queue":    func() { eventtest.DeliverTo(app, eventtest.NewMessage("x")) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
