// Package equivalence holds the cross-cloud equivalence test of the to-do
// example (examples/todo): its test builds the Lambda, Cloud Functions,
// Azure Functions and local binaries, runs one scripted HTTP scenario
// against each through its real runtime path (the Lambda Runtime API with
// v1, v2 and ALB events on DynamoDB, functions-framework on Firestore, the
// Azure host simulator in payload and proxy mode on Cosmos DB, net/http on
// memstore) and requires identical transcripts.
//
// The package's code is the transcript: a [Recorder] keeps, for each step,
// the status, the headers that matter and the body, with what differs
// from run to run by nature (IDs, timestamps, cursors, request IDs)
// replaced by placeholders, and [Diff] shows two transcripts' differences
// line by line.
package equivalence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// idPattern matches the to-do example's IDs: 26 characters of Crockford's
// base32, the first at most 7.
var idPattern = regexp.MustCompile(`[0-7][0-9A-HJKMNP-TV-Z]{25}`)

// cursorParam matches the value of a cursor query parameter.
var cursorParam = regexp.MustCompile(`([?&]cursor=)[^&]*`)

// Recorder builds a transcript. IDs are numbered in the order they first
// appear ("<id1>", "<id2>", ...), so that a transcript still shows which
// answers name the same todo. The zero value is ready to use.
type Recorder struct {
	// BasePath is the runtime's prefix of the API's paths as its clients
	// see them ("/api" behind Azure's route prefix, "/{stage}" on a REST
	// API's endpoint, "" for none). A Location that starts with it is
	// recorded with "<base>" in its place, so that runtimes with different
	// prefixes compare equal while each must answer with its own: a
	// Location without the runtime's prefix is recorded as it is, and
	// differs.
	BasePath string

	ids   map[string]string
	lines []string
}

// Target returns a path the client requested, recorded as [Recorder.Record]
// records a Location: IDs replaced, BasePath as "<base>".
func (r *Recorder) Target(path string) string {
	if rest, ok := strings.CutPrefix(path, r.BasePath); ok && strings.HasPrefix(rest, "/") {
		path = "<base>" + rest
	}
	return r.replaceIDs(path)
}

// ID returns the placeholder of id.
func (r *Recorder) ID(id string) string {
	if r.ids == nil {
		r.ids = map[string]string{}
	}
	p, ok := r.ids[id]
	if !ok {
		p = "<id" + strconv.Itoa(len(r.ids)+1) + ">"
		r.ids[id] = p
	}
	return p
}

// replaceIDs replaces every ID in s by its placeholder.
func (r *Recorder) replaceIDs(s string) string {
	return idPattern.ReplaceAllStringFunc(s, r.ID)
}

// Note adds a line of the test's own (a check's outcome) to the transcript.
func (r *Recorder) Note(format string, args ...any) {
	r.lines = append(r.lines, "  "+fmt.Sprintf(format, args...))
}

// Record adds one exchange: the step's name and request line (IDs and
// the value of a cursor parameter replaced), the status, Content-Type,
// whether an ETag was sent, Location (as [Recorder.Target] records it) and
// WWW-Authenticate (IDs replaced), and the body, normalised by
// [Recorder.Body]. target is the path requested relative to the runtime's
// base, or a path as [Recorder.Target] records it.
func (r *Recorder) Record(step, method, target string, status int, h http.Header, body []byte) {
	target = cursorParam.ReplaceAllString(r.replaceIDs(target), "${1}<cursor>")
	r.lines = append(r.lines, step+": "+method+" "+target, "  status "+strconv.Itoa(status))
	if v := h.Get("Content-Type"); v != "" {
		r.lines = append(r.lines, "  content-type "+v)
	}
	if h.Get("ETag") != "" {
		r.lines = append(r.lines, "  etag present")
	}
	if v := h.Get("Location"); v != "" {
		r.lines = append(r.lines, "  location "+r.Target(v))
	}
	if v := h.Get("WWW-Authenticate"); v != "" {
		r.lines = append(r.lines, "  www-authenticate "+v)
	}
	if len(body) > 0 {
		for _, l := range strings.Split(r.Body(body), "\n") {
			r.lines = append(r.lines, "  | "+l)
		}
	}
}

// Body returns body normalised: a JSON body re-indented with sorted keys,
// IDs numbered, RFC 3339 values of createdAt and updatedAt replaced by
// "<time>", a non-null next by "<cursor>", a non-empty requestId by
// "<request-id>"; any other body as text with IDs numbered.
func (r *Recorder) Body(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return r.replaceIDs(string(body))
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.normalize("", v)); err != nil { // unreachable: decoded JSON encodes
		return r.replaceIDs(string(body))
	}
	return strings.TrimSuffix(out.String(), "\n")
}

func (r *Recorder) normalize(key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		// GET /healthz reports statsRepairedAt only where the app runs its
		// worker: cmd/local always, the cloud entry points when
		// TODO_QUEUE_URL names a queue. That is deployment configuration,
		// not behaviour: the transcript leaves it out.
		delete(v, "statsRepairedAt")
		for k, x := range v {
			v[k] = r.normalize(k, x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = r.normalize(key, x)
		}
		return v
	case string:
		switch key {
		case "createdAt", "updatedAt":
			if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return "<time>"
			}
		case "next":
			return "<cursor>"
		case "requestId":
			if v != "" {
				return "<request-id>"
			}
		}
		return r.replaceIDs(v)
	}
	return v
}

// String returns the transcript, one line per fact.
func (r *Recorder) String() string {
	return strings.Join(r.lines, "\n") + "\n"
}

// Diff returns the differences between two texts as a line diff ("-"
// lines only in want, "+" lines only in got, a few lines of context), or
// "" when they are equal.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// Longest common subsequence, by dynamic programming: transcripts
	// have a few hundred lines.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i]})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', a[i]})
			i++
		default:
			lines = append(lines, line{'+', b[j]})
			j++
		}
	}
	// Show each change with up to three lines around it.
	const context = 3
	show := make([]bool, len(lines))
	for k, l := range lines {
		if l.op != ' ' {
			for c := max(k-context, 0); c < len(lines) && c <= k+context; c++ {
				show[c] = true
			}
		}
	}
	var out strings.Builder
	for k, l := range lines {
		if !show[k] {
			continue
		}
		if k > 0 && !show[k-1] {
			out.WriteString("  ...\n")
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, l.text)
	}
	if !show[len(lines)-1] {
		out.WriteString("  ...\n")
	}
	return out.String()
}
