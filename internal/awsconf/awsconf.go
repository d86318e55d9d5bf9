// Package awsconf loads the AWS configuration the AWS backends
// (queue/awssqs, store/awsdynamodb, secrets/awssecrets) build their clients from, with the
// SDK's own retries turned off: the portable Queue or Store is the one
// layer that retries. It is internal to this module.
package awsconf

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Load returns config.LoadDefaultConfig's configuration with region and
// creds applied when set, and aws.NopRetryer as its retryer. Its error is
// LoadDefaultConfig's, unwrapped; a missing region is not an error here
// (cfg.Region is then empty).
func Load(ctx context.Context, region string, creds aws.CredentialsProvider) (aws.Config, error) {
	var lo []func(*config.LoadOptions) error
	if region != "" {
		lo = append(lo, config.WithRegion(region))
	}
	if creds != nil {
		lo = append(lo, config.WithCredentialsProvider(creds))
	}
	lo = append(lo, config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	return config.LoadDefaultConfig(ctx, lo...)
}
