package agg

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// iv builds an interval datum.
func iv(months, days int32, micros int64) types.IntervalD {
	return types.IntervalD{Months: months, Days: days, Micros: micros}
}

const hour = int64(3600_000000)

// build makes an Arrow array of SQL type t from Go values (nil is NULL):
// integers, dates, times, timestamps and oids as int/int64; floats as
// float64; numerics and strings as string; bytea as []byte or string; bool;
// intervals as types.IntervalD.
func build(tb testing.TB, mem memory.Allocator, t *types.T, vals []any) arrow.Array {
	tb.Helper()
	b := array.NewBuilder(mem, t.Arrow())
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch x := b.(type) {
		case *array.Int16Builder:
			x.Append(int16(toI64(v)))
		case *array.Int32Builder:
			x.Append(int32(toI64(v)))
		case *array.Int64Builder:
			x.Append(toI64(v))
		case *array.Uint32Builder:
			x.Append(uint32(toI64(v)))
		case *array.Float32Builder:
			x.Append(float32(v.(float64)))
		case *array.Float64Builder:
			x.Append(v.(float64))
		case *array.Date32Builder:
			x.Append(arrow.Date32(toI64(v)))
		case *array.Time64Builder:
			x.Append(arrow.Time64(toI64(v)))
		case *array.TimestampBuilder:
			x.Append(arrow.Timestamp(toI64(v)))
		case *array.BooleanBuilder:
			x.Append(v.(bool))
		case *array.MonthDayNanoIntervalBuilder:
			d := v.(types.IntervalD)
			x.Append(arrow.MonthDayNanoInterval{Months: d.Months, Days: d.Days, Nanoseconds: d.Micros * 1000})
		case *array.StringBuilder:
			x.Append(v.(string))
		case *array.BinaryBuilder:
			switch s := v.(type) {
			case string:
				x.AppendString(s)
			default:
				x.Append(s.([]byte))
			}
		default:
			tb.Fatalf("build: no case for %T", b)
		}
	}
	return b.NewArray()
}

func toI64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case int32:
		return int64(x)
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// buildDict makes a dictionary<int32, utf8> array of strings (nil is NULL).
func buildDict(tb testing.TB, mem memory.Allocator, vals []any) arrow.Array {
	tb.Helper()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	b := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		if err := b.AppendString(v.(string)); err != nil {
			tb.Fatal(err)
		}
	}
	return b.NewArray()
}

// valueAt converts element i of a to a comparable Go value: nil, int64,
// float64, string, bool, types.IntervalD or []any.
func valueAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int64:
		return x.Value(i)
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Uint32:
		return int64(x.Value(i))
	case *array.Date32:
		return int64(x.Value(i))
	case *array.Time64:
		return int64(x.Value(i))
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Boolean:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.Binary:
		return string(x.Value(i))
	case *array.MonthDayNanoInterval:
		v := x.Value(i)
		return iv(v.Months, v.Days, v.Nanoseconds/1000)
	case *array.List:
		start, end := x.ValueOffsets(i)
		vals := x.ListValues()
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, valueAt(vals, int(j)))
		}
		return out
	}
	panic(fmt.Sprintf("valueAt: %T", a))
}

func values(a arrow.Array) []any {
	out := make([]any, a.Len())
	for i := range out {
		out[i] = valueAt(a, i)
	}
	return out
}

// sameValue compares results: floats to relative tol (NaN equals NaN,
// infinities exactly), everything else exactly.
func sameValue(a, b any, tol float64) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(x) || math.IsNaN(y) {
			return math.IsNaN(x) && math.IsNaN(y)
		}
		if math.IsInf(x, 0) || math.IsInf(y, 0) || tol == 0 || x == 0 || y == 0 {
			return x == y && math.Signbit(x) == math.Signbit(y)
		}
		return math.Abs(x-y) <= tol*max(1, math.Abs(x), math.Abs(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i], tol) {
				return false
			}
		}
		return true
	}
	return a == b
}

func sameValues(a, b []any, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameValue(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

// feed updates acc with rows [0, n) of cols in batches of batch rows.
func feed(tb testing.TB, acc Accumulator, groups []uint32, cols []arrow.Array, batch int) {
	tb.Helper()
	if err := feedErr(acc, groups, cols, batch); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func feedErr(acc Accumulator, groups []uint32, cols []arrow.Array, batch int) error {
	n := len(groups)
	if n == 0 {
		return acc.Update(groups, cols)
	}
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		sl := make([]arrow.Array, len(cols))
		for i, c := range cols {
			sl[i] = array.NewSlice(c, int64(lo), int64(hi))
		}
		err := acc.Update(groups[lo:hi], sl)
		for _, s := range sl {
			s.Release()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// finalize returns acc's results as Go values.
func finalize(tb testing.TB, acc Accumulator) []any {
	tb.Helper()
	out, err := finalizeErr(acc)
	if err != nil {
		tb.Fatalf("Finalize: %v", err)
	}
	return out
}

func finalizeErr(acc Accumulator) ([]any, error) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	a, err := acc.Finalize(mem)
	if err != nil {
		return nil, err
	}
	defer func() {
		a.Release()
		if n := mem.CurrentAlloc(); n != 0 {
			panic(fmt.Sprintf("Finalize leaked %d bytes", n))
		}
	}()
	if a.Len() != acc.Len() {
		return nil, fmt.Errorf("Finalize returned %d values for %d groups", a.Len(), acc.Len())
	}
	return values(a), nil
}

func mustNew(tb testing.TB, spec Spec) Accumulator {
	tb.Helper()
	acc, err := New(spec)
	if err != nil {
		tb.Fatalf("New(%+v): %v", spec, err)
	}
	return acc
}
