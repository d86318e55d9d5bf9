package awsdynamodb

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestEnsureTableProtocol runs EnsureTable against a fake DynamoDB that
// answers the JSON protocol as DynamoDB does: the table exists already
// (ResourceInUseException), is missing for one DescribeTable, creating
// for one more, then active; TTL is off, so it is enabled. Every request
// must be a signed POST to the client's endpoint.
func TestEnsureTableProtocol(t *testing.T) {
	var mu sync.Mutex
	var ops []string
	describes := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		body, _ := io.ReadAll(r.Body)
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil || in["TableName"] != "tbl" {
			t.Errorf("%s: body %s", op, body)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" ||
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=") || r.Header.Get("X-Amz-Date") == "" {
			t.Errorf("%s: %s with headers %v", op, r.Method, r.Header)
		}
		mu.Lock()
		ops = append(ops, op)
		mu.Unlock()
		fail := func(status int, typ string) {
			w.WriteHeader(status)
			io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#`+typ+`","message":"fake"}`)
		}
		switch op {
		case "CreateTable":
			fail(http.StatusBadRequest, "ResourceInUseException")
		case "DescribeTable":
			describes++
			switch describes {
			case 1:
				fail(http.StatusBadRequest, "ResourceNotFoundException")
			case 2:
				io.WriteString(w, `{"Table":{"TableName":"tbl","TableStatus":"CREATING"}}`)
			default:
				io.WriteString(w, `{"Table":{"TableName":"tbl","TableStatus":"ACTIVE","KeySchema":[]}}`)
			}
		case "DescribeTimeToLive":
			io.WriteString(w, `{"TimeToLiveDescription":{"TimeToLiveStatus":"DISABLED"}}`)
		case "UpdateTimeToLive":
			spec, _ := in["TimeToLiveSpecification"].(map[string]any)
			if spec["AttributeName"] != attrTTL || spec["Enabled"] != true {
				t.Errorf("UpdateTimeToLive: %s", body)
			}
			io.WriteString(w, `{"TimeToLiveSpecification":{"AttributeName":"`+attrTTL+`","Enabled":true}}`)
		default:
			fail(http.StatusBadRequest, "UnknownOperationException")
		}
	}))
	defer srv.Close()
	opts := []Option{WithEndpoint(srv.URL), WithRegion("us-east-1"), WithCredentials(testCreds)}
	if err := EnsureTable(context.Background(), "tbl", opts...); err != nil {
		t.Fatal(err)
	}
	want := "CreateTable DescribeTable DescribeTable DescribeTable DescribeTimeToLive UpdateTimeToLive"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("requests %s, want %s", got, want)
	}
}

// TestEnsureTableError checks that an error answer is reported with the
// exception's name and message, and that a server error is sent again.
func TestEnsureTableError(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazon.coral.validate#ValidationException","message":"bad table name"}`)
	}))
	defer srv.Close()
	opts := []Option{WithEndpoint(srv.URL), WithRegion("us-east-1"), WithCredentials(testCreds)}
	err := EnsureTable(context.Background(), "tbl", opts...)
	if err == nil || !strings.Contains(err.Error(), "ValidationException") || !strings.Contains(err.Error(), "bad table name") || !isAPIError(err, "ValidationException") {
		t.Errorf("EnsureTable: %v, want the ValidationException", err)
	}
	if calls != 2 {
		t.Errorf("%d requests, want 2 (the 500 sent again)", calls)
	}
}
