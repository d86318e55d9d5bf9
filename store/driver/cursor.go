package driver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"

	"github.com/anyfunc/anyfunc/store"
)

// Cursors are the sort key of the last item returned, sealed with AES-GCM
// under a key derived from the cursor secret. The query they belong to
// (partition, sort condition, filters, direction) is the additional
// authenticated data, so a cursor altered in any way, or used with another
// query, fails to open. Any process with the same secret opens them.

const cursorVersion = 1

// defaultCursorSecret is used without WithCursorSecret: cursors still
// cannot be altered by accident or used with another query, but anyone who
// knows this (public) value can forge one for a query they can run anyway.
var defaultCursorSecret = []byte("github.com/anyfunc/anyfunc/store cursor v1")

func newCursorAEAD(secret []byte) cipher.AEAD {
	k := sha256.Sum256(append([]byte("anyfunc store cursor key\x00"), secret...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// queryBinding encodes what a cursor is bound to; filters are normalised.
func queryBinding(q *Query) []byte {
	b := []byte{cursorVersion}
	b = appendStr(b, q.Partition)
	b = append(b, byte(q.Sort.Op))
	b = appendStr(b, q.Sort.Value)
	b = appendStr(b, q.Sort.Value2)
	if q.Descending {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(q.Filters)))
	for _, f := range q.Filters {
		b = binary.AppendUvarint(b, uint64(len(f.Path)))
		for _, s := range f.Path {
			b = appendStr(b, s)
		}
		v, _ := json.Marshal(f.Value) // scalars only
		b = appendStr(b, string(v))
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func sealCursor(aead cipher.AEAD, binding []byte, after string) string {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(after)+aead.Overhead()+1)
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	out := aead.Seal(nonce, nonce, []byte(after), binding)
	return base64.RawURLEncoding.EncodeToString(out)
}

func openCursor(aead cipher.AEAD, binding []byte, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor) // Strict: a changed padding bit is a changed cursor
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", store.Errorf(store.ErrInvalidCursor, "the cursor is malformed: it is not one this store returned")
	}
	ns := aead.NonceSize()
	after, err := aead.Open(nil, raw[:ns], raw[ns:], binding)
	if err != nil {
		return "", store.Errorf(store.ErrInvalidCursor, "the cursor was altered, belongs to another query (partition, sort condition, filters or order), or was sealed with another cursor secret")
	}
	return string(after), nil
}
