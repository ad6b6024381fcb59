package batch

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

func TestCompactKeepsContent(t *testing.T) {
	dir := t.TempDir()
	cat, err := catalog.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	src := &catalog.Source{OID: catalog.FirstUserOID, Name: "s", Partitions: 1, EventTime: "ts", Options: map[string]string{},
		Columns: []catalog.Column{catalog.ColumnOf("k", types.Text, true), catalog.ColumnOf("ts", types.TimestampTZ, true), catalog.ColumnOf("v", types.Float8, false)}}
	if err := cat.Update(func(tx *catalog.Tx) error { tx.Sources["s"] = src; return nil }); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	schema := SourceSchema(src)
	var want float64
	var rows int64
	for i := 0; i < 10; i++ { // ten small backfills into the same two hours
		bf := NewBackfill(cat, dir, src)
		var data [][]any
		for j := 0; j < 50; j++ {
			ts := base.Add(time.Duration(i*50+j) * 7 * time.Second)
			v := float64(i*100 + j)
			data = append(data, []any{"k", types.TimestampOf(ts), v})
			want += v
			rows++
		}
		rec := exec.RecordOf(schema, data)
		if err := bf.Add(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		if err := bf.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	before := len(cat.Snapshot().Manifests["s"].Files)
	replaced, err := Compact(context.Background(), cat, dir, src, 4, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	m := cat.Snapshot().Manifests["s"]
	if len(replaced) != before || len(m.Files) >= before {
		t.Fatalf("compaction replaced %d of %d files, manifest now has %d", len(replaced), before, len(m.Files))
	}
	// Same rows, same sum.
	ft := MasterTable(dir, src, m)
	scan := exec.NewScan(ft, exec.ScanRequest{Columns: []int{2}})
	recs, err := exec.Drain(context.Background(), scan)
	if err != nil {
		t.Fatal(err)
	}
	var got float64
	var n int64
	for _, r := range recs {
		for _, row := range exec.Rows(r, exec.Schema{{Type: types.Float8}}) {
			got += row[0].(float64)
			n++
		}
		r.Release()
	}
	if n != rows || got != want {
		t.Fatalf("after compaction: %d rows sum %v, want %d rows sum %v", n, got, rows, want)
	}
	for _, p := range replaced {
		if filepath.Dir(p) == "" {
			t.Fatal("bad path")
		}
	}
}
