package statsproof_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/examples/todo/internal/statsproof"
	"github.com/anyfunc/anyfunc/internal/emulator"
)

// TestStatsOnGoogleEndToEnd is the stats proof (package statsproof) on
// Google Cloud: the example's own stats consumer (the worker behind GET
// /stats, idempotent through event.Dedupe) runs in a built function
// (statsproof/statsfunc) served by the Functions Framework, to which the
// Pub/Sub emulator's push subscriptions (dead-letter topic after 5
// delivery attempts) deliver the events; a failed delivery answers
// non-2xx and is redelivered.
//
// The 500 events: 495 of a seeded history of five users' todos, 50 of
// whose first deliveries fail (before the consumer runs, after it
// committed, or by a panic after it committed), and 5 poison ones. Once
// the function acknowledged every other event (it counts its deliveries,
// at statsproof.AcksPath) and the dead-letter topic received 5: each event
// was acknowledged once and failed only as marked, GET /stats must equal
// the users' todos as the history left them, and the dead-lettered are
// exactly the 5 poison events.
func TestStatsOnGoogleEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Pub/Sub emulator and a function binary")
	}
	psHost, stopPS, err := emulator.Launch(emulator.PubSub)
	emulator.Need(t, emulator.PubSub, err)
	t.Cleanup(stopPS)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	bin := filepath.Join(t.TempDir(), "statsfunc")
	if out, err := exec.Command("go", "build", "-o", bin, "./statsfunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fn, stopFn, err := emulator.Launch(emulator.Spec{
		Name: "functions-framework statsfunc",
		Command: func(port int) (*exec.Cmd, error) {
			cmd := exec.Command(bin)
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "FUNCTION_TARGET=E2E", "E2E_PLATFORM=gcp", "E2E_QUEUE=todo-events",
				"TODO_STORE_URL=mem://todos", "TODO_JWT_SECRET=", "TODO_JWKS_URL=", "TODO_API_KEYS="+statsproof.APIKeys())
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

	do := func(method, url, key string, body any) []byte {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, url, rd)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, out)
		}
		return out
	}
	api := "http://" + psHost + "/v1/projects/anyfunc-stats"
	do("PUT", api+"/topics/dlq", "", map[string]any{})
	do("PUT", api+"/subscriptions/dlq-pull", "", map[string]any{"topic": "projects/anyfunc-stats/topics/dlq"})
	// The emulator backs off a push subscription's deliveries for the
	// whole subscription, more with every failure: each poison event has a
	// topic and push subscription of its own (the same consumer, the same
	// dead-letter topic), as in adapters/gcpfunctions' push test.
	msgs, want := statsproof.History()
	topicOf := func(m statsproof.Message) string {
		if m.Fault == "poison" {
			return fmt.Sprintf("todo-events-p%d", m.Seq)
		}
		return "todo-events"
	}
	created := map[string]bool{}
	for _, m := range msgs {
		tp := topicOf(m)
		if created[tp] {
			continue
		}
		created[tp] = true
		do("PUT", api+"/topics/"+tp, "", map[string]any{})
		do("PUT", api+"/subscriptions/"+tp+"-push", "", map[string]any{
			"topic":            "projects/anyfunc-stats/topics/" + tp,
			"pushConfig":       map[string]any{"pushEndpoint": fn + "/_pubsub/" + todo.EventsConsumer},
			"deadLetterPolicy": map[string]any{"deadLetterTopic": "projects/anyfunc-stats/topics/dlq", "maxDeliveryAttempts": 5},
			"retryPolicy":      map[string]any{"minimumBackoff": "0s", "maximumBackoff": "1s"},
		})
	}
	for i := 0; i < len(msgs); i += 100 {
		byTopic := map[string][]map[string]any{}
		for _, m := range msgs[i:min(i+100, len(msgs))] {
			byTopic[topicOf(m)] = append(byTopic[topicOf(m)], map[string]any{"data": base64.StdEncoding.EncodeToString(m.Body)})
		}
		for tp, batch := range byTopic {
			do("POST", api+"/topics/"+tp+":publish", "", map[string]any{"messages": batch})
		}
	}

	var dead []string
	var got statsproof.Deliveries
	for {
		got = statsproof.Deliveries{}
		if err := json.Unmarshal(do("GET", fn+statsproof.AcksPath, statsproof.APIKey("alice"), nil), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Acked) >= statsproof.Size-statsproof.Poison && len(dead) >= statsproof.Poison {
			break
		}
		var pulled struct {
			ReceivedMessages []struct {
				AckID   string `json:"ackId"`
				Message struct {
					Data string `json:"data"`
				} `json:"message"`
			} `json:"receivedMessages"`
		}
		if err := json.Unmarshal(do("POST", api+"/subscriptions/dlq-pull:pull", "", map[string]any{"maxMessages": 10, "returnImmediately": true}), &pulled); err != nil {
			t.Fatal(err)
		}
		var acks []string
		for _, m := range pulled.ReceivedMessages {
			b, _ := base64.StdEncoding.DecodeString(m.Message.Data)
			if _, fault, err := statsproof.Decode(b); err != nil || fault != "poison" {
				t.Errorf("dead-lettered: %s", b)
			}
			dead = append(dead, string(b))
			acks = append(acks, m.AckID)
		}
		if len(acks) > 0 {
			do("POST", api+"/subscriptions/dlq-pull:acknowledge", "", map[string]any{"ackIds": acks})
			continue
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d events acknowledged, %d dead-lettered: %v", len(got.Acked), statsproof.Size-statsproof.Poison, len(dead), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	failedFirst, problems := got.Check(msgs, 5)
	for _, p := range problems {
		t.Error(p)
	}
	if len(dead) != statsproof.Poison {
		t.Errorf("dead-lettered %d, want the %d poison events: %v", len(dead), statsproof.Poison, dead)
	}
	for _, u := range statsproof.Users {
		var got todo.Stats
		if err := json.Unmarshal(do("GET", fn+"/stats", statsproof.APIKey(u), nil), &got); err != nil {
			t.Fatal(err)
		}
		if got != want[u] {
			t.Errorf("GET /stats as %s = %+v, want %+v", u, got, want[u])
		}
	}
	t.Logf("500 events pushed, %d first deliveries failed, %d dead-lettered; stats %+v", failedFirst, len(dead), want)
}
