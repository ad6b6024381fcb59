package agg

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// boolAgg is bool_and (and its SQL-standard spelling every) and bool_or.
// A group's state is a byte of flags, so Merge is a bitwise OR.
type boolAgg struct {
	name  string
	isAnd bool
	st    []uint8 // boolSeenTrue | boolSeenFalse
	sc    scratch
}

const (
	boolSeenTrue  = 1
	boolSeenFalse = 2
)

var _ Accumulator = (*boolAgg)(nil)

func (a *boolAgg) Grow(n int) { a.st = growSlice(a.st, n) }
func (a *boolAgg) Len() int   { return len(a.st) }

func (a *boolAgg) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	x, ok := args[0].(*array.Boolean)
	if !ok {
		return wrongType(a.name, args[0])
	}
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		if x.Value(i) {
			a.st[g] |= boolSeenTrue
		} else {
			a.st[g] |= boolSeenFalse
		}
	}
	return nil
}

func (a *boolAgg) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*boolAgg)
	if !ok || s.isAnd != a.isAnd {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	if s == a {
		s = &boolAgg{st: append([]uint8(nil), a.st...)}
	}
	for g, f := range s.st {
		if d := dst[g]; d != NoGroup {
			a.st[d] |= f
		}
	}
	return nil
}

func (a *boolAgg) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.Reserve(len(a.st))
	for _, f := range a.st {
		switch {
		case f == 0:
			b.UnsafeAppendBoolToBitmap(false)
		case a.isAnd:
			b.UnsafeAppend(f&boolSeenFalse == 0)
		default:
			b.UnsafeAppend(f&boolSeenTrue != 0)
		}
	}
	return b.NewArray(), nil
}

// AppendState encodes the flags byte: 1 = saw true, 2 = saw false.
func (a *boolAgg) AppendState(buf []byte, g uint32) []byte { return append(buf, a.st[g]) }

func (a *boolAgg) LoadState(g uint32, data []byte) error {
	if len(data) != 1 || data[0] > 3 {
		return errCorrupt(a.name, "bad flags")
	}
	a.st[g] |= data[0]
	return nil
}

func (a *boolAgg) Size() int64 { return int64(cap(a.st)) }
