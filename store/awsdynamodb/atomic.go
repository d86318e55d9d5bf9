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

// Atomic implements store.Driver with one TransactWriteItems request (the
// SDK gives it an idempotency token, so its own retries are safe). When
// DynamoDB cancels the transaction, the first cancellation reason that is
// not "None" names the failing write: the error is an *store.OpError with
// its index.
//
// An update whose own conditions fail (see Driver.Update) is applied in Go
// to the item DynamoDB returned with the cancellation, and the transaction
// is sent again with that write as a put under the item's revision.
func (d *Driver) Atomic(ctx context.Context, writes []store.Write, now time.Time) error {
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
			return mapError(op, err)
		}
		i, r, ok := firstReason(tc.CancellationReasons, len(writes))
		if !ok {
			return mapError(op, err)
		}
		code := aws.ToString(r.Code)
		if code != "ConditionalCheckFailed" {
			return reasonError(op, i, r, err)
		}
		w := writes[i]
		if _, ok := replaced[i]; ok {
			// The item changed since it was read: start again from the
			// update.
			delete(replaced, i)
			continue
		}
		if w.Kind != store.WriteUpdate {
			return &store.OpError{Index: i, Err: condError(op, w.Kind, w.Condition, r.Item, now, err)}
		}
		if cerr := updateCondError(op, w.Condition, r.Item, now, err); cerr != nil {
			return &store.OpError{Index: i, Err: cerr}
		}
		old, derr := decodeStored(op, r.Item)
		if derr != nil {
			return &store.OpError{Index: i, Err: derr}
		}
		next, aerr := applyOps(old, w.Ops)
		if aerr != nil {
			return &store.OpError{Index: i, Err: withOp(op, aerr)}
		}
		replaced[i] = store.Write{Kind: store.WritePut, Key: w.Key, Item: next, Condition: store.IfRevision(old.Revision)}
	}
	return &store.Error{Kind: store.ErrThrottled, Op: op, Msg: "the items kept changing during the transaction"}
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
func (d *Driver) transactItem(w store.Write, now time.Time) (types.TransactWriteItem, error) {
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
