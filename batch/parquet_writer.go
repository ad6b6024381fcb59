package batch

import (
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// DefaultRowGroupRows is the row-group size WriteOptions uses when
// RowGroupRows is 0: PERF-NOTES measured 1M-row groups as a good unit of
// parallel work, and 2^20 keeps a file of one million rows in one group.
const DefaultRowGroupRows = 1 << 20

// writeChunkRows bounds the rows handed to parquet-go at once, so pages
// stay near PageBufferBytes even when a record is large.
const writeChunkRows = 4096

// WriteOptions configure WriteParquet. The zero value is the default.
type WriteOptions struct {
	// Compression is "zstd" (default when empty), "snappy" or "none".
	Compression string
	// RowGroupRows caps the rows of one row group; 0 means
	// DefaultRowGroupRows.
	RowGroupRows int64
	// PageBufferBytes is the uncompressed size at which a data page is cut;
	// 0 means parquet-go's default (256 KiB).
	PageBufferBytes int
	// NoDictionary turns off dictionary encoding of string columns (text,
	// varchar, json, numeric, …), which is on by default. parquet-go falls
	// back to plain pages when a chunk's dictionary passes 1 GiB.
	NoDictionary bool
}

// FileStats describes a written file, for manifests.
type FileStats struct {
	Rows      int64
	RowGroups int
	Bytes     int64 // bytes written to the io.Writer
	// Min and Max hold, per column name, the smallest and largest non-NULL
	// value as a sql/types datum (int64, float64, string, []byte, DateD,
	// TimestampD, TimeOfDay, IntervalD, OidD, bool, *apd.Decimal), in
	// PostgreSQL order (NaN above all floats, strings bytewise). Columns
	// with only NULLs, and json/jsonb columns (no useful order), are absent.
	Min, Max map[string]any
}

// ParquetWriter writes Arrow records as one Parquet file.
//
// Every column is written OPTIONAL with its Parquet logical type:
//
//	bool                      BOOLEAN
//	int2, int4, int8          INT32 INT(16), INT32 INT(32), INT64 INT(64)
//	oid, regclass, … , xid    INT32 INT(32, unsigned)
//	float4, float8            FLOAT, DOUBLE
//	text, varchar, bpchar,
//	name, "char"              BYTE_ARRAY STRING
//	json, jsonb               BYTE_ARRAY JSON
//	numeric                   BYTE_ARRAY STRING holding the decimal text
//	bytea                     BYTE_ARRAY
//	date                      INT32 DATE
//	time                      INT64 TIME(MICROS, adjusted=false)
//	timestamp                 INT64 TIMESTAMP(MICROS, adjusted=false)
//	timestamptz               INT64 TIMESTAMP(MICROS, adjusted=true)
//	interval                  FIXED_LEN_BYTE_ARRAY(16): months int32, days
//	                          int32, microseconds int64, little-endian
//
// numeric is text because each value keeps its own scale as in
// PostgreSQL; interval keeps microseconds (Parquet's INTERVAL has
// milliseconds). Each column's exact type is also stored as key-value
// metadata "lambdasql.type.<column>" = format_type text ("smallint",
// "character varying(20)", "jsonb", "numeric(10,2)", "interval", "oid"),
// which the reader uses to restore it; float columns get
// "lambdasql.nan.<column>" = "none" or "some" (see the reader's pruning).
// Row-group statistics (min, max, null count) are always written.
//
// A ParquetWriter is not safe for concurrent use.
type ParquetWriter struct {
	schema exec.Schema
	arrow  []arrow.DataType
	opts   WriteOptions
	out    *countingWriter
	pw     *parquet.Writer
	cols   []*colWriter

	rowsInGroup int64
	rows        int64
	rowGroups   int
	err         error // sticky: the file is unusable after a failed write
	closed      bool
}

// NewParquetWriter starts a Parquet file on w with the given schema.
// Unsupported column types (arrays, record, void) fail with 0A000, bad
// options with 22023.
func NewParquetWriter(w io.Writer, schema exec.Schema, opts WriteOptions) (*ParquetWriter, error) {
	if len(schema) == 0 {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cannot write a parquet file without columns")
	}
	var codec compress.Codec
	switch strings.ToLower(opts.Compression) {
	case "", "zstd":
		codec = &parquet.Zstd
	case "snappy":
		codec = &parquet.Snappy
	case "none", "uncompressed":
		codec = &parquet.Uncompressed
	default:
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "unsupported parquet compression %q", opts.Compression).
			WithHint("Use zstd, snappy or none.")
	}
	if opts.RowGroupRows < 0 || opts.PageBufferBytes < 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "parquet row group and page sizes must not be negative")
	}
	if opts.RowGroupRows == 0 {
		opts.RowGroupRows = DefaultRowGroupRows
	}
	fields := make([]parquet.Field, len(schema))
	seen := map[string]bool{}
	pw := &ParquetWriter{schema: schema, opts: opts, out: &countingWriter{w: w}}
	for i, c := range schema {
		if seen[c.Name] {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		node, err := nodeFor(c, !opts.NoDictionary)
		if err != nil {
			return nil, err
		}
		fields[i] = &namedField{Node: node, name: c.Name, index: i}
		pw.arrow = append(pw.arrow, c.Type.Arrow())
		pw.cols = append(pw.cols, newColWriter(c.Type, i))
	}
	wopts := []parquet.WriterOption{
		parquet.NewSchema("lambdasql", orderedGroup(fields)),
		parquet.Compression(codec),
	}
	if opts.PageBufferBytes > 0 {
		wopts = append(wopts, parquet.PageBufferSize(opts.PageBufferBytes))
	}
	for _, c := range schema {
		wopts = append(wopts, parquet.KeyValueMetadata(metaTypePrefix+c.Name, describeType(c.Type)))
	}
	cfg, err := parquet.NewWriterConfig(wopts...)
	if err != nil {
		return nil, sqlstate.Wrap(fmt.Errorf("parquet writer configuration: %w", err), sqlstate.InvalidParameterValue)
	}
	pw.pw = parquet.NewWriter(pw.out, cfg)
	return pw, nil
}

// nodeFor returns the Parquet schema node of column c.
func nodeFor(c exec.Column, dict bool) (parquet.Node, error) {
	t := c.Type
	var n parquet.Node
	str := false
	switch t.Family {
	case types.FamBool:
		n = parquet.Leaf(parquet.BooleanType)
	case types.FamInt:
		switch t.Width {
		case 2:
			n = parquet.Int(16)
		case 4:
			n = parquet.Int(32)
		default:
			n = parquet.Int(64)
		}
	case types.FamOid:
		n = parquet.Uint(32)
	case types.FamFloat:
		if t.Width == 4 {
			n = parquet.Leaf(parquet.FloatType)
		} else {
			n = parquet.Leaf(parquet.DoubleType)
		}
	case types.FamString, types.FamNumeric:
		n, str = parquet.String(), true
	case types.FamJSON:
		n, str = parquet.JSON(), true
	case types.FamBytes:
		n = parquet.Leaf(parquet.ByteArrayType)
	case types.FamDate:
		n = parquet.Date()
	case types.FamTime:
		n = parquet.TimeAdjusted(parquet.Microsecond, false)
	case types.FamTimestamp:
		n = parquet.TimestampAdjusted(parquet.Microsecond, false)
	case types.FamTimestampTZ:
		n = parquet.TimestampAdjusted(parquet.Microsecond, true)
	case types.FamInterval:
		n = parquet.Leaf(parquet.FixedLenByteArrayType(16))
	default:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cannot write column %q of type %s to parquet", c.Name, t.Name)
	}
	if str && dict {
		n = parquet.Encoded(n, &parquet.RLEDictionary)
	}
	return parquet.Optional(n), nil
}

// Write appends rec, whose columns must have the Arrow types of the
// schema ((*types.T).Arrow), else 42804. Rows go to the current row group
// until it holds RowGroupRows. The caller keeps ownership of rec.
func (w *ParquetWriter) Write(rec arrow.Record) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "parquet writer is closed")
	}
	if int(rec.NumCols()) != len(w.schema) {
		return sqlstate.New(sqlstate.DatatypeMismatch, "record has %d columns, parquet file has %d", rec.NumCols(), len(w.schema))
	}
	for i, c := range rec.Columns() {
		if !arrow.TypeEqual(c.DataType(), w.arrow[i]) {
			return sqlstate.New(sqlstate.DatatypeMismatch, "column %q is %s in the record, expected %s for type %s",
				w.schema[i].Name, c.DataType(), w.arrow[i], w.schema[i].Type.Name)
		}
	}
	n := rec.NumRows()
	for off := int64(0); off < n; {
		k := min(n-off, w.opts.RowGroupRows-w.rowsInGroup)
		chunk := int64(writeChunkRows)
		if pb := w.opts.PageBufferBytes; pb > 0 {
			// Small pages (files read by key) need small chunks: parquet-go
			// cuts a page only between two writes. ~16 bytes a value.
			chunk = min(max(int64(pb/16), 256), writeChunkRows)
		}
		for lo := off; lo < off+k; lo += chunk {
			hi := min(lo+chunk, off+k)
			for i, cw := range w.cols {
				if err := cw.write(w.pw.ColumnWriters()[i], rec.Column(i), int(lo), int(hi)); err != nil {
					w.err = fmt.Errorf("write parquet column %q: %w", w.schema[i].Name, err)
					return w.err
				}
			}
		}
		off += k
		w.rows += k
		w.rowsInGroup += k
		if w.rowsInGroup == w.opts.RowGroupRows {
			if err := w.pw.Flush(); err != nil {
				w.err = sqlstate.Wrap(fmt.Errorf("write parquet row group: %w", err), sqlstate.IOError)
				return w.err
			}
			w.rowGroups++
			w.rowsInGroup = 0
		}
	}
	return nil
}

// Close writes the last row group and the footer, and returns the file's
// statistics. It does not close the underlying io.Writer. A second Close
// returns an error.
func (w *ParquetWriter) Close() (FileStats, error) {
	if w.err != nil {
		return FileStats{}, w.err
	}
	if w.closed {
		return FileStats{}, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "parquet writer is closed")
	}
	w.closed = true
	fs := FileStats{Rows: w.rows, Min: map[string]any{}, Max: map[string]any{}}
	for i, cw := range w.cols {
		name := w.schema[i].Name
		if cw.stat.min != nil {
			fs.Min[name], fs.Max[name] = cw.stat.min, cw.stat.max
		}
		if w.schema[i].Type.Family == types.FamFloat {
			v := "none"
			if cw.stat.nan {
				v = "some"
			}
			w.pw.SetKeyValueMetadata(metaNaNPrefix+name, v)
		}
	}
	if err := w.pw.Close(); err != nil {
		w.err = sqlstate.Wrap(fmt.Errorf("write parquet file: %w", err), sqlstate.IOError)
		return FileStats{}, w.err
	}
	if w.rowsInGroup > 0 {
		w.rowGroups++
	}
	fs.RowGroups = w.rowGroups
	fs.Bytes = w.out.n
	return fs, nil
}

// WriteParquet writes recs as one Parquet file to w (see ParquetWriter).
func WriteParquet(w io.Writer, schema exec.Schema, opts WriteOptions, recs ...arrow.Record) (FileStats, error) {
	pw, err := NewParquetWriter(w, schema, opts)
	if err != nil {
		return FileStats{}, err
	}
	for _, r := range recs {
		if err := pw.Write(r); err != nil {
			return FileStats{}, err
		}
	}
	return pw.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// colWriter turns one Arrow column into parquet.Values with definition
// levels and accumulates the column's min/max.
type colWriter struct {
	typ   *types.T
	index int
	vals  []parquet.Value
	buf   []byte // interval bytes of the current chunk
	stat  minMax
}

func newColWriter(t *types.T, index int) *colWriter { return &colWriter{typ: t, index: index} }

func (c *colWriter) write(cw *parquet.ColumnWriter, col arrow.Array, lo, hi int) error {
	vals := c.vals[:0]
	null := parquet.NullValue().Level(0, 0, c.index)
	emit := func(i int, v parquet.Value) {
		if col.IsNull(i) {
			vals = append(vals, null)
		} else {
			vals = append(vals, v.Level(0, 1, c.index))
		}
	}
	switch a := col.(type) {
	case *array.Boolean:
		for i := lo; i < hi; i++ {
			emit(i, parquet.BooleanValue(a.Value(i)))
		}
	case *array.Int16:
		vs := a.Int16Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int32Value(int32(vs[i])))
		}
	case *array.Int32:
		vs := a.Int32Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int32Value(vs[i]))
		}
	case *array.Uint32:
		vs := a.Uint32Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int32Value(int32(vs[i])))
		}
	case *array.Int64:
		vs := a.Int64Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int64Value(vs[i]))
		}
	case *array.Float32:
		vs := a.Float32Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.FloatValue(vs[i]))
		}
	case *array.Float64:
		vs := a.Float64Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.DoubleValue(vs[i]))
		}
	case *array.String:
		for i := lo; i < hi; i++ {
			s := a.Value(i)
			// The column buffer copies the bytes; no per-value allocation.
			emit(i, parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))))
		}
	case *array.Binary:
		for i := lo; i < hi; i++ {
			emit(i, parquet.ByteArrayValue(a.Value(i)))
		}
	case *array.Date32:
		vs := a.Date32Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int32Value(int32(vs[i])))
		}
	case *array.Time64:
		vs := a.Time64Values()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int64Value(int64(vs[i])))
		}
	case *array.Timestamp:
		vs := a.TimestampValues()
		for i := lo; i < hi; i++ {
			emit(i, parquet.Int64Value(int64(vs[i])))
		}
	case *array.MonthDayNanoInterval:
		vs := a.MonthDayNanoIntervalValues()
		buf := grow(c.buf, 16*(hi-lo))
		for i := lo; i < hi; i++ {
			b := buf[16*(i-lo) : 16*(i-lo+1)]
			binary.LittleEndian.PutUint32(b, uint32(vs[i].Months))
			binary.LittleEndian.PutUint32(b[4:], uint32(vs[i].Days))
			binary.LittleEndian.PutUint64(b[8:], uint64(floorDiv(vs[i].Nanoseconds, 1000)))
			emit(i, parquet.FixedLenByteArrayValue(b))
		}
		c.buf = buf
	default:
		return sqlstate.New(sqlstate.FeatureNotSupported, "cannot write Arrow %s to parquet", col.DataType())
	}
	c.vals = vals
	if err := c.stat.observe(c.typ, col, lo, hi); err != nil {
		return err
	}
	if _, err := cw.WriteRowValues(vals); err != nil {
		return sqlstate.Wrap(err, sqlstate.IOError)
	}
	return nil
}

// orderedGroup is a Parquet group whose fields keep the order given;
// parquet.Group sorts them by name, which would reorder the table.
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) String() string              { return fmt.Sprintf("group(%d fields)", len(g)) }
func (g orderedGroup) GoType() reflect.Type {
	fs := make([]reflect.StructField, len(g))
	for i, f := range g {
		fs[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: f.GoType()}
	}
	return reflect.StructOf(fs)
}

// namedField is one column of an orderedGroup.
type namedField struct {
	parquet.Node
	name  string
	index int
}

func (f *namedField) Name() string { return f.name }

// Value returns the field of a struct of orderedGroup.GoType.
func (f *namedField) Value(base reflect.Value) reflect.Value { return base.Field(f.index) }
