package otelmw

import (
	"fmt"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// attrCache gives each (method, route, status) its own attribute set, the
// same options each time once cached, stops growing at its limit and still
// answers past it; concurrent first requests agree.
func TestAttrCache(t *testing.T) {
	var c attrCache
	setOf := func(o attrOpts) *attribute.Set {
		s := metric.NewRecordConfig(o.record).Attributes()
		return &s
	}
	a := c.get("GET", "/items/{id}", 200)
	want := attribute.NewSet(attribute.String("http.request.method", "GET"),
		attribute.String("http.route", "/items/{id}"), attribute.Int("http.response.status_code", 200))
	if got := setOf(a); got.Equivalent() != want.Equivalent() {
		t.Errorf("set = %v, want %v", got.Encoded(attribute.DefaultEncoder()), want.Encoded(attribute.DefaultEncoder()))
	}
	if addSet := metric.NewAddConfig(a.add).Attributes(); addSet.Len() != 3 || addSet.Equivalent() != want.Equivalent() {
		t.Errorf("add set = %v", addSet.Encoded(attribute.DefaultEncoder()))
	}
	if b := c.get("GET", "/items/{id}", 200); &b.record[0] != &a.record[0] {
		t.Error("a cached kind got new options")
	}
	if b := c.get("GET", "/items/{id}", 404); setOf(b).Equivalent() == want.Equivalent() {
		t.Error("another status got the same set")
	}
	var wg sync.WaitGroup
	for i := range 2 * maxCachedAttrSets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			route := fmt.Sprintf("/r%d", i)
			o := c.get("POST", route, 201)
			w := attribute.NewSet(attribute.String("http.request.method", "POST"),
				attribute.String("http.route", route), attribute.Int("http.response.status_code", 201))
			if s := setOf(o); s.Equivalent() != w.Equivalent() {
				t.Errorf("%s: set = %v", route, s.Encoded(attribute.DefaultEncoder()))
			}
		}()
	}
	wg.Wait()
	if n := len(*c.m.Load()); n != maxCachedAttrSets {
		t.Errorf("%d kinds cached, want the limit %d", n, maxCachedAttrSets)
	}
	if b := c.get("GET", "/items/{id}", 200); &b.record[0] != &a.record[0] {
		t.Error("a kind cached first was lost")
	}
}

func BenchmarkAttrCacheGet(b *testing.B) {
	var c attrCache
	c.get("GET", "/items/{id}", 200)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.get("GET", "/items/{id}", 200)
	}
}
