package agg

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// countAcc is count(*) (star) and count(x): a non-NULL row counter per
// group. A group with no rows counts 0, never NULL.
type countAcc struct {
	star bool
	n    []int64
	sc   scratch
}

var _ Accumulator = (*countAcc)(nil)

func (a *countAcc) name() string {
	if a.star {
		return "count(*)"
	}
	return "count"
}

func (a *countAcc) Grow(n int) { a.n = growSlice(a.n, n) }
func (a *countAcc) Len() int   { return len(a.n) }

func (a *countAcc) Update(groups []uint32, args []arrow.Array) error {
	want := 1
	if a.star {
		want = 0
	}
	if err := checkArgs(a.name(), groups, args, want); err != nil {
		return err
	}
	n := a.n
	v := bitmap{}
	if !a.star {
		v = rowValidity(args[0], &a.sc.bits)
	}
	switch {
	case v.none:
	case v.bits == nil:
		if g, ok := singleGroup(groups); ok {
			n[g] += int64(len(groups))
			return nil
		}
		for _, g := range groups {
			if g != NoGroup {
				n[g]++
			}
		}
	default:
		for i, g := range groups {
			if g != NoGroup {
				n[g] += int64(v.bit(i))
			}
		}
	}
	return nil
}

func (a *countAcc) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*countAcc)
	if !ok || s.star != a.star {
		return errInternal("%s: merge with %T", a.name(), src)
	}
	if err := checkMerge(a.name(), s.Len(), a.Len(), dst); err != nil {
		return err
	}
	if s == a {
		// A self-merge must read every source group before writing.
		s = &countAcc{star: a.star, n: append([]int64(nil), a.n...)}
	}
	for g, c := range s.n {
		if d := dst[g]; d != NoGroup {
			a.n[d] += c
		}
	}
	return nil
}

func (a *countAcc) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(a.n, nil)
	return b.NewArray(), nil
}

// AppendState encodes the count as a uvarint.
func (a *countAcc) AppendState(buf []byte, g uint32) []byte {
	return binary.AppendUvarint(buf, uint64(a.n[g]))
}

func (a *countAcc) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	c := r.uvarint()
	if !r.done() || c > 1<<62 {
		return errCorrupt(a.name(), "bad count")
	}
	a.n[g] += int64(c)
	return nil
}

func (a *countAcc) Size() int64 { return int64(cap(a.n)) * 8 }

// growSlice extends s with zero values to length n (never shrinks).
func growSlice[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		s = s[:n]
		return s
	}
	c := max(n, 2*cap(s))
	out := make([]T, n, c)
	copy(out, s)
	return out
}
