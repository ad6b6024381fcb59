package batch

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

const pruneBase = types.TimestampD(1_700_000_000_000_000)

var pruneSchema = exec.Schema{
	{Name: "id", Type: types.Int8},
	{Name: "f", Type: types.Float8},
	{Name: "s", Type: types.Text},
	{Name: "ts", Type: types.TimestampTZ},
	{Name: "half", Type: types.Int4}, // NULL in the first 500 rows
}

func pruneRows(from, to int, nanAt int) [][]any {
	var rows [][]any
	for i := from; i < to; i++ {
		f := float64(i) * 0.5
		if i == nanAt {
			f = math.NaN()
		}
		var half any
		if i >= 500 {
			half = int64(i)
		}
		rows = append(rows, []any{int64(i), f, fmt.Sprintf("k-%04d", i), pruneBase + types.TimestampD(i)*1_000_000, half})
	}
	return rows
}

// matches evaluates bounds on a row the way a Filter would (PostgreSQL
// semantics), to check that pruning never drops a matching row.
func matches(row []any, bounds []exec.Bound) bool {
	for _, b := range bounds {
		v := row[b.Col]
		if v == nil || b.Value == nil {
			return false
		}
		c, ok := compareDatum(v, normalizeDatum(b.Value))
		if !ok {
			continue
		}
		if !opMayHold(b.Op, c, c) {
			return false
		}
	}
	return true
}

func TestParquetRowGroupPruning(t *testing.T) {
	dir := t.TempDir()
	rows := pruneRows(0, 1000, -1)
	rec := buildRecord(t, pruneSchema, rows)
	defer rec.Release()
	path, _ := writeFile(t, dir, "p.parquet", pruneSchema, WriteOptions{RowGroupRows: 100}, rec)
	tbl := mustOpen(t, path)
	ts := func(sec int) types.TimestampD { return pruneBase + types.TimestampD(sec)*1_000_000 }
	b := func(col int, op exec.CmpOp, v any) exec.Bound { return exec.Bound{Col: col, Op: op, Value: v} }
	for _, tc := range []struct {
		name   string
		bounds []exec.Bound
		groups int
	}{
		{"no bounds", nil, 10},
		{"int >=", []exec.Bound{b(0, exec.OpGE, int64(950))}, 1},
		{"int =", []exec.Bound{b(0, exec.OpEQ, int64(123))}, 1},
		{"int <", []exec.Bound{b(0, exec.OpLT, int64(100))}, 1},
		{"int <=", []exec.Bound{b(0, exec.OpLE, int64(100))}, 2},
		{"int > max", []exec.Bound{b(0, exec.OpGT, int64(999))}, 0},
		{"int > max-1", []exec.Bound{b(0, exec.OpGT, int64(998))}, 1},
		{"int against float value", []exec.Bound{b(0, exec.OpLT, 150.5)}, 2},
		{"int value as Go int", []exec.Bound{b(0, exec.OpEQ, 500)}, 1},
		{"float <", []exec.Bound{b(1, exec.OpLT, 50.0)}, 1},
		{"float <=", []exec.Bound{b(1, exec.OpLE, 50.0)}, 2},
		{"float > on a NaN-free file", []exec.Bound{b(1, exec.OpGT, 450.0)}, 1},
		{"float = NaN on a NaN-free file", []exec.Bound{b(1, exec.OpEQ, math.NaN())}, 0},
		{"string =", []exec.Bound{b(2, exec.OpEQ, "k-0505")}, 1},
		{"string >=", []exec.Bound{b(2, exec.OpGE, "k-0900")}, 1},
		{"string <", []exec.Bound{b(2, exec.OpLT, "k-0100")}, 1},
		{"string bytewise above all", []exec.Bound{b(2, exec.OpGT, "l")}, 0},
		{"timestamp range", []exec.Bound{b(3, exec.OpGE, ts(900)), b(3, exec.OpLT, ts(950))}, 1},
		{"timestamp before all", []exec.Bound{b(3, exec.OpLT, ts(0))}, 0},
		{"all-NULL row groups", []exec.Bound{b(4, exec.OpGE, int64(0))}, 5},
		{"conjunction", []exec.Bound{b(0, exec.OpGE, int64(100)), b(0, exec.OpLT, int64(300)), b(2, exec.OpEQ, "k-0250")}, 1},
		{"mismatched value type never prunes", []exec.Bound{b(0, exec.OpEQ, "x")}, 10},
		{"NULL value never prunes", []exec.Bound{b(0, exec.OpEQ, nil)}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := exec.ScanRequest{Columns: allColumns(pruneSchema), Bounds: tc.bounds}
			res := readTable(t, tbl, req)
			st := tbl.LastScanStats()
			scannedFiles := 0
			if tc.groups > 0 {
				scannedFiles = 1
			}
			want := exec.ScanStats{FilesTotal: 1, FilesScanned: scannedFiles, RowGroupsTotal: 10, RowGroupsScanned: tc.groups,
				RowsTotal: 1000, RowsScanned: 100 * int64(tc.groups)}
			if st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}
			if len(res.rows) != 100*tc.groups {
				t.Errorf("read %d rows from %d row groups", len(res.rows), tc.groups)
			}
			// Every row satisfying the bounds is among the rows read.
			read := map[int64]bool{}
			for _, r := range res.rows {
				read[r[0].(int64)] = true
			}
			for _, r := range rows {
				if matches(r, tc.bounds) && !read[r[0].(int64)] {
					t.Fatalf("row %v matches but its row group was pruned", r)
				}
			}
			files, err := tbl.PruneFiles(tc.bounds)
			if err != nil || len(files) != scannedFiles {
				t.Errorf("PruneFiles = %v, %v", files, err)
			}
		})
	}
}

// NaN sorts above every number in PostgreSQL but is left out of Parquet
// min/max: "col > x" cannot prune unless the file is known NaN-free.
func TestParquetPruningFloatNaN(t *testing.T) {
	dir := t.TempDir()
	rec := buildRecord(t, pruneSchema, pruneRows(0, 1000, 250))
	defer rec.Release()
	path, _ := writeFile(t, dir, "nan.parquet", pruneSchema, WriteOptions{RowGroupRows: 100}, rec)
	tbl := mustOpen(t, path)
	for _, tc := range []struct {
		op     exec.CmpOp
		v      float64
		groups int
	}{
		{exec.OpGT, 450, 10},
		{exec.OpLT, 50, 1},
		{exec.OpEQ, 300, 1},
		{exec.OpEQ, math.NaN(), 10},
	} {
		if _, err := tbl.Tasks(context.Background(), exec.ScanRequest{Bounds: []exec.Bound{{Col: 1, Op: tc.op, Value: tc.v}}}); err != nil {
			t.Fatal(err)
		}
		if got := tbl.LastScanStats().RowGroupsScanned; got != tc.groups {
			t.Errorf("f %s %v: %d row groups, want %d", tc.op, tc.v, got, tc.groups)
		}
	}
}

// writeArrowPruneFile writes id int64, f float64, ts timestamp[ms] in row
// groups of 100 rows with Arrow's writer.
func writeArrowPruneFile(t *testing.T, path string, props ...parquet.WriterProperty) {
	t.Helper()
	cols := []arrowCol{
		{field: arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64}, append: func(b array.Builder, i int) { b.(*array.Int64Builder).Append(int64(i)) }},
		{field: arrow.Field{Name: "f", Type: arrow.PrimitiveTypes.Float64}, append: func(b array.Builder, i int) { b.(*array.Float64Builder).Append(float64(i)) }},
		{field: arrow.Field{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
			append: func(b array.Builder, i int) {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i)*1000 - 500_000))
			}},
	}
	fields := []arrow.Field{cols[0].field, cols[1].field, cols[2].field}
	sc := arrow.NewSchema(fields, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer bld.Release()
	for i := range 1000 {
		for c, col := range cols {
			col.append(bld.Field(c), i)
		}
	}
	rec := bld.NewRecord()
	defer rec.Release()
	var f = mustCreate(t, path)
	props = append(props, parquet.WithMaxRowGroupLength(100))
	w, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(props...), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestParquetPruningArrowFiles(t *testing.T) {
	dir := t.TempDir()
	withStats := filepath.Join(dir, "stats.parquet")
	noStats := filepath.Join(dir, "nostats.parquet")
	writeArrowPruneFile(t, withStats)
	writeArrowPruneFile(t, noStats, parquet.WithStats(false))
	tsAt := func(i int64) types.TimestampD { return types.TimestampD((i*1000 - 500_000) * 1000) }
	for _, tc := range []struct {
		path   string
		bound  exec.Bound
		groups int
	}{
		{withStats, exec.Bound{Col: 0, Op: exec.OpGE, Value: int64(900)}, 1},
		{withStats, exec.Bound{Col: 1, Op: exec.OpLT, Value: 100.0}, 1},
		// Foreign file: NaN may hide outside min/max, so ">" keeps all.
		{withStats, exec.Bound{Col: 1, Op: exec.OpGT, Value: 900.0}, 10},
		// Millisecond statistics are compared in microseconds.
		{withStats, exec.Bound{Col: 2, Op: exec.OpLT, Value: tsAt(100)}, 1},
		{withStats, exec.Bound{Col: 2, Op: exec.OpLE, Value: tsAt(100)}, 2},
		{withStats, exec.Bound{Col: 2, Op: exec.OpGT, Value: tsAt(999)}, 0},
		// Missing statistics never prune.
		{noStats, exec.Bound{Col: 0, Op: exec.OpGE, Value: int64(900)}, 10},
		{noStats, exec.Bound{Col: 2, Op: exec.OpGT, Value: tsAt(999)}, 10},
	} {
		tbl := mustOpen(t, tc.path)
		if _, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{0}, Bounds: []exec.Bound{tc.bound}}); err != nil {
			t.Fatal(err)
		}
		if got := tbl.LastScanStats().RowGroupsScanned; got != tc.groups {
			t.Errorf("%s %s %v: %d row groups, want %d", filepath.Base(tc.path), tc.bound.Op, tc.bound.Value, got, tc.groups)
		}
	}
}

func TestParquetPruneFiles(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for f := range 3 {
		rec := buildRecord(t, pruneSchema, pruneRows(f*1000, f*1000+1000, -1))
		p, _ := writeFile(t, dir, fmt.Sprintf("f%d.parquet", f), pruneSchema, WriteOptions{RowGroupRows: 250}, rec)
		rec.Release()
		paths = append(paths, p)
	}
	tbl := mustOpen(t, paths...)
	bounds := []exec.Bound{{Col: 0, Op: exec.OpGE, Value: int64(1800)}, {Col: 0, Op: exec.OpLT, Value: int64(2100)}}
	files, err := tbl.PruneFiles(bounds)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0] != paths[1] || files[1] != paths[2] {
		t.Errorf("PruneFiles = %v", files)
	}
	tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{0}, Bounds: bounds})
	if err != nil {
		t.Fatal(err)
	}
	want := exec.ScanStats{FilesTotal: 3, FilesScanned: 2, RowGroupsTotal: 12, RowGroupsScanned: 2, RowsTotal: 3000, RowsScanned: 500}
	if st := tbl.LastScanStats(); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	for _, task := range tasks {
		if task.Rows() != 250 {
			t.Errorf("task %v covers %d rows", task, task.Rows())
		}
	}
	if _, err := tbl.PruneFiles([]exec.Bound{{Col: 9, Op: exec.OpEQ, Value: int64(1)}}); err == nil {
		t.Error("bound on a missing column accepted")
	}
}
