// Command sqsfunc is the function the SQS end-to-end test builds and runs
// against a fake Runtime API: an event.App whose consumer of the queue
// named by E2E_QUEUE fails the first delivery of about one message in ten
// (half of them by panicking), and every delivery of messages whose body
// starts with "poison".
package main

import (
	"context"
	"errors"
	"hash/fnv"
	"log"
	"os"
	"strings"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler/event"
)

func main() {
	app := event.NewApp(nil)
	app.Consume("e2e-events", event.MessageHandlerFunc(func(_ context.Context, m *event.Message) error {
		return Outcome(m)
	}), event.Queues(os.Getenv("E2E_QUEUE")))
	if err := awslambda.Start(app); err != nil {
		log.Fatal(err)
	}
}

// Outcome decides a delivery's fate from the message alone, so that the
// test can predict it.
func Outcome(m *event.Message) error {
	if strings.HasPrefix(string(m.Body), "poison") {
		return errors.New("poison message")
	}
	h := fnv.New32a()
	h.Write(m.Body)
	if m.DeliveryCount == 1 {
		switch h.Sum32() % 20 {
		case 0:
			return errors.New("first delivery fails")
		case 10:
			panic("first delivery panics")
		}
	}
	return nil
}
