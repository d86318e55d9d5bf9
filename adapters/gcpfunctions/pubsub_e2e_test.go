package gcpfunctions_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/internal/emulator"
)

// TestPubSubPushEndToEnd publishes 500 messages to the Pub/Sub emulator,
// whose push subscriptions (dead-letter topic after 5 delivery attempts)
// deliver them to a function built with the adapter and served by the
// Functions Framework. The function fails the first delivery it sees of
// about 10% of the messages (half by panicking) and every delivery of 5
// poison messages, and reports each message it processed: every other
// message is processed exactly once, and the dead-letter topic receives
// exactly the 5. (Each poison message has a subscription of its own: see
// below.)
func TestPubSubPushEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Pub/Sub emulator and a function binary")
	}
	psHost, stopPS, err := emulator.Launch(emulator.PubSub)
	emulator.Need(t, emulator.PubSub, err)
	t.Cleanup(stopPS)

	var mu sync.Mutex
	reports := map[string]int{}
	poisonAttempts := map[string]int{}
	reporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		if r.URL.Path == "/failed" {
			poisonAttempts[string(b)]++
		} else {
			reports[string(b)]++
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(reporter.Close)

	dir := t.TempDir()
	bin := filepath.Join(dir, "pushfunc")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/pushfunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fn, stopFn, err := emulator.Launch(emulator.Spec{
		Name: "functions-framework pushfunc",
		Command: func(port int) (*exec.Cmd, error) {
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "FUNCTION_TARGET=Events", "REPORT_URL="+reporter.URL)
			return cmd, nil
		},
		Endpoint:     func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) },
		Ready:        emulator.DialReady,
		StartTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopFn)

	api := "http://" + psHost + "/v1/projects/anyfunc-e2e"
	call := func(method, path string, body any) []byte {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, api+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return out
	}
	call("PUT", "/topics/todo-events-dlq", map[string]any{})
	call("PUT", "/subscriptions/todo-events-dlq-pull", map[string]any{"topic": "projects/anyfunc-e2e/topics/todo-events-dlq"})
	// The emulator backs off a push subscription's deliveries for the
	// whole subscription, more with every failure: five messages that
	// always fail on one subscription get their fifth attempt only after
	// minutes. Each poison message therefore has a topic and push
	// subscription of its own (the same consumer, the same dead-letter
	// topic), and the other messages one more.
	topics := []string{"todo-events"}
	for i := range 5 {
		topics = append(topics, fmt.Sprintf("todo-events-p%d", i))
	}
	for _, tp := range topics {
		call("PUT", "/topics/"+tp, map[string]any{})
		call("PUT", "/subscriptions/"+tp+"-push", map[string]any{
			"topic":            "projects/anyfunc-e2e/topics/" + tp,
			"pushConfig":       map[string]any{"pushEndpoint": fn + "/_pubsub/todo-events"},
			"deadLetterPolicy": map[string]any{"deadLetterTopic": "projects/anyfunc-e2e/topics/todo-events-dlq", "maxDeliveryAttempts": 5},
			"retryPolicy":      map[string]any{"minimumBackoff": "0s", "maximumBackoff": "1s"},
		})
	}

	var bodies []string
	for i := range 495 {
		bodies = append(bodies, fmt.Sprintf("message-%03d", i))
	}
	for i := range 5 {
		bodies = append(bodies, fmt.Sprintf("poison-%d", i))
	}
	publish := func(topic string, bodies []string) {
		for i := 0; i < len(bodies); i += 100 {
			var msgs []map[string]any
			for _, b := range bodies[i:min(i+100, len(bodies))] {
				msgs = append(msgs, map[string]any{"data": base64.StdEncoding.EncodeToString([]byte(b)), "attributes": map[string]string{"kind": "e2e"}})
			}
			call("POST", "/topics/"+topic+":publish", map[string]any{"messages": msgs})
		}
	}
	publish("todo-events", bodies[:495])
	for i, b := range bodies[495:] {
		publish(topics[1+i], []string{b})
	}
	var dead []string
	deadline := time.Now().Add(4 * time.Minute)
	for {
		mu.Lock()
		n := len(reports)
		mu.Unlock()
		if n >= 495 && len(dead) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 4 minutes: %d of 495 processed, %d of 5 dead-lettered; poison deliveries %v", n, len(dead), poisonAttempts)
		}
		var pulled struct {
			ReceivedMessages []struct {
				AckID   string `json:"ackId"`
				Message struct {
					Data string `json:"data"`
				} `json:"message"`
			} `json:"receivedMessages"`
		}
		if err := json.Unmarshal(call("POST", "/subscriptions/todo-events-dlq-pull:pull", map[string]any{"maxMessages": 10, "returnImmediately": true}), &pulled); err != nil {
			t.Fatal(err)
		}
		var acks []string
		for _, m := range pulled.ReceivedMessages {
			b, _ := base64.StdEncoding.DecodeString(m.Message.Data)
			dead = append(dead, string(b))
			acks = append(acks, m.AckID)
		}
		if len(acks) > 0 {
			call("POST", "/subscriptions/todo-events-dlq-pull:acknowledge", map[string]any{"ackIds": acks})
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	firstFailures := 0
	for _, b := range bodies[:495] {
		if reports[b] != 1 {
			t.Errorf("%s processed %d times", b, reports[b])
		}
		h := fnv.New32a()
		h.Write([]byte(b))
		if r := h.Sum32() % 20; r == 0 || r == 10 {
			firstFailures++
		}
	}
	for _, b := range bodies[495:] {
		if reports[b] != 0 {
			t.Errorf("%s was processed", b)
		}
	}
	if len(dead) != 5 || strings.Contains(strings.Join(dead, ","), "message-") {
		t.Errorf("dead-lettered %v, want the 5 poison messages", dead)
	}
	t.Logf("500 messages pushed: %d failed their first delivery, %d dead-lettered", firstFailures, len(dead))
}
