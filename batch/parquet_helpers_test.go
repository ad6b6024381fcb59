package batch

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// buildRecord builds a record of schema s from rows of sql/types datums
// (nil is NULL).
func buildRecord(t testing.TB, s exec.Schema, rows [][]any) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, s.Arrow())
	defer b.Release()
	for _, row := range rows {
		if len(row) != len(s) {
			t.Fatalf("row %v has %d values, schema %d", row, len(row), len(s))
		}
		for i, v := range row {
			appendDatum(t, b.Field(i), s[i].Type, v)
		}
	}
	return b.NewRecord()
}

func appendDatum(t testing.TB, fb array.Builder, typ *types.T, v any) {
	t.Helper()
	if v == nil {
		fb.AppendNull()
		return
	}
	switch b := fb.(type) {
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Int16Builder:
		b.Append(int16(v.(int64)))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Uint32Builder:
		b.Append(uint32(v.(types.OidD)))
	case *array.Float32Builder:
		b.Append(float32(v.(float64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.StringBuilder:
		if d, ok := v.(*apd.Decimal); ok {
			b.Append(d.Text('f'))
		} else {
			b.Append(v.(string))
		}
	case *array.BinaryBuilder:
		b.Append(v.([]byte))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(types.DateD)))
	case *array.Time64Builder:
		b.Append(arrow.Time64(v.(types.TimeOfDay)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(types.TimestampD)))
	case *array.MonthDayNanoIntervalBuilder:
		iv := v.(types.IntervalD)
		b.Append(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	default:
		t.Fatalf("no builder for %s (%T)", typ.Name, fb)
	}
}

// datumAt converts row i of an Arrow column of type typ back to a datum.
func datumAt(t testing.TB, col arrow.Array, typ *types.T, i int) any {
	t.Helper()
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint32:
		return types.OidD(a.Value(i))
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		if typ.Family == types.FamNumeric {
			d, _, err := apd.NewFromString(a.Value(i))
			if err != nil {
				t.Fatalf("numeric text %q: %v", a.Value(i), err)
			}
			return d
		}
		return a.Value(i)
	case *array.Binary:
		return bytes.Clone(a.Value(i))
	case *array.Date32:
		return types.DateD(a.Value(i))
	case *array.Time64:
		return types.TimeOfDay(a.Value(i))
	case *array.Timestamp:
		return types.TimestampD(a.Value(i))
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return types.IntervalD{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
	}
	t.Fatalf("no datum for %T", col)
	return nil
}

// equalDatum compares datums: NaN equals NaN, numerics by value and text
// (so the scale is kept), -0 and 0 by bits.
func equalDatum(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	case *apd.Decimal:
		y, ok := b.(*apd.Decimal)
		return ok && x.Text('f') == y.Text('f')
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	return a == b
}

// scanResult is what readTable collects.
type scanResult struct {
	rows    [][]any
	batches []int // record lengths, in task order
}

// readTable runs every task of req serially and returns the rows.
func readTable(t testing.TB, tbl *ParquetTable, req exec.ScanRequest) scanResult {
	t.Helper()
	tasks, err := tbl.Tasks(context.Background(), req)
	if err != nil {
		t.Fatalf("Tasks: %v", err)
	}
	var res scanResult
	typs := exec.ColumnTypes(tbl.Schema(), req.Columns)
	for _, task := range tasks {
		err := task.Run(context.Background(), func(rec arrow.Record) error {
			defer rec.Release()
			if int(rec.NumCols()) != len(req.Columns) {
				t.Fatalf("record has %d columns, want %d", rec.NumCols(), len(req.Columns))
			}
			for c := range req.Columns {
				if !arrow.TypeEqual(rec.Column(c).DataType(), typs[c].Arrow()) {
					t.Fatalf("column %d is %s, want %s", c, rec.Column(c).DataType(), typs[c].Arrow())
				}
				validateArray(t, rec.Column(c))
			}
			res.batches = append(res.batches, int(rec.NumRows()))
			for i := range int(rec.NumRows()) {
				row := make([]any, len(req.Columns))
				for c := range req.Columns {
					row[c] = datumAt(t, rec.Column(c), typs[c], i)
				}
				res.rows = append(res.rows, row)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	return res
}

func allColumns(s exec.Schema) []int {
	cols := make([]int, len(s))
	for i := range cols {
		cols[i] = i
	}
	return cols
}

func assertRows(t testing.TB, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for c := range want[i] {
			if !equalDatum(got[i][c], want[i][c]) {
				t.Fatalf("row %d column %d: got %s, want %s", i, c, show(got[i][c]), show(want[i][c]))
			}
		}
	}
}

func show(v any) string {
	if d, ok := v.(*apd.Decimal); ok {
		return "numeric " + d.Text('f')
	}
	return fmt.Sprintf("%T %v", v, v)
}

// writeFile writes recs with WriteParquetFileAtomic under dir.
func writeFile(t testing.TB, dir, name string, s exec.Schema, opts WriteOptions, recs ...arrow.Record) (string, FileStats) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	fs, err := WriteParquetFileAtomic(p, s, opts, recs...)
	if err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return p, fs
}

func mustOpen(t testing.TB, paths ...string) *ParquetTable {
	t.Helper()
	tbl, err := OpenParquet(paths)
	if err != nil {
		t.Fatalf("OpenParquet: %v", err)
	}
	return tbl
}

// runTasksConcurrently runs tasks on n goroutines and calls fn for each
// record (under a lock).
func runTasksConcurrently(ctx context.Context, tasks []exec.ScanTask, n int, fn func(arrow.Record)) error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan exec.ScanTask)
	errs := make(chan error, len(tasks))
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for task := range next {
				errs <- task.Run(ctx, func(rec arrow.Record) error {
					defer rec.Release()
					mu.Lock()
					defer mu.Unlock()
					fn(rec)
					return nil
				})
			}
		}()
	}
	for _, task := range tasks {
		next <- task
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func codeOf(err error) string { return sqlstate.CodeOf(err) }

// validateArray checks the buffers of a decoded array: offsets monotone
// and inside the data, value buffers long enough, NullN matching the
// bitmap.
func validateArray(t testing.TB, a arrow.Array) {
	t.Helper()
	d := a.Data()
	bufs := d.Buffers()
	n := a.Len()
	nulls := 0
	if bufs[0] != nil {
		if bufs[0].Len() < (n+7)/8 {
			t.Fatalf("validity bitmap of %d bytes for %d rows", bufs[0].Len(), n)
		}
		for i := range n {
			if a.IsNull(i) {
				nulls++
			}
		}
	}
	if nulls != a.NullN() {
		t.Fatalf("NullN %d, bitmap has %d", a.NullN(), nulls)
	}
	switch a.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs := arrow.GetData[int32](bufs[1].Bytes())
		if len(offs) < n+1 || offs[0] != 0 {
			t.Fatalf("offsets %d for %d rows, first %d", len(offs), n, offs[0])
		}
		for i := range n {
			if offs[i+1] < offs[i] {
				t.Fatalf("offsets not monotone at %d", i)
			}
		}
		if int(offs[n]) > bufs[2].Len() {
			t.Fatalf("last offset %d past data of %d bytes", offs[n], bufs[2].Len())
		}
	case arrow.BOOL:
		if bufs[1].Len() < (n+7)/8 {
			t.Fatalf("bool buffer too short")
		}
	default:
		w := a.DataType().(arrow.FixedWidthDataType).BitWidth() / 8
		if bufs[1].Len() < n*w {
			t.Fatalf("value buffer of %d bytes for %d rows of width %d", bufs[1].Len(), n, w)
		}
	}
}

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }
