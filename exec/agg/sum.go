package agg

import (
	"encoding/binary"
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
)

// Integer sums and averages: sum(int2|int4) → int8, sum(int8) → numeric,
// avg(int2|int4|int8) → numeric. Every one accumulates into a 128-bit sum,
// which no realistic row count can overflow: sum(int8) never wraps, and
// sum(int4) into int8 fails with 22003 only when the final value does not
// fit int8, as PostgreSQL's would.

type intSumMode uint8

const (
	sumToInt8    intSumMode = iota // sum(int2|int4)
	sumToNumeric                   // sum(int8)
	avgToNumeric                   // avg(int2|int4|int8)
)

type intSum struct {
	name string
	mode intSumMode
	s    []i128
	n    []int64 // non-NULL rows
	sc   scratch
}

var _ Accumulator = (*intSum)(nil)

func (a *intSum) Grow(n int) {
	a.s = growSlice(a.s, n)
	a.n = growSlice(a.n, n)
}

func (a *intSum) Len() int { return len(a.n) }

func (a *intSum) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	switch x := args[0].(type) {
	case *array.Int64:
		sumInts(groups, x.Int64Values(), v, a.s, a.n)
	case *array.Int32:
		sumInts(groups, x.Int32Values(), v, a.s, a.n)
	case *array.Int16:
		sumInts(groups, x.Int16Values(), v, a.s, a.n)
	default:
		return wrongType(a.name, args[0])
	}
	return nil
}

func sumInts[T int16 | int32 | int64](groups []uint32, vals []T, v bitmap, s []i128, n []int64) {
	vals = vals[:len(groups)]
	if g, ok := singleGroup(groups); ok {
		acc, cnt := s[g], int64(0)
		if v.bits == nil {
			for _, x := range vals {
				acc.add64(int64(x))
			}
			cnt = int64(len(vals))
		} else {
			for i, x := range vals {
				b := v.bit(i)
				acc.add64(int64(x) & -int64(b))
				cnt += int64(b)
			}
		}
		s[g] = acc
		n[g] += cnt
		return
	}
	if v.bits == nil {
		for i, g := range groups {
			if g == NoGroup {
				continue
			}
			x := int64(vals[i])
			p := &s[g]
			lo, c := bits.Add64(p.lo, uint64(x), 0)
			p.lo = lo
			p.hi += x>>63 + int64(c)
			n[g]++
		}
		return
	}
	// NULL rows add 0 and count 0: no branch on validity.
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		b := v.bit(i)
		x := int64(vals[i]) & -int64(b)
		p := &s[g]
		lo, c := bits.Add64(p.lo, uint64(x), 0)
		p.lo = lo
		p.hi += x>>63 + int64(c)
		n[g] += int64(b)
	}
}

func (a *intSum) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*intSum)
	if !ok || s.mode != a.mode {
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
		if d == NoGroup {
			continue
		}
		if a.s[d].add(s.s[g]) {
			return sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
		}
		a.n[d] += s.n[g]
	}
	return nil
}

func (a *intSum) Finalize(mem memory.Allocator) (arrow.Array, error) {
	switch a.mode {
	case sumToInt8:
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Reserve(len(a.n))
		for g, n := range a.n {
			if n == 0 {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			s := a.s[g]
			if s.hi != int64(s.lo)>>63 {
				return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "bigint out of range")
			}
			b.UnsafeAppend(int64(s.lo))
		}
		return b.NewArray(), nil
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(a.n))
	for g, n := range a.n {
		if n == 0 {
			b.AppendNull()
			continue
		}
		sum := decInt(a.s[g].big())
		if a.mode == sumToNumeric {
			b.Append(sum.text())
		} else {
			b.Append(numericDivText(sum, decInt(big.NewInt(n))))
		}
	}
	return b.NewArray(), nil
}

// AppendState encodes count (uvarint), then the 128-bit sum as high
// (varint) and low (8 bytes) words.
func (a *intSum) AppendState(buf []byte, g uint32) []byte {
	buf = binary.AppendUvarint(buf, uint64(a.n[g]))
	buf = binary.AppendVarint(buf, a.s[g].hi)
	return binary.LittleEndian.AppendUint64(buf, a.s[g].lo)
}

func (a *intSum) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	n := r.uvarint()
	s := i128{hi: r.varint(), lo: r.u64()}
	if !r.done() || n > 1<<62 {
		return errCorrupt(a.name, "bad sum")
	}
	if a.s[g].add(s) {
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
	}
	a.n[g] += int64(n)
	return nil
}

func (a *intSum) Size() int64 { return int64(cap(a.s))*16 + int64(cap(a.n))*8 }

// floatSum is sum(float8) and avg(float4|float8): float64 sums. PostgreSQL's
// float8pl fails with 22003 when finite inputs overflow to infinity; so does
// this accumulator, at Finalize (it remembers per group whether an input
// was infinite or NaN, which makes an infinite sum legitimate).
type floatSum struct {
	name      string
	avg       bool
	s         []float64
	n         []int64
	nonFinite []bool
	sc        scratch
}

var _ Accumulator = (*floatSum)(nil)

func (a *floatSum) Grow(n int) {
	a.s = growSlice(a.s, n)
	a.n = growSlice(a.n, n)
	a.nonFinite = growSlice(a.nonFinite, n)
}

func (a *floatSum) Len() int { return len(a.n) }

func (a *floatSum) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	switch x := args[0].(type) {
	case *array.Float64:
		sumFloats(groups, x.Float64Values(), v, a.s, a.n, a.nonFinite)
	case *array.Float32:
		sumFloats(groups, x.Float32Values(), v, a.s, a.n, a.nonFinite)
	default:
		return wrongType(a.name, args[0])
	}
	return nil
}

// allFinite reports whether no value is infinite or NaN: x*0 is NaN exactly
// for those, and NaN propagates through the sum. Branch-free, so it
// vectorizes well; NULL slots may hold anything and only cost a slow pass.
func allFinite[T float32 | float64](vals []T) bool {
	var c T
	for _, x := range vals {
		c += x * 0
	}
	return c == 0
}

// orNegZero returns x when b is 1 and -0 when b is 0: -0 is the identity
// of floating-point addition (x + -0 == x for every x, -0 and NaN
// included), so NULL rows can be added without a branch.
func orNegZero(x float64, b uint64) float64 {
	m := -b
	return math.Float64frombits(math.Float64bits(x)&m | (1<<63)&^m)
}

func sumFloats[T float32 | float64](groups []uint32, vals []T, v bitmap, s []float64, n []int64, nonFinite []bool) {
	vals = vals[:len(groups)]
	if !allFinite(vals) {
		for i, g := range groups {
			if g != NoGroup && v.valid(i) {
				if x := float64(vals[i]); x-x != 0 {
					nonFinite[g] = true
				}
			}
		}
	}
	if g, ok := singleGroup(groups); ok {
		// Same additions in the same order, in a register.
		acc, cnt := s[g], int64(0)
		if v.bits == nil {
			for _, x := range vals {
				acc += float64(x)
			}
			cnt = int64(len(vals))
		} else {
			for i, x := range vals {
				b := v.bit(i)
				acc += orNegZero(float64(x), b)
				cnt += int64(b)
			}
		}
		s[g] = acc
		n[g] += cnt
		return
	}
	if v.bits == nil {
		for i, g := range groups {
			if g == NoGroup {
				continue
			}
			s[g] += float64(vals[i])
			n[g]++
		}
		return
	}
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		b := v.bit(i)
		s[g] += orNegZero(float64(vals[i]), b)
		n[g] += int64(b)
	}
}

func errFloatOverflow() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range: overflow")
}

func (a *floatSum) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*floatSum)
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
		if d := dst[g]; d != NoGroup {
			a.s[d] += s.s[g]
			a.n[d] += s.n[g]
			a.nonFinite[d] = a.nonFinite[d] || s.nonFinite[g]
		}
	}
	return nil
}

func (a *floatSum) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Reserve(len(a.n))
	for g, n := range a.n {
		if n == 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		s := a.s[g]
		if s-s != 0 && !a.nonFinite[g] {
			return nil, errFloatOverflow()
		}
		if a.avg {
			s /= float64(n)
		}
		b.UnsafeAppend(s)
	}
	return b.NewArray(), nil
}

// AppendState encodes count (uvarint), a non-finite-input flag byte, and the
// sum's float64 bits.
func (a *floatSum) AppendState(buf []byte, g uint32) []byte {
	buf = binary.AppendUvarint(buf, uint64(a.n[g]))
	buf = append(buf, b2u(a.nonFinite[g]))
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(a.s[g]))
}

func (a *floatSum) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	n := r.uvarint()
	nf := r.byte()
	s := math.Float64frombits(r.u64())
	if !r.done() || n > 1<<62 || nf > 1 {
		return errCorrupt(a.name, "bad sum")
	}
	a.n[g] += int64(n)
	a.nonFinite[g] = a.nonFinite[g] || nf == 1
	a.s[g] += s
	return nil
}

func (a *floatSum) Size() int64 {
	return int64(cap(a.s))*8 + int64(cap(a.n))*8 + int64(cap(a.nonFinite))
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// float4Sum is sum(float4): PostgreSQL accumulates it in float4 (float4pl),
// so this does too.
type float4Sum struct {
	s         []float32
	has       []bool
	nonFinite []bool
	sc        scratch
}

var _ Accumulator = (*float4Sum)(nil)

func (a *float4Sum) Grow(n int) {
	a.s = growSlice(a.s, n)
	a.has = growSlice(a.has, n)
	a.nonFinite = growSlice(a.nonFinite, n)
}

func (a *float4Sum) Len() int { return len(a.has) }

func (a *float4Sum) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs("sum", groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	x, ok := args[0].(*array.Float32)
	if !ok {
		return wrongType("sum", args[0])
	}
	vals := x.Float32Values()[:len(groups)]
	if !allFinite(vals) {
		for i, g := range groups {
			if g != NoGroup && v.valid(i) && vals[i]-vals[i] != 0 {
				a.nonFinite[g] = true
			}
		}
	}
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		a.s[g] += vals[i]
		a.has[g] = true
	}
	return nil
}

func (a *float4Sum) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*float4Sum)
	if !ok {
		return errInternal("sum: merge with %T", src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge("sum", s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g := range s.has {
		if d := dst[g]; d != NoGroup && s.has[g] {
			a.s[d] += s.s[g]
			a.has[d] = true
			a.nonFinite[d] = a.nonFinite[d] || s.nonFinite[g]
		}
	}
	return nil
}

func (a *float4Sum) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewFloat32Builder(mem)
	defer b.Release()
	b.Reserve(len(a.has))
	for g, h := range a.has {
		if !h {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		s := a.s[g]
		if s-s != 0 && !a.nonFinite[g] {
			return nil, errFloatOverflow()
		}
		b.UnsafeAppend(s)
	}
	return b.NewArray(), nil
}

// AppendState encodes a flags byte (1 = has rows, 2 = non-finite input) and
// the sum's float32 bits (4 bytes).
func (a *float4Sum) AppendState(buf []byte, g uint32) []byte {
	buf = append(buf, b2u(a.has[g])|b2u(a.nonFinite[g])<<1)
	return binary.LittleEndian.AppendUint32(buf, math.Float32bits(a.s[g]))
}

func (a *float4Sum) LoadState(g uint32, data []byte) error {
	if len(data) != 5 || data[0] > 3 {
		return errCorrupt("sum", "bad float4 sum")
	}
	if data[0]&1 != 0 {
		a.has[g] = true
		a.s[g] += math.Float32frombits(binary.LittleEndian.Uint32(data[1:]))
	}
	a.nonFinite[g] = a.nonFinite[g] || data[0]&2 != 0
	return nil
}

func (a *float4Sum) Size() int64 { return int64(cap(a.s))*4 + int64(cap(a.has))*2 }
