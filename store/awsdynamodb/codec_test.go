package awsdynamodb

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/anyfunc/anyfunc/store"
)

func TestCodecRoundTrip(t *testing.T) {
	data := map[string]any{
		"null": nil, "t": true, "f": false, "s": "", "u": "héllo\x00",
		"min": int64(math.MinInt64), "max": int64(math.MaxInt64), "zero": int64(0),
		"half": 0.5, "third": 1.0 / 3, "neg": -2.5e-7, "big": 1e20,
		"edge": 9.99e125, "small": 1e-130, "long": 0.12345678901234568,
		"list": []any{int64(1), "a", []any{}, map[string]any{}},
		"map":  map[string]any{"a": map[string]any{"b": []any{nil, 1.5}}},
	}
	it := &store.Item{Key: store.Key{Partition: "p", Sort: ""}, Data: data, ExpiresAt: time.Unix(1700000000, 123456789)}
	av, err := encodeItem(it, "rev")
	if err != nil {
		t.Fatal(err)
	}
	if s := av[attrSort].(*types.AttributeValueMemberS).Value; s != emptySort {
		t.Errorf("empty sort key stored as %q", s)
	}
	if n := av[attrTTL].(*types.AttributeValueMemberN).Value; n != "1700000001" {
		t.Errorf("TTL attribute %q, want the expiry rounded up to 1700000001", n)
	}
	for _, f := range []float64{1e126, 1e-131, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		if _, err := encodeValue(f); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("encodeValue(%v): %v, want ErrInvalidArgument", f, err)
		}
	}
	got, err := decodeItem(av)
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != it.Key || got.Revision != "rev" || !got.ExpiresAt.Equal(it.ExpiresAt) {
		t.Errorf("decoded key %+v revision %q expiry %v", got.Key, got.Revision, got.ExpiresAt)
	}
	if !reflect.DeepEqual(got.Data, data) {
		t.Errorf("data round trip:\n got %#v\nwant %#v", got.Data, data)
	}
}

func TestDecodeNumberForms(t *testing.T) {
	for in, want := range map[string]any{
		"2": int64(2), "2.0": int64(2), "2E+1": int64(20), "-0": int64(0),
		"100000000000000000000": 1e20, "9223372036854775808": 9223372036854775808.0,
		"0.1": 0.1, "1.5E-7": 1.5e-7, "-9223372036854775808": int64(math.MinInt64),
	} {
		got, err := decodeNumber(in)
		if err != nil || got != want {
			t.Errorf("decodeNumber(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
	if _, err := decodeNumber("x"); err == nil {
		t.Error("decodeNumber(x) did not fail")
	}
}

func TestTimeEncoding(t *testing.T) {
	for _, tm := range []time.Time{
		time.Unix(0, 0), time.Unix(-1, 500), time.Unix(-5, 999999999), time.Unix(1700000000, 1),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		got, err := decodeTime(encodeTime(tm).Value)
		if err != nil || !got.Equal(tm) {
			t.Errorf("%v: encoded %q, decoded %v, %v", tm, encodeTime(tm).Value, got, err)
		}
	}
	// DynamoDB normalises numbers: trailing zeros go.
	if got, err := decodeTime("1700000000.5"); err != nil || !got.Equal(time.Unix(1700000000, 5e8)) {
		t.Errorf("decodeTime(1700000000.5) = %v, %v", got, err)
	}
}

func TestSortEncodingKeepsOrder(t *testing.T) {
	keys := []string{"", "\x01", "a", "a\x01", "b", "é"}
	for i := 1; i < len(keys); i++ {
		if !(encodeSort(keys[i-1]) < encodeSort(keys[i])) {
			t.Errorf("encodeSort(%q) >= encodeSort(%q)", keys[i-1], keys[i])
		}
		if decodeSort(encodeSort(keys[i])) != keys[i] {
			t.Errorf("decodeSort(encodeSort(%q)) differs", keys[i])
		}
	}
}

func TestMapError(t *testing.T) {
	for _, tc := range []struct {
		code, msg string
		fault     smithy.ErrorFault
		want      error
	}{
		{"ProvisionedThroughputExceededException", "", smithy.FaultClient, store.ErrThrottled},
		{"ThrottlingException", "", smithy.FaultClient, store.ErrThrottled},
		{"RequestLimitExceeded", "", smithy.FaultClient, store.ErrThrottled},
		{"TransactionConflictException", "", smithy.FaultClient, store.ErrThrottled},
		{"ValidationException", "Item size has exceeded the maximum allowed size", smithy.FaultClient, store.ErrTooLarge},
		{"ValidationException", "Item size to update has exceeded the maximum allowed size", smithy.FaultClient, store.ErrTooLarge},
		{"ValidationException", "The document path provided in the update expression is invalid for update", smithy.FaultClient, store.ErrInvalidArgument},
		{"ItemCollectionSizeLimitExceededException", "", smithy.FaultClient, store.ErrTooLarge},
		{"ResourceNotFoundException", "Requested resource not found", smithy.FaultClient, store.ErrUnavailable},
		{"TableNotFoundException", "", smithy.FaultClient, store.ErrUnavailable},
		// Refused credentials and permissions are the deployment's fault,
		// not the caller's.
		{"UnrecognizedClientException", "The security token included in the request is invalid.", smithy.FaultClient, store.ErrUnavailable},
		{"ExpiredTokenException", "The security token included in the request is expired", smithy.FaultClient, store.ErrUnavailable},
		{"ExpiredToken", "", smithy.FaultClient, store.ErrUnavailable},
		{"InvalidSignatureException", "Signature expired", smithy.FaultClient, store.ErrUnavailable},
		{"MissingAuthenticationTokenException", "Request is missing Authentication Token", smithy.FaultClient, store.ErrUnavailable},
		{"AccessDeniedException", "User is not authorized to perform: dynamodb:GetItem", smithy.FaultClient, store.ErrUnavailable},
		{"AccessDenied", "", smithy.FaultClient, store.ErrUnavailable},
		{"InternalServerError", "", smithy.FaultServer, store.ErrUnavailable},
		{"SomethingNew", "", smithy.FaultClient, store.ErrInvalidArgument},
	} {
		native := &smithy.GenericAPIError{Code: tc.code, Message: tc.msg, Fault: tc.fault}
		err := mapError("put", native)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s %q: got %v, want kind %v", tc.code, tc.msg, err, tc.want)
		}
		var ge *smithy.GenericAPIError
		if !errors.As(err, &ge) {
			t.Errorf("%s: the SDK error is not wrapped", tc.code)
		}
		if se := (*store.Error)(nil); !errors.As(err, &se) || se.Op != "put" {
			t.Errorf("%s: not a *store.Error with Op put: %#v", tc.code, err)
		}
	}
	if err := mapError("get", errors.New("dial tcp: connection refused")); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("network error: got %v, want ErrUnavailable", err)
	}
}
