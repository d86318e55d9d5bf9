package handler

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"testing"
)

// TestPlainPath checks that every path plainPath accepts is its own escaped
// form, byte by byte, and that it accepts the usual ones.
func TestPlainPath(t *testing.T) {
	for c := 0; c < 256; c++ {
		p := "/a" + string([]byte{byte(c)}) + "b/"
		if plainPath(p) {
			if esc := (&url.URL{Path: p}).EscapedPath(); esc != p {
				t.Errorf("plainPath(%q) but EscapedPath = %q", p, esc)
			}
		}
	}
	for _, p := range []string{"/", "/v1/users/12345/todos", "/static/app-1.2_x~y.js"} {
		if !plainPath(p) {
			t.Errorf("plainPath(%q) = false", p)
		}
	}
	for _, p := range []string{"*", "/a b", "/a%2Fb", "/✓", "/a?b", "/a#b"} {
		if plainPath(p) {
			t.Errorf("plainPath(%q) = true", p)
		}
	}
}

// TestRemoteIP checks remoteIP against net.SplitHostPort.
func TestRemoteIP(t *testing.T) {
	for _, addr := range []string{
		"192.0.2.7:4711", "[2001:db8::1]:443", "[::1]:80", "host:80", ":80", "192.0.2.7",
		"2001:db8::1", "a:b:c", "[x]y:1", "x]:1", "x[:1", "", ":", "h:",
	} {
		want := addr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			want = host
		}
		if got := remoteIP(addr); got != want {
			t.Errorf("remoteIP(%q) = %q, want %q", addr, got, want)
		}
	}
}

// TestNewRequestIDIn checks the form of a generated request ID and that
// two differ.
func TestNewRequestIDIn(t *testing.T) {
	var b1, b2 [32]byte
	id1, id2 := newRequestIDIn(&b1), newRequestIDIn(&b2)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id1) || id1 == id2 {
		t.Errorf("request IDs %q, %q", id1, id2)
	}
}

// TestHex8 checks hex8 against hex.Encode, on every nibble value in every
// position and on random words.
func TestHex8(t *testing.T) {
	check := func(x uint32) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], x)
		var got [8]byte
		binary.LittleEndian.PutUint64(got[:], hex8(x))
		if want := hex.EncodeToString(b[:]); string(got[:]) != want {
			t.Fatalf("hex8(%#x) = %q, want %q", x, got, want)
		}
	}
	for shift := 0; shift < 32; shift += 4 {
		for n := uint32(0); n < 16; n++ {
			check(n << shift)
			check(^(n << shift))
		}
	}
	for range 100000 {
		check(rand.Uint32())
	}
}

// TestContentLength checks contentLength's value with and without room,
// on both sides of the sizes whose digits strconv.Itoa allocates and of
// the largest the room holds, and that each value is capped so that an
// append copies.
func TestContentLength(t *testing.T) {
	for _, n := range []int{0, 7, 99, 100, 12345, 99_999_999, 100_000_000, 1 << 40} {
		for _, room := range []*shortContentLength{nil, new(shortContentLength)} {
			v := contentLength(n, room)
			if len(v) != 1 || cap(v) != 1 || v[0] != strconv.Itoa(n) {
				t.Errorf("contentLength(%d, room %v) = %q (cap %d)", n, room != nil, v, cap(v))
			}
			if room != nil && n < 1e8 && &v[0] != &room.v[0] {
				t.Errorf("contentLength(%d) did not use the room", n)
			}
		}
	}
}
