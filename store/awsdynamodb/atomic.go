package awsdynamodb

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/store"
)

// Atomic implements driver.Driver with one TransactWriteItems request (the
// SDK gives it an idempotency token, so its own retries are safe). When
// DynamoDB cancels the transaction, the first cancellation reason that is
// not "None" names the failing write: the error is an *store.OpError with
// its index.
//
// An update whose own conditions fail (see dynamoDriver.Update) is applied in Go
// to the item DynamoDB returned with the cancellation, and the transaction
// is sent again with that write as a put under the item's revision. An
// update DynamoDB refuses as invalid (in a cancellation reason, or, as
// moto does, for the whole request) is applied in Go to the item read
// afresh, the same way: that yields the error of the update at fault, with
// its index, or a transaction DynamoDB accepts.
func (d *dynamoDriver) Atomic(ctx context.Context, writes []store.Write, now time.Time) error {
	const op = "atomic"
	replaced := map[int]store.Write{}
	for attempt := 0; attempt < d.batchAttempts; attempt++ {
		items := make([]types.TransactWriteItem, len(writes))
		for i, w := range writes {
			if r, ok := replaced[i]; ok {
				w = r
			}
			ti, err := d.transactItem(w, now)
			if err != nil {
				return &store.OpError{Index: i, Err: mapError(op, err)}
			}
			items[i] = ti
		}
		_, err := d.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil
		}
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) {
			merr := mapError(op, err)
			if !errors.Is(merr, store.ErrInvalidArgument) {
				return merr
			}
			// DynamoDB (or moto) refused the whole request: if updates
			// are part of it, apply them in Go, which yields the exact
			// error of the one at fault, or puts that DynamoDB accepts.
			n := 0
			for i, w := range writes {
				if _, ok := replaced[i]; ok || w.Kind != store.WriteUpdate {
					continue
				}
				put, uerr := d.readUpdate(ctx, op, w, now)
				if uerr != nil {
					return &store.OpError{Index: i, Err: uerr}
				}
				replaced[i] = put
				n++
			}
			if n == 0 {
				return merr
			}
			continue
		}
		i, r, ok := firstReason(tc.CancellationReasons, len(writes))
		if !ok {
			return mapError(op, err)
		}
		code := aws.ToString(r.Code)
		w := writes[i]
		_, wasReplaced := replaced[i]
		var old *store.Item
		switch {
		case code == "ConditionalCheckFailed" && wasReplaced:
			// The item changed since it was read: start again from the
			// update.
			delete(replaced, i)
			continue
		case code == "ConditionalCheckFailed" && w.Kind != store.WriteUpdate:
			return &store.OpError{Index: i, Err: condError(op, w.Kind, w.Condition, r.Item, now, err)}
		case code == "ConditionalCheckFailed":
			if cerr := updateCondError(op, w.Condition, r.Item, now, err); cerr != nil {
				return &store.OpError{Index: i, Err: cerr}
			}
			var derr error
			if old, derr = decodeStored(op, r.Item); derr != nil {
				return &store.OpError{Index: i, Err: derr}
			}
		case code == "ValidationError" && w.Kind == store.WriteUpdate && !wasReplaced:
			// As for Update: DynamoDB refuses some updates the store
			// defines (a REMOVE below a missing parent); read the item
			// and apply the ops in Go.
			put, uerr := d.readUpdate(ctx, op, w, now)
			if uerr != nil {
				return &store.OpError{Index: i, Err: uerr}
			}
			replaced[i] = put
			continue
		default:
			return reasonError(op, i, r, err)
		}
		next, aerr := applyOps(old, w.Ops)
		if aerr != nil {
			return &store.OpError{Index: i, Err: withOp(op, aerr)}
		}
		replaced[i] = store.Write{Kind: store.WritePut, Key: w.Key, Item: next, Condition: store.IfRevision(old.Revision)}
	}
	return &store.Error{Kind: store.ErrThrottled, Op: op, Msg: "the items kept changing during the transaction"}
}

// readUpdate reads the item of update w and returns the put, under the
// revision read, that applies w's ops to it, or the error that makes them
// inapplicable.
func (d *dynamoDriver) readUpdate(ctx context.Context, op string, w store.Write, now time.Time) (store.Write, error) {
	it, err := d.Get(ctx, w.Key)
	if errors.Is(err, store.ErrNotFound) {
		return store.Write{}, &store.Error{Kind: store.ErrNotFound, Op: op}
	}
	if err != nil {
		return store.Write{}, withOp(op, err)
	}
	if err := liveError(op, w.Condition, it, now); err != nil {
		return store.Write{}, err
	}
	next, err := applyOps(it, w.Ops)
	if err != nil {
		return store.Write{}, withOp(op, err)
	}
	return store.Write{Kind: store.WritePut, Key: w.Key, Item: next, Condition: store.IfRevision(it.Revision)}, nil
}

// firstReason returns the first cancellation reason that names a failure.
func firstReason(reasons []types.CancellationReason, n int) (int, types.CancellationReason, bool) {
	for i, r := range reasons {
		if code := aws.ToString(r.Code); code != "" && code != "None" && i < n {
			return i, r, true
		}
	}
	return 0, types.CancellationReason{}, false
}

// reasonError maps a cancellation reason other than a failed condition.
func reasonError(op string, i int, r types.CancellationReason, err error) error {
	code := aws.ToString(r.Code)
	e := &store.Error{Kind: store.ErrUnavailable, Op: op, Msg: code, Err: err}
	if m := aws.ToString(r.Message); m != "" {
		e.Msg += ": " + m
	}
	switch {
	case isThrottle(code) || code == "TransactionConflict":
		// Not this write's fault: the whole call may be retried.
		e.Kind = store.ErrThrottled
		return e
	case code == "ItemCollectionSizeLimitExceeded":
		e.Kind = store.ErrTooLarge
	case code == "ValidationError":
		e.Kind = validationKind(aws.ToString(r.Message))
	}
	return &store.OpError{Index: i, Err: e}
}

// transactItem translates one write, with the same conditions as the
// single-item operations.
func (d *dynamoDriver) transactItem(w store.Write, now time.Time) (types.TransactWriteItem, error) {
	switch w.Kind {
	case store.WritePut:
		in, _, err := d.putInput(w.Item, w.Condition, now)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{Put: &types.Put{
			TableName:                           in.TableName,
			Item:                                in.Item,
			ConditionExpression:                 in.ConditionExpression,
			ExpressionAttributeNames:            in.ExpressionAttributeNames,
			ExpressionAttributeValues:           in.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: allOldIf(in.ConditionExpression),
		}}, nil
	case store.WriteUpdate:
		in, _, err := d.updateInput(w.Key, w.Ops, w.Condition, now)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{Update: &types.Update{
			TableName:                           in.TableName,
			Key:                                 in.Key,
			UpdateExpression:                    in.UpdateExpression,
			ConditionExpression:                 in.ConditionExpression,
			ExpressionAttributeNames:            in.ExpressionAttributeNames,
			ExpressionAttributeValues:           in.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}, nil
	case store.WriteDelete:
		in := d.deleteInput(w.Key, w.Condition, now)
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName:                           in.TableName,
			Key:                                 in.Key,
			ConditionExpression:                 in.ConditionExpression,
			ExpressionAttributeNames:            in.ExpressionAttributeNames,
			ExpressionAttributeValues:           in.ExpressionAttributeValues,
			ReturnValuesOnConditionCheckFailure: allOldIf(in.ConditionExpression),
		}}, nil
	}
	return types.TransactWriteItem{}, store.Errorf(store.ErrInvalidArgument, "unknown write kind %d", w.Kind)
}

// allOldIf asks for the old item on a failed condition, when there is one.
func allOldIf(cond *string) types.ReturnValuesOnConditionCheckFailure {
	if cond == nil {
		return ""
	}
	return types.ReturnValuesOnConditionCheckFailureAllOld
}
