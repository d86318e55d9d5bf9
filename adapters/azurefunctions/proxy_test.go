package azurefunctions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
)

func TestProxyRequest(t *testing.T) {
	var got *handler.Request
	var inv *handler.Invocation
	h, err := azurefunctions.NewHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		inv, _ = handler.InvocationFrom(ctx)
		return nil, nil
	}), azurefunctions.WithMode(azurefunctions.ModeProxy), azurefunctions.WithDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target, wantPath, wantRaw string
		header                    map[string]string
		wantID                    string
	}{
		{"/api/a%2Fb?x=1", "/a/b", "/a%2Fb", map[string]string{"X-Ms-Invocation-Id": "p1", "X-Azure-Functions-InvocationId": "f1"}, "p1"},
		{"/API", "/", "", map[string]string{"X-Azure-Functions-InvocationId": "f2"}, "f2"},
		{"/apix/y", "/apix/y", "", nil, ""},
		{"/api/api/z", "/api/z", "", nil, ""},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.target, nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.target, rec.Code, rec.Body)
		}
		if got.Path != tc.wantPath || got.RawPath != tc.wantRaw || got.RemoteAddr != "" {
			t.Errorf("%s: Path %q RawPath %q RemoteAddr %q; want %q %q and no address", tc.target, got.Path, got.RawPath, got.RemoteAddr, tc.wantPath, tc.wantRaw)
		}
		if tc.wantID != "" && (got.RequestID != tc.wantID || inv.ID != tc.wantID) {
			t.Errorf("%s: RequestID %q, invocation %q; want %q", tc.target, got.RequestID, inv.ID, tc.wantID)
		}
		if tc.wantID == "" && (got.RequestID == "" || inv.ID != "") {
			t.Errorf("%s: RequestID %q, invocation ID %q; want a generated request ID and no invocation ID", tc.target, got.RequestID, inv.ID)
		}
		if inv.Platform != "azure-functions" {
			t.Errorf("platform %q", inv.Platform)
		}
	}
}
