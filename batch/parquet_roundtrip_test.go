package batch

import (
	"bytes"
	"math"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

func mustType(t testing.TB, name string) *types.T {
	t.Helper()
	typ, ok := types.ByName(name)
	if !ok {
		t.Fatalf("unknown type %q", name)
	}
	return typ
}

func dec(t testing.TB, s string) *apd.Decimal {
	t.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ts(t testing.TB, s string) types.TimestampD {
	t.Helper()
	v, err := types.ParseTimestamp(s, time.UTC, true)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// allTypesSchema has one column of every type the writer supports.
func allTypesSchema(t testing.TB) exec.Schema {
	return exec.Schema{
		{Name: "b", Type: types.Bool},
		{Name: "i2", Type: types.Int2},
		{Name: "i4", Type: types.Int4},
		{Name: "i8", Type: types.Int8},
		{Name: "o", Type: types.Oid},
		{Name: "rc", Type: types.RegClass},
		{Name: "f4", Type: types.Float4},
		{Name: "f8", Type: types.Float8},
		{Name: "txt", Type: types.Text},
		{Name: "vc", Type: mustType(t, "varchar(20)")},
		{Name: "bp", Type: mustType(t, "char(3)")},
		{Name: "nm", Type: types.Name},
		{Name: "js", Type: types.JSON},
		{Name: "jb", Type: types.JSONB},
		{Name: "num", Type: types.Numeric},
		{Name: "num2", Type: mustType(t, "numeric(10,2)")},
		{Name: "by", Type: types.Bytea},
		{Name: "d", Type: types.Date},
		{Name: "tm", Type: types.Time},
		{Name: "ts", Type: types.Timestamp},
		{Name: "tstz", Type: types.TimestampTZ},
		{Name: "iv", Type: types.Interval},
	}
}

func allTypesRows(t testing.TB) [][]any {
	return [][]any{
		{true, int64(1), int64(2), int64(3), types.OidD(4), types.OidD(1259), 1.5, 2.25, "hello", "varchar", "abc", "pg_class",
			`{"a": 1}`, `{"b": [1, 2]}`, dec(t, "123.450"), dec(t, "1.50"), []byte{0, 1, 2, 255},
			types.DateD(19723), types.TimeOfDay(45296_789012), ts(t, "2024-01-01 12:34:56.789012"), ts(t, "2024-01-01 00:00:10+00"),
			types.IntervalD{Months: 14, Days: 3, Micros: 4*3600e6 + 5*60e6 + 6_500000}},
		// NULLs everywhere.
		{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		// Empty strings and minimum values, instants before 1970.
		{false, int64(math.MinInt16), int64(math.MinInt32), int64(math.MinInt64), types.OidD(0), types.OidD(0),
			math.Inf(-1), math.Inf(-1), "", "", "", "", `""`, `{}`, dec(t, "-0.0001"), dec(t, "-99999999.99"), []byte{},
			types.DateD(-719162), types.TimeOfDay(0), types.TimestampD(-1), ts(t, "1900-01-01 00:00:00.000001+00"),
			types.IntervalD{Months: -1, Days: -2, Micros: -3}},
		// Maximum values, NaN, infinity timestamps.
		{true, int64(math.MaxInt16), int64(math.MaxInt32), int64(math.MaxInt64), types.OidD(math.MaxUint32), types.OidD(math.MaxUint32),
			math.NaN(), math.MaxFloat64, "üñíçødé ✓", "x", "xyz", "n", `[1,2,3]`, `null`,
			dec(t, "123456789012345678901234567890.123456789"), dec(t, "0.00"), bytes.Repeat([]byte{7}, 300),
			types.DateD(2932896), types.TimeOfDay(86400e6 - 1), types.TimestampD(math.MaxInt64), types.TimestampD(math.MinInt64),
			types.IntervalD{Months: math.MaxInt32, Days: math.MinInt32, Micros: 9_000_000_000_000_000}},
		{false, int64(-1), int64(0), int64(-7), types.OidD(1), types.OidD(2), math.Copysign(0, -1), math.Copysign(0, -1),
			"z", "varchar(20) text!", "a  ", "", `{"nested": {"x": null}}`, `{"k": "v"}`, dec(t, "0"), dec(t, "-0.01"), []byte("bytes"),
			types.DateD(-1), types.TimeOfDay(1), ts(t, "1969-12-31 23:59:59.999999"), ts(t, "1969-12-31 23:59:59.5+00"),
			types.IntervalD{}},
	}
}

func TestParquetRoundTripAllTypes(t *testing.T) {
	s := allTypesSchema(t)
	rows := allTypesRows(t)
	for _, tc := range []struct {
		name string
		opts WriteOptions
	}{
		{"zstd default", WriteOptions{}},
		{"snappy", WriteOptions{Compression: "snappy"}},
		{"none without dictionary", WriteOptions{Compression: "none", NoDictionary: true}},
		{"row group of 2 rows", WriteOptions{RowGroupRows: 2, PageBufferBytes: 64}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := buildRecord(t, s, rows)
			defer rec.Release()
			path, fs := writeFile(t, t.TempDir(), "all.parquet", s, tc.opts, rec)
			if fs.Rows != int64(len(rows)) {
				t.Errorf("FileStats.Rows = %d, want %d", fs.Rows, len(rows))
			}
			wantGroups := 1
			if tc.opts.RowGroupRows == 2 {
				wantGroups = 3
			}
			if fs.RowGroups != wantGroups {
				t.Errorf("FileStats.RowGroups = %d, want %d", fs.RowGroups, wantGroups)
			}
			if st, err := os.Stat(path); err != nil || st.Size() != fs.Bytes {
				t.Errorf("FileStats.Bytes = %d, file has %v (%v)", fs.Bytes, st.Size(), err)
			}
			tbl := mustOpen(t, path)
			got := tbl.Schema()
			if len(got) != len(s) {
				t.Fatalf("schema %s, want %s", got, s)
			}
			for i := range s {
				if got[i].Name != s[i].Name || !types.Equal(got[i].Type, s[i].Type) || got[i].Type.Mod != s[i].Type.Mod {
					t.Errorf("column %d: got %s %s, want %s %s", i, got[i].Name, types.FormatType(got[i].Type, got[i].Type.Mod),
						s[i].Name, types.FormatType(s[i].Type, s[i].Type.Mod))
				}
			}
			res := readTable(t, tbl, exec.ScanRequest{Columns: allColumns(s)})
			assertRows(t, res.rows, rows)
		})
	}
}

func TestParquetRoundTripBatchSizeThree(t *testing.T) {
	defer exec.SetBatchSize(3)()
	s := allTypesSchema(t)
	var rows [][]any
	for range 4 {
		rows = append(rows, allTypesRows(t)...)
	}
	rec := buildRecord(t, s, rows)
	defer rec.Release()
	path, _ := writeFile(t, t.TempDir(), "all.parquet", s, WriteOptions{PageBufferBytes: 100, RowGroupRows: 7}, rec)
	res := readTable(t, mustOpen(t, path), exec.ScanRequest{Columns: allColumns(s)})
	assertRows(t, res.rows, rows)
	// Row groups of 7, 7, 6 rows sliced into batches of at most 3.
	want := []int{3, 3, 1, 3, 3, 1, 3, 3}
	if !equalInts(res.batches, want) {
		t.Errorf("batches %v, want %v", res.batches, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParquetFileStats(t *testing.T) {
	s := allTypesSchema(t)
	rec := buildRecord(t, s, allTypesRows(t))
	defer rec.Release()
	var buf bytes.Buffer
	fs, err := WriteParquet(&buf, s, WriteOptions{}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if fs.Bytes != int64(buf.Len()) {
		t.Errorf("Bytes = %d, wrote %d", fs.Bytes, buf.Len())
	}
	check := func(col string, lo, hi any) {
		t.Helper()
		if !equalDatum(fs.Min[col], lo) || !equalDatum(fs.Max[col], hi) {
			t.Errorf("%s: min/max = %s / %s, want %s / %s", col, show(fs.Min[col]), show(fs.Max[col]), show(lo), show(hi))
		}
	}
	check("b", false, true)
	check("i2", int64(math.MinInt16), int64(math.MaxInt16))
	check("i8", int64(math.MinInt64), int64(math.MaxInt64))
	check("o", types.OidD(0), types.OidD(math.MaxUint32))
	check("f4", math.Inf(-1), math.NaN()) // NaN sorts last, as in PostgreSQL
	check("f8", math.Inf(-1), math.MaxFloat64)
	check("txt", "", "üñíçødé ✓")
	check("num", dec(t, "-0.0001"), dec(t, "123456789012345678901234567890.123456789"))
	check("by", []byte{}, []byte("bytes"))
	check("d", types.DateD(-719162), types.DateD(2932896))
	check("tstz", types.TimestampD(math.MinInt64), ts(t, "2024-01-01 00:00:10+00"))
	check("iv", types.IntervalD{Months: -1, Days: -2, Micros: -3}, types.IntervalD{Months: math.MaxInt32, Days: math.MinInt32, Micros: 9_000_000_000_000_000})
	if _, ok := fs.Min["js"]; ok {
		t.Errorf("json column has min/max %v", fs.Min["js"])
	}
}

func TestParquetWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	s := exec.Schema{{Name: "a", Type: types.Int8}}
	if _, err := NewParquetWriter(&buf, s, WriteOptions{Compression: "lzma"}); codeOf(err) != "22023" {
		t.Errorf("bad compression: %v", err)
	}
	if _, err := NewParquetWriter(&buf, exec.Schema{{Name: "a", Type: types.ArrayOf(types.Int4)}}, WriteOptions{}); codeOf(err) != "0A000" {
		t.Errorf("array column: %v", err)
	}
	if _, err := NewParquetWriter(&buf, exec.Schema{{Name: "a", Type: types.Int4}, {Name: "a", Type: types.Int4}}, WriteOptions{}); codeOf(err) != "42701" {
		t.Errorf("duplicate column: %v", err)
	}
	w, err := NewParquetWriter(&buf, s, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wrong := buildRecord(t, exec.Schema{{Name: "a", Type: types.Int4}}, [][]any{{int64(1)}})
	defer wrong.Release()
	if err := w.Write(wrong); codeOf(err) != "42804" {
		t.Errorf("wrong record type: %v", err)
	}
	if _, err := w.Close(); err != nil {
		t.Errorf("Close after a rejected record: %v", err)
	}
	if _, err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
}

func TestParquetEmptyFile(t *testing.T) {
	s := exec.Schema{{Name: "a", Type: types.Int8}, {Name: "s", Type: types.Text}}
	path, fs := writeFile(t, t.TempDir(), "empty.parquet", s, WriteOptions{})
	if fs.Rows != 0 || fs.RowGroups != 0 || len(fs.Min) != 0 {
		t.Errorf("FileStats = %+v", fs)
	}
	tbl := mustOpen(t, path)
	res := readTable(t, tbl, exec.ScanRequest{Columns: []int{1, 0}})
	if len(res.rows) != 0 {
		t.Errorf("rows %v", res.rows)
	}
	if st := tbl.LastScanStats(); st != (exec.ScanStats{FilesTotal: 1}) {
		t.Errorf("stats %+v", st)
	}
}

func TestParquetBatchSlicing(t *testing.T) {
	s := exec.Schema{{Name: "n", Type: types.Int8}, {Name: "s", Type: types.Text}}
	const n = 20000
	rows := make([][]any, n)
	for i := range rows {
		var str any = "s" + string(rune('a'+i%26))
		if i%7 == 0 {
			str = nil
		}
		rows[i] = []any{int64(i), str}
	}
	rec := buildRecord(t, s, rows)
	defer rec.Release()
	path, _ := writeFile(t, t.TempDir(), "big.parquet", s, WriteOptions{PageBufferBytes: 4096}, rec)
	res := readTable(t, mustOpen(t, path), exec.ScanRequest{Columns: []int{0, 1}})
	bs := exec.BatchSize
	want := []int{bs, bs, n - 2*bs}
	if !equalInts(res.batches, want) {
		t.Errorf("batches %v, want %v", res.batches, want)
	}
	assertRows(t, res.rows, rows)
}

// recordOf is a one-column convenience.
func recordOf(t testing.TB, name string, typ *types.T, vals ...any) arrow.Record {
	rows := make([][]any, len(vals))
	for i, v := range vals {
		rows[i] = []any{v}
	}
	return buildRecord(t, exec.Schema{{Name: name, Type: typ}}, rows)
}
