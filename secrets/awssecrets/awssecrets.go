// Package awssecrets is the AWS Secrets Manager backend of package
// secrets, on github.com/aws/aws-sdk-go-v2/service/secretsmanager.
//
//	c, err := awssecrets.Open(ctx)                  // once, at start-up
//	v, err := c.Get(ctx, os.Getenv("APP_SECRET"))   // a secret's name or ARN
//
// Get reads the secret's current version (AWSCURRENT) with
// GetSecretValue the first time and answers from memory afterwards: on
// Lambda, once per execution environment (cold start). A rotated secret is
// therefore seen by new execution environments; publish a new function
// version (or wait for old environments to be recycled) to move every
// instance to it.
//
// The function's role needs secretsmanager:GetSecretValue on the secret
// (and kms:Decrypt when the secret uses a customer managed key).
//
// # Retries
//
// The SDK's retryer is turned off (aws.NopRetryer). GetSecret retries a
// throttled or failed request (throttling, 5xx, a network error) itself,
// at most [Attempts] times in all with jittered backoff from 100 ms,
// bounded by the context; other errors are returned at once.
//
// # Errors
//
// ResourceNotFoundException is [secrets.ErrNotFound]; AccessDeniedException
// and DecryptionFailure are [secrets.ErrPermissionDenied];
// InvalidParameterException and InvalidRequestException (a secret marked
// for deletion) are [secrets.ErrInvalidArgument]; anything else is
// [secrets.ErrUnavailable]. The SDK's error stays reachable with
// errors.As. No error carries the secret's value.
package awssecrets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/internal/awsconf"
	"github.com/anyfunc/anyfunc/secrets"
)

// Attempts bounds the requests one GetSecret makes.
const Attempts = 3

// Option configures Open and OpenGetter.
type Option func(*options)

type options struct {
	client     *secretsmanager.Client
	region     string
	endpoint   string
	httpClient aws.HTTPClient
	creds      aws.CredentialsProvider
}

// WithClient uses c instead of building a client from the AWS default
// configuration; the other client options are then ignored (turn c's own
// retryer off with aws.NopRetryer so that retries happen in one layer).
func WithClient(c *secretsmanager.Client) Option { return func(o *options) { o.client = c } }

// WithRegion sets the AWS region, overriding AWS_REGION and the shared
// configuration.
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithEndpoint sends requests to endpoint (a URL such as
// "http://127.0.0.1:5000") instead of the regional endpoint: for emulators
// such as moto.
func WithEndpoint(endpoint string) Option { return func(o *options) { o.endpoint = endpoint } }

// WithHTTPClient sends requests through c (an *http.Client or anything
// with its Do method).
func WithHTTPClient(c aws.HTTPClient) Option { return func(o *options) { o.httpClient = c } }

// WithCredentials uses p instead of the default credential chain.
func WithCredentials(p aws.CredentialsProvider) Option { return func(o *options) { o.creds = p } }

// Open returns a secrets.Cache reading AWS Secrets Manager. Create it once
// per process.
func Open(ctx context.Context, opts ...Option) (*secrets.Cache, error) {
	g, err := OpenGetter(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return secrets.NewCache(g), nil
}

// OpenGetter returns the uncached Getter: each GetSecret is a request.
func OpenGetter(ctx context.Context, opts ...Option) (*Getter, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.client != nil {
		return &Getter{client: o.client}, nil
	}
	cfg, err := awsconf.Load(ctx, o.region, o.creds)
	if err != nil {
		return nil, &secrets.Error{Kind: secrets.ErrInvalidArgument, Op: "open", Msg: fmt.Sprintf("awssecrets: loading the AWS configuration: %v", err), Err: err}
	}
	if cfg.Region == "" {
		return nil, &secrets.Error{Kind: secrets.ErrInvalidArgument, Op: "open", Msg: "awssecrets: no AWS region: set AWS_REGION or use WithRegion"}
	}
	endpoint, hc := o.endpoint, o.httpClient
	return &Getter{client: secretsmanager.NewFromConfig(cfg, func(so *secretsmanager.Options) {
		so.Retryer = aws.NopRetryer{}
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
		}
		if hc != nil {
			so.HTTPClient = hc
		}
	})}, nil
}

// Getter reads secrets from Secrets Manager, one request per call (see
// Open for the cached form). It implements secrets.Getter.
type Getter struct {
	client *secretsmanager.Client
}

// Client returns the Secrets Manager client.
func (g *Getter) Client() *secretsmanager.Client { return g.client }

// GetSecret returns the current value of the secret name (a name or an
// ARN): its SecretString, or its SecretBinary as a string.
func (g *Getter) GetSecret(ctx context.Context, name string) (secrets.Value, error) {
	if name == "" {
		return secrets.Value{}, &secrets.Error{Kind: secrets.ErrInvalidArgument, Op: "get", Msg: "awssecrets: empty secret name"}
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)}
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		out, err := g.client.GetSecretValue(ctx, in)
		if err == nil {
			switch {
			case out.SecretString != nil:
				return secrets.NewValue(*out.SecretString), nil
			case out.SecretBinary != nil:
				return secrets.NewValue(string(out.SecretBinary)), nil
			}
			return secrets.Value{}, &secrets.Error{Kind: secrets.ErrNotFound, Op: "get", Name: name, Msg: fmt.Sprintf("awssecrets: secret %q has no value", name)}
		}
		e := mapError(name, err)
		if e.Kind != secrets.ErrUnavailable || attempt == Attempts || ctx.Err() != nil {
			return secrets.Value{}, e
		}
		d := delay/2 + rand.N(delay/2+1)
		delay *= 2
		select {
		case <-ctx.Done():
			return secrets.Value{}, e
		case <-time.After(d):
		}
	}
}

// mapError turns an SDK error into a *secrets.Error.
func mapError(name string, err error) *secrets.Error {
	kind, what := secrets.ErrUnavailable, "unavailable"
	var ae smithy.APIError
	if errors.As(err, &ae) {
		what = ae.ErrorCode()
		switch ae.ErrorCode() {
		case "ResourceNotFoundException":
			kind, what = secrets.ErrNotFound, "not found"
		case "AccessDeniedException", "AccessDenied", "DecryptionFailure":
			kind = secrets.ErrPermissionDenied
		case "InvalidParameterException", "InvalidRequestException", "ValidationException":
			kind = secrets.ErrInvalidArgument
		}
	}
	// The SDK's message names the operation, the status and AWS's own
	// text: never the secret's value.
	return &secrets.Error{Kind: kind, Op: "get", Name: name, Msg: fmt.Sprintf("awssecrets: secret %q: %s: %v", name, what, err), Err: err}
}
