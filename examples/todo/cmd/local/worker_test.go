package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// The local server is the whole app: the API's events go through
// mem://todo-events to the consumer in the same process, and GET /stats
// follows what the API did.
func TestLocalRunsTheWorker(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "")
	t.Setenv("TODO_API_KEYS", "")
	t.Setenv("TODO_JWT_SECRET", "")
	t.Setenv("TODO_JWKS_URL", "")
	t.Setenv("TODO_QUEUE_URL", fmt.Sprintf("mem://local-worker-%d", time.Now().UnixNano()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, _, err := newHandler(ctx, memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, ln, h) }()
	base := "http://" + ln.Addr().String()
	call := func(method, path string, body any) *http.Response {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("X-Api-Key", DevAPIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var ids []string
	for i := range 20 {
		resp := call("POST", "/todos", map[string]string{"title": fmt.Sprint("t", i)})
		var td todo.Todo
		json.NewDecoder(resp.Body).Decode(&td)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("POST: %d", resp.StatusCode)
		}
		ids = append(ids, td.ID)
	}
	for _, id := range ids[:5] {
		call("PATCH", "/todos/"+id, map[string]bool{"done": true}).Body.Close()
	}
	for _, id := range ids[17:] {
		call("DELETE", "/todos/"+id, nil).Body.Close()
	}
	day := time.Now().UTC().Format(time.DateOnly)
	want := todo.Stats{Open: 12, Done: 5, CompletedToday: 5}
	var got todo.Stats
	for deadline := time.Now().Add(time.Minute); ; {
		resp := call("GET", "/stats", nil)
		got = todo.Stats{}
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got == want {
			break
		}
		if got.Open == want.Open && got.Done == want.Done && time.Now().UTC().Format(time.DateOnly) != day {
			break // midnight (UTC) passed: the completions were yesterday's
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /stats = %+v, want %+v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
