package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTriggerFunctionFolders(t *testing.T) {
	dir := t.TempDir()
	err := run([]string{"-dir", dir, "-queue", "todo-events=todo-q", "-timer", "repair=0 0 * * * *", "-max-dequeue-count", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) map[string]any {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return v
	}
	q := read("todo-events/function.json")["bindings"].([]any)[0].(map[string]any)
	if q["type"] != "queueTrigger" || q["queueName"] != "todo-q" || q["connection"] != "AzureWebJobsStorage" || q["name"] != "msg" {
		t.Errorf("queue function %v", q)
	}
	tm := read("repair/function.json")["bindings"].([]any)[0].(map[string]any)
	if tm["type"] != "timerTrigger" || tm["schedule"] != "0 0 * * * *" || tm["name"] != "timer" {
		t.Errorf("timer function %v", tm)
	}
	host := read("host.json")
	if got := host["extensions"].(map[string]any)["queues"].(map[string]any)["maxDequeueCount"]; got != 3.0 {
		t.Errorf("maxDequeueCount %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "anyfunc", "function.json")); err != nil {
		t.Errorf("the HTTP function is missing: %v", err)
	}
	for _, args := range [][]string{
		{"-queue", "noequals"},
		{"-timer", "repair=0 * * * *"}, // five fields
		{"-queue", "anyfunc=q"},        // the HTTP function's name
		{"-queue", "a=q", "-timer", "a=0 0 * * * *"},
		{"-queue", "a b=q"},
		{"-max-dequeue-count", "0"},
	} {
		if err := run(append([]string{"-dir", t.TempDir()}, args...), io.Discard); err == nil {
			t.Errorf("%q accepted", strings.Join(args, " "))
		}
	}
}
