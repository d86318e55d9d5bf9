package gcppubsub

import (
	"context"
	"net/url"
	"strings"

	"github.com/anyfunc/anyfunc/queue"
)

type urlOpener struct{}

func (urlOpener) parse(u *url.URL) (project, topic, sub string, err error) {
	project, topic = u.Host, strings.TrimPrefix(u.Path, "/")
	if project == "" || topic == "" || strings.Contains(topic, "/") {
		return "", "", "", invalidf("%q: the URL is pubsub://PROJECT/TOPIC[?subscription=SUB]", queue.RedactURL(u))
	}
	for k, vs := range u.Query() {
		if k != "subscription" {
			return "", "", "", invalidf("%q: unknown parameter %q (subscription)", queue.RedactURL(u), k)
		}
		sub = vs[0]
	}
	return project, topic, sub, nil
}

func (o urlOpener) OpenQueueURL(ctx context.Context, u *url.URL) (*queue.Queue, error) {
	project, topic, _, err := o.parse(u)
	if err != nil {
		return nil, err
	}
	d, err := OpenDriver(ctx, topic, WithProject(project))
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d), nil
}

func (o urlOpener) OpenSubscriptionURL(ctx context.Context, u *url.URL) (*queue.Subscription, error) {
	project, _, sub, err := o.parse(u)
	if err != nil {
		return nil, err
	}
	if sub == "" {
		return nil, invalidf("%q: a subscription URL names its subscription: pubsub://PROJECT/TOPIC?subscription=SUB", queue.RedactURL(u))
	}
	d, err := OpenSubscriptionDriver(ctx, sub, WithProject(project))
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d), nil
}

func init() {
	queue.RegisterQueue("pubsub", urlOpener{})
	queue.RegisterSubscription("pubsub", urlOpener{})
}
