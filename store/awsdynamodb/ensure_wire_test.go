package awsdynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// recordingClient answers every request with status, header and body (by
// default 200 and an ACTIVE table), and keeps the last request.
type recordingClient struct {
	status int
	header http.Header
	body   string

	mu     sync.Mutex
	last   *http.Request
	bodies map[string][]byte // the last request body of each X-Amz-Target
}

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	c.mu.Lock()
	c.last = r
	if c.bodies == nil {
		c.bodies = map[string][]byte{}
	}
	c.bodies[r.Header.Get("X-Amz-Target")] = body
	c.mu.Unlock()
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body: io.NopCloser(strings.NewReader(`{"Table":{"TableName":"tbl","TableStatus":"ACTIVE"}}`)), Request: r}
	if c.status != 0 {
		resp.StatusCode, resp.Body = c.status, io.NopCloser(strings.NewReader(c.body))
		for k, vs := range c.header {
			resp.Header[k] = vs
		}
	}
	return resp, nil
}

// credentialScope matches the date, region and service SigV4 signed for.
var credentialScope = regexp.MustCompile(`Credential=[^/]+/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

// TestControlCallMatchesSDK sends DescribeTable through the SDK's own
// operation and through controlCall with the same client, for clients
// configured the ways users configure them, and checks that both go to the
// same URL, signed for the same region and service, with the same target
// and the endpoint's headers: EnsureTable must reach the table the Store's
// data-plane calls (which the SDK sends) reach.
func TestControlCallMatchesSDK(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*dynamodb.Options)
	}{
		{"regional", func(o *dynamodb.Options) { o.Region = "eu-west-1" }},
		{"base-endpoint", func(o *dynamodb.Options) {
			o.Region = "eu-west-1"
			o.BaseEndpoint = aws.String("http://127.0.0.1:4566")
		}},
		{"base-endpoint-path", func(o *dynamodb.Options) {
			o.Region = "eu-west-1"
			o.BaseEndpoint = aws.String("http://127.0.0.1:4566/dynamodb")
		}},
		// DynamoDB Local's region: http://localhost:8000, signed for
		// us-east-1 (DynamoDB Local keeps one database per region it
		// is signed for, unless -sharedDb).
		{"local", func(o *dynamodb.Options) { o.Region = "local" }},
		{"fips", func(o *dynamodb.Options) {
			o.Region = "us-west-2"
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}},
		{"dual-stack", func(o *dynamodb.Options) {
			o.Region = "us-west-2"
			o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}},
		// A client made from an aws.Config with the (deprecated, still
		// common) EndpointResolverWithOptions: the SDK asks it first.
		{"legacy-resolver", func(o *dynamodb.Options) {
			o.Region = "eu-west-1"
			o.EndpointResolver = dynamodb.EndpointResolverFromURL("http://dynamodb-local:8000", func(e *aws.Endpoint) {
				e.SigningRegion = "us-east-1"
			})
		}},
		{"legacy-resolver-not-found", func(o *dynamodb.Options) {
			o.Region = "eu-west-1"
			o.EndpointResolver = dynamodb.EndpointResolverFunc(func(string, dynamodb.EndpointResolverOptions) (aws.Endpoint, error) {
				return aws.Endpoint{}, &aws.EndpointNotFoundError{}
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingClient{}
			c := dynamodb.New(dynamodb.Options{Credentials: testCreds, HTTPClient: rec, Retryer: aws.NopRetryer{}}, tc.set)
			ctx := context.Background()
			if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tbl")}); err != nil {
				t.Fatalf("SDK: %v", err)
			}
			sdk := rec.last
			if err := controlCall(ctx, c, "DescribeTable", map[string]any{"TableName": "tbl"}, nil); err != nil {
				t.Fatalf("controlCall: %v", err)
			}
			got := rec.last
			if got.URL.String() != sdk.URL.String() {
				t.Errorf("URL %s, the SDK's %s", got.URL, sdk.URL)
			}
			gs, ss := credentialScope.FindStringSubmatch(got.Header.Get("Authorization")), credentialScope.FindStringSubmatch(sdk.Header.Get("Authorization"))
			if gs == nil || ss == nil || gs[1] != ss[1] || gs[2] != ss[2] {
				t.Errorf("signed for %q, the SDK for %q", gs, ss)
			}
			for _, h := range []string{"X-Amz-Target", "Content-Type"} {
				if got.Header.Get(h) != sdk.Header.Get(h) {
					t.Errorf("%s: %q, the SDK's %q", h, got.Header.Get(h), sdk.Header.Get(h))
				}
			}
		})
	}
}

// TestControlCallErrorsMatchSDK checks that controlCall names an error
// answer's exception as the SDK does (smithy.APIError's ErrorCode), which
// EnsureTable decides on (ResourceInUseException, ResourceNotFoundException,
// throttling), for the forms the AWS JSON protocol allows: __type with a
// namespace, an X-Amzn-ErrorType header (which wins) with a URI suffix, a
// "code" member.
func TestControlCallErrorsMatchSDK(t *testing.T) {
	for _, tc := range []struct {
		status int
		header http.Header
		body   string
	}{
		{400, nil, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceInUseException","message":"Table already exists: tbl"}`},
		{400, nil, `{"__type":"com.amazon.coral.validate#ValidationException","Message":"bad name"}`},
		{400, nil, `{"__type":"ResourceNotFoundException","message":"no table"}`},
		{400, http.Header{"X-Amzn-Errortype": {"ResourceInUseException:http://internal.amazon.com/coral/com.amazonaws.dynamodb.v20120810/"}}, `{"message":"exists"}`},
		{400, http.Header{"X-Amzn-Errortype": {"ThrottlingException"}}, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"m"}`},
		{400, nil, `{"code":"ThrottlingException","message":"slow down"}`},
		{400, nil, `{"__type":"com.amazon.coral.service#UnrecognizedClientException:http://internal/","message":"m"}`},
		{500, nil, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`},
	} {
		rec := &recordingClient{status: tc.status, header: tc.header, body: tc.body}
		c := dynamodb.New(dynamodb.Options{Region: "eu-west-1", Credentials: testCreds, HTTPClient: rec, Retryer: aws.NopRetryer{}})
		ctx := context.Background()
		_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tbl")})
		var sdk smithy.APIError
		if !errors.As(err, &sdk) {
			t.Fatalf("%s: SDK error %v", tc.body, err)
		}
		err = controlAttempt(ctx, c, "DescribeTable", []byte(`{"TableName":"tbl"}`), nil)
		var got *apiError
		if !errors.As(err, &got) {
			t.Fatalf("%s: controlAttempt error %v", tc.body, err)
		}
		if got.Code != sdk.ErrorCode() || got.Message != sdk.ErrorMessage() || got.Status != tc.status {
			t.Errorf("%v %s: code %q, message %q, status %d; the SDK's %q, %q", tc.header, tc.body, got.Code, got.Message, got.Status, sdk.ErrorCode(), sdk.ErrorMessage())
		}
	}
}

// TestEnsureTableBodiesMatchSDK checks that EnsureTable's four requests
// carry what the SDK operations it replaced sent for the same inputs (the
// inputs of the SDK-based EnsureTable before d8b3148), compared as JSON.
func TestEnsureTableBodiesMatchSDK(t *testing.T) {
	ctx := context.Background()
	ours := &recordingClient{}
	c := dynamodb.New(dynamodb.Options{Region: "eu-west-1", Credentials: testCreds, HTTPClient: ours, Retryer: aws.NopRetryer{}})
	if err := EnsureTable(ctx, "tbl", WithClient(c)); err != nil {
		t.Fatal(err)
	}
	sdk := &recordingClient{}
	c = dynamodb.New(dynamodb.Options{Region: "eu-west-1", Credentials: testCreds, HTTPClient: sdk, Retryer: aws.NopRetryer{}})
	table := aws.String("tbl")
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: table,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPartition), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrSort), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrPartition), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSort), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: table}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: table}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	if len(ours.bodies) != 4 || len(sdk.bodies) != 4 {
		t.Fatalf("targets %v and, from the SDK, %v; want 4 each", keys(ours.bodies), keys(sdk.bodies))
	}
	for target, want := range sdk.bodies {
		var g, w any
		if err := json.Unmarshal(ours.bodies[target], &g); err != nil {
			t.Errorf("%s: %s: %v", target, ours.bodies[target], err)
			continue
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: body %s, the SDK's %s", target, ours.bodies[target], want)
		}
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestWaitActiveEnds checks that waiting for a table ends: at the limit
// for a table that never becomes ACTIVE (and for one that stays missing, or
// an answer that is throttled), and at once on an error that waiting cannot
// cure.
func TestWaitActiveEnds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		rec   *recordingClient
		limit bool // ends at the limit rather than at once
		code  string
	}{
		{"creating", &recordingClient{status: 200, body: `{"Table":{"TableStatus":"CREATING"}}`}, true, ""},
		{"missing", &recordingClient{status: 400, body: `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}`}, true, "ResourceNotFoundException"},
		{"throttled", &recordingClient{status: 400, body: `{"__type":"com.amazon.coral.availability#ThrottlingException"}`}, true, "ThrottlingException"},
		{"denied", &recordingClient{status: 400, body: `{"__type":"com.amazon.coral.service#AccessDeniedException"}`}, false, "AccessDeniedException"},
	} {
		c := dynamodb.New(dynamodb.Options{Region: "eu-west-1", Credentials: testCreds, HTTPClient: tc.rec, Retryer: aws.NopRetryer{}})
		err := waitActive(ctx, c, "tbl", 300*time.Millisecond)
		switch {
		case err == nil:
			t.Errorf("%s: waitActive succeeded", tc.name)
		case tc.limit && !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("%s: %v, want the limit's DeadlineExceeded", tc.name, err)
		case !tc.limit && !isAPIError(err, tc.code):
			t.Errorf("%s: %v, want %s at once", tc.name, err, tc.code)
		}
	}
}
