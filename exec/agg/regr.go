package agg

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// corr, covar_pop, covar_samp and the regr_* family over (Y, X) pairs of
// double precision. The state is PostgreSQL's (N, Sx, Sxx, Sy, Syy, Sxy)
// with the Youngs–Cramer update (float8_regr_accum) and the pairwise merge
// of float8_regr_combine, so results and merged results are what
// PostgreSQL computes serially and in parallel. A row counts only when
// both Y and X are non-NULL.

// regrAcc is one aggregate of the family; name picks the final function.
type regrAcc struct {
	name                     string
	n, sx, sxx, sy, syy, sxy []float64
	sc, sc2                  scratch
}

var _ Accumulator = (*regrAcc)(nil)

// isRegrAggregate names the aggregates regrAcc implements.
func isRegrAggregate(name string) bool {
	switch name {
	case "corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy", "regr_sxy",
		"regr_avgx", "regr_avgy", "regr_r2", "regr_slope", "regr_intercept":
		return true
	}
	return false
}

func (a *regrAcc) Grow(n int) {
	a.n = growSlice(a.n, n)
	a.sx = growSlice(a.sx, n)
	a.sxx = growSlice(a.sxx, n)
	a.sy = growSlice(a.sy, n)
	a.syy = growSlice(a.syy, n)
	a.sxy = growSlice(a.sxy, n)
}

func (a *regrAcc) Len() int { return len(a.n) }

// accum is float8_regr_accum for one (y, x) pair.
func (a *regrAcc) accum(g uint32, y, x float64) error {
	n0 := a.n[g]
	n := n0 + 1
	sx, sy := a.sx[g]+x, a.sy[g]+y
	sxx, syy, sxy := a.sxx[g], a.syy[g], a.sxy[g]
	if n0 > 0 {
		tmpX := x*n - sx
		tmpY := y*n - sy
		scale := 1 / (n * n0)
		sxx += tmpX * tmpX * scale
		syy += tmpY * tmpY * scale
		sxy += tmpX * tmpY * scale
		if math.IsInf(sx, 0) || math.IsInf(sxx, 0) {
			if !math.IsInf(a.sx[g], 0) && !math.IsInf(x, 0) {
				return errFloatOverflow()
			}
			sxx = math.NaN()
		}
		if math.IsInf(sy, 0) || math.IsInf(syy, 0) {
			if !math.IsInf(a.sy[g], 0) && !math.IsInf(y, 0) {
				return errFloatOverflow()
			}
			syy = math.NaN()
		}
		if math.IsInf(sxy, 0) {
			if !math.IsInf(a.sx[g], 0) && !math.IsInf(x, 0) && !math.IsInf(a.sy[g], 0) && !math.IsInf(y, 0) {
				return errFloatOverflow()
			}
			sxy = math.NaN()
		}
	} else {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			sxx, sxy = math.NaN(), math.NaN()
		}
		if math.IsNaN(y) || math.IsInf(y, 0) {
			syy, sxy = math.NaN(), math.NaN()
		}
	}
	a.n[g], a.sx[g], a.sxx[g], a.sy[g], a.syy[g], a.sxy[g] = n, sx, sxx, sy, syy, sxy
	return nil
}

// combine is float8_regr_combine: Chan et al.'s pairwise update.
func (a *regrAcc) combine(g uint32, n2, sx2, sxx2, sy2, syy2, sxy2 float64) error {
	n1, sx1, sxx1, sy1, syy1, sxy1 := a.n[g], a.sx[g], a.sxx[g], a.sy[g], a.syy[g], a.sxy[g]
	switch {
	case n2 == 0:
		return nil
	case n1 == 0:
		a.n[g], a.sx[g], a.sxx[g], a.sy[g], a.syy[g], a.sxy[g] = n2, sx2, sxx2, sy2, syy2, sxy2
		return nil
	}
	n := n1 + n2
	sx := sx1 + sx2
	sy := sy1 + sy2
	if math.IsInf(sx, 0) && !math.IsInf(sx1, 0) && !math.IsInf(sx2, 0) ||
		math.IsInf(sy, 0) && !math.IsInf(sy1, 0) && !math.IsInf(sy2, 0) {
		return errFloatOverflow()
	}
	tmp1 := sx1/n1 - sx2/n2
	tmp2 := sy1/n1 - sy2/n2
	sxx := sxx1 + sxx2 + n1*n2*tmp1*tmp1/n
	syy := syy1 + syy2 + n1*n2*tmp2*tmp2/n
	sxy := sxy1 + sxy2 + n1*n2*tmp1*tmp2/n
	if math.IsInf(sxx, 0) && !math.IsInf(sxx1, 0) && !math.IsInf(sxx2, 0) ||
		math.IsInf(syy, 0) && !math.IsInf(syy1, 0) && !math.IsInf(syy2, 0) ||
		math.IsInf(sxy, 0) && !math.IsInf(sxy1, 0) && !math.IsInf(sxy2, 0) {
		return errFloatOverflow()
	}
	a.n[g], a.sx[g], a.sxx[g], a.sy[g], a.syy[g], a.sxy[g] = n, sx, sxx, sy, syy, sxy
	return nil
}

// floatAt reads row i of a numeric array as float64: the binder casts the
// arguments to double precision, window calls may pass integers.
type floatReader func(i int) float64

func floatsOf(name string, arr arrow.Array) (floatReader, error) {
	switch x := arr.(type) {
	case *array.Float64:
		v := x.Float64Values()
		return func(i int) float64 { return v[i] }, nil
	case *array.Float32:
		v := x.Float32Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int64:
		v := x.Int64Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int32:
		v := x.Int32Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	case *array.Int16:
		v := x.Int16Values()
		return func(i int) float64 { return float64(v[i]) }, nil
	}
	return nil, wrongType(name, arr)
}

func (a *regrAcc) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 2); err != nil {
		return err
	}
	vy := rowValidity(args[0], &a.sc.bits)
	vx := rowValidity(args[1], &a.sc2.bits)
	if vy.none || vx.none {
		return nil
	}
	y, err := floatsOf(a.name, args[0])
	if err != nil {
		return err
	}
	x, err := floatsOf(a.name, args[1])
	if err != nil {
		return err
	}
	for i, g := range groups {
		if g == NoGroup || !vy.valid(i) || !vx.valid(i) {
			continue
		}
		if err := a.accum(g, y(i), x(i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *regrAcc) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*regrAcc)
	if !ok || s.name != a.name {
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
			if err := a.combine(d, s.n[g], s.sx[g], s.sxx[g], s.sy[g], s.syy[g], s.sxy[g]); err != nil {
				return err
			}
		}
	}
	return nil
}

// final is the final function of a.name (float8_regr_* and
// float8_corr / float8_covar_*); ok false is NULL.
func (a *regrAcc) final(g int) (float64, bool) {
	n, sx, sxx, sy, syy, sxy := a.n[g], a.sx[g], a.sxx[g], a.sy[g], a.syy[g], a.sxy[g]
	if n < 1 {
		return 0, false
	}
	switch a.name {
	case "regr_count":
		return n, true
	case "regr_sxx":
		return sxx, true
	case "regr_syy":
		return syy, true
	case "regr_sxy":
		return sxy, true
	case "regr_avgx":
		return sx / n, true
	case "regr_avgy":
		return sy / n, true
	case "covar_pop":
		return sxy / n, true
	case "covar_samp":
		if n < 2 {
			return 0, false
		}
		return sxy / (n - 1), true
	case "corr":
		if sxx == 0 || syy == 0 {
			return 0, false
		}
		return sxy / math.Sqrt(sxx*syy), true
	case "regr_r2":
		if sxx == 0 {
			return 0, false
		}
		if syy == 0 {
			return 1, true
		}
		return sxy * sxy / (sxx * syy), true
	case "regr_slope":
		if sxx == 0 {
			return 0, false
		}
		return sxy / sxx, true
	case "regr_intercept":
		if sxx == 0 {
			return 0, false
		}
		return (sy - sx*sxy/sxx) / n, true
	}
	return 0, false
}

func (a *regrAcc) Finalize(mem memory.Allocator) (arrow.Array, error) {
	if a.name == "regr_count" {
		// regr_count is a count: 0, not NULL, over no rows.
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.Reserve(a.Len())
		for _, n := range a.n {
			b.UnsafeAppend(int64(n))
		}
		return b.NewArray(), nil
	}
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for g := range a.n {
		if v, ok := a.final(g); ok {
			b.UnsafeAppend(v)
		} else {
			b.UnsafeAppendBoolToBitmap(false)
		}
	}
	return b.NewArray(), nil
}

// AppendState encodes N, Sx, Sxx, Sy, Syy, Sxy as six little-endian
// float64 words.
func (a *regrAcc) AppendState(buf []byte, g uint32) []byte {
	for _, f := range [6]float64{a.n[g], a.sx[g], a.sxx[g], a.sy[g], a.syy[g], a.sxy[g]} {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(f))
	}
	return buf
}

func (a *regrAcc) LoadState(g uint32, data []byte) error {
	if len(data) != 48 {
		return errCorrupt(a.name, "bad state length")
	}
	var f [6]float64
	for i := range f {
		f[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	if f[0] < 0 || f[0] != math.Trunc(f[0]) {
		return errCorrupt(a.name, "bad count")
	}
	return a.combine(g, f[0], f[1], f[2], f[3], f[4], f[5])
}

func (a *regrAcc) Size() int64 { return int64(cap(a.n)) * 48 }
