// Command pushfunc is the function the Pub/Sub end-to-end test runs under
// the Functions Framework: an event.App whose consumer todo-events fails
// the first delivery it sees of about one message in ten (half of them by
// panicking) and every delivery of messages whose body starts with
// "poison", and reports each message it processed to REPORT_URL.
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
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/handler/event"
)

var (
	mu   sync.Mutex
	seen = map[string]bool{}
)

func consume(ctx context.Context, m *event.Message) error {
	if strings.HasPrefix(string(m.Body), "poison") {
		report(ctx, "/failed", m.Body)
		return errors.New("poison message")
	}
	mu.Lock()
	first := !seen[m.ID]
	seen[m.ID] = true
	mu.Unlock()
	h := fnv.New32a()
	h.Write(m.Body)
	if first {
		switch h.Sum32() % 20 {
		case 0:
			return errors.New("first delivery fails")
		case 10:
			panic("first delivery panics")
		}
	}
	return report(ctx, "", m.Body)
}

// report posts body to REPORT_URL+path.
func report(ctx context.Context, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, os.Getenv("REPORT_URL")+path, bytes.NewReader(body))
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
	app.Consume("todo-events", event.MessageHandlerFunc(consume))
	gcpfunctions.Register("Events", app)
	log.Fatal(funcframework.StartHostPort("127.0.0.1", os.Getenv("PORT")))
}
