package awssecrets_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/anyfunc/anyfunc/secrets/awssecrets"
)

// fakeSecretsManager answers every request as Secrets Manager answers
// GetSecretValue, for the example to run without AWS.
type fakeSecretsManager struct{}

func (fakeSecretsManager) Do(r *http.Request) (*http.Response, error) {
	body := `{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:todo/app-AbCdEf","Name":"todo/app",` +
		`"SecretString":"{\"jwt_secret\":\"0123456789abcdef0123456789abcdef\"}","VersionId":"v1","VersionStages":["AWSCURRENT"]}`
	return &http.Response{StatusCode: 200, Status: "200 OK", Request: r, ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body:   io.NopCloser(strings.NewReader(body))}, nil
}

func Example() {
	ctx := context.Background()
	// Once per process (a Lambda function's cold start); in production,
	// awssecrets.Open(ctx) with the function's own configuration.
	c, err := awssecrets.Open(ctx, awssecrets.WithRegion("us-east-1"),
		awssecrets.WithCredentials(credentials.NewStaticCredentialsProvider("id", "secret", "")),
		awssecrets.WithHTTPClient(fakeSecretsManager{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := c.Get(ctx, "todo/app")
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := v.Field("jwt_secret")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("secret:", key)                  // never the value
	fmt.Println("key bytes:", len(key.Reveal())) // Reveal gives it to what needs it
	// Output:
	// secret: [REDACTED]
	// key bytes: 32
}
