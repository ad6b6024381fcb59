package agg

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// bitAgg is bit_and, bit_or and bit_xor over int2, int4 and int8: the
// bitwise fold of a group's non-NULL values (NULL with none). The fold is
// associative and commutative, so Merge is exact.
type bitAgg struct {
	name  string
	op    byte // '&', '|' or '#'
	width int  // 2, 4 or 8 bytes: the result type
	v     []int64
	has   []bool
	sc    scratch
}

var _ Accumulator = (*bitAgg)(nil)

func (a *bitAgg) Grow(n int) {
	a.v = growSlice(a.v, n)
	a.has = growSlice(a.has, n)
}

func (a *bitAgg) Len() int { return len(a.v) }

func (a *bitAgg) fold(g uint32, x int64) {
	if !a.has[g] {
		a.v[g], a.has[g] = x, true
		return
	}
	switch a.op {
	case '&':
		a.v[g] &= x
	case '|':
		a.v[g] |= x
	default:
		a.v[g] ^= x
	}
}

func (a *bitAgg) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	switch x := args[0].(type) {
	case *array.Int16:
		foldInts(a, groups, x.Int16Values(), v)
	case *array.Int32:
		foldInts(a, groups, x.Int32Values(), v)
	case *array.Int64:
		foldInts(a, groups, x.Int64Values(), v)
	default:
		return wrongType(a.name, args[0])
	}
	return nil
}

func foldInts[T int16 | int32 | int64](a *bitAgg, groups []uint32, vals []T, v bitmap) {
	for i, g := range groups {
		if g != NoGroup && v.valid(i) {
			a.fold(g, int64(vals[i]))
		}
	}
}

func (a *bitAgg) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*bitAgg)
	if !ok || s.op != a.op {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, x := range s.v {
		if d := dst[g]; d != NoGroup && s.has[g] {
			a.fold(d, x)
		}
	}
	return nil
}

func (a *bitAgg) Finalize(mem memory.Allocator) (arrow.Array, error) {
	switch a.width {
	case 2:
		return finalizeBits[int16](a, array.NewInt16Builder(mem)), nil
	case 4:
		return finalizeBits[int32](a, array.NewInt32Builder(mem)), nil
	}
	return finalizeBits[int64](a, array.NewInt64Builder(mem)), nil
}

type intBuilder[T int16 | int32 | int64] interface {
	Reserve(n int)
	UnsafeAppend(v T)
	UnsafeAppendBoolToBitmap(bool)
	NewArray() arrow.Array
	Release()
}

func finalizeBits[T int16 | int32 | int64, B intBuilder[T]](a *bitAgg, b B) arrow.Array {
	defer b.Release()
	b.Reserve(len(a.v))
	for g, x := range a.v {
		if a.has[g] {
			b.UnsafeAppend(T(x))
		} else {
			b.UnsafeAppendBoolToBitmap(false)
		}
	}
	return b.NewArray()
}

// AppendState encodes nothing for an empty group, else the value as a
// little-endian int64.
func (a *bitAgg) AppendState(buf []byte, g uint32) []byte {
	if !a.has[g] {
		return buf
	}
	return binary.LittleEndian.AppendUint64(buf, uint64(a.v[g]))
}

func (a *bitAgg) LoadState(g uint32, data []byte) error {
	switch len(data) {
	case 0:
		return nil
	case 8:
		a.fold(g, int64(binary.LittleEndian.Uint64(data)))
		return nil
	}
	return errCorrupt(a.name, "bad state length")
}

func (a *bitAgg) Size() int64 { return int64(cap(a.v)) * 9 }
