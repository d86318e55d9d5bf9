package handler

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// FuzzRemoteIP checks remoteIP, whose fast path splits "ipv4:port" itself,
// against net.SplitHostPort on any address.
func FuzzRemoteIP(f *testing.F) {
	for _, s := range []string{"192.0.2.7:4711", "[2001:db8::1]:443", "[fe80::1%eth0]:80", "host:80", ":80", "a:b:c", "x]:1", "x[:1", "h:", "1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		want := addr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			want = host
		}
		if got := remoteIP(addr); got != want {
			t.Fatalf("remoteIP(%q) = %q, want %q", addr, got, want)
		}
	})
}

// FuzzPathChecks checks plainPath against url.URL.EscapedPath and isClean
// against its definition, on any path.
func FuzzPathChecks(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/a//b", "/./a", "/a/..", "/a b", "/%2F", "/é", "", "a/b", "/a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if plainPath(p) {
			if esc := (&url.URL{Path: p}).EscapedPath(); esc != p {
				t.Fatalf("plainPath(%q), but EscapedPath = %q", p, esc)
			}
		}
		want := p != "" && p[0] == '/'
		if want {
			segs := strings.Split(p[1:], "/")
			for i, s := range segs {
				if s == "." || s == ".." || s == "" && i < len(segs)-1 {
					want = false
				}
			}
		}
		if got := isClean(p); got != want {
			t.Fatalf("isClean(%q) = %v, want %v", p, got, want)
		}
	})
}
