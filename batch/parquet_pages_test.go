package batch

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// TestParquetPagePruning: one large row group sorted by time, with small
// pages. Bounds on time read only the pages that may match (the page
// index), a task may start mid-page, and a big range is split across the
// cores; the rows that match the bounds are exactly those of a full scan,
// and no row is read twice.
func TestParquetPagePruning(t *testing.T) {
	const n = 300_000
	path := filepath.Join(t.TempDir(), "sorted.parquet")
	w, err := CreateParquetFile(path, pruneSchema, WriteOptions{Compression: "snappy", RowGroupRows: n, PageBufferBytes: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for from := 0; from < n; from += 50_000 {
		rec := exec.RecordOf(pruneSchema, pruneRows(from, from+50_000, -1))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	tbl, err := OpenParquet([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	ts := func(i int) types.TimestampD { return pruneBase + types.TimestampD(i)*1_000_000 }
	cases := []struct {
		name   string
		bounds []exec.Bound
		// maxRows bounds the rows read: pages, not the row group.
		maxRows int64
	}{
		{"one time range", []exec.Bound{{Col: 3, Op: exec.OpGE, Value: ts(100_000)}, {Col: 3, Op: exec.OpLT, Value: ts(110_000)}}, 30_000},
		{"id and time", []exec.Bound{{Col: 0, Op: exec.OpEQ, Value: int64(123_456)}, {Col: 3, Op: exec.OpLE, Value: ts(200_000)}}, 10_000},
		{"nothing", []exec.Bound{{Col: 0, Op: exec.OpGT, Value: int64(n)}}, 0},
		{"split for the cores", []exec.Bound{{Col: 0, Op: exec.OpGE, Value: int64(1)}}, n},
		{"string key", []exec.Bound{{Col: 2, Op: exec.OpEQ, Value: "k-0777"}}, 10_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := exec.ScanRequest{Columns: allColumns(pruneSchema), Bounds: tc.bounds}
			res := readTable(t, tbl, req)
			st := tbl.LastScanStats()
			if st.RowsTotal != n || st.RowsScanned > tc.maxRows || int64(len(res.rows)) != st.RowsScanned {
				t.Fatalf("read %d rows, stats %+v, want at most %d", len(res.rows), st, tc.maxRows)
			}
			seen := map[int64]bool{}
			got := 0
			for _, row := range res.rows {
				id := row[0].(int64)
				if seen[id] {
					t.Fatalf("row %d read twice", id)
				}
				seen[id] = true
				want := pruneRows(int(id), int(id)+1, -1)[0]
				for c := range want {
					if !equalDatum(row[c], want[c]) {
						t.Fatalf("row %d is %v, want %v", id, row, want)
					}
				}
				if matches(row, tc.bounds) {
					got++
				}
			}
			want := 0
			for _, row := range pruneRows(0, n, -1) {
				if matches(row, tc.bounds) {
					want++
				}
			}
			if got != want {
				t.Fatalf("%d matching rows, want %d", got, want)
			}
			tasks, err := tbl.Tasks(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "split for the cores" && runtime.GOMAXPROCS(0) > 1 && len(tasks) < 2 {
				t.Fatalf("%d tasks for %d rows", len(tasks), n)
			}
		})
	}
}
