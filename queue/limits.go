package queue

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anyfunc/anyfunc/queue/driver"
)

// The limits every Queue and Subscription enforces, the strictest of SQS,
// Pub/Sub and Azure Storage queues; the package documentation says where
// each comes from.
const (
	// MaxBatch is the most messages one Send takes (SQS SendMessageBatch:
	// 10 entries).
	MaxBatch = 10
	// MaxReceive is the most messages one Receive returns (SQS
	// ReceiveMessage: MaxNumberOfMessages 10).
	MaxReceive = 10
	// MaxEncodedSize bounds a message's size as Azure Storage queues store
	// it: the base64 of its body, or of the JSON envelope that carries its
	// attributes (Azure: 64 KiB of message text).
	MaxEncodedSize = 64 * 1024
	// MaxBodySize is the largest body a message without attributes can
	// have: its base64 is MaxEncodedSize bytes.
	MaxBodySize = MaxEncodedSize / 4 * 3
	// MaxAttributes is the most attributes a message can have (SQS: 10
	// message attributes, one of which the SQS backend keeps to mark a
	// binary body).
	MaxAttributes = 9
	// MaxAttributeNameSize bounds an attribute's name in bytes (SQS and
	// Pub/Sub: 256).
	MaxAttributeNameSize = 256
	// MaxAttributeValueSize bounds an attribute's value in bytes (Pub/Sub:
	// 1024).
	MaxAttributeValueSize = 1024
	// MaxLease bounds a Nack delay and a lease extension (Pub/Sub: an ack
	// deadline of at most 600 seconds).
	MaxLease = 600 * time.Second
)

// validateMessage checks m against the limits; the error says what is
// wrong and has kind ErrInvalidArgument or ErrTooLarge.
func validateMessage(m *Message) error {
	const op = "send"
	if m == nil {
		return invalid(op, "nil message")
	}
	if len(m.Body) == 0 {
		return invalid(op, "empty body (SQS refuses empty messages)")
	}
	if n := len(m.Attributes); n > MaxAttributes {
		return tooLarge(op, "%d attributes; at most %d", n, MaxAttributes)
	}
	for k, v := range m.Attributes {
		if err := validateAttribute(k, v); err != nil {
			return err
		}
	}
	if n := driver.Base64EnvelopeSize(m.Body, m.Attributes); n > MaxEncodedSize {
		return tooLarge(op, "body of %d bytes encodes to %d bytes; at most %d (%d bytes of body without attributes)", len(m.Body), n, MaxEncodedSize, MaxBodySize)
	}
	return nil
}

// validateAttribute checks one attribute: names as SQS and Pub/Sub accept
// them, values as SQS string attributes and Pub/Sub accept them.
func validateAttribute(k, v string) error {
	const op = "send"
	switch {
	case k == "":
		return invalid(op, "empty attribute name")
	case len(k) > MaxAttributeNameSize:
		return tooLarge(op, "attribute name of %d bytes; at most %d", len(k), MaxAttributeNameSize)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return invalid(op, "attribute name %q: only letters, digits, '_', '-' and '.' are allowed", k)
		}
	}
	lk := strings.ToLower(k)
	switch {
	case k[0] == '.' || k[len(k)-1] == '.' || strings.Contains(k, ".."):
		return invalid(op, "attribute name %q: no '.' at either end and no \"..\"", k)
	case strings.HasPrefix(lk, "aws.") || strings.HasPrefix(lk, "amazon."):
		return invalid(op, "attribute name %q: the prefixes AWS. and Amazon. are reserved by SQS", k)
	case strings.HasPrefix(lk, "goog"):
		return invalid(op, "attribute name %q: the prefix goog is reserved by Pub/Sub", k)
	case strings.HasPrefix(lk, "anyfunc."):
		return invalid(op, "attribute name %q: the prefix anyfunc. is reserved", k)
	}
	switch {
	case v == "":
		return invalid(op, "attribute %q: empty value (SQS refuses it)", k)
	case len(v) > MaxAttributeValueSize:
		return tooLarge(op, "attribute %q: value of %d bytes; at most %d", k, len(v), MaxAttributeValueSize)
	case !utf8.ValidString(v) || !driver.IsXMLText([]byte(v)):
		return invalid(op, "attribute %q: the value must be UTF-8 text without control characters other than tab, newline and carriage return", k)
	}
	return nil
}

// validateLease checks a Nack delay or lease extension.
func validateLease(op string, d time.Duration) error {
	if d < 0 {
		return invalid(op, "negative duration %v", d)
	}
	if d > MaxLease {
		return invalid(op, "duration %v is above %v", d, MaxLease)
	}
	return nil
}
