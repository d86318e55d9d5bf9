package awssecrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/secrets"
	"github.com/anyfunc/anyfunc/secrets/awssecrets"
)

var (
	motoEndpoint string
	motoErr      error
)

func TestMain(m *testing.M) {
	flag.Parse()
	var stop func()
	motoEndpoint, stop, motoErr = emulator.Launch(emulator.MotoSecretsManager)
	code := m.Run()
	stop()
	os.Exit(code)
}

func needMoto(t *testing.T) {
	t.Helper()
	emulator.Need(t, emulator.MotoSecretsManager, motoErr)
}

// counter is an http.Client that counts Secrets Manager requests by action
// and can answer the first fail of them with a 500 itself.
type counter struct {
	mu   sync.Mutex
	n    map[string]int
	fail int
}

func (c *counter) Do(r *http.Request) (*http.Response, error) {
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[action]++
	fail := c.fail > 0
	if fail {
		c.fail--
	}
	c.mu.Unlock()
	if fail {
		return &http.Response{
			StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
			Header:  http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
			Body:    io.NopCloser(strings.NewReader(`{"__type":"InternalServiceError","message":"try again"}`)),
			Request: r, ProtoMajor: 1, ProtoMinor: 1,
		}, nil
	}
	return http.DefaultClient.Do(r)
}

func (c *counter) count(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[action]
}

func opts(extra ...awssecrets.Option) []awssecrets.Option {
	return append([]awssecrets.Option{
		awssecrets.WithRegion("us-east-1"),
		awssecrets.WithEndpoint(motoEndpoint),
		awssecrets.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
	}, extra...)
}

var seq atomic.Int64

// newSecret creates a secret holding value on moto and returns its name.
func newSecret(t *testing.T, value string) string {
	t.Helper()
	g, err := awssecrets.OpenGetter(context.Background(), opts()...)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("anyfunc/test-%d-%d", time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := g.Client().CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	t.Cleanup(func() {
		_, _ = g.Client().DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{
			SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true),
		})
	})
	return name
}

const plaintext = "s3cr3t-jwt-signing-key-0123456789abcdef"

func TestReadOncePerProcess(t *testing.T) {
	needMoto(t)
	name := newSecret(t, `{"jwt_secret":"`+plaintext+`","api_keys":"ann:key-ann-0123456789abcdef"}`)
	var hc counter
	c, err := awssecrets.Open(context.Background(), opts(awssecrets.WithHTTPClient(&hc))...)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			v, err := c.Get(context.Background(), name)
			if err == nil {
				var f secrets.Value
				if f, err = v.Field("jwt_secret"); err == nil && f.Reveal() != plaintext {
					err = errors.New("wrong jwt_secret")
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		if _, err := c.Get(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	if n := hc.count("GetSecretValue"); n != 1 {
		t.Errorf("37 Gets made %d GetSecretValue requests, want 1", n)
	}
	keys, err := mustGet(t, c, name).Field("api_keys")
	if err != nil || keys.Reveal() != "ann:key-ann-0123456789abcdef" {
		t.Errorf("api_keys = %q, %v", keys.Reveal(), err)
	}
}

func mustGet(t *testing.T, c *secrets.Cache, name string) secrets.Value {
	t.Helper()
	v, err := c.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMissingSecret(t *testing.T) {
	needMoto(t)
	var hc counter
	c, err := awssecrets.Open(context.Background(), opts(awssecrets.WithHTTPClient(&hc))...)
	if err != nil {
		t.Fatal(err)
	}
	name := "anyfunc/does-not-exist"
	for i := 1; i <= 2; i++ {
		_, err := c.Get(context.Background(), name)
		if !errors.Is(err, secrets.ErrNotFound) {
			t.Fatalf("Get of a missing secret: %v, want ErrNotFound", err)
		}
		var se *secrets.Error
		if !errors.As(err, &se) || se.Name != name || se.Op != "get" {
			t.Errorf("error %#v: want a *secrets.Error naming %q", err, name)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
			t.Errorf("the SDK's error is not reachable: %v", err)
		}
		if !strings.HasPrefix(err.Error(), `awssecrets: secret "anyfunc/does-not-exist": not found`) {
			t.Errorf("message %q", err)
		}
		// Not found is not retried, and a failure is not kept.
		if n := hc.count("GetSecretValue"); n != i {
			t.Errorf("after %d Gets: %d requests, want %d", i, n, i)
		}
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	needMoto(t)
	name := newSecret(t, plaintext)
	hc := counter{fail: awssecrets.Attempts - 1}
	c, err := awssecrets.Open(context.Background(), opts(awssecrets.WithHTTPClient(&hc))...)
	if err != nil {
		t.Fatal(err)
	}
	if v := mustGet(t, c, name); v.Reveal() != plaintext {
		t.Errorf("value after retries: wrong")
	}
	if n := hc.count("GetSecretValue"); n != awssecrets.Attempts {
		t.Errorf("%d requests, want %d", n, awssecrets.Attempts)
	}

	hc = counter{fail: awssecrets.Attempts}
	c, _ = awssecrets.Open(context.Background(), opts(awssecrets.WithHTTPClient(&hc))...)
	_, err = c.Get(context.Background(), name)
	if !errors.Is(err, secrets.ErrUnavailable) {
		t.Errorf("after %d failures: %v, want ErrUnavailable", awssecrets.Attempts, err)
	}
	if n := hc.count("GetSecretValue"); n != awssecrets.Attempts {
		t.Errorf("%d requests, want at most %d", n, awssecrets.Attempts)
	}
}

// TestValueNeverPrinted formats, logs and encodes a secret and the errors
// about it, and looks for the plaintext.
func TestValueNeverPrinted(t *testing.T) {
	needMoto(t)
	name := newSecret(t, plaintext) // not JSON: Field fails
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	text := slog.New(slog.NewTextHandler(&logs, nil))
	c, err := awssecrets.Open(context.Background(), opts()...)
	if err != nil {
		t.Fatal(err)
	}
	v := mustGet(t, c, name)
	if v.Reveal() != plaintext {
		t.Fatal("Reveal does not give the value")
	}
	_, ferr := v.Field("jwt_secret")
	if !errors.Is(ferr, secrets.ErrInvalidArgument) {
		t.Errorf("Field of a non-JSON secret: %v", ferr)
	}
	jsonName := newSecret(t, `{"jwt_secret":42,"other":"`+plaintext+`"}`)
	_, ferr2 := mustGet(t, c, jsonName).Field("jwt_secret")
	_, ferr3 := mustGet(t, c, jsonName).Field("missing")
	log.Info("loaded", "secret", v, "err", ferr, "err2", ferr2, "err3", ferr3)
	text.Info("loaded", "secret", v, slog.Any("struct", struct{ Key secrets.Value }{v}))
	var out strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3s"} {
		fmt.Fprintf(&out, verb+"\n", v)
		fmt.Fprintf(&out, verb+"\n", struct{ Key secrets.Value }{v})
		fmt.Fprintf(&out, verb+"\n", &v)
	}
	fmt.Fprintln(&out, v, ferr, ferr2, ferr3)
	b, err := json.Marshal(map[string]any{"v": v, "p": &v})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(b)
	all := logs.String() + out.String()
	for _, leak := range []string{plaintext, plaintext[:12]} {
		if strings.Contains(all, leak) {
			t.Fatalf("the secret's value appears in logs or errors:\n%s", all)
		}
	}
	if !strings.Contains(all, secrets.Redacted) {
		t.Errorf("no %s in:\n%s", secrets.Redacted, all)
	}
}
