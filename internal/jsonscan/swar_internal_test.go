package jsonscan

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestWordChecks compares the eight-bytes-at-a-time checks with the
// byte-at-a-time ones, on each byte value in each position (the others
// plain or random) and on random words.
func TestWordChecks(t *testing.T) {
	check := func(w [8]byte) {
		var word uint64
		special, notPlain := 8, 8 // the index of the first such byte
		for i, c := range w {
			word |= uint64(c) << (8 * i)
			if !plainInString[c] && special == 8 {
				special = i
			}
			if (!plainInString[c] || c >= 0x80) && notPlain == 8 {
				notPlain = i
			}
		}
		s := string(w[:])
		if load64(s, 0) != word {
			t.Fatalf("load64(%q) = %#x, want %#x", s, load64(s, 0), word)
		}
		if got := bits.TrailingZeros64(specialInString(word)) >> 3; got != special {
			t.Fatalf("specialInString(%q) finds byte %d, want %d", s, got, special)
		}
		if got := bits.TrailingZeros64(notPlainASCII(word)) >> 3; got != notPlain {
			t.Fatalf("notPlainASCII(%q) finds byte %d, want %d", s, got, notPlain)
		}
		// Through the word loop, then through the byte loop (a tail
		// shorter than a word).
		for _, pre := range []string{"", "abc", "0123456789"} {
			want := len(pre) + special
			if special == 8 {
				want = len(pre) + 8
			}
			if got := nextSpecial(pre+s, 0); got != want {
				t.Fatalf("nextSpecial(%q) = %d, want %d", pre+s, got, want)
			}
		}
	}
	for pos := range 8 {
		for c := range 256 {
			for _, fill := range []byte{'a', 0x20, 0x7f, 0x80, 0xff, '"' + 1, '\\' - 1} {
				w := [8]byte{fill, fill, fill, fill, fill, fill, fill, fill}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var w [8]byte
		for i := range w {
			w[i] = byte(r.Uint32())
		}
		check(w)
	}
}
