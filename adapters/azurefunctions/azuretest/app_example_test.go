package azuretest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// An app's HTTP handler, its queue consumer and its schedule, invoked the
// way the Azure Functions host invokes a custom handler (the HTTP
// envelope, a queueTrigger, a timerTrigger) with no host installed: the
// simulated host fronts the adapter's handler in process.
func Example() {
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("hello " + r.URL().Query().Get("name"))}, nil
	}))
	app.Consume("orders", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		if string(m.Body) == "bad" {
			return errors.New("cannot ship") // the host retries, then moves it to orders-poison
		}
		return nil
	}))
	app.Schedule("nightly", event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) error {
		fmt.Println("tick", t.Schedule, t.Time.Format(time.RFC3339), t.PastDue)
		return nil
	}), event.Every(24*time.Hour))
	hh, err := azurefunctions.NewHandler(app, azurefunctions.WithMode(azurefunctions.ModePayload))
	if err != nil {
		panic(err)
	}
	host := azuretest.NewHost(hh, azuretest.Config{Mode: azuretest.Payload})
	defer host.Close()

	// HTTP: the host wraps the client's request in the JSON envelope.
	client := &http.Client{Transport: host}
	resp, err := client.Get("https://myapp.azurewebsites.net/api/hello?name=ada")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))

	// queueTrigger: 200 deletes the message; anything else retries it.
	ctx := context.Background()
	for _, text := range []string{"ok", "bad"} {
		inv, err := host.InvokeQueue(ctx, "orders", azuretest.QueueMessage{Text: text})
		if err != nil {
			panic(err)
		}
		fmt.Println(text, inv.StatusCode)
	}

	// timerTrigger.
	at := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
	if _, err := host.InvokeTimer(ctx, "nightly", azuretest.TimerTick{Time: at, PastDue: true}); err != nil {
		panic(err)
	}
	// Output:
	// 200 hello ada
	// ok 200
	// bad 500
	// tick nightly 2024-01-02T03:00:00Z true
}
