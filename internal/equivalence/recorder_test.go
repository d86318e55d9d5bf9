package equivalence_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/internal/equivalence"
)

func TestRecorderNormalizes(t *testing.T) {
	var r equivalence.Recorder
	h := http.Header{"Content-Type": {"application/json"}, "Etag": {`"abc"`}, "Location": {"/todos/01M80S20XN415AGMFZ13VXA7X4"}}
	r.Record("create", "POST", "/todos?limit=1&cursor=AbC-123_x&done=true", 201, h,
		[]byte(`{"id":"01M80S20XN415AGMFZ13VXA7X4","createdAt":"2026-11-22T04:43:36.774Z","updatedAt":"soon",`+
			`"next":"AbC","requestId":"r-1","other":["01M80S2652AJAA425SF6FYC54X","01M80S20XN415AGMFZ13VXA7X4"],"n":1.50}`))
	r.Record("empty", "DELETE", "/todos/01M80S2652AJAA425SF6FYC54X", 204, http.Header{}, nil)
	r.Record("text", "GET", "/", 200, http.Header{"Content-Type": {"text/plain"}}, []byte("see 01M80S2652AJAA425SF6FYC54X"))
	r.Note("checked: %v", true)
	want := `create: POST /todos?limit=1&cursor=<cursor>&done=true
  status 201
  content-type application/json
  etag present
  location <base>/todos/<id1>
  | {
  |   "createdAt": "<time>",
  |   "id": "<id1>",
  |   "n": 1.50,
  |   "next": "<cursor>",
  |   "other": [
  |     "<id2>",
  |     "<id1>"
  |   ],
  |   "requestId": "<request-id>",
  |   "updatedAt": "soon"
  | }
empty: DELETE /todos/<id2>
  status 204
text: GET /
  status 200
  content-type text/plain
  | see <id2>
  checked: true
`
	if got := r.String(); got != want {
		t.Errorf("transcript:\n%s\ndiff (- want, + got):\n%s", got, equivalence.Diff(want, got))
	}
}

// TestRecorderBasePath checks that a Location under the runtime's base
// path is recorded as "<base>" + the rest, the same for every prefix, and a
// Location outside it as it is, so that a runtime that leaves its prefix
// out (or adds one it does not have) shows in the diff.
func TestRecorderBasePath(t *testing.T) {
	record := func(base, location string) string {
		r := equivalence.Recorder{BasePath: base}
		r.Record("create", "POST", "/todos", 201, http.Header{"Location": {location}}, nil)
		return r.String()
	}
	const id = "01M80S20XN415AGMFZ13VXA7X4"
	want := "create: POST /todos\n  status 201\n  location <base>/todos/<id1>\n"
	for _, c := range []struct{ base, location, want string }{
		{"", "/todos/" + id, want},
		{"/api", "/api/todos/" + id, want},
		{"/test", "/test/todos/" + id, want},
		{"/api", "/todos/" + id, "create: POST /todos\n  status 201\n  location /todos/<id1>\n"},
		{"/api", "/apix/todos/" + id, "create: POST /todos\n  status 201\n  location /apix/todos/<id1>\n"},
		{"", "https://example.com/todos/" + id, "create: POST /todos\n  status 201\n  location https://example.com/todos/<id1>\n"},
	} {
		if got := record(c.base, c.location); got != c.want {
			t.Errorf("BasePath %q, Location %q: transcript %q, want %q", c.base, c.location, got, c.want)
		}
	}
	r := equivalence.Recorder{BasePath: "/api"}
	if got := r.Target("/api/todos/" + id); got != "<base>/todos/<id1>" {
		t.Errorf("Target = %q", got)
	}
}

func TestRecorderKeepsNullCursorAndEmptyRequestID(t *testing.T) {
	var r equivalence.Recorder
	if got := r.Body([]byte(`{"next":null,"requestId":""}`)); got != "{\n  \"next\": null,\n  \"requestId\": \"\"\n}" {
		t.Errorf("Body = %s", got)
	}
	// Two JSON values are not one JSON body: kept as text.
	if got := r.Body([]byte(`{} {}`)); got != "{} {}" {
		t.Errorf("Body = %s", got)
	}
}

func TestDiff(t *testing.T) {
	if d := equivalence.Diff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("equal texts: %q", d)
	}
	var want, got []string
	for i := 0; i < 20; i++ {
		want = append(want, fmt.Sprint("line ", i))
	}
	got = append(got, want...)
	got[2] = "changed 2"
	got = append(got[:15], got[16:]...) // line 15 removed
	d := equivalence.Diff(strings.Join(want, "\n"), strings.Join(got, "\n"))
	wantDiff := `  line 0
  line 1
- line 2
+ changed 2
  line 3
  line 4
  line 5
  ...
  line 12
  line 13
  line 14
- line 15
  line 16
  line 17
  line 18
  ...
`
	if d != wantDiff {
		t.Errorf("diff:\n%s\nwant:\n%s", d, wantDiff)
	}
	if d := equivalence.Diff("", "x"); d != "- \n+ x\n" {
		t.Errorf("diff of \"\" and x = %q", d)
	}
}

// A transcript hides what differs by nature between two runs and keeps the
// rest, so that two runtimes' transcripts can be compared as text.
func ExampleRecorder() {
	var r equivalence.Recorder
	r.Record("create", "POST", "/todos", 201,
		http.Header{"Content-Type": {"application/json"}, "Etag": {`"x"`}, "Location": {"/todos/01M80S20XN415AGMFZ13VXA7X4"}},
		[]byte(`{"id":"01M80S20XN415AGMFZ13VXA7X4","title":"Buy milk","createdAt":"2026-11-22T04:43:36Z"}`))
	fmt.Print(r.String())
	// Output:
	// create: POST /todos
	//   status 201
	//   content-type application/json
	//   etag present
	//   location <base>/todos/<id1>
	//   | {
	//   |   "createdAt": "<time>",
	//   |   "id": "<id1>",
	//   |   "title": "Buy milk"
	//   | }
}
