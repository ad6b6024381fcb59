package exec

// numeric versions of the math functions. Result scales follow
// PostgreSQL 15's numeric.c: at least 16 significant digits
// (NUMERIC_MIN_SIG_DIGITS) and never fewer digits after the point than the
// inputs have, so sqrt(2::numeric) is 1.414213562373095 and
// 2::numeric ^ 3 is 8.0000000000000000. Intermediate results are computed
// with a few guard digits more than the result keeps and rounded half away
// from zero, as PostgreSQL rounds numerics.

import (
	"math"

	"github.com/cockroachdb/apd/v3"
	"github.com/jackc/pgerrcode"

	"lambdasql/sql/sqlstate"
)

const (
	numericMinSigDigits  = 16
	numericMaxDisplay    = 1000
	numericMaxResultScal = 2000
)

// numCtx is a context of prec significant digits rounding half up.
func numCtx(prec int64) *apd.Context {
	c := apd.BaseContext.WithPrecision(uint32(min(max(prec, 20), 100000)))
	c.Rounding = apd.RoundHalfUp
	return c
}

// numIntDigits is the number of decimal digits before the point of d
// (negative for values below 0.1: the position of the first digit).
func numIntDigits(d *apd.Decimal) int64 {
	if d.IsZero() {
		return 0
	}
	return int64(apd.NumDigits(&d.Coeff)) + int64(d.Exponent)
}

// numFinish rounds r to scale digits after the point and clears a
// negative zero (PostgreSQL's numeric has no -0).
func numFinish(r *apd.Decimal, scale int64) (*apd.Decimal, error) {
	scale = min(max(scale, 0), numericMaxDisplay)
	c := numCtx(numIntDigits(r) + scale + 2)
	if _, err := c.Quantize(r, r, -int32(scale)); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r, nil
}

func numClampScale(s int64) int64 { return min(max(s, 0), numericMaxDisplay) }

func numDScale(d *apd.Decimal) int64 { return int64(NumericDScale(d)) }

// trimScale drops the fraction's trailing zeros (1.2300 → 1.23, 0.00 → 0);
// an integer part keeps its zeros (100.0 → 100).
func trimScale(d *apd.Decimal) *apd.Decimal {
	if d.Form != apd.Finite || d.Exponent >= 0 {
		return d
	}
	out := new(apd.Decimal).Set(d)
	if out.Coeff.Sign() == 0 {
		out.Exponent = 0
		return out
	}
	var q, r apd.BigInt
	ten := apd.NewBigInt(10)
	for out.Exponent < 0 {
		q.QuoRem(&out.Coeff, ten, &r)
		if r.Sign() != 0 {
			break
		}
		out.Coeff.Set(&q)
		out.Exponent++
	}
	return out
}

var (
	numPointNine   = apd.New(9, -1)
	numOnePointOne = apd.New(11, -1)
	numOne         = apd.New(1, 0)
	numTen         = apd.New(10, 0)
)

// estimateLnDweight estimates the decimal weight of ln(x) for x > 0
// (numeric.c's estimate_ln_dweight).
func estimateLnDweight(x *apd.Decimal) int64 {
	if x.Cmp(numPointNine) >= 0 && x.Cmp(numOnePointOne) <= 0 {
		var d apd.Decimal
		numCtx(50).Sub(&d, x, numOne)
		if d.IsZero() {
			return 0
		}
		return numIntDigits(&d) - 1
	}
	// x = m * 10^e with m from the leading digits.
	nd := int64(apd.NumDigits(&x.Coeff))
	var m apd.Decimal
	m.Set(x)
	m.Negative = false
	m.Exponent = -int32(nd - 1) // 1 <= m < 10
	mf, _ := m.Float64()
	e := nd - 1 + int64(x.Exponent)
	lnv := math.Log(mf) + float64(e)*math.Ln10
	if lnv == 0 {
		return 0
	}
	return int64(math.Log10(math.Abs(lnv))) // C's (int) truncates toward zero
}

func errLogZero() error {
	return sqlstate.New(pgerrcode.InvalidArgumentForLogarithm, "cannot take logarithm of zero")
}

func errLogNeg() error {
	return sqlstate.New(pgerrcode.InvalidArgumentForLogarithm, "cannot take logarithm of a negative number")
}

func checkLogArg(x *apd.Decimal) error {
	switch x.Sign() {
	case 0:
		return errLogZero()
	case -1:
		return errLogNeg()
	}
	return nil
}

// NumericSqrt is sqrt(numeric).
func NumericSqrt(x *apd.Decimal) (*apd.Decimal, error) {
	if x.Sign() < 0 {
		return nil, sqlstate.New(pgerrcode.InvalidArgumentForPowerFunction, "cannot take square root of a negative number")
	}
	w, _ := numericWeight(x)
	sweight := (w+1)*4/2 - 1
	rscale := numClampScale(max(numericMinSigDigits-sweight, numDScale(x)))
	r := new(apd.Decimal)
	if _, err := numCtx((numIntDigits(x)+1)/2+rscale+8).Sqrt(r, x); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	return numFinish(r, rscale)
}

// NumericExp is exp(numeric).
func NumericExp(x *apd.Decimal) (*apd.Decimal, error) {
	val, _ := x.Float64()
	if val >= numericMaxResultScal*3 {
		return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
	}
	if val <= -numericMaxResultScal*3 {
		return numFinish(new(apd.Decimal), numericMaxDisplay)
	}
	dw := val * 0.434294481903252
	rscale := numClampScale(max(numericMinSigDigits-int64(dw), numDScale(x)))
	r := new(apd.Decimal)
	if _, err := numCtx(int64(math.Max(dw, 0))+rscale+10).Exp(r, x); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	return numFinish(r, rscale)
}

// NumericLn is ln(numeric).
func NumericLn(x *apd.Decimal) (*apd.Decimal, error) {
	if err := checkLogArg(x); err != nil {
		return nil, err
	}
	dw := estimateLnDweight(x)
	rscale := numClampScale(max(numericMinSigDigits-dw, numDScale(x)))
	r := new(apd.Decimal)
	if _, err := numCtx(max(dw, 0)+rscale+10).Ln(r, x); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	return numFinish(r, rscale)
}

// NumericLog is log(base, x) over numerics; log(x) is log(10, x).
func NumericLog(base, x *apd.Decimal) (*apd.Decimal, error) {
	if err := checkLogArg(base); err != nil {
		return nil, err
	}
	if err := checkLogArg(x); err != nil {
		return nil, err
	}
	if base.Cmp(numOne) == 0 {
		return nil, errDivByZero
	}
	dw := estimateLnDweight(x) - estimateLnDweight(base)
	rscale := numClampScale(max(numericMinSigDigits-dw, numDScale(base), numDScale(x)))
	prec := max(dw, 0) + rscale + 20
	c := numCtx(prec)
	var lx, lb apd.Decimal
	if _, err := c.Ln(&lx, x); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	if _, err := c.Ln(&lb, base); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	r := new(apd.Decimal)
	if _, err := c.Quo(r, &lx, &lb); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	return numFinish(r, rscale)
}

// numIsIntegral reports whether d has no fractional part.
func numIsIntegral(d *apd.Decimal) bool {
	if d.Exponent >= 0 || d.IsZero() {
		return true
	}
	var frac, integ apd.Decimal
	d.Modf(&integ, &frac)
	return frac.IsZero()
}

// NumericPow is power(numeric, numeric) and numeric ^ numeric.
func NumericPow(base, exp *apd.Decimal) (*apd.Decimal, error) {
	if base.IsZero() && exp.Sign() < 0 {
		return nil, sqlstate.New(pgerrcode.InvalidArgumentForPowerFunction, "zero raised to a negative power is undefined")
	}
	integral := numIsIntegral(exp)
	if base.Sign() < 0 && !integral {
		return nil, sqlstate.New(pgerrcode.InvalidArgumentForPowerFunction, "a negative number raised to a non-integer power yields a complex result")
	}
	if e, err := exp.Int64(); integral && err == nil && e >= math.MinInt32 && e <= math.MaxInt32 {
		rscale := numClampScale(max(numericMinSigDigits, numDScale(base)))
		if base.IsZero() {
			r := apd.New(0, 0)
			if e == 0 {
				r = apd.New(1, 0)
			}
			return numFinish(r, rscale)
		}
		// Decimal weight of the result, for the working precision.
		bf, _ := new(apd.Decimal).Abs(base).Float64()
		dw := float64(e) * math.Log10(bf)
		if math.IsInf(bf, 0) || bf == 0 {
			dw = float64(e) * float64(numIntDigits(base))
		}
		if dw > (math.MaxInt16+1)*4 {
			return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
		}
		if dw+1 < -numericMaxDisplay {
			return numFinish(new(apd.Decimal), numericMaxDisplay)
		}
		r := new(apd.Decimal)
		c := numCtx(int64(math.Max(dw, 0)) + rscale + 10)
		if _, err := c.Pow(r, base, apd.New(e, 0)); err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
		}
		return numFinish(r, rscale)
	}
	// ln-based power: base > 0 here (or 0 with exp > 0).
	if base.IsZero() {
		return numFinish(apd.New(0, 0), numClampScale(max(numericMinSigDigits, numDScale(base), numDScale(exp))))
	}
	var lnb, lnv apd.Decimal
	wc := numCtx(60)
	if _, err := wc.Ln(&lnb, base); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	wc.Mul(&lnv, &lnb, exp)
	val, _ := lnv.Float64()
	if math.Abs(val) > numericMaxResultScal*3.01 {
		if val > 0 {
			return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
		}
		return numFinish(new(apd.Decimal), numericMaxDisplay)
	}
	dw := val * 0.434294481903252
	rscale := numClampScale(max(numericMinSigDigits-int64(dw), numDScale(base), numDScale(exp)))
	r := new(apd.Decimal)
	if _, err := numCtx(int64(math.Max(dw, 0))+rscale+10).Pow(r, base, exp); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	return numFinish(r, rscale)
}

// NumericRoundTo is round(numeric, scale): half away from zero; a
// negative scale rounds to tens, hundreds, ….
func NumericRoundTo(x *apd.Decimal, scale int64, trunc bool) (*apd.Decimal, error) {
	scale = min(max(scale, -numericMaxResultScal), numericMaxResultScal)
	r := new(apd.Decimal)
	c := numCtx(numIntDigits(x) + max(scale, 0) + 2)
	if trunc {
		c.Rounding = apd.RoundDown
	}
	if _, err := c.Quantize(r, x, -int32(scale)); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	if scale < 0 && !r.IsZero() {
		// Keep the integer digits (PostgreSQL prints 1200, not 1.2E+3).
		if _, err := c.Quantize(r, r, 0); err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
		}
	}
	if r.IsZero() {
		r.Negative = false
		if scale < 0 {
			r.Exponent = 0
		}
	}
	return r, nil
}

// numericFloorCeil is floor or ceil of a numeric.
func numericFloorCeil(x *apd.Decimal, ceil bool) (*apd.Decimal, error) {
	r := new(apd.Decimal)
	c := numCtx(numIntDigits(x) + 2)
	var err error
	if ceil {
		_, err = c.Ceil(r, x)
	} else {
		_, err = c.Floor(r, x)
	}
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	if r.Exponent != 0 {
		if _, err := c.Quantize(r, r, 0); err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
		}
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r, nil
}

// numericDiv is div(numeric, numeric): the integer quotient truncated
// toward zero.
func numericDiv(x, y *apd.Decimal) (*apd.Decimal, error) {
	if y.IsZero() {
		return nil, errDivByZero
	}
	r := new(apd.Decimal)
	c := numCtx(numIntDigits(x) - numIntDigits(y) + 10)
	if _, err := c.QuoInteger(r, x, y); err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
	}
	if r.Exponent != 0 {
		c.Quantize(r, r, 0)
	}
	if r.IsZero() {
		r.Negative = false
	}
	return r, nil
}

// numericWidthBucket is width_bucket over numerics.
func numericWidthBucket(op, b1, b2 *apd.Decimal, count int64) (int64, error) {
	if count <= 0 {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "count must be greater than zero")
	}
	if op.Form == apd.NaN || b1.Form == apd.NaN || b2.Form == apd.NaN {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "operand, lower bound, and upper bound cannot be NaN")
	}
	cmp := b1.Cmp(b2)
	if cmp == 0 {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "lower bound cannot equal upper bound")
	}
	c := numCtx(100)
	var num, den, q, f apd.Decimal
	if cmp < 0 {
		if op.Cmp(b1) < 0 {
			return 0, nil
		}
		if op.Cmp(b2) >= 0 {
			return overflowCheck32(count + 1)
		}
		c.Sub(&num, op, b1)
		c.Sub(&den, b2, b1)
	} else {
		if op.Cmp(b1) > 0 {
			return 0, nil
		}
		if op.Cmp(b2) <= 0 {
			return overflowCheck32(count + 1)
		}
		c.Sub(&num, b1, op)
		c.Sub(&den, b1, b2)
	}
	c.Mul(&num, &num, apd.New(count, 0))
	c.QuoInteger(&q, &num, &den)
	c.Floor(&f, &q)
	v, _ := f.Int64()
	return min(v, count-1) + 1, nil
}

func overflowCheck32(v int64) (int64, error) {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0, sqlstate.New(sqlstate.NumericValueOutOfRange, "integer out of range")
	}
	return v, nil
}
