package agg

import (
	"encoding/binary"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"
)

// numSum is sum(numeric) and avg(numeric): exact decimal sums (the display
// scale of a sum is the largest input scale, as in PostgreSQL), with NaN
// and infinite inputs counted apart like PostgreSQL's NumericAggState.
// numeric values arrive and leave as Arrow strings of decimal text.
type numSum struct {
	name string
	avg  bool
	s    []apd.Decimal
	n    []int64 // non-NULL rows, specials included
	sp   []numericSpecials
	sc   scratch
	tmp  apd.Decimal
}

var _ Accumulator = (*numSum)(nil)

func (a *numSum) Grow(n int) {
	a.s = growSlice(a.s, n)
	a.n = growSlice(a.n, n)
	a.sp = growSlice(a.sp, n)
}

func (a *numSum) Len() int { return len(a.n) }

func (a *numSum) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	c, err := decodeColumn(a.name, kNumeric, args[0], &a.sc)
	if err != nil || c.v.none {
		return err
	}
	for i, g := range groups {
		if g == NoGroup || !c.v.valid(i) {
			continue
		}
		if err := a.addText(g, c.s.at(i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *numSum) addText(g uint32, b []byte) error {
	if err := parseNumeric(b, &a.tmp); err != nil {
		return err
	}
	a.n[g]++
	if !a.sp[g].classify(&a.tmp) {
		return nil
	}
	return addDecimal(&a.s[g], &a.tmp)
}

func (a *numSum) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*numSum)
	if !ok || s.avg != a.avg {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g := range s.n {
		d := dst[g]
		if d == NoGroup || s.n[g] == 0 {
			continue
		}
		if err := addDecimal(&a.s[d], &s.s[g]); err != nil {
			return err
		}
		a.n[d] += s.n[g]
		a.sp[d].add(s.sp[g])
	}
	return nil
}

func (a *numSum) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(a.n))
	for g, n := range a.n {
		switch {
		case n == 0:
			b.AppendNull()
		case a.sp[g].any():
			b.Append(a.sp[g].sumText())
		case a.avg:
			b.Append(numericDivText(decOf(&a.s[g]), decInt(bigOf(n))))
		default:
			b.Append(finiteText(&a.s[g]))
		}
	}
	return b.NewArray(), nil
}

// AppendState encodes count, NaN, +Infinity and -Infinity counts
// (uvarints), then the finite sum as apd's exact text (uvarint length +
// bytes), which keeps its scale.
func (a *numSum) AppendState(buf []byte, g uint32) []byte {
	sp := a.sp[g]
	buf = binary.AppendUvarint(buf, uint64(a.n[g]))
	buf = binary.AppendUvarint(buf, uint64(sp.nan))
	buf = binary.AppendUvarint(buf, uint64(sp.pinf))
	buf = binary.AppendUvarint(buf, uint64(sp.ninf))
	return appendVal(buf, kString, val{b: []byte(a.s[g].String())})
}

func (a *numSum) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	n := r.uvarint()
	sp := numericSpecials{nan: int64(r.uvarint()), pinf: int64(r.uvarint()), ninf: int64(r.uvarint())}
	txt := r.bytes()
	if !r.done() || n > 1<<62 || sp.nan < 0 || sp.pinf < 0 || sp.ninf < 0 {
		return errCorrupt(a.name, "bad numeric sum")
	}
	var d apd.Decimal
	if err := parseNumeric(txt, &d); err != nil || d.Form != apd.Finite {
		return errCorrupt(a.name, "bad numeric sum")
	}
	if err := addDecimal(&a.s[g], &d); err != nil {
		return err
	}
	a.n[g] += int64(n)
	a.sp[g].add(sp)
	return nil
}

// Size counts the inline size of each sum; coefficients past 128 bits
// (sums beyond 10^38) are rare and not counted.
func (a *numSum) Size() int64 {
	return int64(cap(a.s))*int64(unsafe.Sizeof(apd.Decimal{})) + int64(cap(a.n))*8 + int64(cap(a.sp))*24
}
