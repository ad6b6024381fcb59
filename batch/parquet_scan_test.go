package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	pq "github.com/parquet-go/parquet-go"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func mustCreate(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// corruptColumn overwrites column leaf's chunk in every row group of the
// file at path with 0xFF bytes.
func corruptColumn(t *testing.T, path string, leaf int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, rg := range f.Metadata().RowGroups {
		md := rg.Columns[leaf].MetaData
		start := md.DataPageOffset
		if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
			start = md.DictionaryPageOffset
		}
		for i := start; i < start+md.TotalCompressedSize; i++ {
			data[i] = 0xFF
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Only requested columns are decoded: a file whose column b is garbage
// still reads a, in any order, and reading b fails with XX001, no panic.
func TestParquetProjection(t *testing.T) {
	s := exec.Schema{{Name: "a", Type: types.Int8}, {Name: "b", Type: types.Text}, {Name: "c", Type: types.Float8}}
	var rows [][]any
	for i := range 3000 {
		rows = append(rows, []any{int64(i), fmt.Sprint("v", i), float64(i) / 4})
	}
	rec := buildRecord(t, s, rows)
	defer rec.Release()
	path, _ := writeFile(t, t.TempDir(), "p.parquet", s, WriteOptions{Compression: "none", RowGroupRows: 1000}, rec)
	corruptColumn(t, path, 1)
	tbl := mustOpen(t, path)

	res := readTable(t, tbl, exec.ScanRequest{Columns: []int{2, 0}})
	want := make([][]any, len(rows))
	for i, r := range rows {
		want[i] = []any{r[2], r[0]}
	}
	assertRows(t, res.rows, want)

	tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	err = tasks[0].Run(context.Background(), func(rec arrow.Record) error { rec.Release(); return nil })
	if code := sqlstate.CodeOf(err); code != "XX001" {
		t.Fatalf("reading the corrupt column: %v (code %s)", err, code)
	}
	if !strings.Contains(err.Error(), `column "b"`) || !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the file and column: %v", err)
	}
}

func TestParquetZeroColumnScan(t *testing.T) {
	s := exec.Schema{{Name: "a", Type: types.Int8}}
	rec := recordOf(t, "a", types.Int8, int64(1), int64(2), nil)
	defer rec.Release()
	path, _ := writeFile(t, t.TempDir(), "z.parquet", s, WriteOptions{}, rec)
	res := readTable(t, mustOpen(t, path), exec.ScanRequest{})
	if !equalInts(res.batches, []int{3}) {
		t.Errorf("count(*)-style scan batches %v", res.batches)
	}
}

func TestParquetConcurrentTasks(t *testing.T) {
	dir := t.TempDir()
	s := exec.Schema{{Name: "n", Type: types.Int8}, {Name: "s", Type: types.Text}}
	var paths []string
	var wantSum, wantRows int64
	for f := range 3 {
		var rows [][]any
		for i := range 5000 {
			n := int64(f*5000 + i)
			wantSum += n
			rows = append(rows, []any{n, fmt.Sprintf("s%d", n%97)})
		}
		wantRows += 5000
		rec := buildRecord(t, s, rows)
		p, _ := writeFile(t, dir, fmt.Sprintf("c%d.parquet", f), s, WriteOptions{RowGroupRows: 1000, PageBufferBytes: 2048}, rec)
		rec.Release()
		paths = append(paths, p)
	}
	tbl := mustOpen(t, paths...)
	tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 15 {
		t.Fatalf("%d tasks", len(tasks))
	}
	var sum, nrows int64
	err = runTasksConcurrently(context.Background(), tasks, 4, func(rec arrow.Record) {
		strs := rec.Column(0).(*array.String)
		for i, v := range rec.Column(1).(*array.Int64).Int64Values() {
			if got := strs.Value(i); got != fmt.Sprintf("s%d", v%97) {
				t.Errorf("row %d: %q", v, got)
			}
			sum += v
		}
		nrows += rec.NumRows()
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum != wantSum || nrows != wantRows {
		t.Errorf("sum %d rows %d, want %d %d", sum, nrows, wantSum, wantRows)
	}
}

// countdownCtx reports cancellation after its Err method was called n
// times: it cancels at a point the test cannot reach otherwise, between
// two pages of one batch.
type countdownCtx struct {
	context.Context
	left atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestParquetCancellation(t *testing.T) {
	s := exec.Schema{{Name: "n", Type: types.Int8}}
	vals := make([]any, 100_000)
	for i := range vals {
		vals[i] = int64(i)
	}
	rec := recordOf(t, "n", types.Int8, vals...)
	defer rec.Release()
	path, _ := writeFile(t, t.TempDir(), "big.parquet", s, WriteOptions{PageBufferBytes: 4096}, rec)
	tbl := mustOpen(t, path)
	tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{0}})
	if err != nil || len(tasks) != 1 {
		t.Fatal(tasks, err)
	}

	t.Run("cancelled by the consumer", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		batches := 0
		err := tasks[0].Run(ctx, func(rec arrow.Record) error {
			rec.Release()
			batches++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || sqlstate.CodeOf(err) != "57014" || batches != 1 {
			t.Errorf("err %v after %d batches", err, batches)
		}
	})
	t.Run("cancelled between pages of one batch", func(t *testing.T) {
		defer exec.SetBatchSize(1 << 20)()
		ctx := &countdownCtx{Context: context.Background()}
		ctx.left.Store(5)
		emitted := false
		err := tasks[0].Run(ctx, func(rec arrow.Record) error { rec.Release(); emitted = true; return nil })
		if !errors.Is(err, context.Canceled) || emitted {
			t.Errorf("err %v, emitted %v", err, emitted)
		}
	})
	t.Run("emit error stops the task", func(t *testing.T) {
		stop := errors.New("stop")
		err := tasks[0].Run(context.Background(), func(rec arrow.Record) error { rec.Release(); return stop })
		if err != stop {
			t.Errorf("err %v", err)
		}
	})
}

func TestParquetGlob(t *testing.T) {
	dir := t.TempDir()
	s := exec.Schema{{Name: "n", Type: types.Int8}}
	var want []string
	for i, p := range []string{"a/x.parquet", "a/b/c/y.parquet", "z.parquet", "a/b/w.parquet"} {
		rec := recordOf(t, "n", types.Int8, int64(i))
		path, _ := writeFile(t, dir, p, s, WriteOptions{}, rec)
		rec.Release()
		want = append(want, path)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "a", "dir.parquet"), 0o755); err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)

	tbl, err := OpenParquetGlob(filepath.Join(dir, "**", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.Files(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("files %v, want %v", got, want)
	}
	if !strings.HasPrefix(tbl.String(), "read_parquet('") || !strings.Contains(tbl.String(), "**") {
		t.Errorf("String() = %s", tbl)
	}
	res := readTable(t, tbl, exec.ScanRequest{Columns: []int{0}})
	if len(res.rows) != 4 {
		t.Errorf("%d rows", len(res.rows))
	}

	tbl, err = OpenParquetGlob(filepath.Join(dir, "a", "**", "c", "*.parquet"))
	if err != nil || len(tbl.Files()) != 1 || !strings.HasSuffix(tbl.Files()[0], "y.parquet") {
		t.Errorf("a/**/c/*.parquet: %v %v", tbl, err)
	}
	tbl, err = OpenParquetGlob(filepath.Join(dir, "a", "*.parquet"))
	if err != nil || len(tbl.Files()) != 1 {
		t.Errorf("a/*.parquet (a directory named like a file must not match): %v %v", tbl, err)
	}

	pattern := filepath.Join(dir, "**", "*.csv")
	_, err = OpenParquetGlob(pattern)
	if sqlstate.CodeOf(err) != "58P01" || err.Error() != fmt.Sprintf("could not open file %q: no such file or directory", pattern) {
		t.Errorf("no match: %v", err)
	}
	if _, err := OpenParquetGlob(filepath.Join(dir, "missing", "**", "*.parquet")); sqlstate.CodeOf(err) != "58P01" {
		t.Errorf("missing base directory: %v", err)
	}
	if _, err := OpenParquetGlob(filepath.Join(dir, "[")); sqlstate.CodeOf(err) != "22023" {
		t.Errorf("bad pattern: %v", err)
	}
}

func TestParquetSchemaMismatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, s exec.Schema, row []any) string {
		rec := buildRecord(t, s, [][]any{row})
		defer rec.Release()
		p, _ := writeFile(t, dir, name, s, WriteOptions{}, rec)
		return p
	}
	base := write("a.parquet", exec.Schema{{Name: "x", Type: types.Int8}, {Name: "y", Type: types.Text}}, []any{int64(1), "a"})
	wrongType := write("b.parquet", exec.Schema{{Name: "x", Type: types.Int4}, {Name: "y", Type: types.Text}}, []any{int64(2), "b"})
	missing := write("c.parquet", exec.Schema{{Name: "x", Type: types.Int8}}, []any{int64(3)})
	extra := write("d.parquet", exec.Schema{{Name: "x", Type: types.Int8}, {Name: "y", Type: types.Text}, {Name: "z", Type: types.Int8}}, []any{int64(4), "d", int64(0)})
	reordered := write("e.parquet", exec.Schema{{Name: "y", Type: types.Text}, {Name: "x", Type: types.Int8}}, []any{"e", int64(5)})

	for _, tc := range []struct{ other, mention string }{
		{wrongType, `column "x"`},
		{missing, `column "y"`},
		{extra, `column "z"`},
	} {
		_, err := OpenParquet([]string{base, tc.other})
		if sqlstate.CodeOf(err) != "42804" || !strings.Contains(err.Error(), tc.other) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: %v", filepath.Base(tc.other), err)
		}
	}
	tbl := mustOpen(t, base, reordered)
	res := readTable(t, tbl, exec.ScanRequest{Columns: []int{0, 1}})
	assertRows(t, res.rows, [][]any{{int64(1), "a"}, {int64(5), "e"}})
}

func TestParquetOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenParquet([]string{filepath.Join(dir, "nope.parquet")}); sqlstate.CodeOf(err) != "58P01" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := OpenParquet(nil); sqlstate.CodeOf(err) != "22023" {
		t.Errorf("no files: %v", err)
	}
	if _, err := OpenParquet([]string{dir}); sqlstate.CodeOf(err) != "42809" {
		t.Errorf("directory: %v", err)
	}
	text := filepath.Join(dir, "text.parquet")
	if err := os.WriteFile(text, []byte("this is not a parquet file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenParquet([]string{text}); sqlstate.CodeOf(err) != "22P04" {
		t.Errorf("not parquet: %v", err)
	}
	s := exec.Schema{{Name: "n", Type: types.Int8}}
	rec := recordOf(t, "n", types.Int8, int64(1), int64(2))
	defer rec.Release()
	path, _ := writeFile(t, dir, "ok.parquet", s, WriteOptions{}, rec)
	data, _ := os.ReadFile(path)
	for _, cut := range []int{len(data) - 1, len(data) / 2, 12} {
		trunc := filepath.Join(dir, fmt.Sprintf("trunc%d.parquet", cut))
		if err := os.WriteFile(trunc, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenParquet([]string{trunc}); sqlstate.CodeOf(err) != "22P04" {
			t.Errorf("truncated at %d: %v", cut, err)
		}
	}
	// A file deleted after open fails its task with 58P01.
	tbl := mustOpen(t, path)
	tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if err := tasks[0].Run(context.Background(), func(r arrow.Record) error { r.Release(); return nil }); sqlstate.CodeOf(err) != "58P01" {
		t.Errorf("deleted file: %v", err)
	}
	if _, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{3}}); err == nil {
		t.Error("scan of a missing column accepted")
	}
}

func TestParquetAtomicWrite(t *testing.T) {
	s := exec.Schema{{Name: "n", Type: types.Int8}}
	rec := recordOf(t, "n", types.Int8, int64(1), int64(2))
	defer rec.Release()
	listDir := func(dir string) []string {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}

	t.Run("success leaves only the file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.parquet")
		if _, err := WriteParquetFileAtomic(path, s, WriteOptions{}, rec); err != nil {
			t.Fatal(err)
		}
		// Replacing an existing file.
		other := recordOf(t, "n", types.Int8, int64(7))
		defer other.Release()
		if _, err := WriteParquetFileAtomic(path, s, WriteOptions{}, other); err != nil {
			t.Fatal(err)
		}
		if names := listDir(dir); len(names) != 1 || names[0] != "f.parquet" {
			t.Errorf("directory holds %v", names)
		}
		assertRows(t, readTable(t, mustOpen(t, path), exec.ScanRequest{Columns: []int{0}}).rows, [][]any{{int64(7)}})
	})
	t.Run("write error removes the temporary file", func(t *testing.T) {
		dir := t.TempDir()
		wrong := recordOf(t, "n", types.Text, "x")
		defer wrong.Release()
		_, err := WriteParquetFileAtomic(filepath.Join(dir, "f.parquet"), s, WriteOptions{}, rec, wrong)
		if sqlstate.CodeOf(err) != "42804" {
			t.Errorf("err %v", err)
		}
		if names := listDir(dir); len(names) != 0 {
			t.Errorf("directory holds %v", names)
		}
	})
	t.Run("rename error removes the temporary file", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "taken")
		if err := os.MkdirAll(filepath.Join(target, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := WriteParquetFileAtomic(target, s, WriteOptions{}, rec)
		if sqlstate.CodeOf(err) != "58030" {
			t.Errorf("err %v", err)
		}
		if names := listDir(dir); len(names) != 1 || names[0] != "taken" {
			t.Errorf("directory holds %v", names)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		_, err := WriteParquetFileAtomic(filepath.Join(t.TempDir(), "no", "f.parquet"), s, WriteOptions{}, rec)
		if sqlstate.CodeOf(err) != "58P01" {
			t.Errorf("err %v", err)
		}
	})
	t.Run("abort", func(t *testing.T) {
		dir := t.TempDir()
		f, err := CreateParquetFile(filepath.Join(dir, "f.parquet"), s, WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write(rec); err != nil {
			t.Fatal(err)
		}
		if err := f.Abort(); err != nil {
			t.Fatal(err)
		}
		if names := listDir(dir); len(names) != 0 {
			t.Errorf("directory holds %v", names)
		}
		if _, err := f.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
	})
}

// Damaged files fail with an error, never a panic: flip bytes of a valid
// file at seeded random positions and open and scan each variant.
func TestParquetCorruptFilesDoNotPanic(t *testing.T) {
	s := exec.Schema{{Name: "n", Type: types.Int8}, {Name: "s", Type: types.Text}, {Name: "f", Type: types.Float8}, {Name: "d", Type: types.Date}}
	var rows [][]any
	for i := range 500 {
		var str any = fmt.Sprintf("v%d", i%13)
		if i%9 == 0 {
			str = nil
		}
		rows = append(rows, []any{int64(i), str, float64(i), types.DateD(i)})
	}
	rec := buildRecord(t, s, rows)
	defer rec.Release()
	dir := t.TempDir()
	for _, comp := range []string{"none", "snappy"} {
		path, _ := writeFile(t, dir, comp+".parquet", s, WriteOptions{Compression: comp, RowGroupRows: 200, PageBufferBytes: 512}, rec)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rng := newTestRand(uint64(len(orig)))
		for iter := range 300 {
			data := bytes.Clone(orig)
			for range 1 + iter%4 {
				data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
			}
			bad := filepath.Join(dir, "bad.parquet")
			if err := os.WriteFile(bad, data, 0o644); err != nil {
				t.Fatal(err)
			}
			tbl, err := OpenParquet([]string{bad})
			if err != nil {
				if c := sqlstate.CodeOf(err); c == "XX000" {
					t.Fatalf("open error without SQLSTATE: %v", err)
				}
				continue
			}
			tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: allColumns(tbl.Schema())})
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range tasks {
				err := task.Run(context.Background(), func(r arrow.Record) error {
					for c := range int(r.NumCols()) {
						validateArray(t, r.Column(c))
					}
					r.Release()
					return nil
				})
				if err != nil && sqlstate.CodeOf(err) == "XX000" {
					t.Fatalf("scan error without SQLSTATE: %v", err)
				}
			}
		}
	}
}
