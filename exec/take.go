package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// TakeRecord returns the rows idx of rec, in that order.
func TakeRecord(rec arrow.Record, idx []int) arrow.Record {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = TakeArray(rec.Column(i), idx)
	}
	out := array.NewRecord(rec.Schema(), cols, int64(len(idx)))
	for _, c := range cols {
		c.Release()
	}
	return out
}

// SelectionOf returns the indexes of the set bits of a boolean mask over n
// rows (bits start at 0).
func SelectionOf(mask []byte, n int) []int {
	idx := make([]int, 0, bitutil.CountSetBits(mask, 0, n))
	for i := 0; i < n; i++ {
		if mask[i>>3]&(1<<(i&7)) != 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

// TakeArray returns the rows idx of a, in that order.
func TakeArray(a arrow.Array, idx []int) arrow.Array {
	n := len(idx)
	var valid *memory.Buffer
	if a.NullN() > 0 {
		vb := make([]byte, bitutil.BytesForBits(int64(n)))
		for j, i := range idx {
			if a.IsValid(i) {
				bitutil.SetBit(vb, j)
			}
		}
		valid = memory.NewBufferBytes(vb)
	}
	switch x := a.(type) {
	case *array.Int64:
		return newFixedArray(a.DataType(), takeFixed(x.Int64Values(), idx), valid)
	case *array.Float64:
		return newFixedArray(a.DataType(), takeFixed(x.Float64Values(), idx), valid)
	case *array.Int32:
		return newFixedArray(a.DataType(), takeFixed(x.Int32Values(), idx), valid)
	case *array.Int16:
		return newFixedArray(a.DataType(), takeFixed(x.Int16Values(), idx), valid)
	case *array.Uint32:
		return newFixedArray(a.DataType(), takeFixed(x.Uint32Values(), idx), valid)
	case *array.Float32:
		return newFixedArray(a.DataType(), takeFixed(x.Float32Values(), idx), valid)
	case *array.Date32:
		return newFixedArray(a.DataType(), takeFixed(valuesOf[int32](a), idx), valid)
	case *array.Timestamp:
		return newFixedArray(a.DataType(), takeFixed(valuesOf[int64](a), idx), valid)
	case *array.Time64:
		return newFixedArray(a.DataType(), takeFixed(valuesOf[int64](a), idx), valid)
	case *array.Boolean:
		vals := make([]byte, bitutil.BytesForBits(int64(n)))
		for j, i := range idx {
			if x.Value(i) {
				bitutil.SetBit(vals, j)
			}
		}
		return newBoolArray(vals, valid, n)
	case *array.String:
		offs := make([]int32, n+1)
		size := 0
		for j, i := range idx {
			size += x.ValueLen(i)
			offs[j+1] = int32(size)
		}
		data := make([]byte, 0, size)
		for _, i := range idx {
			data = append(data, x.Value(i)...)
		}
		return array.NewStringData(array.NewData(arrow.BinaryTypes.String, n,
			[]*memory.Buffer{valid, memory.NewBufferBytes(unsafeBytes(offs)), memory.NewBufferBytes(data)}, nil, nullCount(valid, n), 0))
	case *array.Binary:
		offs := make([]int32, n+1)
		var data []byte
		for j, i := range idx {
			data = append(data, x.Value(i)...)
			offs[j+1] = int32(len(data))
		}
		return array.NewBinaryData(array.NewData(arrow.BinaryTypes.Binary, n,
			[]*memory.Buffer{valid, memory.NewBufferBytes(unsafeBytes(offs)), memory.NewBufferBytes(data)}, nil, nullCount(valid, n), 0))
	case *array.MonthDayNanoInterval:
		vals := make([]arrow.MonthDayNanoInterval, n)
		src := x.MonthDayNanoIntervalValues()
		for j, i := range idx {
			vals[j] = src[i]
		}
		b := array.NewMonthDayNanoIntervalBuilder(Alloc)
		defer b.Release()
		var vs []bool
		if valid != nil {
			vs = make([]bool, n)
			for j := range vs {
				vs[j] = bitutil.BitIsSet(valid.Bytes(), j)
			}
		}
		b.AppendValues(vals, vs)
		return b.NewArray()
	case *array.Dictionary:
		ind := TakeArray(x.Indices(), idx)
		defer ind.Release()
		return array.NewDictionaryArray(x.DataType(), ind, x.Dictionary())
	case *array.Null:
		return array.NewNull(n)
	}
	// Lists and anything rare: through datums.
	b := array.NewBuilder(Alloc, a.DataType())
	defer b.Release()
	for _, i := range idx {
		appendValue(b, a, i)
	}
	return b.NewArray()
}

func takeFixed[T fixed](src []T, idx []int) []T {
	out := make([]T, len(idx))
	for j, i := range idx {
		out[j] = src[i]
	}
	return out
}

// appendValue appends row i of a to a builder of the same Arrow type.
func appendValue(b array.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		b.AppendNull()
		return
	}
	switch x := a.(type) {
	case *array.List:
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		start, end := x.ValueOffsets(i)
		for j := start; j < end; j++ {
			appendValue(lb.ValueBuilder(), x.ListValues(), int(j))
		}
	default:
		AppendDatum(b, nil, Datum(a, i, nil))
	}
}

// FilterRecord keeps the rows of rec whose bit is set in mask (bits start
// at 0). It returns rec itself (retained) when every row is kept.
func FilterRecord(rec arrow.Record, mask []byte) arrow.Record {
	n := int(rec.NumRows())
	kept := bitutil.CountSetBits(mask, 0, n)
	if kept == n {
		rec.Retain()
		return rec
	}
	return TakeRecord(rec, SelectionOf(mask, n))
}

// SliceRecord returns rows [from, to) of rec without copying.
func SliceRecord(rec arrow.Record, from, to int64) arrow.Record {
	return rec.NewSlice(from, to)
}
