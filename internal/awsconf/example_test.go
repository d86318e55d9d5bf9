package awsconf_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/anyfunc/anyfunc/internal/awsconf"
)

func Example() {
	cfg, err := awsconf.Load(context.Background(), "eu-west-1", credentials.NewStaticCredentialsProvider("id", "secret", ""))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, noRetries := cfg.Retryer().(aws.NopRetryer)
	fmt.Println(cfg.Region, noRetries)
	// Output:
	// eu-west-1 true
}
