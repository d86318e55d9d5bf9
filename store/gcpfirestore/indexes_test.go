package gcpfirestore

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestIndexesFile checks that firestore.indexes.json parses and declares
// the indexes the example's queries need.
func TestIndexesFile(t *testing.T) {
	b, err := os.ReadFile("firestore.indexes.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Indexes []struct {
			CollectionGroup string
			QueryScope      string
			Fields          []struct{ FieldPath, Order string }
		}
		FieldOverrides []struct {
			CollectionGroup string
			FieldPath       string
			TTL             bool
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, ix := range f.Indexes {
		s := ix.CollectionGroup + "/" + ix.QueryScope
		for _, fl := range ix.Fields {
			s += " " + fl.FieldPath + ":" + fl.Order
		}
		have = append(have, s)
	}
	for _, want := range []string{
		"todos/COLLECTION _pk:ASCENDING _sk:ASCENDING",
		"todos/COLLECTION _pk:ASCENDING _sk:DESCENDING",
		"todos/COLLECTION _pk:ASCENDING done:ASCENDING _sk:ASCENDING",
		"todos/COLLECTION _pk:ASCENDING done:ASCENDING _sk:DESCENDING",
	} {
		if !slices.Contains(have, want) {
			t.Errorf("no index %s; have %q", want, have)
		}
	}
	ttl := false
	for _, o := range f.FieldOverrides {
		ttl = ttl || (o.CollectionGroup == "todos" && o.FieldPath == fieldExpires && o.TTL)
	}
	if !ttl {
		t.Errorf("no TTL policy on %s", fieldExpires)
	}
	if fieldPartition != "_pk" || fieldSort != "_sk" {
		t.Errorf("the file names _pk and _sk, the code %s and %s", fieldPartition, fieldSort)
	}
}
