package azurefunctions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is what the adapter takes from host.json and the app settings.
type config struct {
	mode        Mode
	routePrefix string
	timeout     time.Duration
}

// The app settings that override host.json, as the host reads them.
const (
	envProxying    = "AzureFunctionsJobHost__customHandler__enableProxyingHttpRequest"
	envForwarding  = "AzureFunctionsJobHost__customHandler__enableForwardingHttpRequest"
	envRoutePrefix = "AzureFunctionsJobHost__extensions__http__routePrefix"
	envTimeout     = "AzureFunctionsJobHost__functionTimeout"
)

// loadConfig reads host.json in dir (the working directory when empty). When
// the mode is forced, a missing host.json is not an error.
func loadConfig(dir string, forced bool) (config, error) {
	cfg := config{mode: ModePayload, routePrefix: "api"}
	path := filepath.Join(dir, "host.json")
	data, err := os.ReadFile(path)
	switch {
	case err != nil && forced && errors.Is(err, fs.ErrNotExist):
		return cfg, applyEnv(&cfg, nil, nil)
	case err != nil:
		return cfg, fmt.Errorf("azurefunctions: cannot read host.json: %w; the Functions host starts the handler in the app's root, next to host.json (or use WithDir, or force a mode with WithMode)", err)
	}
	// Editors on Windows (Visual Studio among them) may start the file with
	// a UTF-8 byte order mark, which the host accepts.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return cfg, fmt.Errorf("azurefunctions: %s is not a JSON object: %w", path, err)
	}
	ch, err := section(root, "customHandler")
	if err != nil {
		return cfg, fmt.Errorf("azurefunctions: %s: %w", path, err)
	}
	hw, err := section(root, "httpWorker")
	if err != nil {
		return cfg, fmt.Errorf("azurefunctions: %s: %w", path, err)
	}
	var fwd, prx *bool
	switch {
	case ch != nil:
		if hw != nil {
			slog.Warn("azurefunctions: host.json has both customHandler and httpWorker sections; customHandler takes precedence, as in the host")
		}
		if fwd, err = boolSetting(ch, "enableForwardingHttpRequest"); err != nil {
			return cfg, fmt.Errorf("azurefunctions: %s: customHandler.%w", path, err)
		}
		if prx, err = boolSetting(ch, "enableProxyingHttpRequest"); err != nil {
			return cfg, fmt.Errorf("azurefunctions: %s: customHandler.%w", path, err)
		}
	case hw != nil:
		// The legacy httpWorker section always forwards HTTP requests.
		t := true
		fwd = &t
	case !forced:
		return cfg, fmt.Errorf("azurefunctions: %s has no customHandler section; run azfunc-init to write one, or force a mode with WithMode", path)
	}
	if ext, err := section(root, "extensions"); err != nil {
		return cfg, fmt.Errorf("azurefunctions: %s: %w", path, err)
	} else if ext != nil {
		httpSec, err := section(ext, "http")
		if err != nil {
			return cfg, fmt.Errorf("azurefunctions: %s: extensions.%w", path, err)
		}
		if httpSec != nil {
			v, err := lookup(httpSec, "routePrefix")
			if err != nil {
				return cfg, fmt.Errorf("azurefunctions: %s: extensions.http.%w", path, err)
			}
			if v != nil {
				s, ok := v.(string)
				if !ok {
					return cfg, fmt.Errorf("azurefunctions: %s: extensions.http.routePrefix must be a string", path)
				}
				cfg.routePrefix = s
			}
		}
	}
	if v, err := lookup(root, "functionTimeout"); err != nil {
		return cfg, fmt.Errorf("azurefunctions: %s: %w", path, err)
	} else if v != nil {
		s, ok := v.(string)
		if !ok {
			return cfg, fmt.Errorf("azurefunctions: %s: functionTimeout must be a string such as \"00:05:00\"", path)
		}
		if cfg.timeout, err = parseTimeSpan(s); err != nil {
			return cfg, fmt.Errorf("azurefunctions: %s: functionTimeout: %w", path, err)
		}
	}
	return cfg, applyEnv(&cfg, fwd, prx)
}

// applyEnv lets the app settings override host.json and settles the mode.
func applyEnv(cfg *config, fwd, prx *bool) error {
	for _, s := range []struct {
		name string
		dst  **bool
	}{{envForwarding, &fwd}, {envProxying, &prx}} {
		if v, ok := os.LookupEnv(s.name); ok {
			b, err := parseBool(v)
			if err != nil {
				return fmt.Errorf("azurefunctions: app setting %s: %w", s.name, err)
			}
			*s.dst = &b
		}
	}
	if fwd != nil && prx != nil && *fwd && *prx {
		return errors.New("azurefunctions: host.json enables both customHandler.enableForwardingHttpRequest and customHandler.enableProxyingHttpRequest; keep only enableProxyingHttpRequest")
	}
	if (fwd != nil && *fwd) || (prx != nil && *prx) {
		cfg.mode = ModeProxy
	}
	if v, ok := os.LookupEnv(envRoutePrefix); ok {
		cfg.routePrefix = v
	}
	if v, ok := os.LookupEnv(envTimeout); ok {
		d, err := parseTimeSpan(v)
		if err != nil {
			return fmt.Errorf("azurefunctions: app setting %s: %w", envTimeout, err)
		}
		cfg.timeout = d
	}
	return nil
}

// lookup finds key in m case-insensitively, as the host's configuration
// does; two keys that differ only in case are ambiguous.
func lookup(m map[string]any, key string) (any, error) {
	var found any
	var name string
	for k, v := range m {
		if !strings.EqualFold(k, key) {
			continue
		}
		if name != "" {
			return nil, fmt.Errorf("%s is ambiguous: both %q and %q are set", key, name, k)
		}
		found, name = v, k
	}
	return found, nil
}

// section returns the object at key, nil when absent.
func section(m map[string]any, key string) (map[string]any, error) {
	v, err := lookup(m, key)
	if err != nil || v == nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", key)
	}
	return obj, nil
}

// boolSetting reads a boolean setting, given as a JSON boolean or, as the
// host's configuration binder also accepts, the string "true" or "false".
func boolSetting(m map[string]any, key string) (*bool, error) {
	v, err := lookup(m, key)
	if err != nil || v == nil {
		return nil, err
	}
	switch b := v.(type) {
	case bool:
		return &b, nil
	case string:
		p, err := parseBool(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		return &p, nil
	}
	return nil, fmt.Errorf("%s must be true or false", key)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is neither true nor false", s)
}

// parseTimeSpan parses a .NET TimeSpan as host.json's functionTimeout is
// written: "[d.]hh:mm[:ss[.fraction]]", or "-1" for no timeout (0).
func parseTimeSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return 0, nil
	}
	bad := fmt.Errorf("%q is not a time span such as \"00:05:00\" (or \"-1\" for none)", s)
	var days int64
	if dot, colon := strings.IndexByte(s, '.'), strings.IndexByte(s, ':'); dot >= 0 && colon > dot {
		d, err := strconv.ParseInt(s[:dot], 10, 32)
		if err != nil || d < 0 {
			return 0, bad
		}
		days, s = d, s[dot+1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	h, err1 := strconv.ParseUint(parts[0], 10, 8)
	m, err2 := strconv.ParseUint(parts[1], 10, 8)
	if err1 != nil || err2 != nil || h > 23 || m > 59 {
		return 0, bad
	}
	var sec float64
	if len(parts) == 3 {
		f, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || f < 0 || f >= 60 || strings.ContainsAny(parts[2], "eE+-") {
			return 0, bad
		}
		sec = f
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(sec*float64(time.Second))
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}
