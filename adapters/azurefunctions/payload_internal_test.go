package azurefunctions

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"unsafe"
)

// TestCanonicalName checks payloadState.canonical against net/http's
// CanonicalHeaderKey: every byte value in every position of short names,
// and random names over the bytes that matter, through arenas of several
// sizes; and that no name is changed by the ones written after it.
func TestCanonicalName(t *testing.T) {
	check := func(st *payloadState, k string) string {
		t.Helper()
		got, want := st.canonical(k), http.CanonicalHeaderKey(k)
		if got != want {
			t.Fatalf("canonical(%q) = %q, want %q", k, got, want)
		}
		return got
	}
	for c := range 256 {
		for _, k := range []string{string(rune(c)), "x-" + string(byte(c)), string(byte(c)) + "-Ab", "a" + string(byte(c)) + "b"} {
			check(&payloadState{arenaChunk: 256}, k)
		}
	}
	alphabet := "aAzZ-09_ .:\x00\x80\xff"
	r := rand.New(rand.NewPCG(3, 4))
	type kept struct{ got, want string }
	var all []kept
	for _, chunk := range []int{0, 7, 256} {
		st := &payloadState{arenaChunk: chunk}
		for range 30000 {
			b := make([]byte, r.IntN(24))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			got := check(st, string(b))
			all = append(all, kept{got, http.CanonicalHeaderKey(string(b))})
		}
	}
	for _, k := range all {
		if k.got != k.want {
			t.Fatalf("a canonical name changed after later ones were written: %q, want %q", k.got, k.want)
		}
	}
}

// TestKeepCopies checks that keep copies: a kept string does not share the
// bytes it was made from, which payload mode reuses for the next envelope.
func TestKeepCopies(t *testing.T) {
	src := []byte("header-value Content-Type")
	st := &payloadState{arenaChunk: 8}
	v := st.keep(unsafe.String(&src[0], 12))
	k := st.canonical(unsafe.String(&src[13], 12))
	kl := st.canonical(unsafe.String(&src[0], 6))
	copy(src, strings.Repeat("x", len(src)))
	if v != "header-value" || k != "Content-Type" || kl != "Header" {
		t.Errorf("kept %q, %q, %q after the source changed", v, k, kl)
	}
	if st.keep("") != "" {
		t.Error("keep(\"\") is not empty")
	}
}

// TestPayloadStateSize keeps payloadState within the runtime's 896-byte
// size class: past it, every invocation allocates the next class, 1024
// bytes. Growing the Request or the inline room needs a look at this.
func TestPayloadStateSize(t *testing.T) {
	if n := unsafe.Sizeof(payloadState{}); n > 896 {
		t.Errorf("payloadState is %d bytes, more than 896", n)
	}
}
