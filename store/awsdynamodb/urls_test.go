package awsdynamodb

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/anyfunc/anyfunc/store"
)

func TestURLOpener(t *testing.T) {
	table := newTable(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	u := "dynamodb://" + table + "?region=us-east-1&endpoint=" + motoEndpoint
	s, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Capabilities(); c.Backend != "awsdynamodb" {
		t.Errorf("backend %q", c.Backend)
	}
	k := store.Key{Partition: "u", Sort: "1"}
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["a"] != "b" {
		t.Fatalf("Get: %v, %v", it, err)
	}
	// A second store on the same endpoint shares the client.
	s2, err := store.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Get(ctx, k); err != nil {
		t.Fatal(err)
	}
	o := new(URLOpener)
	c1, _ := o.client(ctx, "us-east-1", motoEndpoint)
	c2, _ := o.client(ctx, "us-east-1", motoEndpoint)
	if c1 == nil || c1 != c2 {
		t.Error("the opener built two clients for one region and endpoint")
	}

	for _, bad := range []string{
		"dynamodb://?region=us-east-1",
		"dynamodb://t/extra?region=us-east-1",
		"dynamodb://t?region=us-east-1&colour=red",
		"dynamodb://t?region=us-east-1&ensure=yes",
		// Errors show neither a password nor the query.
		"dynamodb://t?region=us-east-1&token=SECRET",
		"dynamodb://user:SECRET@t/extra?region=us-east-1&k=SECRET",
		"dynamodb://?region=us-east-1&k=SECRET",
	} {
		_, err := store.Open(ctx, bad)
		if !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("Open(%q): %v, want ErrInvalidArgument", bad, err)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("Open(%q): %q shows a secret", bad, err)
		}
	}
}

func TestURLOpenerEnsure(t *testing.T) {
	needMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	for _, v := range []string{"1", "true"} {
		table := fmt.Sprintf("ensure%d-%d", time.Now().UnixNano()%1e9, tableSeq.Add(1))
		u := "dynamodb://" + table + "?region=us-east-1&endpoint=" + motoEndpoint + "&ensure=" + v
		s, err := store.Open(ctx, u)
		if err != nil {
			t.Fatalf("ensure=%s: %v", v, err)
		}
		k := store.Key{Partition: "u", Sort: "1"}
		if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"a": "b"}}); err != nil {
			t.Fatalf("ensure=%s: Put on the created table: %v", v, err)
		}
		// Opening again with ensure finds the table and keeps its items.
		s2, err := store.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Get(ctx, k); err != nil {
			t.Errorf("ensure=%s: Get after a second ensure: %v", v, err)
		}
	}
}

func TestEnsureTable(t *testing.T) {
	table := newTable(t)
	// A second call finds the table and leaves it as it is.
	if err := EnsureTable(ctx, table, TestingOptions()...); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ctx, TestingOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != attrTTL || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL: %+v, want enabled on %q", d, attrTTL)
	}
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	if ks := desc.Table.KeySchema; len(ks) != 2 || aws.ToString(ks[0].AttributeName) != attrPartition || aws.ToString(ks[1].AttributeName) != attrSort {
		t.Errorf("key schema %+v", ks)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(ctx, "", TestingOptions()...); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Open without a table: %v", err)
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	if _, err := Open(ctx, "t", WithCredentials(testCreds)); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("Open without a region: %v", err)
	}
	// A missing table is a deployment fault: ErrUnavailable, not ErrNotFound.
	s, err := Open(ctx, "no-such-table", append(TestingOptions(), WithStoreOptions(store.WithRetry(1, time.Millisecond, time.Millisecond)))...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, store.Key{Partition: "p"}); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get from a missing table: %v, want ErrUnavailable", err)
	}
}
