// Command smoke runs the to-do API's synthetic check (package
// examples/todo/smoke) against a deployed or local API and prints a
// one-line verdict with each step's latency; it exits 1 at the first
// failed step, 2 on bad usage.
//
//	go run ./examples/todo/cmd/smoke -url http://127.0.0.1:8080 -api-key local-dev-key-not-for-production
//	SMOKE_API_KEY=... smoke -url https://abc.execute-api.us-east-1.amazonaws.com
//
// Flags: -url (or SMOKE_URL), -api-key (or SMOKE_API_KEY), -bearer (or
// SMOKE_BEARER_TOKEN), -timeout (the whole run, default 60s). Credentials
// are better given through the environment than on a command line.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo/smoke"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	url := fs.String("url", os.Getenv("SMOKE_URL"), "the API's base URL")
	key := fs.String("api-key", os.Getenv("SMOKE_API_KEY"), "API key, sent as X-Api-Key")
	bearer := fs.String("bearer", os.Getenv("SMOKE_BEARER_TOKEN"), "bearer token, sent as Authorization")
	timeout := fs.Duration("timeout", time.Minute, "bound of the whole run")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *url == "" || (*key == "" && *bearer == "") {
		fmt.Fprintln(os.Stderr, "smoke: give -url (or SMOKE_URL) and -api-key (SMOKE_API_KEY) or -bearer (SMOKE_BEARER_TOKEN)")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res := smoke.Run(ctx, smoke.Config{BaseURL: *url, APIKey: *key, BearerToken: *bearer})
	fmt.Println(res.Verdict())
	if res.Err != nil {
		return 1
	}
	return 0
}
