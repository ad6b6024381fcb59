package exec

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// Alloc is the allocator for arrays built by exec. Memory limits are
// enforced by MemTracker accounting of operator state, not here.
var Alloc memory.Allocator = memory.DefaultAllocator

// Datum returns row i of arr as a datum of type t (see sql/types for the Go
// representation), nil for NULL. It boxes: use it off the hot paths only
// (constant folding, catalog functions, tests).
func Datum(arr arrow.Array, i int, t *types.T) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
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
		s := a.Value(i)
		if t != nil && t.Family == types.FamNumeric {
			d, _, err := apd.NewFromString(s)
			if err != nil {
				return nil
			}
			return d
		}
		return s
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Date32:
		return types.DateD(a.Value(i))
	case *array.Time64:
		return types.TimeOfDay(a.Value(i))
	case *array.Timestamp:
		return types.TimestampD(a.Value(i))
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		return types.IntervalD{Months: v.Months, Days: v.Days, Micros: v.Nanoseconds / 1000}
	case *array.List:
		var et *types.T
		if t != nil {
			et = t.Elem
		}
		start, end := a.ValueOffsets(i)
		vals := a.ListValues()
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, Datum(vals, int(j), et))
		}
		return out
	case *array.Dictionary:
		return Datum(a.Dictionary(), a.GetValueIndex(i), t)
	case *array.Null:
		return nil
	}
	panic(fmt.Sprintf("BUG: Datum of %T", arr))
}

// AppendDatum appends datum v (of type t, or nil) to builder b, whose type
// is t.Arrow().
func AppendDatum(b array.Builder, t *types.T, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		bb.Append(v.(bool))
	case *array.Int16Builder:
		bb.Append(int16(toInt64(v)))
	case *array.Int32Builder:
		bb.Append(int32(toInt64(v)))
	case *array.Int64Builder:
		bb.Append(toInt64(v))
	case *array.Uint32Builder:
		bb.Append(uint32(toInt64(v)))
	case *array.Float32Builder:
		bb.Append(float32(v.(float64)))
	case *array.Float64Builder:
		bb.Append(v.(float64))
	case *array.StringBuilder:
		switch s := v.(type) {
		case string:
			bb.Append(s)
		case *apd.Decimal:
			bb.Append(s.Text('f'))
		default:
			bb.Append(types.FormatText(t, v, nil))
		}
	case *array.BinaryBuilder:
		bb.Append(v.([]byte))
	case *array.Date32Builder:
		bb.Append(arrow.Date32(v.(types.DateD)))
	case *array.Time64Builder:
		bb.Append(arrow.Time64(v.(types.TimeOfDay)))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(v.(types.TimestampD)))
	case *array.MonthDayNanoIntervalBuilder:
		iv := v.(types.IntervalD)
		bb.Append(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	case *array.ListBuilder:
		vs := v.([]any)
		bb.Append(true)
		vb := bb.ValueBuilder()
		var et *types.T
		if t != nil {
			et = t.Elem
		}
		for _, e := range vs {
			AppendDatum(vb, et, e)
		}
	case *array.NullBuilder:
		bb.AppendNull()
	default:
		panic(fmt.Sprintf("BUG: AppendDatum to %T", b))
	}
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case types.OidD:
		return int64(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	panic(fmt.Sprintf("BUG: toInt64(%T)", v))
}

// NewBuilder returns a builder for columns of type t.
func NewBuilder(t *types.T) array.Builder {
	return array.NewBuilder(Alloc, t.Arrow())
}

// ConstArray returns an array of n copies of datum v of type t.
func ConstArray(t *types.T, v any, n int) arrow.Array {
	if v == nil {
		return array.MakeArrayOfNull(Alloc, t.Arrow(), n)
	}
	switch t.Arrow().ID() {
	case arrow.FLOAT64:
		f := v.(float64)
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = f
		}
		return array.NewFloat64Data(array.NewData(arrow.PrimitiveTypes.Float64, n,
			[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(vals))}, nil, 0, 0))
	case arrow.INT64:
		x := toInt64(v)
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = x
		}
		return array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, n,
			[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(vals))}, nil, 0, 0))
	}
	b := NewBuilder(t)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		AppendDatum(b, t, v)
	}
	return b.NewArray()
}

// RecordOf builds a record of the given schema from rows of datums. For
// tests and small catalog tables.
func RecordOf(s Schema, rows [][]any) arrow.Record {
	bs := make([]array.Builder, len(s))
	for i, c := range s {
		bs[i] = NewBuilder(c.Type)
		defer bs[i].Release()
	}
	for _, r := range rows {
		for i, c := range s {
			AppendDatum(bs[i], c.Type, r[i])
		}
	}
	cols := make([]arrow.Array, len(s))
	for i := range bs {
		cols[i] = bs[i].NewArray()
		defer cols[i].Release()
	}
	return array.NewRecord(s.Arrow(), cols, int64(len(rows)))
}

// Rows returns all rows of rec as datums. For tests and small results.
func Rows(rec arrow.Record, s Schema) [][]any {
	n := int(rec.NumRows())
	out := make([][]any, n)
	for i := 0; i < n; i++ {
		row := make([]any, rec.NumCols())
		for j := range row {
			var t *types.T
			if j < len(s) {
				t = s[j].Type
			}
			row[j] = Datum(rec.Column(j), i, t)
		}
		out[i] = row
	}
	return out
}
