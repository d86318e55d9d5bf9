package azurefunctions

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"unsafe"
)

// TestCanonicalName checks nameBuf.canonical against net/http's
// CanonicalHeaderKey: every byte value in every position of short names,
// random names over the bytes that matter, and names past the buffer's room.
func TestCanonicalName(t *testing.T) {
	check := func(nb *nameBuf, k string) {
		t.Helper()
		if got, want := nb.canonical(k), http.CanonicalHeaderKey(k); got != want {
			t.Fatalf("canonical(%q) = %q, want %q", k, got, want)
		}
	}
	var nb nameBuf
	for c := range 256 {
		for _, k := range []string{string(rune(c)), "x-" + string(byte(c)), string(byte(c)) + "-Ab", "a" + string(byte(c)) + "b"} {
			nb = nameBuf{}
			check(&nb, k)
		}
	}
	alphabet := "aAzZ-09_ .:\x00\x80\xff"
	r := rand.New(rand.NewPCG(3, 4))
	nb = nameBuf{}
	for range 100000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(&nb, string(b)) // fills the buffer, then falls back
	}
	nb = nameBuf{}
	var names []string
	for range 20 {
		k := "x-ms-client-principal-name"
		names = append(names, nb.canonical(k))
	}
	for _, n := range names {
		if n != "X-Ms-Client-Principal-Name" {
			t.Fatalf("a canonical name changed after later ones were written: %q", n)
		}
	}
}

// TestPayloadStateSize keeps payloadState within the runtime's 1024-byte
// size class: past it, every invocation allocates the next class, 1152
// bytes. Growing the Request or the inline room needs a look at this.
func TestPayloadStateSize(t *testing.T) {
	if n := unsafe.Sizeof(payloadState{}); n > 1024 {
		t.Errorf("payloadState is %d bytes, more than 1024", n)
	}
}
