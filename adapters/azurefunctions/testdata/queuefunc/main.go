// Command queuefunc is the custom handler the queueTrigger end-to-end
// test runs under the simulated host: an event.App whose consumer
// todo-events fails the first delivery of about one message in ten (half
// of them by panicking) and every delivery of messages whose body starts
// with "poison", and reports each message it processed to REPORT_URL.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler/event"
)

func consume(ctx context.Context, m *event.Message) error {
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, os.Getenv("REPORT_URL"), bytes.NewReader(m.Body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("report answered %d", resp.StatusCode)
	}
	return nil
}

func main() {
	app := event.NewApp(nil)
	app.Consume("todo-events", event.MessageHandlerFunc(consume), event.Queues(os.Getenv("E2E_QUEUE")))
	if err := azurefunctions.Start(app); err != nil {
		log.Fatal(err)
	}
}
