package batch

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/decimal128"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// arrowCol is one column of a file written by Arrow's own Parquet writer,
// with the lambdasql type it must read as and the datum of each row.
type arrowCol struct {
	field  arrow.Field
	want   *types.T
	append func(b array.Builder, i int) // appends row i (non-null)
	datum  func(i int) any
}

func bigDecimal(i int) *big.Int {
	// 30-digit values, both signs.
	n := new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil)
	n.Mul(n, big.NewInt(int64(i*7919+13)))
	if i%2 == 1 {
		n.Neg(n)
	}
	return n.Add(n, big.NewInt(int64(i)))
}

func arrowColumns() []arrowCol {
	tsType := func(u arrow.TimeUnit, tz string) arrow.DataType { return &arrow.TimestampType{Unit: u, TimeZone: tz} }
	return []arrowCol{
		{arrow.Field{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true}, types.Int2,
			func(b array.Builder, i int) { b.(*array.Int8Builder).Append(int8(i%256 - 128)) },
			func(i int) any { return int64(i%256 - 128) }},
		{arrow.Field{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true}, types.Int2,
			func(b array.Builder, i int) { b.(*array.Int16Builder).Append(int16(i*37 - 20000)) },
			func(i int) any { return int64(int16(i*37 - 20000)) }},
		{arrow.Field{Name: "i32", Type: arrow.PrimitiveTypes.Int32}, types.Int4, // required
			func(b array.Builder, i int) { b.(*array.Int32Builder).Append(int32(i*100003 - 5)) },
			func(i int) any { return int64(int32(i*100003 - 5)) }},
		{arrow.Field{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, types.Int8,
			func(b array.Builder, i int) { b.(*array.Int64Builder).Append(int64(i) * -1_000_000_007_000) },
			func(i int) any { return int64(i) * -1_000_000_007_000 }},
		{arrow.Field{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true}, types.Int4,
			func(b array.Builder, i int) { b.(*array.Uint8Builder).Append(uint8(255 - i%256)) },
			func(i int) any { return int64(255 - i%256) }},
		{arrow.Field{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true}, types.Int4,
			func(b array.Builder, i int) { b.(*array.Uint16Builder).Append(uint16(65535 - i)) },
			func(i int) any { return int64(65535 - i) }},
		{arrow.Field{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true}, types.Int8,
			func(b array.Builder, i int) { b.(*array.Uint32Builder).Append(uint32(4294967295 - i)) },
			func(i int) any { return int64(4294967295 - i) }},
		{arrow.Field{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true}, types.Numeric,
			func(b array.Builder, i int) {
				b.(*array.Uint64Builder).Append(uint64(18446744073709551615) - uint64(i))
			},
			func(i int) any {
				d, _, _ := apd.NewFromString(fmt.Sprint(uint64(18446744073709551615) - uint64(i)))
				return d
			}},
		{arrow.Field{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true}, types.Float4,
			func(b array.Builder, i int) { b.(*array.Float32Builder).Append(float32(i) / 8) },
			func(i int) any { return float64(float32(i) / 8) }},
		{arrow.Field{Name: "f64", Type: arrow.PrimitiveTypes.Float64}, types.Float8,
			func(b array.Builder, i int) { b.(*array.Float64Builder).Append(float64(i)*1.5 - 300) },
			func(i int) any { return float64(i)*1.5 - 300 }},
		{arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}, types.Text,
			func(b array.Builder, i int) { b.(*array.StringBuilder).Append(fmt.Sprintf("dev-%03d", i%37)) },
			func(i int) any { return fmt.Sprintf("dev-%03d", i%37) }},
		{arrow.Field{Name: "su", Type: arrow.BinaryTypes.String}, types.Text, // unique, required
			func(b array.Builder, i int) { b.(*array.StringBuilder).Append(fmt.Sprintf("unique-value-%06d", i)) },
			func(i int) any { return fmt.Sprintf("unique-value-%06d", i) }},
		{arrow.Field{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true}, types.Bytea,
			func(b array.Builder, i int) { b.(*array.BinaryBuilder).Append(bytes.Repeat([]byte{byte(i)}, i%5)) },
			func(i int) any { return bytes.Repeat([]byte{byte(i)}, i%5) }},
		{arrow.Field{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true}, types.Date,
			func(b array.Builder, i int) { b.(*array.Date32Builder).Append(arrow.Date32(i*3 - 1000)) },
			func(i int) any { return types.DateD(i*3 - 1000) }},
		{arrow.Field{Name: "ts_ms", Type: tsType(arrow.Millisecond, "UTC"), Nullable: true}, types.TimestampTZ,
			func(b array.Builder, i int) {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i)*1001 - 500_000))
			},
			func(i int) any { return types.TimestampD((int64(i)*1001 - 500_000) * 1000) }},
		// Arrow Go v15 marks zone-less timestamps isAdjustedToUTC=true too,
		// so by the file's metadata this column is a timestamptz.
		{arrow.Field{Name: "ts_us", Type: tsType(arrow.Microsecond, ""), Nullable: true}, types.TimestampTZ,
			func(b array.Builder, i int) {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i)*86_400_000_001 - 1))
			},
			func(i int) any { return types.TimestampD(int64(i)*86_400_000_001 - 1) }},
		{arrow.Field{Name: "ts_ns", Type: tsType(arrow.Nanosecond, "UTC"), Nullable: true}, types.TimestampTZ,
			func(b array.Builder, i int) {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i)*1_000_001_007 - 1_000_000_500))
			},
			func(i int) any { return types.TimestampD(floorDiv(int64(i)*1_000_001_007-1_000_000_500, 1000)) }},
		{arrow.Field{Name: "t_ms", Type: arrow.FixedWidthTypes.Time32ms, Nullable: true}, types.Time,
			func(b array.Builder, i int) { b.(*array.Time32Builder).Append(arrow.Time32(i * 86_000)) },
			func(i int) any { return types.TimeOfDay(int64(i) * 86_000_000) }},
		{arrow.Field{Name: "t_us", Type: arrow.FixedWidthTypes.Time64us, Nullable: true}, types.Time,
			func(b array.Builder, i int) { b.(*array.Time64Builder).Append(arrow.Time64(int64(i) * 86_000_001)) },
			func(i int) any { return types.TimeOfDay(int64(i) * 86_000_001) }},
		{arrow.Field{Name: "t_ns", Type: arrow.FixedWidthTypes.Time64ns, Nullable: true}, types.Time,
			func(b array.Builder, i int) {
				b.(*array.Time64Builder).Append(arrow.Time64(int64(i)*86_000_001_999 + 1))
			},
			func(i int) any { return types.TimeOfDay((int64(i)*86_000_001_999 + 1) / 1000) }},
		{arrow.Field{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 3}, Nullable: true}, types.Numeric,
			func(b array.Builder, i int) {
				b.(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i*12345 - 6_000_000)))
			},
			func(i int) any { return apd.New(int64(i*12345-6_000_000), -3) }},
		{arrow.Field{Name: "dec30", Type: &arrow.Decimal128Type{Precision: 30, Scale: 5}, Nullable: true}, types.Numeric,
			func(b array.Builder, i int) {
				b.(*array.Decimal128Builder).Append(decimal128.FromBigInt(bigDecimal(i)))
			},
			func(i int) any { return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(bigDecimal(i)), -5) }},
		{arrow.Field{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}, types.Bool,
			func(b array.Builder, i int) { b.(*array.BooleanBuilder).Append(i%3 == 0) },
			func(i int) any { return i%3 == 0 }},
		{arrow.Field{Name: "fsb", Type: &arrow.FixedSizeBinaryType{ByteWidth: 4}, Nullable: true}, types.Bytea,
			func(b array.Builder, i int) {
				b.(*array.FixedSizeBinaryBuilder).Append([]byte{byte(i), byte(i >> 8), 0xAB, 0xCD})
			},
			func(i int) any { return []byte{byte(i), byte(i >> 8), 0xAB, 0xCD} }},
	}
}

// writeArrowFile writes n rows of cols with pqarrow; nullable columns get
// a NULL every fifth row. Two nested columns (a list and a struct) are
// added to check that the reader skips them.
func writeArrowFile(t testing.TB, path string, cols []arrowCol, n int, props *parquet.WriterProperties, aprops pqarrow.ArrowWriterProperties) {
	t.Helper()
	fields := make([]arrow.Field, 0, len(cols)+2)
	for _, c := range cols {
		fields = append(fields, c.field)
	}
	fields = append(fields,
		arrow.Field{Name: "lst", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		arrow.Field{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true})
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		for c, col := range cols {
			if col.field.Nullable && i%5 == 1 {
				b.Field(c).AppendNull()
			} else {
				col.append(b.Field(c), i)
			}
		}
		lb := b.Field(len(cols)).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Int32Builder).Append(int32(i))
		sb := b.Field(len(cols) + 1).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecord()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, props, aprops)
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

func TestParquetReadArrowWriterFiles(t *testing.T) {
	const n = 3000
	for _, tc := range []struct {
		name   string
		props  []parquet.WriterProperty
		aprops []pqarrow.WriterOption
		wantTS map[string]*types.T // overrides of expected types
	}{
		{name: "dictionary snappy v2 pages", props: []parquet.WriterProperty{
			parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDataPageVersion(parquet.DataPageV2)}},
		{name: "plain zstd v1 pages", props: []parquet.WriterProperty{
			parquet.WithDictionaryDefault(false), parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDataPageVersion(parquet.DataPageV1)}},
		{name: "dictionary fallback to plain mid-chunk, small pages", props: []parquet.WriterProperty{
			parquet.WithDictionaryPageSizeLimit(512), parquet.WithDataPageSize(256), parquet.WithBatchSize(64)}},
		{name: "decimals as integers, several row groups", props: []parquet.WriterProperty{
			parquet.WithStoreDecimalAsInteger(true), parquet.WithMaxRowGroupLength(700)}},
		{name: "int96 timestamps", aprops: []pqarrow.WriterOption{pqarrow.WithDeprecatedInt96Timestamps(true)},
			// Arrow Go writes only nanosecond timestamps as INT96.
			wantTS: map[string]*types.T{"ts_ns": types.Timestamp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols := arrowColumns()
			path := filepath.Join(t.TempDir(), "arrow.parquet")
			writeArrowFile(t, path, cols, n, parquet.NewWriterProperties(tc.props...), pqarrow.NewArrowWriterProperties(tc.aprops...))
			tbl := mustOpen(t, path)
			s := tbl.Schema()
			if len(s) != len(cols) {
				t.Fatalf("schema %s has %d columns, want %d", s, len(s), len(cols))
			}
			for i, c := range cols {
				want := c.want
				if w, ok := tc.wantTS[c.field.Name]; ok {
					want = w
				}
				if s[i].Name != c.field.Name || !types.Equal(s[i].Type, want) {
					t.Errorf("column %d: %s %s, want %s %s", i, s[i].Name, s[i].Type, c.field.Name, want)
				}
			}
			skipped := fmt.Sprint(tbl.Skipped())
			if len(tbl.Skipped()) != 2 || tbl.Skipped()[0].Name != "lst" || tbl.Skipped()[1].Name != "st" {
				t.Errorf("Skipped() = %s", skipped)
			}
			// Read in reverse column order to check projection order.
			req := exec.ScanRequest{}
			for i := len(cols) - 1; i >= 0; i-- {
				req.Columns = append(req.Columns, i)
			}
			res := readTable(t, tbl, req)
			want := make([][]any, n)
			for i := range n {
				row := make([]any, len(cols))
				for j, c := range req.Columns {
					col := cols[c]
					if col.field.Nullable && i%5 == 1 {
						continue
					}
					row[j] = col.datum(i)
				}
				want[i] = row
			}
			assertRows(t, res.rows, want)
		})
	}
}

// TestParquetArrowReadsOurFiles checks the other direction: Arrow's reader
// accepts what WriteParquet produces.
func TestParquetArrowReadsOurFiles(t *testing.T) {
	s := allTypesSchema(t)
	rec := buildRecord(t, s, allTypesRows(t))
	defer rec.Release()
	var buf bytes.Buffer
	if _, err := WriteParquet(&buf, s, WriteOptions{Compression: "snappy"}, rec); err != nil {
		t.Fatal(err)
	}
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(buf.Bytes()), parquet.NewReaderProperties(memory.DefaultAllocator),
		pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("pqarrow: %v", err)
	}
	defer tbl.Release()
	if tbl.NumRows() != rec.NumRows() || tbl.NumCols() != int64(len(s)) {
		t.Fatalf("pqarrow read %d rows × %d columns", tbl.NumRows(), tbl.NumCols())
	}
	for i, f := range tbl.Schema().Fields() {
		if f.Name != s[i].Name {
			t.Errorf("column %d is %q, want %q", i, f.Name, s[i].Name)
		}
	}
	if ts := tbl.Schema().Field(20).Type.(*arrow.TimestampType); ts.TimeZone != "UTC" || ts.Unit != arrow.Microsecond {
		t.Errorf("tstz read by Arrow as %s", ts)
	}
	got := tbl.Column(8).Data().Chunk(0).(*array.String).Value(0)
	if got != "hello" {
		t.Errorf("text read by Arrow as %q", got)
	}
}
