package awsdynamodb

import (
	"context"
	"net/url"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/anyfunc/anyfunc/store"
)

// Scheme is the URL scheme this package registers with store.Register.
const Scheme = "dynamodb"

func init() {
	store.Register(Scheme, new(URLOpener))
}

// URLOpener opens "dynamodb://TABLE?region=REGION&endpoint=URL" URLs.
// Both parameters are optional: region defaults to the AWS configuration
// (AWS_REGION, the shared config file), endpoint to the regional DynamoDB
// endpoint. ensure=1 (or ensure=true) creates the table first with
// EnsureTable, for local and emulator runs. Other parameters are refused. Clients are built on the first
// Open, not at import, and shared by every table opened with the same
// region and endpoint. The zero value is ready to use.
type URLOpener struct {
	// Options are applied before those of the URL.
	Options []Option

	mu      sync.Mutex
	clients map[[2]string]*dynamodb.Client
}

// OpenStoreURL implements store.URLOpener.
func (o *URLOpener) OpenStoreURL(ctx context.Context, u *url.URL) (store.Store, error) {
	table := u.Host
	if u.Path != "" && u.Path != "/" {
		return nil, configError("%s: a DynamoDB URL names a table as its host, without a path", store.RedactURL(u))
	}
	if table == "" {
		return nil, configError("%s: no table name (dynamodb://TABLE)", store.RedactURL(u))
	}
	q := u.Query()
	var bad []string
	for k := range q {
		if k != "region" && k != "endpoint" && k != "ensure" {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, configError("%s: unknown parameters %q (known: region, endpoint, ensure)", store.RedactURL(u), bad)
	}
	ensure := false
	switch v := q.Get("ensure"); v {
	case "":
	case "1", "true":
		ensure = true
	default:
		return nil, configError("%s: ensure=%q: want 1 or true", store.RedactURL(u), v)
	}
	region, endpoint := q.Get("region"), q.Get("endpoint")
	c, err := o.client(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	opts := append(append([]Option(nil), o.Options...), WithClient(c))
	if ensure {
		if err := EnsureTable(ctx, table, opts...); err != nil {
			return nil, err
		}
	}
	return Open(ctx, table, opts...)
}

func (o *URLOpener) client(ctx context.Context, region, endpoint string) (*dynamodb.Client, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := [2]string{region, endpoint}
	if c := o.clients[k]; c != nil {
		return c, nil
	}
	opts := append([]Option(nil), o.Options...)
	if region != "" {
		opts = append(opts, WithRegion(region))
	}
	if endpoint != "" {
		opts = append(opts, WithEndpoint(endpoint))
	}
	c, err := NewClient(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if o.clients == nil {
		o.clients = map[[2]string]*dynamodb.Client{}
	}
	o.clients[k] = c
	return c, nil
}
