package awsdynamodb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// EnsureTable creates the table in the layout this package uses (string
// partition and sort keys, on-demand capacity), waits until it is active,
// and enables DynamoDB's TTL on the expiry attribute. A table that exists
// already is left as it is, TTL aside. It is meant for local runs and
// tests: production tables belong in infrastructure code, and nothing in
// this package calls EnsureTable by itself.
//
// Its four control-plane requests (CreateTable, DescribeTable,
// DescribeTimeToLive, UpdateTimeToLive) are sent as DynamoDB's JSON
// protocol through the client's endpoint, credentials, signer and HTTP
// client (see controlCall), not through the SDK's generated operations:
// those carry the deserializers of the whole table description (indexes,
// replicas, streams, encryption, ...), about 0.25 MB of every binary that
// imports this package, for a function few deployed programs call.
func EnsureTable(ctx context.Context, table string, opts ...Option) error {
	o := collect(opts)
	c, err := o.newClient(ctx)
	if err != nil {
		return err
	}
	create := map[string]any{
		"TableName": table,
		"AttributeDefinitions": []map[string]string{
			{"AttributeName": attrPartition, "AttributeType": "S"},
			{"AttributeName": attrSort, "AttributeType": "S"},
		},
		"KeySchema": []map[string]string{
			{"AttributeName": attrPartition, "KeyType": "HASH"},
			{"AttributeName": attrSort, "KeyType": "RANGE"},
		},
		"BillingMode": "PAY_PER_REQUEST",
	}
	if err := controlCall(ctx, c, "CreateTable", create, nil); err != nil && !isAPIError(err, "ResourceInUseException") {
		return fmt.Errorf("awsdynamodb: creating table %q: %w", table, err)
	}
	if err := waitActive(ctx, c, table, 5*time.Minute); err != nil {
		return fmt.Errorf("awsdynamodb: waiting for table %q: %w", table, err)
	}
	var ttl struct {
		TimeToLiveDescription struct {
			AttributeName    string
			TimeToLiveStatus string
		}
	}
	err = controlCall(ctx, c, "DescribeTimeToLive", map[string]any{"TableName": table}, &ttl)
	if d := ttl.TimeToLiveDescription; err == nil && d.AttributeName == attrTTL &&
		(d.TimeToLiveStatus == "ENABLED" || d.TimeToLiveStatus == "ENABLING") {
		return nil
	}
	err = controlCall(ctx, c, "UpdateTimeToLive", map[string]any{
		"TableName":               table,
		"TimeToLiveSpecification": map[string]any{"AttributeName": attrTTL, "Enabled": true},
	}, nil)
	if err != nil {
		return fmt.Errorf("awsdynamodb: enabling TTL on table %q: %w", table, err)
	}
	return nil
}

// waitActive asks DescribeTable until the table is ACTIVE, as the SDK's
// TableExistsWaiter does (a missing table is waited for too), with delays
// from 100 ms doubling to 2 s, for at most max.
func waitActive(ctx context.Context, c *dynamodb.Client, table string, max time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	delay := 100 * time.Millisecond
	for {
		var out struct{ Table struct{ TableStatus string } }
		err := controlCall(ctx, c, "DescribeTable", map[string]any{"TableName": table}, &out)
		switch {
		case err == nil && out.Table.TableStatus == "ACTIVE":
			return nil
		case err != nil && !isAPIError(err, "ResourceNotFoundException") && !retryable(err):
			return err
		}
		if err := sleep(ctx, delay); err != nil {
			return fmt.Errorf("table not active after %v: %w", max, err)
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// apiError is an error answer of DynamoDB's JSON protocol.
type apiError struct {
	Status  int
	Code    string // the exception's name, e.g. "ResourceInUseException"
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("api error %s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

func isAPIError(err error, code string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == code
}

// retryable reports whether a control-plane request may succeed when sent
// again: throttled, a server error, or no answer at all.
func retryable(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return ae.Status >= 500 || isThrottle(ae.Code)
}

// controlCall sends one request of DynamoDB's JSON protocol (version
// 2012-08-10): the operation op with the JSON of in, decoding the answer
// into out when out is not nil. It uses what the client's generated
// operations use: its endpoint resolver (with its base endpoint, FIPS and
// dual-stack settings), its credentials, its SigV4 signer and its HTTP
// client. Throttled and failed attempts are sent again, three attempts in
// all.
func controlCall(ctx context.Context, c *dynamodb.Client, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
				return last
			}
		}
		last = controlAttempt(ctx, c, op, body, out)
		if last == nil || !retryable(last) {
			return last
		}
	}
	return last
}

func controlAttempt(ctx context.Context, c *dynamodb.Client, op string, body []byte, out any) error {
	o := c.Options()
	ep, err := controlEndpoint(ctx, o)
	if err != nil {
		return fmt.Errorf("resolving the endpoint: %w", err)
	}
	u := ep.url
	if u.Path == "" {
		u.Path = "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range ep.header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	if o.Credentials == nil {
		return errors.New("no AWS credentials")
	}
	creds, err := o.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("retrieving credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := o.HTTPSignerV4.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), ep.signingName, ep.signingRegion, time.Now()); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type     string `json:"__type"`
			Code     string `json:"code"`
			Message  string `json:"message"`
			MessageU string `json:"Message"`
		}
		_ = json.Unmarshal(b, &e)
		ae := &apiError{Status: resp.StatusCode, Message: e.Message}
		if ae.Message == "" {
			ae.Message = e.MessageU
		}
		// The exception's name as the SDK reads it: the X-Amzn-ErrorType
		// header, else __type, else code; without a URI suffix
		// ("ValidationException:http://internal.amazon.com/...") and a
		// namespace ("com.amazonaws.dynamodb.v20120810#ResourceInUseException").
		code := resp.Header.Get("X-Amzn-ErrorType")
		if code == "" {
			code = e.Type
		}
		if code == "" {
			code = e.Code
		}
		code, _, _ = strings.Cut(code, ":")
		if i := strings.IndexByte(code, '#'); i >= 0 {
			code = code[i+1:]
		}
		ae.Code = code
		if ae.Code == "" {
			ae.Code = http.StatusText(resp.StatusCode)
		}
		return ae
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// resolvedEndpoint is where a control-plane request goes and what SigV4
// signs it for.
type resolvedEndpoint struct {
	url                        url.URL
	header                     http.Header
	signingName, signingRegion string
}

// controlEndpoint resolves the endpoint as the client's generated
// operations do: with its legacy (v1) EndpointResolver first, when it has
// one (a client made from an aws.Config with EndpointResolverWithOptions),
// falling back to EndpointResolverV2 when that reports no endpoint; and
// signing for the region and service name the endpoint names, if it does
// (region "local" is http://localhost:8000 signed for us-east-1, which
// DynamoDB Local keeps a database for), else for the client's region.
func controlEndpoint(ctx context.Context, o dynamodb.Options) (resolvedEndpoint, error) {
	ep := resolvedEndpoint{signingName: "dynamodb", signingRegion: o.Region}
	if o.EndpointResolver != nil {
		v1, err := o.EndpointResolver.ResolveEndpoint(o.Region, o.EndpointOptions)
		var nf *aws.EndpointNotFoundError
		switch {
		case err == nil:
			u, err := url.Parse(v1.URL)
			if err != nil {
				return ep, fmt.Errorf("parsing the endpoint URL: %w", err)
			}
			ep.url = *u
			if v1.SigningName != "" {
				ep.signingName = v1.SigningName
			}
			if v1.SigningRegion != "" {
				ep.signingRegion = v1.SigningRegion
			}
			return ep, nil
		case !errors.As(err, &nf):
			return ep, err
		}
	}
	v2, err := o.EndpointResolverV2.ResolveEndpoint(ctx, dynamodb.EndpointParameters{
		Region:                aws.String(o.Region),
		UseDualStack:          aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		UseFIPS:               aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		Endpoint:              o.BaseEndpoint,
		AccountIdEndpointMode: aws.String(string(aws.AccountIDEndpointModeDisabled)),
	})
	if err != nil {
		return ep, err
	}
	ep.url, ep.header = v2.URI, v2.Headers
	// The SDK applies the signer properties of every auth option the
	// endpoint lists; so does this.
	opts, _ := smithyauth.GetAuthOptions(&v2.Properties)
	for _, ao := range opts {
		if name, ok := smithyhttp.GetSigV4SigningName(&ao.SignerProperties); ok && name != "" {
			ep.signingName = name
		}
		if region, ok := smithyhttp.GetSigV4SigningRegion(&ao.SignerProperties); ok && region != "" {
			ep.signingRegion = region
		}
	}
	return ep, nil
}
