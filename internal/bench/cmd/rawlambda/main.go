// Command rawlambda is the hand-written Lambda equivalent of the to-do
// example's GET /todos/{id} (examples/todo/cmd/lambda), for the cold-start
// and size comparison: aws-lambda-go with an HTTP API (v2) event, and one
// consistent GetItem through aws-sdk-go-v2 on the item layout of
// store/awsdynamodb (p = partition, s = sort key, d = data, r = revision).
//
// Environment: TODO_API_KEYS (name:key), TABLE_NAME (default todos), and
// the SDK's own variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, ...).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/internal/bench/rawtodo"
)

type function struct {
	db    *dynamodb.Client
	table string
	keys  rawtodo.Keys
}

func main() {
	keys, err := rawtodo.KeysFromEnv()
	if err != nil {
		slog.Error("rawlambda", "error", err)
		os.Exit(1)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		slog.Error("rawlambda: AWS configuration", "error", err)
		os.Exit(1)
	}
	f := &function{db: dynamodb.NewFromConfig(cfg), table: "todos", keys: keys}
	if t := os.Getenv("TABLE_NAME"); t != "" {
		f.table = t
	}
	lambda.Start(f.handle)
}

func (f *function) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	a := f.get(ctx, req)
	return events.APIGatewayV2HTTPResponse{StatusCode: a.Status, Headers: a.Header, Body: a.Body}, nil
}

func (f *function) get(ctx context.Context, req events.APIGatewayV2HTTPRequest) rawtodo.Answer {
	part, ok := f.keys.Partition(req.Headers["x-api-key"])
	if !ok {
		return rawtodo.Unauthorized
	}
	id, ok := rawtodo.ID(req.RawPath)
	if req.RequestContext.HTTP.Method != "GET" || !ok {
		return rawtodo.NotFound
	}
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(f.table),
		Key:            map[string]types.AttributeValue{"p": &types.AttributeValueMemberS{Value: part}, "s": &types.AttributeValueMemberS{Value: id}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		slog.Error("rawlambda: GetItem", "error", err)
		return rawtodo.Unavailable
	}
	d, ok := out.Item["d"].(*types.AttributeValueMemberM)
	rev, _ := out.Item["r"].(*types.AttributeValueMemberS)
	if !ok || rev == nil {
		return rawtodo.NotFound
	}
	var t rawtodo.Todo
	if err := attributevalue.UnmarshalMap(d.Value, &t); err != nil {
		slog.Error("rawlambda: decoding the item", "error", err)
		return rawtodo.Unavailable
	}
	return rawtodo.OK(&t, rev.Value)
}
