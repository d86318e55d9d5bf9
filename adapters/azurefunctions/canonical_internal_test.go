package azurefunctions

import (
	"math/rand/v2"
	"net/http"
	"testing"
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
