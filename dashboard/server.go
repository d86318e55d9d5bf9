package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"
)

//go:embed assets
var assets embed.FS

// Handler returns the http.Handler serving the page (GET /, /app.js,
// /style.css) and its data (GET /snapshot.json?window=15m|1h|24h, default
// 15m). Without authentication it answers only requests that come over a
// loopback connection (403 otherwise), wherever it is mounted; with it,
// it answers 401 to a request the check refuses.
func (d *Dashboard) Handler() http.Handler {
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", files)
	mux.Handle("GET /app.js", files)
	mux.Handle("GET /style.css", files)
	mux.HandleFunc("GET /snapshot.json", d.serveSnapshot)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The page loads nothing from elsewhere, and runs no inline code.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		switch {
		case d.o.auth == nil && !isLoopbackPeer(r):
			http.Error(w, "dashboard: loopback connections only", http.StatusForbidden)
			return
		case d.o.auth != nil && !d.o.auth(r):
			h.Set("WWW-Authenticate", `Basic realm="dashboard", charset="UTF-8"`)
			http.Error(w, "dashboard: authentication required", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (d *Dashboard) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("window")
	if name == "" {
		name = "15m"
	}
	window, ok := windows[name]
	if !ok {
		http.Error(w, fmt.Sprintf("dashboard: window %q: want 15m, 1h or 24h", name), http.StatusBadRequest)
		return
	}
	snap, err := d.Snapshot(window)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(snap)
}

// ListenAndServe serves the dashboard on its address (WithAddr) until ctx
// ends, then closes it and returns nil.
func (d *Dashboard) ListenAndServe(ctx context.Context, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", d.o.addr)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return d.Serve(ctx, ln, logger)
}

// Serve is ListenAndServe on a listener the caller opened; it closes ln.
// A nil logger means slog.Default().
func (d *Dashboard) Serve(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	u := "http://" + ln.Addr().String() + "/"
	if d.url.CompareAndSwap(nil, &u) {
		close(d.ready)
	}
	logger.Info("dashboard: listening", slog.String("url", u))
	select {
	case err := <-errc:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("dashboard: %w", err)
	}
	srv.Close()
	return nil
}
