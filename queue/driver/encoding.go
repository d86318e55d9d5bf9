package driver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"unicode/utf8"
)

// EnvelopePrefix starts every envelope; see EncodeEnvelope.
const EnvelopePrefix = `{"anyfunc.envelope":1,`

// envelope is the JSON object that carries attributes on services whose
// messages have none (Azure Storage queues).
type envelope struct {
	Version    int               `json:"anyfunc.envelope"`
	Attributes map[string]string `json:"attributes"`
	Body       []byte            `json:"body"`
}

// EncodeEnvelope returns the bytes that carry body and attrs on a service
// whose messages are only a payload: body itself when attrs is empty and
// body does not start with EnvelopePrefix, otherwise the JSON envelope
//
//	{"anyfunc.envelope":1,"attributes":{"name":"value",...},"body":"BASE64"}
//
// (body in standard base64, no HTML escaping). Bodies that start with the
// prefix are wrapped too, so that DecodeEnvelope never mistakes a body for
// an envelope.
func EncodeEnvelope(body []byte, attrs map[string]string) []byte {
	if len(attrs) == 0 && !bytes.HasPrefix(body, []byte(EnvelopePrefix)) {
		return body
	}
	if attrs == nil {
		attrs = map[string]string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Cannot fail: strings, a map of strings and bytes.
	_ = enc.Encode(envelope{Version: 1, Attributes: attrs, Body: body})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// DecodeEnvelope undoes EncodeEnvelope: payload that is an envelope gives
// its body and attributes, anything else is the body itself, without
// attributes.
func DecodeEnvelope(payload []byte) (body []byte, attrs map[string]string) {
	if !bytes.HasPrefix(payload, []byte(EnvelopePrefix)) {
		return payload, nil
	}
	var e envelope
	if err := json.Unmarshal(payload, &e); err != nil || e.Version != 1 {
		return payload, nil
	}
	if len(e.Attributes) == 0 {
		e.Attributes = nil
	}
	if e.Body == nil {
		e.Body = []byte{}
	}
	return e.Body, e.Attributes
}

// Base64EnvelopeSize is the length of the standard base64 of
// EncodeEnvelope(body, attrs): the size of the message text on Azure
// Storage queues, the strictest size limit of the three services.
func Base64EnvelopeSize(body []byte, attrs map[string]string) int {
	if len(attrs) == 0 && !bytes.HasPrefix(body, []byte(EnvelopePrefix)) {
		return base64.StdEncoding.EncodedLen(len(body))
	}
	// The length of EncodeEnvelope's JSON, counted without building it
	// when every attribute is plain text; otherwise built.
	n := len(`{"anyfunc.envelope":1,"attributes":{},"body":""}`) + base64.StdEncoding.EncodedLen(len(body))
	if len(attrs) > 1 {
		n += len(attrs) - 1 // commas
	}
	for k, v := range attrs {
		kn, ok1 := jsonStringLen(k)
		vn, ok2 := jsonStringLen(v)
		if !ok1 || !ok2 {
			return base64.StdEncoding.EncodedLen(len(EncodeEnvelope(body, attrs)))
		}
		n += kn + vn + 1 // colon
	}
	return base64.StdEncoding.EncodedLen(n)
}

// jsonStringLen returns the length of s as a JSON string without HTML
// escaping, quotes included, when s is valid UTF-8 without control
// characters other than tab, newline and carriage return; ok is false
// otherwise.
func jsonStringLen(s string) (n int, ok bool) {
	n = len(s) + 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\t' || c == '\n' || c == '\r':
				n++
			case c < 0x20:
				return 0, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return 0, false
		}
		if r == '\u2028' || r == '\u2029' {
			n += 6 - size
		}
		i += size
	}
	return n, true
}

// IsXMLText reports whether b is UTF-8 made only of the characters XML 1.0
// allows (tab, newline, carriage return, U+0020 to U+D7FF, U+E000 to
// U+FFFD, U+10000 to U+10FFFF): what SQS accepts in a message body or a
// string attribute.
func IsXMLText(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case 0x20 <= r && r <= 0xD7FF:
		case 0xE000 <= r && r <= 0xFFFD:
		case 0x10000 <= r && r <= 0x10FFFF:
		default:
			return false
		}
		b = b[n:]
	}
	return true
}
