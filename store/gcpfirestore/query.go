package gcpfirestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// maxGetBatch is the most documents one BatchGetDocuments request asks for.
const maxGetBatch = 100

// batchGet reads the documents at keys (at most maxGetBatch, distinct) in
// one BatchGetDocuments call and stores their states in out.
func (d *fsDriver) batchGet(ctx context.Context, keys []store.Key, out []*docState) error {
	c, err := d.client(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(keys))
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		names[i] = d.docName(k)
		pos[names[i]] = i
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.BatchGetDocuments(d.withHeaders(ctx), &pb.BatchGetDocumentsRequest{Database: d.dbPath, Documents: names}, noRetry)
	if err != nil {
		return err
	}
	for n := 0; n < len(keys); {
		resp, err := stream.Recv()
		if err == io.EOF {
			return fmt.Errorf("firestore: BatchGetDocuments answered %d of %d documents", n, len(keys))
		}
		if err != nil {
			return err
		}
		var name string
		st := &docState{}
		switch r := resp.GetResult().(type) {
		case *pb.BatchGetDocumentsResponse_Found:
			name = r.Found.GetName()
			if st, err = decodeDoc(r.Found); err != nil {
				return err
			}
			d.cache.put(r.Found)
		case *pb.BatchGetDocumentsResponse_Missing:
			name = r.Missing
			d.cache.drop(name)
		default:
			continue
		}
		i, ok := pos[name]
		if !ok {
			return fmt.Errorf("firestore: BatchGetDocuments answered an unknown document %s", name)
		}
		if out[i] == nil {
			n++
		}
		out[i] = st
	}
	return nil
}

// Get implements driver.Driver with one BatchGetDocuments call.
func (d *fsDriver) Get(ctx context.Context, key store.Key) (*store.Item, error) {
	st, err := d.read(ctx, []store.Key{key})
	if err != nil {
		return nil, mapErr("get", err)
	}
	if !st[0].exists {
		return nil, &store.Error{Kind: store.ErrNotFound, Op: "get"}
	}
	return st[0].item, nil
}

// GetMany implements driver.Driver with one BatchGetDocuments call per 100
// keys.
func (d *fsDriver) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	st, err := d.read(ctx, keys)
	if err != nil {
		return nil, mapErr("getmany", err)
	}
	out := make([]*store.Item, len(keys))
	for i, s := range st {
		if s.exists {
			out[i] = s.item
		}
	}
	return out, nil
}

// Query implements driver.Driver with one RunQuery call: the partition
// field equal to q.Partition, the sort-key condition as a range on the
// sort field (a prefix p is p <= sort < p+"\xff", since UTF-8 never holds
// the byte 0xff and the sort field is bytes, compared bytewise), the
// filters as equalities on the user fields, ordered by the sort field and
// starting after q.After.
func (d *fsDriver) Query(ctx context.Context, q *driver.Query) ([]*store.Item, bool, error) {
	items, more, err := d.query(ctx, q)
	if err != nil {
		return nil, false, mapErr("query", err)
	}
	return items, more, nil
}

func (d *fsDriver) query(ctx context.Context, q *driver.Query) ([]*store.Item, bool, error) {
	c, err := d.client(ctx)
	if err != nil {
		return nil, false, err
	}
	filters := []*pb.StructuredQuery_Filter{fieldFilter(fieldPartition, pb.StructuredQuery_FieldFilter_EQUAL, stringValue(q.Partition))}
	sortCmp := func(op pb.StructuredQuery_FieldFilter_Operator, v string) {
		filters = append(filters, fieldFilter(fieldSort, op, bytesValue(v)))
	}
	switch v := q.Sort.Value; q.Sort.Op {
	case store.SortEq:
		sortCmp(pb.StructuredQuery_FieldFilter_GREATER_THAN_OR_EQUAL, v)
		sortCmp(pb.StructuredQuery_FieldFilter_LESS_THAN_OR_EQUAL, v)
	case store.SortLT:
		sortCmp(pb.StructuredQuery_FieldFilter_LESS_THAN, v)
	case store.SortLE:
		sortCmp(pb.StructuredQuery_FieldFilter_LESS_THAN_OR_EQUAL, v)
	case store.SortGT:
		sortCmp(pb.StructuredQuery_FieldFilter_GREATER_THAN, v)
	case store.SortGE:
		sortCmp(pb.StructuredQuery_FieldFilter_GREATER_THAN_OR_EQUAL, v)
	case store.SortBetween:
		sortCmp(pb.StructuredQuery_FieldFilter_GREATER_THAN_OR_EQUAL, v)
		sortCmp(pb.StructuredQuery_FieldFilter_LESS_THAN_OR_EQUAL, q.Sort.Value2)
	case store.SortPrefix:
		if v != "" {
			sortCmp(pb.StructuredQuery_FieldFilter_GREATER_THAN_OR_EQUAL, v)
			sortCmp(pb.StructuredQuery_FieldFilter_LESS_THAN, v+"\xff")
		}
	}
	for _, f := range q.Filters {
		path := fieldPath(f.Path)
		if f.Value == nil {
			filters = append(filters, &pb.StructuredQuery_Filter{FilterType: &pb.StructuredQuery_Filter_UnaryFilter{UnaryFilter: &pb.StructuredQuery_UnaryFilter{
				Op:          pb.StructuredQuery_UnaryFilter_IS_NULL,
				OperandType: &pb.StructuredQuery_UnaryFilter_Field{Field: &pb.StructuredQuery_FieldReference{FieldPath: path}},
			}}})
			continue
		}
		v, err := encodeValue(f.Value)
		if err != nil {
			return nil, false, store.Errorf(store.ErrInvalidArgument, "filter on %q: %v", strings.Join(f.Path, "."), err)
		}
		filters = append(filters, fieldFilter(path, pb.StructuredQuery_FieldFilter_EQUAL, v))
	}
	dir := pb.StructuredQuery_ASCENDING
	if q.Descending {
		dir = pb.StructuredQuery_DESCENDING
	}
	sq := &pb.StructuredQuery{
		From:    []*pb.StructuredQuery_CollectionSelector{{CollectionId: d.collID}},
		Where:   &pb.StructuredQuery_Filter{FilterType: &pb.StructuredQuery_Filter_CompositeFilter{CompositeFilter: &pb.StructuredQuery_CompositeFilter{Op: pb.StructuredQuery_CompositeFilter_AND, Filters: filters}}},
		OrderBy: []*pb.StructuredQuery_Order{{Field: &pb.StructuredQuery_FieldReference{FieldPath: fieldSort}, Direction: dir}},
		Limit:   wrapperspb.Int32(int32(q.Limit)),
	}
	if q.HasAfter {
		sq.StartAt = &pb.Cursor{Values: []*pb.Value{bytesValue(q.After)}, Before: false}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.RunQuery(d.withHeaders(ctx), &pb.RunQueryRequest{Parent: d.parent, QueryType: &pb.RunQueryRequest_StructuredQuery{StructuredQuery: sq}}, noRetry)
	if err != nil {
		return nil, false, err
	}
	var items []*store.Item
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, false, err
		}
		if doc := resp.GetDocument(); doc != nil {
			st, err := decodeDoc(doc)
			if err != nil {
				return nil, false, err
			}
			items = append(items, st.item)
			d.cache.put(doc)
		}
		if resp.GetDone() {
			break
		}
	}
	return items, len(items) == q.Limit, nil
}

func fieldFilter(path string, op pb.StructuredQuery_FieldFilter_Operator, v *pb.Value) *pb.StructuredQuery_Filter {
	return &pb.StructuredQuery_Filter{FilterType: &pb.StructuredQuery_Filter_FieldFilter{FieldFilter: &pb.StructuredQuery_FieldFilter{
		Field: &pb.StructuredQuery_FieldReference{FieldPath: path},
		Op:    op,
		Value: v,
	}}}
}

func stringValue(s string) *pb.Value {
	return &pb.Value{ValueType: &pb.Value_StringValue{StringValue: s}}
}

func bytesValue(s string) *pb.Value {
	return &pb.Value{ValueType: &pb.Value_BytesValue{BytesValue: []byte(s)}}
}
