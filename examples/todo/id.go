package todo

import (
	"crypto/rand"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet: IDs sort as strings in the
// order they were made.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// idGen makes 26-character, time-ordered IDs (48-bit millisecond time, 80
// random bits), monotonic within a process: an ID made in the same
// millisecond as the previous one is that one plus one.
type idGen struct {
	mu     sync.Mutex
	lastMS uint64
	last   [10]byte
	now    func() time.Time
}

func (g *idGen) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now
	if g.now != nil {
		now = g.now
	}
	ms := uint64(now().UnixMilli())
	if ms <= g.lastMS {
		ms = g.lastMS
		for i := len(g.last) - 1; i >= 0; i-- { // increment the random part
			g.last[i]++
			if g.last[i] != 0 {
				break
			}
		}
	} else {
		_, _ = rand.Read(g.last[:])
		g.last[0] &= 0x7f // leave room to increment without overflow
	}
	g.lastMS = ms
	var b [16]byte
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (8 * (5 - i)))
	}
	copy(b[6:], g.last[:])
	return encode(b)
}

// encode writes 128 bits as 26 base32 characters, most significant first.
func encode(b [16]byte) string {
	var out [26]byte
	// 130 bits of output; the first character holds the top 2 bits.
	var acc uint64
	var bits uint
	j := 0
	acc, bits = 0, 2 // two leading zero bits pad 128 to 130
	for _, x := range b {
		acc = acc<<8 | uint64(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[j] = crockford[(acc>>bits)&31]
			j++
		}
	}
	return string(out[:j])
}

// validID reports whether s looks like an ID made by idGen, so that junk in
// a URL is answered 404 without a store call.
func validID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return s[0] <= '7'
}
