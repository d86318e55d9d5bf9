package awsdynamodb

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// DynamoDB's batch limits.
const (
	maxBatchGet   = 100
	maxBatchWrite = 25
)

// backoff waits before batch request number attempt (counted from 1) that
// follows one leaving work unprocessed: a random delay up to
// batchDelay·2^(attempt-1), capped at one second.
func (d *dynamoDriver) backoff(ctx context.Context, attempt int) error {
	ceil := min(d.batchDelay<<min(attempt-1, 20), time.Second)
	return sleep(ctx, ceil/2+time.Duration(rand.Int64N(int64(ceil/2)+1)))
}

// stored identifies an item of the table by its stored key attributes.
type stored struct{ p, s string }

func storedKey(av map[string]types.AttributeValue) stored {
	var k stored
	if p, ok := av[attrPartition].(*types.AttributeValueMemberS); ok {
		k.p = p.Value
	}
	if s, ok := av[attrSort].(*types.AttributeValueMemberS); ok {
		k.s = s.Value
	}
	return k
}

func storedOf(key store.Key) stored { return stored{key.Partition, encodeSort(key.Sort)} }

// maxParallelGets bounds the BatchGetItem requests GetMany has in flight.
const maxParallelGets = 4

// GetMany implements driver.Driver with BatchGetItem, up to 100 keys a
// request, up to maxParallelGets requests at a time. Keys DynamoDB leaves
// unprocessed are asked again after a backoff; when requests keep leaving
// keys unprocessed, GetMany gives up with ErrThrottled.
func (d *dynamoDriver) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	out := make([]*store.Item, len(keys))
	if len(keys) <= maxBatchGet {
		return out, d.getChunk(ctx, keys, out)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, maxParallelGets)
	for lo := 0; lo < len(keys); lo += maxBatchGet {
		hi := min(lo+maxBatchGet, len(keys))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := d.getChunk(ctx, keys[lo:hi], out[lo:hi]); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err // the cause; the others fail because of cancel
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// getChunk reads up to 100 keys into out, asking again for the keys
// DynamoDB leaves unprocessed.
func (d *dynamoDriver) getChunk(ctx context.Context, keys []store.Key, out []*store.Item) error {
	const op = "getmany"
	index := make(map[stored]int, len(keys))
	ask := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		index[storedOf(k)] = i
		ask[i] = keyAttrs(k)
	}
	for failures := 0; ; {
		if err := ctx.Err(); err != nil {
			return mapError(op, err)
		}
		res, err := d.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{
				d.table: {Keys: ask, ConsistentRead: aws.Bool(true)},
			},
		})
		if err != nil {
			return mapError(op, err)
		}
		for _, av := range res.Responses[d.table] {
			i, ok := index[storedKey(av)]
			if !ok {
				continue
			}
			it, err := decodeStored(op, av)
			if err != nil {
				return err
			}
			out[i] = it
		}
		ask = res.UnprocessedKeys[d.table].Keys
		if len(ask) == 0 {
			return nil
		}
		failures++
		if failures >= d.batchAttempts {
			return &store.Error{Kind: store.ErrThrottled, Op: op, Msg: "DynamoDB kept keys unprocessed"}
		}
		if err := d.backoff(ctx, failures); err != nil {
			return mapError(op, err)
		}
	}
}

// batchable reports whether w can go through BatchWriteItem, which takes
// no conditions and no updates.
func batchable(w store.Write) bool {
	return w.Condition.Kind() == store.CondNone && (w.Kind == store.WritePut || w.Kind == store.WriteDelete)
}

// maxParallelWrites bounds the requests WriteMany has in flight.
const maxParallelWrites = 8

// WriteMany implements driver.Driver. Unconditional puts and deletes go
// through BatchWriteItem, 25 a request; the others go one by one; up to
// maxParallelWrites requests are in flight. Writes to one key keep their
// order: the n-th write to each key is sent in round n, after the writes
// of round n-1 are done (one round when the keys are distinct).
func (d *dynamoDriver) WriteMany(ctx context.Context, writes []store.Write, now time.Time) []error {
	errs := make([]error, len(writes))
	var rounds [][]int
	nth := make(map[stored]int, len(writes))
	for i, w := range writes {
		k := storedOf(w.Key)
		r := nth[k]
		nth[k] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	sem := make(chan struct{}, maxParallelWrites)
	for _, round := range rounds {
		var wg sync.WaitGroup
		run := func(f func()) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				f()
			}()
		}
		var batch []int
		for _, i := range round {
			if !batchable(writes[i]) {
				run(func() { errs[i] = driver.ApplyWrite(ctx, d, writes[i], now) })
				continue
			}
			batch = append(batch, i)
			if len(batch) == maxBatchWrite {
				b := batch
				run(func() { d.batchWrite(ctx, writes, b, errs, now) })
				batch = nil
			}
		}
		if len(batch) > 0 {
			b := batch
			run(func() { d.batchWrite(ctx, writes, b, errs, now) })
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return errs
		}
	}
	return nil
}

// batchWrite sends writes[idx] (distinct keys, at most 25) with
// BatchWriteItem, setting errs[i] for each that fails. Unprocessed writes
// are sent again after a backoff, then fail with ErrThrottled. When
// DynamoDB refuses the whole request as invalid, the writes are sent one
// by one, so that each gets its own error rather than its neighbour's.
func (d *dynamoDriver) batchWrite(ctx context.Context, writes []store.Write, idx []int, errs []error, now time.Time) {
	const op = "writemany"
	byKey := make(map[stored]int, len(idx))
	reqs := make([]types.WriteRequest, 0, len(idx))
	for _, i := range idx {
		w := writes[i]
		byKey[storedOf(w.Key)] = i
		if w.Kind == store.WriteDelete {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyAttrs(w.Key)}})
			continue
		}
		av, err := encodeItem(w.Item, newRevision())
		if err != nil {
			errs[i] = mapError(op, err)
			delete(byKey, storedOf(w.Key))
			continue
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	for failures := 0; len(reqs) > 0; {
		res, err := d.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{d.table: reqs},
		})
		if err != nil {
			err = mapError(op, err)
			if errors.Is(err, store.ErrInvalidArgument) || errors.Is(err, store.ErrTooLarge) {
				for _, r := range reqs {
					if i, ok := byKey[requestKey(r)]; ok {
						errs[i] = driver.ApplyWrite(ctx, d, writes[i], now)
					}
				}
				return
			}
			setErrs(errs, byKey, reqs, err)
			return
		}
		reqs = res.UnprocessedItems[d.table]
		if len(reqs) == 0 {
			return
		}
		failures++
		if failures >= d.batchAttempts {
			break
		}
		if err := d.backoff(ctx, failures); err != nil {
			setErrs(errs, byKey, reqs, mapError(op, err))
			return
		}
	}
	setErrs(errs, byKey, reqs, &store.Error{Kind: store.ErrThrottled, Op: op, Msg: "DynamoDB kept the write unprocessed"})
}

// setErrs sets err for the write of each request.
func setErrs(errs []error, byKey map[stored]int, reqs []types.WriteRequest, err error) {
	for _, r := range reqs {
		if i, ok := byKey[requestKey(r)]; ok {
			errs[i] = err
		}
	}
}

func requestKey(r types.WriteRequest) stored {
	if r.PutRequest != nil {
		return storedKey(r.PutRequest.Item)
	}
	return storedKey(r.DeleteRequest.Key)
}
