package agg

import (
	"math/big"
	"math/bits"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
)

// This file holds the exact arithmetic behind numeric results: 128-bit
// integer sums, and the division and square root of PostgreSQL's numeric
// (src/backend/utils/adt/numeric.c) with its result-scale rules, so that
// avg(int) and stddev(int) print exactly what PostgreSQL prints.

// i128 is a signed 128-bit integer (two's complement).
type i128 struct {
	hi int64
	lo uint64
}

func (x *i128) add64(v int64) {
	lo, c := bits.Add64(x.lo, uint64(v), 0)
	x.lo = lo
	x.hi += v>>63 + int64(c)
}

// add adds y and reports signed overflow.
func (x *i128) add(y i128) bool {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi := x.hi + y.hi + int64(c)
	ovf := (x.hi >= 0) == (y.hi >= 0) && (hi >= 0) != (x.hi >= 0)
	x.hi, x.lo = hi, lo
	return ovf
}

func (x i128) big() *big.Int {
	b := new(big.Int).SetInt64(x.hi)
	b.Lsh(b, 64)
	return b.Add(b, new(big.Int).SetUint64(x.lo))
}

// u192 is an unsigned 192-bit integer, little-endian words: a sum of
// squares of int64 values that cannot overflow in any realistic row count.
type u192 [3]uint64

// addSquare adds v*v.
func (x *u192) addSquare(v int64) {
	a := uint64(v)
	if v < 0 {
		a = uint64(-v)
	}
	hi, lo := bits.Mul64(a, a)
	var c uint64
	x[0], c = bits.Add64(x[0], lo, 0)
	x[1], c = bits.Add64(x[1], hi, c)
	x[2] += c
}

func (x *u192) add(y u192) {
	var c uint64
	x[0], c = bits.Add64(x[0], y[0], 0)
	x[1], c = bits.Add64(x[1], y[1], c)
	x[2] += y[2] + c
}

func (x u192) big() *big.Int {
	b := new(big.Int).SetUint64(x[2])
	b.Lsh(b, 64)
	b.Add(b, new(big.Int).SetUint64(x[1]))
	b.Lsh(b, 64)
	return b.Add(b, new(big.Int).SetUint64(x[0]))
}

// dec is an exact decimal c × 10^-scale, scale ≥ 0: PostgreSQL's NumericVar
// with its display scale.
type dec struct {
	c     *big.Int
	scale int
}

var bigTen = big.NewInt(10)

func pow10(n int) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

func decInt(v *big.Int) dec { return dec{c: v} }

func bigOf(n int64) *big.Int { return big.NewInt(n) }

// decOf converts a finite apd decimal; a positive exponent is folded into
// the coefficient (display scale 0), as PostgreSQL has no negative scales.
func decOf(d *apd.Decimal) dec {
	c := d.Coeff.MathBigInt()
	if d.Negative {
		c.Neg(c)
	}
	if d.Exponent >= 0 {
		if d.Exponent > 0 {
			c.Mul(c, pow10(int(d.Exponent)))
		}
		return dec{c: c}
	}
	return dec{c: c, scale: int(-d.Exponent)}
}

func decMul(a, b dec) dec {
	return dec{c: new(big.Int).Mul(a.c, b.c), scale: a.scale + b.scale}
}

func decSub(a, b dec) dec {
	s := max(a.scale, b.scale)
	x := new(big.Int).Mul(a.c, pow10(s-a.scale))
	y := new(big.Int).Mul(b.c, pow10(s-b.scale))
	return dec{c: x.Sub(x, y), scale: s}
}

// nbaseLead returns the weight and first digit of |d| in PostgreSQL's base
// NBASE = 10000 representation (0, 0 for zero).
func nbaseLead(d dec) (weight int, first int64) {
	if d.c.Sign() == 0 {
		return 0, 0
	}
	a := new(big.Int).Abs(d.c)
	nd := len(a.String())
	p := nd - 1 - d.scale // power of ten of the leading digit
	w := p / 4
	if p < 0 && p%4 != 0 {
		w-- // floor division
	}
	e := d.scale + 4*w
	if e >= 0 {
		a.Quo(a, pow10(e))
	} else {
		a.Mul(a, pow10(-e))
	}
	return w, a.Int64()
}

const (
	numericMinSigDigits  = 16   // NUMERIC_MIN_SIG_DIGITS
	numericMaxDispScale  = 1000 // NUMERIC_MAX_DISPLAY_SCALE
	numericMinDispScale  = 0    // NUMERIC_MIN_DISPLAY_SCALE
	decDigitsPerNBASEDig = 4    // DEC_DIGITS
)

// selectDivScale is numeric.c's select_div_scale: the result scale of
// var1 / var2 gives at least 16 significant digits and no fewer decimals
// than either input shows.
func selectDivScale(v1, v2 dec) int {
	w1, f1 := nbaseLead(v1)
	w2, f2 := nbaseLead(v2)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := numericMinSigDigits - qweight*decDigitsPerNBASEDig
	rscale = max(rscale, v1.scale, v2.scale, numericMinDispScale)
	return min(rscale, numericMaxDispScale)
}

// decDiv returns num/den rounded half away from zero at rscale decimals
// (div_var with round = true). den must not be zero.
func decDiv(num, den dec, rscale int) dec {
	e := den.scale - num.scale + rscale
	n := new(big.Int).Abs(num.c)
	d := new(big.Int).Abs(den.c)
	if e >= 0 {
		n.Mul(n, pow10(e))
	} else {
		d.Mul(d, pow10(-e))
	}
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Lsh(r, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if num.c.Sign()*den.c.Sign() < 0 {
		q.Neg(q)
	}
	return dec{c: q, scale: rscale}
}

// decSqrt returns sqrt(v) rounded half up at rscale decimals, v ≥ 0:
// sqrt_var's correctly rounded result.
func decSqrt(v dec, rscale int) dec {
	// t = floor(sqrt(v) × 10^(rscale+1)) = isqrt(floor(c × 10^(2(rscale+1) - scale)))
	e := 2*(rscale+1) - v.scale
	x := new(big.Int).Set(v.c)
	if e >= 0 {
		x.Mul(x, pow10(e))
	} else {
		x.Quo(x, pow10(-e))
	}
	t := x.Sqrt(x)
	q, digit := new(big.Int).QuoRem(t, bigTen, new(big.Int))
	if digit.Int64() >= 5 {
		q.Add(q, big.NewInt(1))
	}
	return dec{c: q, scale: rscale}
}

// text renders d with exactly scale decimals, as numeric_out does.
func (d dec) text() string {
	neg := d.c.Sign() < 0
	s := new(big.Int).Abs(d.c).String()
	if d.scale > 0 {
		for len(s) <= d.scale {
			s = "0" + s
		}
		s = s[:len(s)-d.scale] + "." + s[len(s)-d.scale:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// numericDivText is numeric_div's text result for num / den (den > 0).
func numericDivText(num, den dec) string {
	return decDiv(num, den, selectDivScale(num, den)).text()
}

// numericSpecials counts the NaN and infinite inputs of a numeric
// aggregate, as PostgreSQL's NumericAggState does.
type numericSpecials struct {
	nan, pinf, ninf int64
}

func (s *numericSpecials) add(o numericSpecials) {
	s.nan += o.nan
	s.pinf += o.pinf
	s.ninf += o.ninf
}

func (s *numericSpecials) any() bool { return s.nan+s.pinf+s.ninf > 0 }

// sumText is the result of a sum or avg with specials: NaN wins, opposite
// infinities give NaN.
func (s *numericSpecials) sumText() string {
	switch {
	case s.nan > 0 || (s.pinf > 0 && s.ninf > 0):
		return "NaN"
	case s.pinf > 0:
		return "Infinity"
	}
	return "-Infinity"
}

// classify records d when it is NaN or infinite and reports whether it is
// finite.
func (s *numericSpecials) classify(d *apd.Decimal) bool {
	switch d.Form {
	case apd.Finite:
		return true
	case apd.Infinite:
		if d.Negative {
			s.ninf++
		} else {
			s.pinf++
		}
	default:
		s.nan++
	}
	return false
}

// addDecimal adds x to d exactly.
func addDecimal(d, x *apd.Decimal) error {
	if _, err := apd.BaseContext.Add(d, d, x); err != nil {
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
	}
	return nil
}

// finiteText renders a finite apd decimal as numeric_out does (no exponent,
// no negative zero).
func finiteText(d *apd.Decimal) string {
	return decOf(d).text()
}
