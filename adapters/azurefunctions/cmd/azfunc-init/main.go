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
//	-force        overwrite an existing host.json and function.json
//	              (an existing local.settings.json is always kept)
//
// Build the executable for the platform the app runs on, for example
// GOOS=linux GOARCH=amd64 go build -o deploy/azure/handler ./cmd/azure.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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
	if err := flags.Parse(args); err != nil {
		return err
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
