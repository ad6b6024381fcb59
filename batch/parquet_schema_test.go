package batch

import (
	"bytes"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

func elem(phys format.Type, lt format.LogicalTypeValue, ct int) *format.SchemaElement {
	e := &format.SchemaElement{Name: "c"}
	e.Type.Set(phys)
	if lt != nil {
		e.LogicalType.Value = lt
	}
	if ct >= 0 {
		e.ConvertedType.Set(deprecated.ConvertedType(ct))
	}
	return e
}

// TestParquetTypeMapping covers the mapping of Parquet physical and
// logical (or legacy converted) types, including ones no writer in the
// tests produces.
func TestParquetTypeMapping(t *testing.T) {
	ms := format.TimeUnit{Value: &format.MilliSeconds{}}
	us := format.TimeUnit{Value: &format.MicroSeconds{}}
	ns := format.TimeUnit{Value: &format.NanoSeconds{}}
	for _, tc := range []struct {
		name string
		e    *format.SchemaElement
		len  int32
		want *types.T
		conv conv
	}{
		{"boolean", elem(format.Boolean, nil, -1), 0, types.Bool, convBool},
		{"int32", elem(format.Int32, nil, -1), 0, types.Int4, convI32},
		{"INT(8)", elem(format.Int32, &format.IntType{BitWidth: 8, IsSigned: true}, -1), 0, types.Int2, convI32toI16},
		{"INT(16)", elem(format.Int32, &format.IntType{BitWidth: 16, IsSigned: true}, -1), 0, types.Int2, convI32toI16},
		{"INT(32)", elem(format.Int32, &format.IntType{BitWidth: 32, IsSigned: true}, -1), 0, types.Int4, convI32},
		{"UINT8", elem(format.Int32, &format.IntType{BitWidth: 8}, -1), 0, types.Int4, convI32},
		{"UINT16 legacy", elem(format.Int32, nil, int(deprecated.Uint16)), 0, types.Int4, convI32},
		{"UINT32", elem(format.Int32, &format.IntType{BitWidth: 32}, -1), 0, types.Int8, convU32toI64},
		{"INT_16 legacy", elem(format.Int32, nil, int(deprecated.Int16)), 0, types.Int2, convI32toI16},
		{"int64", elem(format.Int64, nil, -1), 0, types.Int8, convI64},
		{"UINT64", elem(format.Int64, &format.IntType{BitWidth: 64}, -1), 0, types.Numeric, convU64ToNumeric},
		{"UINT_64 legacy", elem(format.Int64, nil, int(deprecated.Uint64)), 0, types.Numeric, convU64ToNumeric},
		{"float", elem(format.Float, nil, -1), 0, types.Float4, convF32},
		{"double", elem(format.Double, nil, -1), 0, types.Float8, convF64},
		{"STRING", elem(format.ByteArray, &format.StringType{}, -1), 0, types.Text, convBytes},
		{"UTF8 legacy", elem(format.ByteArray, nil, int(deprecated.UTF8)), 0, types.Text, convBytes},
		{"ENUM", elem(format.ByteArray, &format.EnumType{}, -1), 0, types.Text, convBytes},
		{"fixed STRING", elem(format.FixedLenByteArray, &format.StringType{}, -1), 3, types.Text, convFixed},
		{"JSON", elem(format.ByteArray, &format.JsonType{}, -1), 0, types.JSON, convBytes},
		{"JSON legacy", elem(format.ByteArray, nil, int(deprecated.Json)), 0, types.JSON, convBytes},
		{"BSON", elem(format.ByteArray, &format.BsonType{}, -1), 0, types.Bytea, convBytes},
		{"binary", elem(format.ByteArray, nil, -1), 0, types.Bytea, convBytes},
		{"fixed binary", elem(format.FixedLenByteArray, nil, -1), 8, types.Bytea, convFixed},
		{"UUID", elem(format.FixedLenByteArray, &format.UUIDType{}, -1), 16, types.Text, convUUID},
		{"FLOAT16", elem(format.FixedLenByteArray, &format.Float16Type{}, -1), 2, types.Float4, convF16},
		{"INTERVAL legacy", elem(format.FixedLenByteArray, nil, int(deprecated.Interval)), 12, types.Interval, convIntervalMs},
		{"DATE", elem(format.Int32, &format.DateType{}, -1), 0, types.Date, convI32},
		{"DATE legacy", elem(format.Int32, nil, int(deprecated.Date)), 0, types.Date, convI32},
		{"TIMESTAMP millis utc", elem(format.Int64, &format.TimestampType{IsAdjustedToUTC: true, Unit: ms}, -1), 0, types.TimestampTZ, convI64MilliToUs},
		{"TIMESTAMP micros local", elem(format.Int64, &format.TimestampType{Unit: us}, -1), 0, types.Timestamp, convI64},
		{"TIMESTAMP nanos local", elem(format.Int64, &format.TimestampType{Unit: ns}, -1), 0, types.Timestamp, convI64NanoToUs},
		{"TIMESTAMP_MILLIS legacy", elem(format.Int64, nil, int(deprecated.TimestampMillis)), 0, types.TimestampTZ, convI64MilliToUs},
		{"TIMESTAMP_MICROS legacy", elem(format.Int64, nil, int(deprecated.TimestampMicros)), 0, types.TimestampTZ, convI64},
		{"INT96", elem(format.Int96, nil, -1), 0, types.Timestamp, convI96ToUs},
		{"TIME millis", elem(format.Int32, &format.TimeType{Unit: ms}, -1), 0, types.Time, convI32MilliToUs},
		{"TIME micros", elem(format.Int64, &format.TimeType{Unit: us}, -1), 0, types.Time, convI64},
		{"TIME nanos", elem(format.Int64, &format.TimeType{Unit: ns}, -1), 0, types.Time, convI64NanoToUs},
		{"TIME_MILLIS legacy", elem(format.Int32, nil, int(deprecated.TimeMillis)), 0, types.Time, convI32MilliToUs},
		{"DECIMAL int32", elem(format.Int32, &format.DecimalType{Precision: 9, Scale: 2}, -1), 0, types.Numeric, convDecI32},
		{"DECIMAL int64", elem(format.Int64, &format.DecimalType{Precision: 18, Scale: 4}, -1), 0, types.Numeric, convDecI64},
		{"DECIMAL fixed", elem(format.FixedLenByteArray, &format.DecimalType{Precision: 30, Scale: 4}, -1), 13, types.Numeric, convDecBytes},
		{"DECIMAL bytes", elem(format.ByteArray, &format.DecimalType{Precision: 40, Scale: 0}, -1), 0, types.Numeric, convDecBytes},
	} {
		e := tc.e
		if tc.len > 0 {
			e.TypeLength.Set(tc.len)
		}
		phys, _ := e.Type.Get()
		p, reason := planLeaf(leafInfo{name: tc.name, physical: phys, typeLen: tc.len, elem: e})
		if reason != "" || !types.Equal(p.typ, tc.want) || p.conv != tc.conv {
			t.Errorf("%s: %v conv %d (%q), want %v conv %d", tc.name, p.typ, p.conv, reason, tc.want, tc.conv)
		}
	}
	for _, tc := range []struct {
		name string
		e    *format.SchemaElement
		len  int32
	}{
		{"UUID on 8 bytes", elem(format.FixedLenByteArray, &format.UUIDType{}, -1), 8},
		{"NULL logical type", elem(format.Int32, &format.NullType{}, -1), 0},
		{"DECIMAL on double", elem(format.Double, &format.DecimalType{Precision: 5, Scale: 1}, -1), 0},
		{"fixed of length 0", elem(format.FixedLenByteArray, nil, -1), 0},
	} {
		phys, _ := tc.e.Type.Get()
		if p, reason := planLeaf(leafInfo{name: tc.name, physical: phys, typeLen: tc.len, elem: tc.e}); reason == "" {
			t.Errorf("%s: mapped to %v", tc.name, p.typ)
		}
	}
}

// TestParquetWriterSchema checks the Parquet types WriteParquet declares
// and the metadata that round-trips the rest.
func TestParquetWriterSchema(t *testing.T) {
	s := allTypesSchema(t)
	rec := buildRecord(t, s, allTypesRows(t))
	defer rec.Release()
	var buf bytes.Buffer
	if _, err := WriteParquet(&buf, s, WriteOptions{}, rec); err != nil {
		t.Fatal(err)
	}
	f, err := pq.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata()
	got := map[string]string{}
	for _, e := range md.Schema[1:] {
		phys, _ := e.Type.Get()
		rep, _ := e.RepetitionType.Get()
		if rep != format.Optional {
			t.Errorf("%s is %v", e.Name, rep)
		}
		got[e.Name] = strings.TrimSpace(phys.String() + " " + e.LogicalType.String())
	}
	for col, want := range map[string]string{
		"i2":   "INT32 INT(16,true)",
		"o":    "INT32 INT(32,false)",
		"num":  "BYTE_ARRAY STRING",
		"jb":   "BYTE_ARRAY JSON",
		"by":   "BYTE_ARRAY",
		"tm":   "INT64 TIME(isAdjustedToUTC=false,unit=MICROS)",
		"ts":   "INT64 TIMESTAMP(isAdjustedToUTC=false,unit=MICROS)",
		"tstz": "INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)",
		"iv":   "FIXED_LEN_BYTE_ARRAY",
		"d":    "INT32 DATE",
	} {
		if got[col] != want {
			t.Errorf("%s: %q, want %q", col, got[col], want)
		}
	}
	for key, want := range map[string]string{
		"lambdasql.type.vc":  "character varying(20)",
		"lambdasql.type.bp":  "character(3)",
		"lambdasql.type.jb":  "jsonb",
		"lambdasql.type.rc":  "regclass",
		"lambdasql.type.num": "numeric",
		"lambdasql.type.iv":  "interval",
		"lambdasql.nan.f4":   "some",
		"lambdasql.nan.f8":   "none",
	} {
		if v, _ := f.Lookup(key); v != want {
			t.Errorf("%s = %q, want %q", key, v, want)
		}
	}
	// Statistics are written for every column chunk.
	for i, c := range md.RowGroups[0].Columns {
		st := c.MetaData.Statistics
		if st.MinValue == nil || st.NullCount != 1 {
			t.Errorf("%s: statistics %+v", md.Schema[i+1].Name, st)
		}
	}
	// Column order survives (parquet.Group would sort by name).
	tbl := exec.Schema{}
	for _, e := range md.Schema[1:] {
		tbl = append(tbl, exec.Column{Name: e.Name})
	}
	for i := range s {
		if tbl[i].Name != s[i].Name {
			t.Fatalf("column %d is %s, want %s", i, tbl[i].Name, s[i].Name)
		}
	}
}
