package azurecosmos

import (
	"net/url"
	"strings"
	"testing"
)

// TestURLEnsure checks the values of the ensure parameter: true and 1 ask
// for the container, anything else is refused.
func TestURLEnsure(t *testing.T) {
	for _, tc := range []struct {
		query  string
		ensure bool
		ok     bool
	}{
		{"", false, true},
		{"ensure=true", true, true},
		{"ensure=1", true, true},
		{"ensure=yes", false, false},
		{"ensure=0", false, false},
	} {
		u, err := url.Parse("cosmos://acct/db/todos?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		opts, err := urlOptions(u)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok %v", tc.query, err, tc.ok)
			continue
		}
		if err != nil {
			continue
		}
		o, err := collect(opts)
		if err != nil {
			t.Fatalf("%q: %v", tc.query, err)
		}
		if o.ensure != tc.ensure {
			t.Errorf("%q: ensure = %v, want %v", tc.query, o.ensure, tc.ensure)
		}
	}
}

// TestURLKeyNotEchoed checks that a real key put in a URL by mistake is
// refused without being repeated in the error, which may be logged.
func TestURLKeyNotEchoed(t *testing.T) {
	const secret = "c2VjcmV0LWFjY291bnQta2V5"
	u, err := url.Parse("cosmos://acct/db/todos?key=" + secret)
	if err != nil {
		t.Fatal(err)
	}
	_, err = urlOptions(u)
	if err == nil {
		t.Fatal("a key other than emulator was accepted")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error repeats the key: %v", err)
	}
}
