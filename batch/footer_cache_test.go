package batch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"lambdasql/exec"
)

// TestFooterCache: a cached open reads the same rows as an uncached one,
// shares the parsed footer, and a file replaced under the same path (new
// size or modification time) is parsed again.
func TestFooterCache(t *testing.T) {
	dir := t.TempDir()
	write := func(n int) string {
		rec := exec.RecordOf(pruneSchema, pruneRows(0, n, -1))
		defer rec.Release()
		p, _ := writeFile(t, dir, "f.parquet", pruneSchema, WriteOptions{}, rec)
		return p
	}
	path := write(100)
	read := func() int {
		tbl, err := OpenParquetCached([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		return len(readTable(t, tbl, exec.ScanRequest{Columns: allColumns(pruneSchema)}).rows)
	}
	if n := read(); n != 100 {
		t.Fatalf("%d rows", n)
	}
	footers.mu.Lock()
	first := footers.m[path].f.pf
	footers.mu.Unlock()
	if n := read(); n != 100 {
		t.Fatalf("%d rows from the cache", n)
	}
	footers.mu.Lock()
	same := footers.m[path].f.pf == first
	footers.mu.Unlock()
	if !same {
		t.Fatal("the second open parsed the footer again")
	}
	os.Remove(path)
	write(250)
	later := time.Now().Add(time.Second)
	os.Chtimes(path, later, later)
	if n := read(); n != 250 {
		t.Fatalf("%d rows after the file was replaced, want 250", n)
	}
	if _, err := OpenParquetCached([]string{filepath.Join(dir, "missing.parquet")}); err == nil {
		t.Fatal("a missing file opened")
	}
}
