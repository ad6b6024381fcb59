package exec

import (
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// numericCtx does exact numeric arithmetic: enough precision that adds,
// subtracts and multiplies of realistic values never round.
var numericCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(2000)
	c.Rounding = apd.RoundHalfUp // PostgreSQL rounds numeric half away from zero
	return c
}()

// NumericDScale is the display scale of d (digits after the point).
func NumericDScale(d *apd.Decimal) int32 {
	if d.Exponent < 0 {
		return -d.Exponent
	}
	return 0
}

// numericWeight returns PostgreSQL's base-10000 weight of d and the value
// of its first base-10000 digit (0, 0 for zero).
func numericWeight(d *apd.Decimal) (int64, int64) {
	if d.IsZero() {
		return 0, 0
	}
	msd := int64(apd.NumDigits(&d.Coeff)) + int64(d.Exponent) - 1 // power of ten of the first digit
	w := msd / 4
	if msd < 0 && msd%4 != 0 {
		w--
	}
	// first group = floor(|d| / 10^(4w))
	var q apd.Decimal
	q.Abs(d)
	q.Exponent -= int32(4 * w)
	var ip apd.Decimal
	numericCtx.Floor(&ip, &q)
	v, _ := ip.Int64()
	return w, v
}

// NumericDivScale is PostgreSQL's select_div_scale: the result scale of
// a / b, giving at least 16 significant digits.
func NumericDivScale(a, b *apd.Decimal) int32 {
	w1, f1 := numericWeight(a)
	w2, f2 := numericWeight(b)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := int64(16) - qweight*4
	rscale = max(rscale, int64(NumericDScale(a)), int64(NumericDScale(b)), 0)
	return int32(min(rscale, 1000))
}

// NumericRound rounds d to scale digits after the point (half away from
// zero), in place.
func NumericRound(d *apd.Decimal, scale int32) error {
	_, err := numericCtx.Quantize(d, d, -scale)
	return err
}

// NumericQuo divides a by b with PostgreSQL's result scale.
func NumericQuo(a, b *apd.Decimal) (*apd.Decimal, error) {
	if b.IsZero() {
		return nil, errDivByZero
	}
	scale := NumericDivScale(a, b)
	r := new(apd.Decimal)
	c := numericCtx.WithPrecision(uint32(max(int64(apd.NumDigits(&a.Coeff))+int64(scale)+int64(a.Exponent)+40, 60)))
	c.Rounding = apd.RoundHalfUp
	if _, err := c.Quo(r, a, b); err != nil {
		return nil, err
	}
	if err := NumericRound(r, scale); err != nil {
		return nil, err
	}
	return r, nil
}

func numericArith(op byte) Kernel {
	return rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		x, y := a[0].(*apd.Decimal), a[1].(*apd.Decimal)
		r := new(apd.Decimal)
		var err error
		switch op {
		case '+':
			_, err = numericCtx.Add(r, x, y)
		case '-':
			_, err = numericCtx.Sub(r, x, y)
		case '*':
			_, err = numericCtx.Mul(r, x, y)
		case '/':
			return NumericQuo(x, y)
		case '%':
			if y.IsZero() {
				return nil, errDivByZero
			}
			_, err = numericCtx.Rem(r, x, y)
			if err == nil && NumericDScale(r) < max(NumericDScale(x), NumericDScale(y)) {
				err = NumericRound(r, max(NumericDScale(x), NumericDScale(y)))
			}
		}
		if err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
		}
		return r, nil
	})
}

var numericNeg = rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
	r := new(apd.Decimal)
	r.Neg(a[0].(*apd.Decimal))
	return r, nil
})

// NumericFromFloat converts f to a numeric as PostgreSQL's float8 →
// numeric cast does (15 significant digits for float8, 6 for float4).
func NumericFromFloat(f float64, width int) (*apd.Decimal, error) {
	digits := 15
	if width == 4 {
		digits = 6
	}
	s := formatG(f, digits)
	d, _, err := apd.NewFromString(s)
	if err != nil {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "cannot convert %s to numeric", s)
	}
	return d, nil
}

// compareNumeric compares two numeric datums.
func compareNumeric(a, b *apd.Decimal) int { return a.Cmp(b) }

func init() {
	_ = types.Numeric
}
