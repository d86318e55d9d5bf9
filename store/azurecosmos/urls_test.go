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
		container, opts, err := urlOptions(u)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok %v", tc.query, err, tc.ok)
			continue
		}
		if err != nil {
			continue
		}
		o, err := collect(container, opts)
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
	_, _, err = urlOptions(u)
	if err == nil {
		t.Fatal("a key other than emulator was accepted")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error repeats the key: %v", err)
	}
}

// TestURLErrorsHideSecrets checks that no error of a cosmos:// URL repeats
// a query value, a parameter name that may be a key, or a password: such
// errors may be logged.
func TestURLErrorsHideSecrets(t *testing.T) {
	t.Setenv(KeyEnv, "")
	const secret = "REALSECRETc2VjcmV0"
	for _, raw := range []string{
		"cosmos://acct/db?key=" + secret, // the path is wrong before the key is read
		"cosmos://acct/db/c/extra?key=" + secret,
		"cosmos:///db/c?key=" + secret,
		"cosmos://user:" + secret + "@acct/db",
		"cosmos://" + secret + "@acct/db",
		"cosmos://acct/db#" + secret,
		"cosmos://acct/db/c?key=" + secret,
		"cosmos://acct/db/c?endpoint=" + secret,
		"cosmos://acct/db/c?endpoint=ftp://host/" + secret,
		"cosmos://acct/db/c?server=" + secret,
		"cosmos://acct/db/c?ensure=" + secret,
		"cosmos://acct/db/c?cert_file=/does/not/exist/" + secret,
		"cosmos://acct/db/c?" + secret,
		"cosmos://acct/db/c?" + secret + "=1",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = urlOptions(u)
		if err == nil {
			t.Errorf("%s: no error", raw)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error repeats a secret: %v", err)
		}
	}
	// What helps and is not secret is still said.
	u, _ := url.Parse("cosmos://acct/db?key=" + secret)
	if _, _, err := urlOptions(u); err == nil || !strings.Contains(err.Error(), "cosmos://acct/db:") {
		t.Errorf("wrong path: %v; want the URL without its query", err)
	}
	u, _ = url.Parse("cosmos://acct/db/c?bogus=1")
	if _, _, err := urlOptions(u); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("unknown parameter: %v; want its name", err)
	}
}
