// Command local serves the to-do example with a plain net/http server on
// PORT (default 8080):
//
//	go run ./examples/todo/cmd/local
//
// It reads the same configuration as every other entry point (see
// todo.ConfigFromEnv). Todos live in the store named by TODO_STORE_URL, by
// default mem://todos (in memory, gone when the process ends); any
// registered backend can be named, with its emulator endpoint in the URL.
//
// Every request has RequestTimeout (29 s, API Gateway's integration
// timeout, as the Lambda deployment has) to answer: a stalled store call
// ends there and the request is answered 504.
//
// When no authentication is configured, local mode accepts one development
// API key, DevAPIKey, sent as X-Api-Key, and says so at start-up. Set
// TODO_API_KEYS, TODO_JWT_SECRET or TODO_JWKS_URL to use your own.
//
// The local monitoring dashboard (package dashboard) is on: open
// http://127.0.0.1:8090/ while the API runs. TODO_DASHBOARD_ADDR moves it
// (a loopback address, unless TODO_DASHBOARD_AUTH=user:password gives it
// basic authentication); TODO_DASHBOARD=off turns it off. The cloud entry
// points have no dashboard.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/awsdynamodb"
	_ "github.com/anyfunc/anyfunc/store/azurecosmos/entraid" // also registers cosmos://
	_ "github.com/anyfunc/anyfunc/store/gcpfirestore"
	_ "github.com/anyfunc/anyfunc/store/memstore"
)

// DevAPIKey is the API key of the user "dev" when no authentication is
// configured. It exists only in this local command, which then listens on
// the loopback interface only, so the published key opens nothing beyond
// this machine.
const DevAPIKey = "local-dev-key-not-for-production"

// RequestTimeout is each request's deadline: API Gateway's integration
// timeout, so that the API answers locally when it would in the cloud.
const RequestTimeout = 29 * time.Second

// serverOptions configures the server main runs: the deadline, and the
// API's body limit, so that the server reads no more of a body than the
// API accepts before the handler (and authentication) runs.
func serverOptions() []httpserver.Option {
	return []httpserver.Option{httpserver.WithTimeout(RequestTimeout), httpserver.WithMaxBodyBytes(todo.MaxBodyBytes)}
}

func main() {
	h, dev, err := newHandler(context.Background(), nil)
	var addr string
	if err == nil {
		addr, err = listenAddr(dev)
	}
	opts := serverOptions()
	if err == nil {
		var d *dashboard.Dashboard
		if d, err = newDashboard(); d != nil {
			opts = append(opts, httpserver.WithDashboard(d))
		}
	}
	if err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := httpserver.ListenAndServe(ctx, addr, h, opts...); err != nil {
		slog.Error("todo: " + err.Error())
		os.Exit(1)
	}
}

// newDashboard returns the dashboard the environment asks for, or nil with
// TODO_DASHBOARD=off.
func newDashboard() (*dashboard.Dashboard, error) {
	switch v := os.Getenv("TODO_DASHBOARD"); v {
	case "off":
		return nil, nil
	case "", "on":
	default:
		return nil, fmt.Errorf("todo: TODO_DASHBOARD=%q: want on or off", v)
	}
	var opts []dashboard.Option
	if a := os.Getenv("TODO_DASHBOARD_ADDR"); a != "" {
		opts = append(opts, dashboard.WithAddr(a))
	}
	if a := os.Getenv("TODO_DASHBOARD_AUTH"); a != "" {
		user, pw, ok := strings.Cut(a, ":")
		if !ok || user == "" || len(pw) < 12 {
			return nil, errors.New("todo: TODO_DASHBOARD_AUTH: want user:password, the password at least 12 characters")
		}
		opts = append(opts, dashboard.WithBasicAuth(user, pw))
	}
	return dashboard.New("todo API (local)", opts...)
}

// newHandler builds the to-do API from the environment, over s when it is
// not nil (tests) and otherwise over the store TODO_STORE_URL names; dev
// reports that no authentication was configured and the API accepts
// DevAPIKey.
func newHandler(ctx context.Context, s store.Store) (h handler.Handler, dev bool, err error) {
	c, err := todo.ConfigFromEnv("mem://todos")
	if err != nil {
		return nil, false, err
	}
	if c.JWTSecret == "" && c.JWKSURL == "" && c.APIKeys == "" {
		c.APIKeys = "dev:" + DevAPIKey
		dev = true
		slog.Warn("todo: no authentication configured; local mode accepts the development key, on the loopback interface only",
			"header", "X-Api-Key", "key", DevAPIKey)
	}
	// The whole app: the API, and the worker consuming its events from
	// TODO_QUEUE_URL (mem://todo-events: in this process) with the
	// hourly stats repair; httpserver runs both.
	app, err := c.App(ctx, s)
	if err != nil {
		return nil, false, err
	}
	return app, dev, nil
}

// listenAddr is ":PORT" (default 8080), or "127.0.0.1:PORT" when the API
// accepts the development key.
func listenAddr(dev bool) (string, error) {
	addr, err := httpserver.Addr()
	if err != nil || !dev {
		return addr, err
	}
	return "127.0.0.1" + addr, nil
}
