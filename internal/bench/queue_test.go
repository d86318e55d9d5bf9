package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/awssqs"
	"github.com/anyfunc/anyfunc/queue/azurequeue"
	"github.com/anyfunc/anyfunc/queue/gcppubsub"
)

// The queue benchmarks compare package queue with the same calls made
// directly on each SDK, against the emulators: "send" is one batch of 10
// messages (SendMessageBatch, Publish, or 10 Put Message requests), and
// "receiveack" pulls 10 messages (pre-filled before the timer starts) and
// acknowledges them. The emulators start on first use.
//
// The contender that runs second meets a warmer emulator; alternate the
// order between runs with ANYFUNC_BENCH_RAW_FIRST=1:
//
//	go test -c -o bench.test .
//	for i in $(seq 10); do ANYFUNC_BENCH_RAW_FIRST=$((i % 2)) ./bench.test -test.run '^$' -test.bench Queue -test.benchtime 30x -test.benchmem; done > queue.txt
//	benchstat -col '/impl@(raw anyfunc)' queue.txt

// emulators started by the benchmarks, stopped by TestMain.
var (
	emuMu    sync.Mutex
	emuEnds  = map[string]string{}
	emuStops []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, stop := range emuStops {
		stop()
	}
	os.Exit(code)
}

func launched(b *testing.B, s emulator.Spec) string {
	emuMu.Lock()
	defer emuMu.Unlock()
	if ep, ok := emuEnds[s.Name]; ok {
		return ep
	}
	ep, stop, err := emulator.Launch(s)
	if err != nil {
		b.Skipf("%s: %v", s.Name, err)
	}
	emuEnds[s.Name] = ep
	emuStops = append(emuStops, stop)
	return ep
}

// queueContender is one way of doing the benchmarked operations.
type queueContender struct {
	send       func(ctx context.Context, i int) error       // sends the 10 messages of batch i
	receiveAck func(ctx context.Context) (n int, err error) // receives and acks up to 10
}

func bodies(i int) []string {
	out := make([]string, 10)
	for j := range out {
		out[j] = fmt.Sprintf("message %d of batch %d: resize photo", j, i)
	}
	return out
}

func portableBatch(i int) []*queue.Message {
	ms := make([]*queue.Message, 10)
	for j, s := range bodies(i) {
		ms[j] = &queue.Message{Body: []byte(s), Attributes: map[string]string{"size": "small"}}
	}
	return ms
}

func portable(q *queue.Queue, sub *queue.Subscription) queueContender {
	return queueContender{
		send: func(ctx context.Context, i int) error {
			_, err := q.Send(ctx, portableBatch(i)...)
			return err
		},
		receiveAck: func(ctx context.Context) (int, error) {
			ms, err := sub.Receive(ctx, 10, time.Second)
			if err != nil {
				return 0, err
			}
			return len(ms), sub.Ack(ctx, ms...)
		},
	}
}

// queueWarmUp is how many operations each contender does before its
// timer starts: the emulators (a JVM, Node, Python) run their first
// requests much slower, which would favour whichever contender runs
// second.
const queueWarmUp = 10

func runQueueBench(b *testing.B, cs map[string]func(b *testing.B) queueContender) {
	for _, op := range []string{"send", "receiveack"} {
		impls := []string{"anyfunc", "raw"}
		if os.Getenv("ANYFUNC_BENCH_RAW_FIRST") == "1" {
			impls[0], impls[1] = impls[1], impls[0]
		}
		for _, impl := range impls {
			b.Run(op+"/impl="+impl, func(b *testing.B) {
				c := cs[impl](b)
				ctx := context.Background()
				do := func(i int) {
					if op == "send" {
						if err := c.send(ctx, i); err != nil {
							b.Fatal(err)
						}
						return
					}
					for got := 0; got < 10; {
						n, err := c.receiveAck(ctx)
						if err != nil {
							b.Fatal(err)
						}
						got += n
					}
				}
				if op == "receiveack" {
					for i := 0; i < b.N+queueWarmUp; i++ {
						if err := c.send(ctx, i); err != nil {
							b.Fatal(err)
						}
					}
				}
				for i := 0; i < queueWarmUp; i++ {
					do(i)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := startCPU(b)
				for i := 0; i < b.N; i++ {
					do(i)
				}
				b.StopTimer()
				cpu.report()
			})
		}
	}
}

var queueSeq int

func queueName(prefix string) string {
	queueSeq++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, queueSeq)
}

func BenchmarkQueueSQS(b *testing.B) {
	ep := launched(b, emulator.MotoSQS)
	ctx := context.Background()
	newClient := func(b *testing.B) *sqs.Client {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		if err != nil {
			b.Fatal(err)
		}
		return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(ep) })
	}
	newQueue := func(b *testing.B, c *sqs.Client) (string, *string) {
		name := queueName("bench")
		out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
		return name, out.QueueUrl
	}
	runQueueBench(b, map[string]func(b *testing.B) queueContender{
		"anyfunc": func(b *testing.B) queueContender {
			name, _ := newQueue(b, newClient(b))
			opts := []awssqs.Option{awssqs.WithRegion("us-east-1"), awssqs.WithEndpoint(ep),
				awssqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", ""))}
			d, err := awssqs.OpenDriver(ctx, name, opts...)
			if err != nil {
				b.Fatal(err)
			}
			return portable(queue.NewQueue(d), queue.NewSubscription(d))
		},
		"raw": func(b *testing.B) queueContender {
			c := newClient(b)
			_, u := newQueue(b, c)
			return queueContender{
				send: func(ctx context.Context, i int) error {
					entries := make([]sqstypes.SendMessageBatchRequestEntry, 10)
					for j, s := range bodies(i) {
						entries[j] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(s),
							MessageAttributes: map[string]sqstypes.MessageAttributeValue{"size": {DataType: aws.String("String"), StringValue: aws.String("small")}}}
					}
					out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: u, Entries: entries})
					if err == nil && len(out.Failed) > 0 {
						err = fmt.Errorf("%d failed", len(out.Failed))
					}
					return err
				},
				receiveAck: func(ctx context.Context) (int, error) {
					out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
						MessageAttributeNames:       []string{"All"},
						MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount, sqstypes.MessageSystemAttributeNameSentTimestamp}})
					if err != nil || len(out.Messages) == 0 {
						return 0, err
					}
					entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
					for j, m := range out.Messages {
						entries[j] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), ReceiptHandle: m.ReceiptHandle}
					}
					_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: u, Entries: entries})
					return len(out.Messages), err
				},
			}
		},
	})
}

func BenchmarkQueuePubSub(b *testing.B) {
	ep := launched(b, emulator.PubSub)
	ctx := context.Background()
	const project = "anyfunc-bench"
	b.Setenv("PUBSUB_EMULATOR_HOST", ep)
	newTopic := func(b *testing.B) (*pubsub.Client, string, string) {
		c, err := pubsub.NewClient(ctx, project)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		id := queueName("bench")
		topic, sub := "projects/"+project+"/topics/"+id, "projects/"+project+"/subscriptions/"+id
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{Name: sub, Topic: topic, AckDeadlineSeconds: 60}); err != nil {
			b.Fatal(err)
		}
		return c, topic, sub
	}
	runQueueBench(b, map[string]func(b *testing.B) queueContender{
		"anyfunc": func(b *testing.B) queueContender {
			c, topic, sub := newTopic(b)
			td, err := gcppubsub.OpenDriver(ctx, topic, gcppubsub.WithClient(c))
			if err != nil {
				b.Fatal(err)
			}
			sd, err := gcppubsub.OpenSubscriptionDriver(ctx, sub, gcppubsub.WithClient(c))
			if err != nil {
				b.Fatal(err)
			}
			return portable(queue.NewQueue(td), queue.NewSubscription(sd))
		},
		"raw": func(b *testing.B) queueContender {
			c, topic, sub := newTopic(b)
			return queueContender{
				send: func(ctx context.Context, i int) error {
					req := &pubsubpb.PublishRequest{Topic: topic}
					for _, s := range bodies(i) {
						req.Messages = append(req.Messages, &pubsubpb.PubsubMessage{Data: []byte(s), Attributes: map[string]string{"size": "small"}})
					}
					_, err := c.TopicAdminClient.Publish(ctx, req)
					return err
				},
				receiveAck: func(ctx context.Context) (int, error) {
					pctx, cancel := context.WithTimeout(ctx, time.Second)
					defer cancel()
					out, err := c.SubscriptionAdminClient.Pull(pctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: 10})
					if err != nil {
						if pctx.Err() != nil && ctx.Err() == nil {
							return 0, nil
						}
						return 0, err
					}
					ids := make([]string, len(out.ReceivedMessages))
					for j, m := range out.ReceivedMessages {
						ids[j] = m.AckId
					}
					if len(ids) == 0 {
						return 0, nil
					}
					return len(ids), c.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: sub, AckIds: ids})
				},
			}
		},
	})
}

func BenchmarkQueueAzure(b *testing.B) {
	ep := launched(b, emulator.Azurite)
	ctx := context.Background()
	cred, err := azqueue.NewSharedKeyCredential(emulator.AzuriteAccount, emulator.AzuriteKey)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := azqueue.NewServiceClientWithSharedKeyCredential(ep, cred, nil)
	if err != nil {
		b.Fatal(err)
	}
	newQueue := func(b *testing.B) string {
		name := queueName("bench")
		if _, err := svc.CreateQueue(ctx, name, nil); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = svc.DeleteQueue(ctx, name, nil) })
		return name
	}
	each := func(n int, f func(j int) error) error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for j := 0; j < n; j++ {
			wg.Go(func() { errs[j] = f(j) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	runQueueBench(b, map[string]func(b *testing.B) queueContender{
		"anyfunc": func(b *testing.B) queueContender {
			d, err := azurequeue.OpenDriver(ctx, newQueue(b), azurequeue.WithEndpoint(ep), azurequeue.WithSharedKey(emulator.AzuriteAccount, emulator.AzuriteKey))
			if err != nil {
				b.Fatal(err)
			}
			return portable(queue.NewQueue(d), queue.NewSubscription(d))
		},
		"raw": func(b *testing.B) queueContender {
			qc := svc.NewQueueClient(newQueue(b))
			return queueContender{
				send: func(ctx context.Context, i int) error {
					bs := bodies(i)
					return each(len(bs), func(j int) error {
						// What a Functions trigger reads: base64 of the body;
						// the attribute in a JSON envelope as anyfunc does.
						env := fmt.Sprintf(`{"anyfunc.envelope":1,"attributes":{"size":"small"},"body":%q}`, base64.StdEncoding.EncodeToString([]byte(bs[j])))
						_, err := qc.EnqueueMessage(ctx, base64.StdEncoding.EncodeToString([]byte(env)), nil)
						return err
					})
				},
				receiveAck: func(ctx context.Context) (int, error) {
					n, vis := int32(10), int32(30)
					out, err := qc.DequeueMessages(ctx, &azqueue.DequeueMessagesOptions{NumberOfMessages: &n, VisibilityTimeout: &vis})
					if err != nil || len(out.Messages) == 0 {
						return 0, err
					}
					return len(out.Messages), each(len(out.Messages), func(j int) error {
						m := out.Messages[j]
						_, err := qc.DeleteMessage(ctx, *m.MessageID, *m.PopReceipt, nil)
						return err
					})
				},
			}
		},
	})
}
