package awssqs

import (
	"context"
	"net/url"
	"time"

	"github.com/anyfunc/anyfunc/queue"
)

type urlOpener struct{}

func (urlOpener) open(ctx context.Context, u *url.URL) (*Driver, []queue.Option, error) {
	var opts []Option
	for k, vs := range u.Query() {
		v := vs[0]
		switch k {
		case "region":
			opts = append(opts, WithRegion(v))
		case "endpoint":
			opts = append(opts, WithEndpoint(v))
		case "visibility":
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, nil, queue.Errorf(queue.ErrInvalidArgument, "awssqs: %q: visibility %q is not a duration", queue.RedactURL(u), v)
			}
			opts = append(opts, WithVisibilityTimeout(d))
		default:
			return nil, nil, queue.Errorf(queue.ErrInvalidArgument, "awssqs: %q: unknown parameter %q (region, endpoint, visibility)", queue.RedactURL(u), k)
		}
	}
	if u.Path != "" && u.Path != "/" {
		return nil, nil, queue.Errorf(queue.ErrInvalidArgument, "awssqs: %q: the URL is sqs://QUEUE, without a path", queue.RedactURL(u))
	}
	d, err := OpenDriver(ctx, u.Host, opts...)
	return d, nil, err
}

func (o urlOpener) OpenQueueURL(ctx context.Context, u *url.URL) (*queue.Queue, error) {
	d, qo, err := o.open(ctx, u)
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d, qo...), nil
}

func (o urlOpener) OpenSubscriptionURL(ctx context.Context, u *url.URL) (*queue.Subscription, error) {
	d, qo, err := o.open(ctx, u)
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d, qo...), nil
}

func init() {
	queue.RegisterQueue("sqs", urlOpener{})
	queue.RegisterSubscription("sqs", urlOpener{})
}
