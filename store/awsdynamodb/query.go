package awsdynamodb

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// maxQueryRequests bounds the Query requests one driver call makes once it
// holds at least one item; the Store asks again from the last item.
const maxQueryRequests = 8

// Query implements driver.Driver with DynamoDB's Query: the partition and
// the sort condition in KeyConditionExpression, the filters and the expiry
// check in FilterExpression, and q.After as ExclusiveStartKey, so the page
// resumes exactly after the last item returned whatever was written or
// deleted since. DynamoDB applies Limit before the filter, so a request may
// come back short with more to read: Query then reads on from
// LastEvaluatedKey until the page is full, and returns early (with more
// true) only after maxQueryRequests requests that found something.
func (d *dynamoDriver) Query(ctx context.Context, q *driver.Query) ([]*store.Item, bool, error) {
	const op = "query"
	in, err := d.queryInput(q)
	if err != nil {
		return nil, false, mapError(op, err)
	}
	var items []*store.Item
	for n := 1; ; n++ {
		out, err := d.client.Query(ctx, in)
		if err != nil {
			return nil, false, mapError(op, err)
		}
		for _, av := range out.Items {
			it, err := decodeStored(op, av)
			if err != nil {
				return nil, false, err
			}
			if matchFilters(it.Data, q.Filters) {
				items = append(items, it)
			}
		}
		if len(items) >= q.Limit {
			more := len(items) > q.Limit || out.LastEvaluatedKey != nil
			return items[:q.Limit], more, nil
		}
		if out.LastEvaluatedKey == nil {
			return items, false, nil
		}
		if len(items) > 0 && n >= maxQueryRequests {
			return items, true, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func (d *dynamoDriver) queryInput(q *driver.Query) (*dynamodb.QueryInput, error) {
	e := newExprs()
	key := e.name(attrPartition) + " = " + e.str(q.Partition)
	s := "" // the sort key's placeholder, only when used: DynamoDB refuses unused names
	if q.Sort.Op != store.SortAll && (q.Sort.Op != store.SortPrefix || q.Sort.Value != "") {
		s = e.name(attrSort)
	}
	switch sc := q.Sort; sc.Op {
	case store.SortAll:
	case store.SortEq:
		key += " AND " + s + " = " + e.str(encodeSort(sc.Value))
	case store.SortLT:
		key += " AND " + s + " < " + e.str(encodeSort(sc.Value))
	case store.SortLE:
		key += " AND " + s + " <= " + e.str(encodeSort(sc.Value))
	case store.SortGT:
		key += " AND " + s + " > " + e.str(encodeSort(sc.Value))
	case store.SortGE:
		key += " AND " + s + " >= " + e.str(encodeSort(sc.Value))
	case store.SortBetween:
		key += " AND " + s + " BETWEEN " + e.str(encodeSort(sc.Value)) + " AND " + e.str(encodeSort(sc.Value2))
	case store.SortPrefix:
		if sc.Value != "" { // every sort key has the empty prefix
			key += " AND begins_with(" + s + ", " + e.str(sc.Value) + ")"
		}
	default:
		return nil, store.Errorf(store.ErrInvalidArgument, "unknown sort operator %d", sc.Op)
	}
	var filters []string
	for _, f := range q.Filters {
		if f.Value == nil {
			// The same as "= NULL" on DynamoDB; moto matches every item
			// with that.
			filters = append(filters, "attribute_type("+e.dataPath(f.Path)+", "+e.str("NULL")+")")
			continue
		}
		av, err := encodeValue(f.Value)
		if err != nil {
			return nil, err
		}
		filters = append(filters, e.dataPath(f.Path)+" = "+e.value(av))
	}
	filter := e.unexpired(q.Now)
	if len(filters) > 0 {
		// Compressed data cannot be filtered by DynamoDB: Query filters
		// those items itself.
		filter += " AND (attribute_type(" + e.name(attrData) + ", " + e.str("B") + ") OR (" + strings.Join(filters, " AND ") + "))"
	}
	in := &dynamodb.QueryInput{
		TableName:                 &d.table,
		KeyConditionExpression:    &key,
		FilterExpression:          &filter,
		ExpressionAttributeNames:  e.attrNames(),
		ExpressionAttributeValues: e.attrValues(),
		ScanIndexForward:          aws.Bool(!q.Descending),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(q.Limit)),
	}
	if q.HasAfter {
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			attrPartition: &types.AttributeValueMemberS{Value: q.Partition},
			attrSort:      &types.AttributeValueMemberS{Value: encodeSort(q.After)},
		}
	}
	return in, nil
}
