package agg

import (
	"encoding/binary"
	"math"
	"math/big"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"
)

// stddev, stddev_samp, stddev_pop, variance, var_samp, var_pop.
//
// Over float4/float8 the state is PostgreSQL's (N, Sx, Sxx) with the
// Youngs–Cramer update (float8_accum) and Chan et al.'s pairwise merge
// (float8_combine): numerically stable, and Merge is the same formula
// PostgreSQL's parallel aggregation uses. Over integers and numeric the
// state is exact (N, Σx, Σx²) and the result is computed as PostgreSQL's
// numeric_stddev_internal does, so it prints exactly what PostgreSQL
// prints (stddev of 1,2,3,4 is 1.2909944487358056).

type varMode struct {
	sample bool // samp (N-1) rather than pop (N)
	stddev bool // square root of the variance
}

func varModeOf(name string) varMode {
	switch name {
	case "stddev", "stddev_samp":
		return varMode{sample: true, stddev: true}
	case "stddev_pop":
		return varMode{stddev: true}
	case "variance", "var_samp":
		return varMode{sample: true}
	}
	return varMode{} // var_pop
}

// floatVar is the float8 variance family.
type floatVar struct {
	name string
	mode varMode
	n    []float64
	sx   []float64
	sxx  []float64
	sc   scratch
}

var _ Accumulator = (*floatVar)(nil)

func (a *floatVar) Grow(n int) {
	a.n = growSlice(a.n, n)
	a.sx = growSlice(a.sx, n)
	a.sxx = growSlice(a.sxx, n)
}

func (a *floatVar) Len() int { return len(a.n) }

// accum is float8_accum: one Youngs–Cramer step.
func (a *floatVar) accum(g uint32, x float64) error {
	n0, sx0 := a.n[g], a.sx[g]
	n := n0 + 1
	sx := sx0 + x
	sxx := a.sxx[g]
	if n0 > 0 {
		tmp := x*n - sx
		sxx += tmp * tmp / (n * n0)
		if math.IsInf(sx, 0) || math.IsInf(sxx, 0) {
			if !math.IsInf(sx0, 0) && !math.IsInf(x, 0) {
				return errFloatOverflow()
			}
			sxx = math.NaN()
		}
	} else if math.IsNaN(x) || math.IsInf(x, 0) {
		sxx = math.NaN()
	}
	a.n[g], a.sx[g], a.sxx[g] = n, sx, sxx
	return nil
}

// combine is float8_combine: Chan et al.'s pairwise update.
func (a *floatVar) combine(g uint32, n2, sx2, sxx2 float64) error {
	n1, sx1, sxx1 := a.n[g], a.sx[g], a.sxx[g]
	switch {
	case n2 == 0:
		return nil
	case n1 == 0:
		a.n[g], a.sx[g], a.sxx[g] = n2, sx2, sxx2
		return nil
	}
	n := n1 + n2
	sx := sx1 + sx2
	if math.IsInf(sx, 0) && !math.IsInf(sx1, 0) && !math.IsInf(sx2, 0) {
		return errFloatOverflow()
	}
	tmp := sx1/n1 - sx2/n2
	sxx := sxx1 + sxx2 + n1*n2*tmp*tmp/n
	if math.IsInf(sxx, 0) && !math.IsInf(sxx1, 0) && !math.IsInf(sxx2, 0) {
		return errFloatOverflow()
	}
	a.n[g], a.sx[g], a.sxx[g] = n, sx, sxx
	return nil
}

func (a *floatVar) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	switch x := args[0].(type) {
	case *array.Float64:
		return accumFloats(a, groups, x.Float64Values(), v)
	case *array.Float32:
		return accumFloats(a, groups, x.Float32Values(), v)
	}
	return wrongType(a.name, args[0])
}

func accumFloats[T float32 | float64](a *floatVar, groups []uint32, vals []T, v bitmap) error {
	vals = vals[:len(groups)]
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		if err := a.accum(g, float64(vals[i])); err != nil {
			return err
		}
	}
	return nil
}

func (a *floatVar) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*floatVar)
	if !ok {
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
			if err := a.combine(d, s.n[g], s.sx[g], s.sxx[g]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *floatVar) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Reserve(len(a.n))
	for g, n := range a.n {
		den := n
		if a.mode.sample {
			den = n - 1
		}
		if den <= 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		r := a.sxx[g] / den
		if a.mode.stddev {
			r = math.Sqrt(r)
		}
		b.UnsafeAppend(r)
	}
	return b.NewArray(), nil
}

// AppendState encodes N, Sx and Sxx as float64 bits (8 bytes each).
func (a *floatVar) AppendState(buf []byte, g uint32) []byte {
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(a.n[g]))
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(a.sx[g]))
	return binary.LittleEndian.AppendUint64(buf, math.Float64bits(a.sxx[g]))
}

func (a *floatVar) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	n := math.Float64frombits(r.u64())
	sx := math.Float64frombits(r.u64())
	sxx := math.Float64frombits(r.u64())
	if !r.done() || !(n >= 0) || n != math.Trunc(n) {
		return errCorrupt(a.name, "bad moments")
	}
	return a.combine(g, n, sx, sxx)
}

func (a *floatVar) Size() int64 { return int64(cap(a.n)) * 24 }

// numVar is the numeric variance family over int2/int4/int8 (exact 128-bit
// Σx and 192-bit Σx²) and numeric (exact decimals, NaN and infinities
// counted apart).
type numVar struct {
	name    string
	mode    varMode
	numeric bool // input is numeric rather than integer
	n       []int64
	// integer inputs
	isx  []i128
	isxx []u192
	// numeric inputs
	dsx  []apd.Decimal
	dsxx []apd.Decimal
	sp   []numericSpecials
	tmp  apd.Decimal
	sq   apd.Decimal
	sc   scratch
}

var _ Accumulator = (*numVar)(nil)

func (a *numVar) Grow(n int) {
	a.n = growSlice(a.n, n)
	if a.numeric {
		a.dsx = growSlice(a.dsx, n)
		a.dsxx = growSlice(a.dsxx, n)
		a.sp = growSlice(a.sp, n)
	} else {
		a.isx = growSlice(a.isx, n)
		a.isxx = growSlice(a.isxx, n)
	}
}

func (a *numVar) Len() int { return len(a.n) }

func (a *numVar) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	if a.numeric {
		c, err := decodeColumn(a.name, kNumeric, args[0], &a.sc)
		if err != nil || c.v.none {
			return err
		}
		for i, g := range groups {
			if g == NoGroup || !c.v.valid(i) {
				continue
			}
			if err := parseNumeric(c.s.at(i), &a.tmp); err != nil {
				return err
			}
			if err := a.addDecimal(g, &a.tmp); err != nil {
				return err
			}
		}
		return nil
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	switch x := args[0].(type) {
	case *array.Int64:
		accumInts(groups, x.Int64Values(), v, a.n, a.isx, a.isxx)
	case *array.Int32:
		accumInts(groups, x.Int32Values(), v, a.n, a.isx, a.isxx)
	case *array.Int16:
		accumInts(groups, x.Int16Values(), v, a.n, a.isx, a.isxx)
	default:
		return wrongType(a.name, args[0])
	}
	return nil
}

func accumInts[T int16 | int32 | int64](groups []uint32, vals []T, v bitmap, n []int64, sx []i128, sxx []u192) {
	vals = vals[:len(groups)]
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		x := int64(vals[i])
		n[g]++
		sx[g].add64(x)
		sxx[g].addSquare(x)
	}
}

func (a *numVar) addDecimal(g uint32, d *apd.Decimal) error {
	a.n[g]++
	if !a.sp[g].classify(d) {
		return nil
	}
	if err := addDecimal(&a.dsx[g], d); err != nil {
		return err
	}
	if _, err := apd.BaseContext.Mul(&a.sq, d, d); err != nil {
		return errFloatOverflow()
	}
	return addDecimal(&a.dsxx[g], &a.sq)
}

func (a *numVar) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*numVar)
	if !ok || s.numeric != a.numeric {
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
		a.n[d] += s.n[g]
		if a.numeric {
			if err := addDecimal(&a.dsx[d], &s.dsx[g]); err != nil {
				return err
			}
			if err := addDecimal(&a.dsxx[d], &s.dsxx[g]); err != nil {
				return err
			}
			a.sp[d].add(s.sp[g])
		} else {
			if a.isx[d].add(s.isx[g]) {
				return errFloatOverflow()
			}
			a.isxx[d].add(s.isxx[g])
		}
	}
	return nil
}

func (a *numVar) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(len(a.n))
	for g, n := range a.n {
		if n == 0 || (a.mode.sample && n <= 1) {
			b.AppendNull()
			continue
		}
		var sx, sxx dec
		if a.numeric {
			if a.sp[g].any() {
				// Any NaN or infinite input makes the result NaN.
				b.Append("NaN")
				continue
			}
			sx, sxx = decOf(&a.dsx[g]), decOf(&a.dsxx[g])
		} else {
			sx, sxx = decInt(a.isx[g].big()), decInt(a.isxx[g].big())
		}
		b.Append(numericVariance(n, sx, sxx, a.mode))
	}
	return b.NewArray(), nil
}

// numericVariance is numeric_stddev_internal for N ≥ 1 (≥ 2 for samp).
func numericVariance(n int64, sx, sxx dec, mode varMode) string {
	vn := decInt(bigOf(n))
	num := decSub(decMul(vn, sxx), decMul(sx, sx)) // N·Σx² − (Σx)²
	if num.c.Sign() <= 0 {
		// PostgreSQL guards against roundoff producing a negative
		// numerator; its zero has display scale 0.
		return "0"
	}
	m := n // N·N for pop, N·(N−1) for samp
	if mode.sample {
		m = n - 1
	}
	den := decInt(new(big.Int).Mul(bigOf(n), bigOf(m)))
	rscale := selectDivScale(num, den)
	r := decDiv(num, den, rscale)
	if mode.stddev {
		r = decSqrt(r, rscale)
	}
	return r.text()
}

// AppendState encodes N (uvarint), then for integer input Σx (varint high
// word, 8-byte low word) and Σx² (three 8-byte words); for numeric input the
// NaN, +Infinity and -Infinity counts (uvarints) and Σx, Σx² as apd's exact
// text (uvarint length + bytes).
func (a *numVar) AppendState(buf []byte, g uint32) []byte {
	buf = binary.AppendUvarint(buf, uint64(a.n[g]))
	if a.numeric {
		sp := a.sp[g]
		buf = binary.AppendUvarint(buf, uint64(sp.nan))
		buf = binary.AppendUvarint(buf, uint64(sp.pinf))
		buf = binary.AppendUvarint(buf, uint64(sp.ninf))
		buf = appendVal(buf, kString, val{b: []byte(a.dsx[g].String())})
		return appendVal(buf, kString, val{b: []byte(a.dsxx[g].String())})
	}
	buf = binary.AppendVarint(buf, a.isx[g].hi)
	buf = binary.LittleEndian.AppendUint64(buf, a.isx[g].lo)
	for _, w := range a.isxx[g] {
		buf = binary.LittleEndian.AppendUint64(buf, w)
	}
	return buf
}

func (a *numVar) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	n := r.uvarint()
	if a.numeric {
		sp := numericSpecials{nan: int64(r.uvarint()), pinf: int64(r.uvarint()), ninf: int64(r.uvarint())}
		t1, t2 := r.bytes(), r.bytes()
		if !r.done() || n > 1<<62 || sp.nan < 0 || sp.pinf < 0 || sp.ninf < 0 {
			return errCorrupt(a.name, "bad moments")
		}
		var d1, d2 apd.Decimal
		if parseNumeric(t1, &d1) != nil || parseNumeric(t2, &d2) != nil || d1.Form != apd.Finite || d2.Form != apd.Finite {
			return errCorrupt(a.name, "bad moments")
		}
		if err := addDecimal(&a.dsx[g], &d1); err != nil {
			return err
		}
		if err := addDecimal(&a.dsxx[g], &d2); err != nil {
			return err
		}
		a.sp[g].add(sp)
		a.n[g] += int64(n)
		return nil
	}
	sx := i128{hi: r.varint(), lo: r.u64()}
	var sxx u192
	for i := range sxx {
		sxx[i] = r.u64()
	}
	if !r.done() || n > 1<<62 {
		return errCorrupt(a.name, "bad moments")
	}
	if a.isx[g].add(sx) {
		return errFloatOverflow()
	}
	a.isxx[g].add(sxx)
	a.n[g] += int64(n)
	return nil
}

func (a *numVar) Size() int64 {
	dsz := int64(unsafe.Sizeof(apd.Decimal{}))
	return int64(cap(a.n))*8 + int64(cap(a.isx))*16 + int64(cap(a.isxx))*24 +
		(int64(cap(a.dsx))+int64(cap(a.dsxx)))*dsz + int64(cap(a.sp))*24
}
