package middleware

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/internal/kit"
	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// LogFormat selects the field names of log lines.
type LogFormat int

// The log formats. LogAuto picks, for each request, the format of the
// platform its adapter reports (handler.Invocation.Platform).
const (
	// LogAuto: LogLambda on AWS Lambda, LogGCP on Google Cloud Functions,
	// LogAzure on Azure Functions, LogJSON elsewhere.
	LogAuto LogFormat = iota
	// LogJSON: slog's JSON fields (time, level, msg) plus requestId,
	// traceId and spanId.
	LogJSON
	// LogGCP: Google Cloud Logging's structured fields: severity, message,
	// logging.googleapis.com/trace (and spanId, trace_sampled) and
	// httpRequest.
	LogGCP
	// LogLambda: the shape of Lambda's JSON log format: timestamp, level,
	// message, requestId (the Lambda invocation's request ID).
	LogLambda
	// LogAzure: fields Application Insights picks up from a custom
	// handler's output: timestamp, severityLevel, message, operation_Id
	// (the trace ID), InvocationId.
	LogAzure
)

// LoggerOption configures Logger.
type LoggerOption func(*loggerConfig)

type loggerConfig struct {
	w       io.Writer
	format  LogFormat
	level   slog.Leveler
	project string
}

// LogTo sets where log lines go; the default is os.Stdout, which every
// platform collects.
func LogTo(w io.Writer) LoggerOption { return func(c *loggerConfig) { c.w = w } }

// WithLogFormat overrides the automatic choice of format.
func WithLogFormat(f LogFormat) LoggerOption { return func(c *loggerConfig) { c.format = f } }

// LogLevel sets the minimum level of the request-scoped logger; the access
// line is logged at Info (Error for 5xx answers).
func LogLevel(l slog.Leveler) LoggerOption { return func(c *loggerConfig) { c.level = l } }

// LogGCPProject sets the Google Cloud project used in
// logging.googleapis.com/trace; the default is GOOGLE_CLOUD_PROJECT.
func LogGCPProject(id string) LoggerOption { return func(c *loggerConfig) { c.project = id } }

// Logger writes one JSON line per request — method, route pattern, path,
// status, duration, bytes in and out, request ID, trace ID, user (the
// verified identity's subject) and the cold-start flag — and gives the
// handler a request-scoped *slog.Logger carrying the request and trace IDs
// (handler.Logger(ctx)).
//
// Field names follow the platform's own tooling (see LogFormat). Header
// values are never logged by the access line. In the lines handlers log,
// attributes whose names mark a secret (authorization, proxy-authorization,
// cookie, set-cookie, x-api-key, and any name containing apikey, api-key,
// api_key, token, secret, password, passwd, cookie, credential, session or
// signature) are redacted, and so are those headers, and headers whose
// names end in "-key", in an http.Header or map[string][]string a handler
// logs. A *handler.Request logs as its method, path and IDs only (see
// handler.Request.LogValue). Place Logger inside Tracing to
// get trace IDs of spans it starts; without Tracing the trace ID is taken
// from the inbound trace headers.
func Logger(opts ...LoggerOption) handler.Middleware {
	c := loggerConfig{w: os.Stdout, level: slog.LevelInfo, project: os.Getenv("GOOGLE_CLOUD_PROJECT")}
	for _, o := range opts {
		o(&c)
	}
	w := &lockedWriter{w: c.w}
	var handlers [LogAzure + 1]slog.Handler
	for f := LogJSON; f <= LogAzure; f++ {
		handlers[f] = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.level, ReplaceAttr: replacer(f)})
	}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (resp *handler.Response, err error) {
			start := obs.Clock() // the end needs the wall clock too, the start does not
			inv, _ := handler.InvocationFrom(ctx)
			format := c.format
			if format == LogAuto {
				format = formatFor(inv)
			}
			sc := obs.Current(ctx)
			if !sc.IsValid() {
				sc = obs.Inbound(ctx, r)
			}
			rl := newRequestLogger(ctx, handlers[format], format, r, inv, sc, c.project)
			status := 500 // a panic is answered 500
			defer func() {
				end := time.Now()
				accessLine(w, c.level, rl, r, inv, status, resp, end, obs.ClockAt(end)-start)
			}()
			// rl is ctx with the request logger (handler.Logger(rl) returns it).
			resp, err = next.ServeRequest(rl, r)
			status = obs.StatusOf(resp, err)
			return resp, err
		})
	}
}

func formatFor(inv *handler.Invocation) LogFormat {
	if inv != nil {
		switch inv.Platform {
		case "aws-lambda":
			return LogLambda
		case "gcp-functions":
			return LogGCP
		case "azure-functions":
			return LogAzure
		}
	}
	return LogJSON
}

// requestLogger is the request-scoped logger, its handler and the IDs
// every line of the request carries, in one allocation; it is also the
// handler's context, which carries the logger as
// handler.ContextWithLogger(ctx, &l) would, without an allocation of its
// own. The IDs are kept as strings and written out as attributes (see
// idAttrs) only when the handler logs; the access line writes them itself.
type requestLogger struct {
	context.Context // the request's context, which this one extends
	l               slog.Logger
	inner           slog.Handler
	format          LogFormat
	// requestID is the Request's ID; invID the invocation's, if any.
	requestID, invID string
	// traceID and spanID are the span's IDs in hex, or empty.
	traceID, spanID string
	sampled         bool
	project         string // for LogGCP's trace resource name
	hex             [48]byte
}

func newRequestLogger(ctx context.Context, inner slog.Handler, f LogFormat, r *handler.Request, inv *handler.Invocation, sc obs.SpanContext, project string) *requestLogger {
	rl := &requestLogger{Context: ctx, inner: inner, format: f, requestID: r.RequestID, project: project, sampled: sc.Sampled}
	if inv != nil {
		rl.invID = inv.ID
	}
	if sc.IsValid() {
		// The strings point into rl.hex, written once, here, and never
		// again: they live as long as rl.
		hex.Encode(rl.hex[:32], sc.TraceID[:])
		hex.Encode(rl.hex[32:], sc.SpanID[:])
		rl.traceID = unsafe.String(&rl.hex[0], 32)
		rl.spanID = unsafe.String(&rl.hex[32], 16)
	}
	rl.l = *slog.New((*requestHandler)(rl))
	return rl
}

// loggerKey is the key handler.ContextWithLogger stores the logger under,
// which handler.Logger looks up.
var loggerKey = kit.LoggerKey

// Value answers handler.Logger's key with the request logger, anything else
// from the request's context.
func (rl *requestLogger) Value(key any) any {
	if key == loggerKey {
		return &rl.l
	}
	return rl.Context.Value(key)
}

// requestHandler is the request logger's slog.Handler: it adds the
// request's ID attributes to every record, and costs no allocation of its
// own where slog.Logger.With would pre-format them.
type requestHandler requestLogger

func (h *requestHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *requestHandler) Handle(ctx context.Context, rec slog.Record) error {
	var ids [5]slog.Attr
	rec.AddAttrs(ids[:(*requestLogger)(h).idAttrs(&ids)]...)
	return h.inner.Handle(ctx, rec)
}

func (h *requestHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var ids [5]slog.Attr
	n := (*requestLogger)(h).idAttrs(&ids)
	return h.inner.WithAttrs(append(ids[:n:n], attrs...))
}

func (h *requestHandler) WithGroup(name string) slog.Handler {
	var ids [5]slog.Attr
	n := (*requestLogger)(h).idAttrs(&ids)
	return h.inner.WithAttrs(ids[:n]).WithGroup(name)
}

// idAttrs writes into ids the attributes every line of the request
// carries, and returns how many. appendIDs writes the same into the access
// line.
func (rl *requestLogger) idAttrs(ids *[5]slog.Attr) int {
	switch rl.format {
	case LogGCP:
		ids[0] = slog.String("requestId", rl.requestID)
		if rl.traceID == "" {
			return 1
		}
		t := rl.traceID
		if rl.project != "" {
			t = "projects/" + rl.project + "/traces/" + rl.traceID
		}
		ids[1] = slog.String("logging.googleapis.com/trace", t)
		ids[2] = slog.String("logging.googleapis.com/spanId", rl.spanID)
		ids[3] = slog.Bool("logging.googleapis.com/trace_sampled", rl.sampled)
		return 4
	case LogLambda:
		id := rl.invID
		if id == "" {
			id = rl.requestID
		}
		ids[0], ids[1], ids[2] = slog.String("requestId", id), slog.String("httpRequestId", rl.requestID), slog.String("traceId", rl.traceID)
		return 3
	case LogAzure:
		ids[0], ids[1], ids[2] = slog.String("InvocationId", rl.invID), slog.String("requestId", rl.requestID), slog.String("operation_Id", rl.traceID)
		return 3
	}
	ids[0] = slog.String("requestId", rl.requestID)
	if rl.traceID == "" {
		return 1
	}
	ids[1], ids[2] = slog.String("traceId", rl.traceID), slog.String("spanId", rl.spanID)
	return 3
}

// appendIDs appends to an access line the fields idAttrs makes, in its
// order, as JSON.
func (rl *requestLogger) appendIDs(b []byte) []byte {
	switch rl.format {
	case LogGCP:
		b = jsonscan.AppendString(append(b, `,"requestId":`...), rl.requestID)
		if rl.traceID == "" {
			return b
		}
		b = append(b, `,"logging.googleapis.com/trace":"`...)
		if rl.project != "" {
			b = append(jsonscan.AppendEscaped(append(b, "projects/"...), rl.project), "/traces/"...)
		}
		b = append(append(b, rl.traceID...), '"')
		b = append(append(append(b, `,"logging.googleapis.com/spanId":"`...), rl.spanID...), '"')
		return strconv.AppendBool(append(b, `,"logging.googleapis.com/trace_sampled":`...), rl.sampled)
	case LogLambda:
		id := rl.invID
		if id == "" {
			id = rl.requestID
		}
		b = jsonscan.AppendString(append(b, `,"requestId":`...), id)
		b = jsonscan.AppendString(append(b, `,"httpRequestId":`...), rl.requestID)
		return append(append(append(b, `,"traceId":"`...), rl.traceID...), '"')
	case LogAzure:
		b = jsonscan.AppendString(append(b, `,"InvocationId":`...), rl.invID)
		b = jsonscan.AppendString(append(b, `,"requestId":`...), rl.requestID)
		return append(append(append(b, `,"operation_Id":"`...), rl.traceID...), '"')
	}
	b = jsonscan.AppendString(append(b, `,"requestId":`...), rl.requestID)
	if rl.traceID == "" {
		return b
	}
	b = append(append(append(b, `,"traceId":"`...), rl.traceID...), '"')
	return append(append(append(b, `,"spanId":"`...), rl.spanID...), '"')
}

// lockedWriter serialises the writes of every log line to one writer, so
// lines written by the request loggers and by the access log never
// interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// accessLine writes the one line that describes the request, timed at
// now, d after it began. It is encoded by hand rather than through slog:
// it is written for every request, and its fields are fixed, so their
// names are written as literals, quoted once in the source.
func accessLine(w io.Writer, minLevel slog.Leveler, rl *requestLogger, r *handler.Request, inv *handler.Invocation, status int, resp *handler.Response, now time.Time, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if level < minLevel.Level() {
		return
	}
	user := ""
	if r.Identity != nil {
		user = r.Identity.Subject
	}
	out := -1 // unknown for a stream, and for the problem an error becomes
	switch {
	case resp != nil && resp.Stream == nil:
		out = len(resp.Body)
	case resp == nil && status < 400:
		out = 0 // a nil response with no error is an empty 200
	}
	cold := inv != nil && inv.ColdStart
	f := rl.format
	bp := lineBufs.Get().(*[]byte)
	b := (*bp)[:0]
	switch f {
	case LogLambda:
		b = appendTime(append(b, `{"timestamp":`...), now)
		b = append(b, `,"level":`...)
		b = jsonscan.AppendString(b, levelName(level, "DEBUG", "INFO", "WARN", "ERROR"))
		b = append(b, `,"message":"request"`...)
	case LogAzure:
		b = appendTime(append(b, `{"timestamp":`...), now)
		b = append(b, `,"severityLevel":`...)
		b = jsonscan.AppendString(b, levelName(level, "Verbose", "Information", "Warning", "Error"))
		b = append(b, `,"message":"request"`...)
	case LogGCP:
		b = appendTime(append(b, `{"time":`...), now)
		b = append(b, `,"severity":`...)
		b = jsonscan.AppendString(b, levelName(level, "DEBUG", "INFO", "WARNING", "ERROR"))
		b = append(b, `,"message":"request"`...)
	default:
		b = appendTime(append(b, `{"time":`...), now)
		b = append(b, `,"level":`...)
		b = jsonscan.AppendString(b, level.String())
		b = append(b, `,"msg":"request"`...)
	}
	if f == LogGCP {
		b = jsonscan.AppendString(append(b, `,"httpRequest":{"requestMethod":`...), r.Method)
		b = jsonscan.AppendString(append(b, `,"requestUrl":`...), r.EscapedPath())
		b = strconv.AppendInt(append(b, `,"status":`...), int64(status), 10)
		// Cloud Logging takes these sizes as strings.
		b = append(strconv.AppendInt(append(b, `,"requestSize":"`...), int64(len(r.Body)), 10), '"')
		b = append(strconv.AppendInt(append(b, `,"responseSize":"`...), int64(max(out, 0)), 10), '"')
		b = append(strconv.AppendFloat(append(b, `,"latency":"`...), d.Seconds(), 'f', 9, 64), 's', '"')
		b = jsonscan.AppendString(append(b, `,"remoteIp":`...), r.RemoteAddr)
		b = jsonscan.AppendString(append(b, `,"userAgent":`...), r.Header.Get("User-Agent"))
		b = append(b, '}')
	} else {
		b = jsonscan.AppendString(append(b, `,"method":`...), r.Method)
		b = jsonscan.AppendString(append(b, `,"path":`...), r.EscapedPath())
		b = strconv.AppendInt(append(b, `,"status":`...), int64(status), 10)
		b = appendMillis(append(b, `,"durationMs":`...), d.Microseconds())
		b = strconv.AppendInt(append(b, `,"bytesIn":`...), int64(len(r.Body)), 10)
		b = strconv.AppendInt(append(b, `,"bytesOut":`...), int64(out), 10)
	}
	b = jsonscan.AppendString(append(b, `,"route":`...), obs.RouteOf(r))
	b = jsonscan.AppendString(append(b, `,"user":`...), user)
	b = strconv.AppendBool(append(b, `,"coldStart":`...), cold)
	b = append(rl.appendIDs(b), '}', '\n')
	_, _ = w.Write(b)
	*bp = b
	lineBufs.Put(bp)
}

// appendTime appends t as a JSON string in RFC 3339 with nanoseconds, as
// t.AppendFormat(b, time.RFC3339Nano) would. The date, time of day and
// zone are formatted once a second (and location) and kept; only the
// fraction is formatted per line.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	sec := t.Unix()
	st := lastStamp.Load()
	if st == nil || st.sec != sec || st.loc != t.Location() {
		if y := t.Year(); y < 0 || y > 9999 {
			return append(t.AppendFormat(b, time.RFC3339Nano), '"')
		}
		st = &stamp{sec: sec, loc: t.Location()}
		// RFC3339 has no fraction: the date and time of day are its
		// first 19 bytes, the zone the rest.
		full := t.AppendFormat(st.buf[:0], time.RFC3339)
		st.prefix, st.zone = full[:19], full[19:]
		lastStamp.Store(st)
	}
	b = append(b, st.prefix...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	b = append(b, st.zone...)
	return append(b, '"')
}

// stamp is one second of appendTime's, formatted.
type stamp struct {
	sec          int64
	loc          *time.Location
	prefix, zone []byte
	buf          [32]byte
}

var lastStamp atomic.Pointer[stamp]

// appendMillis appends us microseconds as milliseconds, as
// strconv.AppendFloat(b, float64(us)/1000, 'f', -1, 64) would: a value of
// at most 15 digits is its own shortest representation, so the digits are
// those of us with the point moved.
func appendMillis(b []byte, us int64) []byte {
	if us < 0 || us >= 1e15 {
		return strconv.AppendFloat(b, float64(us)/1000, 'f', -1, 64)
	}
	b = strconv.AppendInt(b, us/1000, 10)
	if frac := us % 1000; frac != 0 {
		d := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		n := 4
		for d[n-1] == '0' {
			n--
		}
		b = append(b, d[:n]...)
	}
	return b
}

// replacer renames slog's built-in keys for f and redacts secrets.
func replacer(f LogFormat) func([]string, slog.Attr) slog.Attr {
	return func(groups []string, a slog.Attr) slog.Attr {
		if isSecretKey(a.Key) {
			return slog.String(a.Key, "[REDACTED]")
		}
		if a.Value.Kind() == slog.KindAny {
			switch h := a.Value.Any().(type) {
			case http.Header:
				return slog.Any(a.Key, redactHeader(h))
			case map[string][]string:
				return slog.Any(a.Key, redactHeader(h))
			}
		}
		if len(groups) > 0 {
			return a
		}
		switch a.Key {
		case slog.TimeKey:
			if f == LogLambda || f == LogAzure {
				a.Key = "timestamp"
			}
		case slog.MessageKey:
			if f != LogJSON {
				a.Key = "message"
			}
		case slog.LevelKey:
			lv, _ := a.Value.Any().(slog.Level)
			switch f {
			case LogGCP:
				return slog.String("severity", levelName(lv, "DEBUG", "INFO", "WARNING", "ERROR"))
			case LogAzure:
				return slog.String("severityLevel", levelName(lv, "Verbose", "Information", "Warning", "Error"))
			case LogLambda:
				return slog.String("level", levelName(lv, "DEBUG", "INFO", "WARN", "ERROR"))
			}
		}
		return a
	}
}

func levelName(l slog.Level, debug, info, warn, err string) string {
	switch {
	case l >= slog.LevelError:
		return err
	case l >= slog.LevelWarn:
		return warn
	case l >= slog.LevelInfo:
		return info
	}
	return debug
}

var secretKeys = [...]string{"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}

// secretParts are parts of a name that mark it as a secret whatever the
// rest ("X-Auth-Token", "client_secret", "X-Api-Key-2"), compared without
// regard to case. Header names ending in "-key" (a custom API key header
// such as "X-Service-Key") are secret too; see redactHeader.
var secretParts = [...]string{"apikey", "api-key", "api_key", "token", "secret", "password", "passwd",
	"cookie", "credential", "session", "signature"}

// redactHeader returns h, or a copy of it with the values of secret
// headers replaced, for a handler that logs a whole header map.
func redactHeader(h http.Header) http.Header {
	var out http.Header
	for k := range h {
		if isSecretKey(k) || (len(k) > 4 && strings.EqualFold(k[len(k)-4:], "-key")) {
			if out == nil {
				out = h.Clone()
			}
			out[k] = []string{"[REDACTED]"}
		}
	}
	if out == nil {
		return h
	}
	return out
}

func isSecretKey(k string) bool {
	for _, s := range secretKeys {
		if len(k) == len(s) && strings.EqualFold(k, s) {
			return true
		}
	}
	for _, s := range secretParts {
		if containsFold(k, s) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII word sub,
// ignoring the case of s.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
