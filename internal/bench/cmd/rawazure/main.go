// Command rawazure is the hand-written Azure Functions equivalent of the
// to-do example's GET /todos/{id} (examples/todo/cmd/azure), for the
// cold-start and size comparison: a plain custom handler (net/http on
// FUNCTIONS_CUSTOMHANDLER_PORT) answering payload-mode invocations, and one
// point read through azcosmos on the layout of store/azurecosmos (id = the
// sort key, partition key /pk, data under "d", revision = _etag).
//
// Environment: TODO_API_KEYS (name:key), COSMOS_ENDPOINT, COSMOS_KEY,
// COSMOS_DATABASE (default app), COSMOS_CONTAINER (default todos), and for
// an emulator's self-signed certificate COSMOS_CERT_FILE, a PEM file of the
// one certificate to trust.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/anyfunc/anyfunc/internal/bench/rawtodo"
)

type function struct {
	todos *azcosmos.ContainerClient
	keys  rawtodo.Keys
}

func main() {
	f, err := newFunction()
	if err != nil {
		slog.Error("rawazure", "error", err)
		os.Exit(1)
	}
	port := os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT")
	if port == "" {
		port = "8080"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{function}", f.invoke)
	if err := http.ListenAndServe("127.0.0.1:"+port, mux); err != nil {
		slog.Error("rawazure", "error", err)
		os.Exit(1)
	}
}

func newFunction() (*function, error) {
	keys, err := rawtodo.KeysFromEnv()
	if err != nil {
		return nil, err
	}
	cred, err := azcosmos.NewKeyCredential(os.Getenv("COSMOS_KEY"))
	if err != nil {
		return nil, err
	}
	var opts azcosmos.ClientOptions
	if path := os.Getenv("COSMOS_CERT_FILE"); path != "" {
		client, err := pinnedClient(path)
		if err != nil {
			return nil, err
		}
		opts.Transport = client
	}
	client, err := azcosmos.NewClientWithKey(os.Getenv("COSMOS_ENDPOINT"), cred, &opts)
	if err != nil {
		return nil, err
	}
	db, container := os.Getenv("COSMOS_DATABASE"), os.Getenv("COSMOS_CONTAINER")
	if db == "" {
		db = "app"
	}
	if container == "" {
		container = "todos"
	}
	c, err := client.NewContainer(db, container)
	if err != nil {
		return nil, err
	}
	return &function{todos: c, keys: keys}, nil
}

// pinnedClient trusts exactly the certificate in the PEM file at path (an
// emulator's self-signed one, whatever its names and dates).
func pinnedClient(path string) (*http.Client, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("COSMOS_CERT_FILE holds no PEM certificate")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		InsecureSkipVerify: true, // verified below against the pinned certificate
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) > 0 && bytes.Equal(raw[0], block.Bytes) {
				return nil
			}
			return errors.New("not the pinned certificate")
		},
	}
	return &http.Client{Transport: tr}, nil
}

// invocation is the part of the host's payload-mode request this function
// reads.
type invocation struct {
	Data struct {
		Req struct {
			URL     string              `json:"Url"`
			Method  string              `json:"Method"`
			Headers map[string][]string `json:"Headers"`
		} `json:"req"`
	} `json:"Data"`
}

type output struct {
	StatusCode string            `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

type reply struct {
	Outputs     map[string]output `json:"Outputs"`
	Logs        []string          `json:"Logs"`
	ReturnValue any               `json:"ReturnValue"`
}

func (f *function) invoke(w http.ResponseWriter, r *http.Request) {
	var in invocation
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "bad invocation", http.StatusBadRequest)
		return
	}
	a := f.get(r, &in)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply{Outputs: map[string]output{"res": {
		StatusCode: strconv.Itoa(a.Status), Headers: a.Header, Body: a.Body}}, Logs: []string{}})
}

func (f *function) get(r *http.Request, in *invocation) rawtodo.Answer {
	req := &in.Data.Req
	var key string
	for name, v := range req.Headers {
		if http.CanonicalHeaderKey(name) == "X-Api-Key" && len(v) > 0 {
			key = v[0]
		}
	}
	part, ok := f.keys.Partition(key)
	if !ok {
		return rawtodo.Unauthorized
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return rawtodo.NotFound
	}
	id, ok := rawtodo.ID(u.Path)
	if req.Method != http.MethodGet || !ok {
		return rawtodo.NotFound
	}
	resp, err := f.todos.ReadItem(r.Context(), azcosmos.NewPartitionKeyString(part), id, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusNotFound {
		return rawtodo.NotFound
	}
	if err != nil {
		slog.Error("rawazure: reading the todo", "error", err)
		return rawtodo.Unavailable
	}
	var item struct {
		D rawtodo.Todo `json:"d"`
	}
	if err := json.Unmarshal(resp.Value, &item); err != nil {
		slog.Error("rawazure: decoding the todo", "error", err)
		return rawtodo.Unavailable
	}
	return rawtodo.OK(&item.D, string(resp.ETag))
}
