package mediatype

import "testing"

func TestIsText(t *testing.T) {
	for ct, want := range map[string]bool{
		"":                                  false,
		"text/plain":                        true,
		"TEXT/HTML; charset=UTF-8":          true,
		"text/plain; charset=iso-8859-1":    false,
		`text/csv; charset="us-ascii"`:      true,
		"text/":                             false,
		"application/json":                  true,
		"Application/JSON; charset=utf8":    true,
		"application/problem+json":          true,
		"image/svg+xml":                     true,
		"application/vnd.api+JSON":          true,
		"application/x-www-form-urlencoded": true,
		"application/sql":                   true,
		"application/csv":                   true,
		"application/yaml":                  true,
		"application/octet-stream":          false,
		"image/png":                         false,
		"multipart/form-data; boundary=x":   false,
		"application/json; charset=utf-16":  false,
		"application/json; boundary=x":      true,
		" application/json ":                true,
		"application/jsonx":                 false,
		"json":                              false,
	} {
		if got := IsText(ct); got != want {
			t.Errorf("IsText(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestIsTextAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { IsText("application/json; charset=utf-8") }); n != 0 {
		t.Errorf("IsText allocates %v times", n)
	}
}
