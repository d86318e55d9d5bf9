package azurequeue

import (
	"context"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/queue"
)

type urlOpener struct{}

func (urlOpener) open(ctx context.Context, u *url.URL) (*Driver, error) {
	account := u.Host
	name := strings.TrimPrefix(u.Path, "/")
	if account == "" || name == "" || strings.Contains(name, "/") {
		return nil, invalidf("%q: the URL is azqueue://ACCOUNT/QUEUE", queue.RedactURL(u))
	}
	var opts []Option
	for k, vs := range u.Query() {
		v := vs[0]
		switch k {
		case "endpoint":
			opts = append(opts, WithEndpoint(v))
		case "visibility":
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, invalidf("%q: visibility %q is not a duration", queue.RedactURL(u), v)
			}
			opts = append(opts, WithVisibilityTimeout(d))
		default:
			return nil, invalidf("%q: unknown parameter %q (endpoint, visibility)", queue.RedactURL(u), k)
		}
	}
	cs := os.Getenv("AZURE_STORAGE_CONNECTION_STRING")
	if cs == "" {
		cs = os.Getenv("AzureWebJobsStorage")
	}
	switch {
	case cs != "":
		if a, _ := connStringKey(cs); a != "" && a != account {
			return nil, invalidf("%q: the connection string is for account %q", queue.RedactURL(u), a)
		}
		opts = append(opts, WithConnectionString(cs))
	case os.Getenv("AZURE_STORAGE_KEY") != "":
		opts = append(opts, WithSharedKey(account, os.Getenv("AZURE_STORAGE_KEY")))
	default:
		return nil, invalidf("%q: no credential: set AZURE_STORAGE_CONNECTION_STRING, AzureWebJobsStorage or AZURE_STORAGE_KEY", queue.RedactURL(u))
	}
	return OpenDriver(ctx, name, opts...)
}

func (o urlOpener) OpenQueueURL(ctx context.Context, u *url.URL) (*queue.Queue, error) {
	d, err := o.open(ctx, u)
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d), nil
}

func (o urlOpener) OpenSubscriptionURL(ctx context.Context, u *url.URL) (*queue.Subscription, error) {
	d, err := o.open(ctx, u)
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d), nil
}

func init() {
	queue.RegisterQueue("azqueue", urlOpener{})
	queue.RegisterSubscription("azqueue", urlOpener{})
}
