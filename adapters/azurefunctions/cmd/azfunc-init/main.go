// Command azfunc-init writes the files the Azure Functions host needs to run
// an anyfunc handler as a custom handler: host.json, naming the executable
// and the mode; one function folder whose function.json has a catch-all
// HTTP route, so every request reaches the handler and its own router; and
// local.settings.json with FUNCTIONS_WORKER_RUNTIME=custom for `func start`
// (set the same app setting on the function app in Azure).
//
//	go run github.com/anyfunc/anyfunc/adapters/azurefunctions/cmd/azfunc-init -dir deploy/azure -exe handler
//
// Flags:
//
//	-dir          app directory to write to (default ".")
//	-exe          the handler executable, relative to the app directory (default "handler")
//	-function     name of the catch-all function folder (default "anyfunc")
//	-mode         "proxy" (enableProxyingHttpRequest, recommended) or "payload" (default "proxy")
//	-route-prefix extensions.http.routePrefix (default "api"; "" for none)
//	-auth-level   "anonymous", "function" or "admin" (default "function")
//	-timeout      functionTimeout, e.g. "00:05:00" (default: the plan's)
//	-queue        NAME=QUEUE: also write function NAME, a queueTrigger on
//	              QUEUE, for the event.App consumer NAME (repeatable)
//	-timer        NAME=NCRONTAB: also write function NAME, a timerTrigger
//	              firing on the six-field expression, for the event.App
//	              schedule NAME (repeatable)
//	-connection   the app setting holding the queues' storage connection
//	              string (default "AzureWebJobsStorage")
//	-max-dequeue-count
//	              host.json extensions.queues.maxDequeueCount: deliveries of a
//	              failing message before it moves to QUEUE-poison (default 5)
//	-force        overwrite an existing host.json and function.json
//	              (an existing local.settings.json is always kept)
//
// The names, queues and schedules must be those the program declares on
// its event.App (azurefunctions.FunctionJSON gives the same files from the
// declarations themselves).
//
// Build the executable for the platform the app runs on, for example
// GOOS=linux GOARCH=amd64 go build -o deploy/azure/handler ./cmd/azure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler/event"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "azfunc-init:", err)
		os.Exit(2)
	}
}

var functionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,127}$`)

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("azfunc-init", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	dir := flags.String("dir", ".", "app directory")
	exe := flags.String("exe", "handler", "handler executable")
	function := flags.String("function", "anyfunc", "function folder name")
	mode := flags.String("mode", "proxy", `"proxy" or "payload"`)
	prefix := flags.String("route-prefix", "api", "route prefix")
	auth := flags.String("auth-level", "function", `"anonymous", "function" or "admin"`)
	timeout := flags.String("timeout", "", "functionTimeout")
	force := flags.Bool("force", false, "overwrite existing files")
	var queues, timers pairs
	flags.Var(&queues, "queue", "NAME=QUEUE")
	flags.Var(&timers, "timer", "NAME=NCRONTAB")
	connection := flags.String("connection", "AzureWebJobsStorage", "storage connection setting")
	maxDequeue := flags.Int("max-dequeue-count", 5, "extensions.queues.maxDequeueCount")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, flags)
			return nil
		}
		return fmt.Errorf("%w (azfunc-init -h prints the usage)", err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	if *mode != "proxy" && *mode != "payload" {
		return fmt.Errorf(`-mode must be "proxy" or "payload", not %q`, *mode)
	}
	switch *auth {
	case "anonymous", "function", "admin":
	default:
		return fmt.Errorf(`-auth-level must be "anonymous", "function" or "admin", not %q`, *auth)
	}
	if !functionName.MatchString(*function) {
		return fmt.Errorf("-function %q is not a valid function name (a letter, then letters, digits, _ or -)", *function)
	}
	if *exe == "" {
		return errors.New("-exe must not be empty")
	}
	if *maxDequeue < 1 {
		return fmt.Errorf("-max-dequeue-count must be at least 1, not %d", *maxDequeue)
	}
	app := event.NewApp(nil)
	for _, q := range queues {
		app.Consume(q[0], event.MessageHandlerFunc(func(context.Context, *event.Message) error { return nil }),
			event.Queues(q[1]), event.Connection(*connection))
	}
	for _, tm := range timers {
		app.Schedule(tm[0], event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { return nil }), event.Cron(tm[1]))
	}
	for _, n := range append(queues.names(), timers.names()...) {
		if !functionName.MatchString(n) || equalFold(n, *function) {
			return fmt.Errorf("function name %q is not valid or is the HTTP function's", n)
		}
	}
	if err := app.Err(); err != nil {
		return err
	}

	customHandler := map[string]any{
		"description": map[string]any{
			"defaultExecutablePath": *exe,
			"workingDirectory":      "",
			"arguments":             []string{},
		},
		"enableProxyingHttpRequest": *mode == "proxy",
	}
	host := map[string]any{
		"version":       "2.0",
		"customHandler": customHandler,
		"extensionBundle": map[string]any{
			"id":      "Microsoft.Azure.Functions.ExtensionBundle",
			"version": "[4.*, 5.0.0)",
		},
		"extensions": map[string]any{"http": map[string]any{"routePrefix": *prefix}},
	}
	if len(queues) > 0 {
		host["extensions"].(map[string]any)["queues"] = map[string]any{"maxDequeueCount": *maxDequeue}
	}
	if *timeout != "" {
		host["functionTimeout"] = *timeout
	}
	fn := map[string]any{
		"bindings": []any{
			map[string]any{
				"type":      "httpTrigger",
				"direction": "in",
				"name":      "req",
				"authLevel": *auth,
				"methods":   []string{"get", "post", "put", "patch", "delete", "head", "options"},
				"route":     "{*path}",
			},
			map[string]any{"type": "http", "direction": "out", "name": "res"},
		},
	}
	local := map[string]any{
		"IsEncrypted": false,
		"Values":      map[string]any{"FUNCTIONS_WORKER_RUNTIME": "custom", "AzureWebJobsStorage": ""},
	}
	// local.settings.json may hold the developer's secrets: an existing one
	// is kept, even with -force.
	files := []struct {
		path string
		v    any
		keep bool
	}{
		{filepath.Join(*dir, "host.json"), host, false},
		{filepath.Join(*dir, *function, "function.json"), fn, false},
		{filepath.Join(*dir, "local.settings.json"), local, true},
	}
	fjs := azurefunctions.FunctionJSON(app)
	for _, n := range append(queues.names(), timers.names()...) {
		files = append(files, struct {
			path string
			v    any
			keep bool
		}{filepath.Join(*dir, n, "function.json"), json.RawMessage(fjs[n]), false})
	}
	exists := make([]bool, len(files))
	for i, f := range files {
		_, err := os.Stat(f.path)
		switch {
		case err == nil:
			exists[i] = true
			if !*force && !f.keep {
				return fmt.Errorf("%s exists; use -force to overwrite it", f.path)
			}
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	for i, f := range files {
		if exists[i] && f.keep {
			fmt.Fprintln(stdout, "kept", f.path)
			continue
		}
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", f.path)
	}
	return nil
}

// pairs collects repeated NAME=VALUE flags.
type pairs [][2]string

func (p *pairs) String() string { return fmt.Sprint(*p) }

func (p *pairs) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || name == "" || val == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	*p = append(*p, [2]string{name, val})
	return nil
}

func (p pairs) names() []string {
	var out []string
	for _, kv := range p {
		out = append(out, kv[0])
	}
	return out
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// usage prints what -h and -help ask for.
func usage(w io.Writer, flags *flag.FlagSet) {
	fmt.Fprint(w, `Usage: azfunc-init [flags]

Writes host.json, a function folder whose function.json routes every
request to the handler (and, with -queue and -timer, trigger functions),
and local.settings.json, so that the Azure
Functions host runs an anyfunc handler as a custom handler.

Flags:
`)
	flags.SetOutput(w)
	flags.PrintDefaults()
}
