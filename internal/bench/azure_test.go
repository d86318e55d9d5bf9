package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// The Azure and GCF contenders all do the same JSON work: decode a small
// to-do from the request body, and answer 201 with a JSON body that echoes
// it with the method, path and User-Agent.

type todoIn struct {
	Title string   `json:"title"`
	Done  bool     `json:"done"`
	Tags  []string `json:"tags"`
}

type todoOut struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Done      bool     `json:"done"`
	Tags      []string `json:"tags"`
	Method    string   `json:"method"`
	Path      string   `json:"path"`
	UserAgent string   `json:"userAgent"`
}

const todoBody = `{"title":"write the benchmark","done":false,"tags":["bench","azure","gcf"]}`

func todoAnswer(method, path, ua string, body []byte) ([]byte, error) {
	var in todoIn
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	return json.Marshal(todoOut{ID: "t-1", Title: in.Title, Done: in.Done, Tags: in.Tags, Method: method, Path: path, UserAgent: ua})
}

// anyfuncTodo is the anyfunc handler every adapter serves.
var anyfuncTodo = handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	b, err := todoAnswer(r.Method, r.Path, r.Header.Get("User-Agent"), r.Body)
	if err != nil {
		return nil, handler.NewError(http.StatusBadRequest, "invalid_json", "The body is not a to-do.")
	}
	return &handler.Response{Status: http.StatusCreated, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}, nil
})

// azureEnvelope is a payload-mode invocation as the Functions host sends it
// for POST /api/todos with a JSON body (headers, query and identities as the
// host serializes them, Metadata repeating the headers and query as strings).
const azureEnvelope = `{"Data":{"req":{"Url":"https://bench.azurewebsites.net/api/todos?list=home","Method":"POST",` +
	`"Query":{"list":"home"},` +
	`"Headers":{"Accept":["application/json"],"Accept-Encoding":["gzip, deflate, br"],"Connection":["keep-alive"],` +
	`"Content-Length":["74"],"Content-Type":["application/json"],"Host":["bench.azurewebsites.net"],` +
	`"Max-Forwards":["10"],"User-Agent":["bench-client/1.0"],"X-ARR-LOG-ID":["0f6c3c1e-6d5b-4e7e-9f3e-3b9a1f0e7c11"],` +
	`"CLIENT-IP":["203.0.113.7:51234"],"X-Forwarded-For":["203.0.113.7:51234"],"X-Original-URL":["/api/todos?list=home"],` +
	`"X-WAWS-Unencoded-URL":["/api/todos?list=home"],"X-Forwarded-Proto":["https"],"X-AppService-Proto":["https"]},` +
	`"Params":{"path":"todos"},` +
	`"Identities":[{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],` +
	`"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",` +
	`"RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}],` +
	`"Body":"{\"title\":\"write the benchmark\",\"done\":false,\"tags\":[\"bench\",\"azure\",\"gcf\"]}"}},` +
	`"Metadata":{"path":"todos","Query":"{\"list\":\"home\"}",` +
	`"Headers":"{\"Accept\":\"application/json\",\"Accept-Encoding\":\"gzip, deflate, br\",\"Connection\":\"keep-alive\",\"Content-Length\":\"74\",\"Content-Type\":\"application/json\",\"Host\":\"bench.azurewebsites.net\",\"User-Agent\":\"bench-client/1.0\"}",` +
	`"sys":{"MethodName":"anyfunc","UtcNow":"2026-11-22T04:00:00.0000000Z","RandGuid":"6c1f4a8e-2d7b-4c55-8e0c-4a1b2c3d4e5f"}}}`

// The hand-written contender is what a careful Go developer writes for a
// custom handler without anyfunc: the envelope decoded into typed structs
// holding only the fields it reads (faster than the map-based decoding of
// Microsoft's Go sample), the answer encoded from a typed struct.
type azureInvoke struct {
	Data struct {
		Req struct {
			Method  string              `json:"Method"`
			Headers map[string][]string `json:"Headers"`
			Params  map[string]string   `json:"Params"`
			Body    string              `json:"Body"`
		} `json:"req"`
	} `json:"Data"`
}

type azureRes struct {
	StatusCode string            `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

type azureAnswer struct {
	Outputs struct {
		Res azureRes `json:"res"`
	} `json:"Outputs"`
	Logs        []string `json:"Logs"`
	ReturnValue any      `json:"ReturnValue"`
}

func handWrittenAzure(w http.ResponseWriter, r *http.Request) {
	var invoke azureInvoke
	if err := json.NewDecoder(r.Body).Decode(&invoke); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := invoke.Data.Req
	ua := ""
	if vs := req.Headers["User-Agent"]; len(vs) > 0 {
		ua = vs[0]
	}
	var ans azureAnswer
	ans.Logs = []string{}
	ans.Outputs.Res = azureRes{StatusCode: "201", Headers: map[string]string{"Content-Type": "application/json"}}
	out, err := todoAnswer(req.Method, "/"+req.Params["path"], ua, []byte(req.Body))
	if err != nil {
		ans.Outputs.Res.StatusCode, ans.Outputs.Res.Body = "400", "The body is not a to-do."
	} else {
		ans.Outputs.Res.Body = string(out)
	}
	answer, err := json.Marshal(ans)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(answer)
}

func azureHandlers(b testing.TB) map[string]http.Handler {
	dir, err := os.MkdirTemp("", "bench-azure")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	anyfunc, err := azurefunctions.NewHandler(anyfuncTodo,
		azurefunctions.WithMode(azurefunctions.ModePayload), azurefunctions.WithDir(dir))
	if err != nil {
		b.Fatal(err)
	}
	return map[string]http.Handler{"anyfunc": anyfunc, "handwritten": http.HandlerFunc(handWrittenAzure)}
}

// BenchmarkAzurePayload serves one payload-mode invocation per iteration,
// in-process at the http.Handler the custom handler's server calls: anyfunc's
// adapter against a hand-written handler decoding the envelope into typed
// structs.
func BenchmarkAzurePayload(b *testing.B) {
	env := []byte(azureEnvelope)
	for _, name := range []string{"anyfunc", "handwritten"} {
		h := azureHandlers(b)[name]
		b.Run("impl="+name, func(b *testing.B) {
			// Both must give the same answer for the benchmark to mean anything.
			checkAzure(b, h, env)
			rd := bytes.NewReader(env)
			req := httptest.NewRequest(http.MethodPost, "/anyfunc", rd)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(azurefunctions.InvocationIDHeader, "6c1f4a8e-2d7b-4c55-8e0c-4a1b2c3d4e5f")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(env)))
			b.ResetTimer()
			cpu := startCPU(b)
			for i := 0; i < b.N; i++ {
				rd.Reset(env)
				req.Body = io.NopCloser(rd)
				clear(w.h)
				h.ServeHTTP(w, req)
			}
			cpu.report()
		})
	}
}

func checkAzure(b testing.TB, h http.Handler, env []byte) {
	b.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/anyfunc", bytes.NewReader(env)))
	var ans struct {
		Outputs struct {
			Res struct {
				StatusCode string `json:"statusCode"`
				Body       string `json:"body"`
			} `json:"res"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || rec.Code != 200 {
		b.Fatalf("answer %d %s: %v", rec.Code, rec.Body, err)
	}
	want, _ := todoAnswer("POST", "/todos", "bench-client/1.0", []byte(todoBody))
	if ans.Outputs.Res.StatusCode != "201" || ans.Outputs.Res.Body != string(want) {
		b.Fatalf("answer %+v, want 201 %s", ans.Outputs.Res, want)
	}
}

// discardWriter is a minimal http.ResponseWriter, so the benchmark measures
// the handlers rather than a recorder's buffering.
type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(status int)      { d.status = status }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestAzureSameAnswer checks that the contenders of BenchmarkAzurePayload
// answer the same invocation identically.
func TestAzureSameAnswer(t *testing.T) {
	for name, h := range azureHandlers(t) {
		t.Run(name, func(t *testing.T) { checkAzure(t, h, []byte(azureEnvelope)) })
	}
}
