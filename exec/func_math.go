package exec

// Mathematical functions and the bitwise operators, with PostgreSQL's
// overloads, NULL handling and error codes (22003 overflow, 2201E bad
// logarithm argument, 2201F bad power argument, 2201G bad width_bucket
// argument, 22012 division by zero). Float and integer kernels are typed
// loops; numeric ones go through rowKernel (numeric columns are rare).
//
// round, trunc, floor, ceil, sign, sqrt, exp, ln, log, log10, power and ^
// also have an int8 overload returning double precision: PostgreSQL
// resolves round(1) and 2 ^ 3 to the float8 versions (float8 is the
// preferred numeric type), while this resolver, which counts conversion
// cost, would otherwise pick numeric for integer arguments.

import (
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"

	"github.com/cockroachdb/apd/v3"
	"github.com/jackc/pgerrcode"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func errFloatOverflow() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range: overflow")
}

func errFloatUnderflow() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range: underflow")
}

func errInputRange() error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "input is out of range")
}

// floatFn is a float8 → float8 function.
type floatFn func(float64) (float64, error)

// floatKernel applies f over float8 values.
func floatKernel(f floatFn) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return unaryFixed(args, n, types.Float8, f)
	}
}

// intAsFloatKernel applies f over int8 values converted to float8.
func intAsFloatKernel(f floatFn) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return unaryFixed(args, n, types.Float8, func(x int64) (float64, error) { return f(float64(x)) })
	}
}

// float2Kernel applies f over two float8 arguments.
func float2Kernel(f func(a, b float64) (float64, error)) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return binaryFixed(args, n, types.Float8, f)
	}
}

// int2AsFloatKernel applies f over two int8 arguments as float8.
func int2AsFloatKernel(f func(a, b float64) (float64, error)) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return binaryFixed(args, n, types.Float8, func(a, b int64) (float64, error) { return f(float64(a), float64(b)) })
	}
}

// numericKernel applies f over one numeric argument.
func numericKernel(f func(*apd.Decimal) (*apd.Decimal, error)) Kernel {
	return rowKernel(true, func(_ *KernelCtx, a []any) (any, error) { return f(a[0].(*apd.Decimal)) })
}

// numeric2Kernel applies f over two numeric arguments.
func numeric2Kernel(f func(x, y *apd.Decimal) (*apd.Decimal, error)) Kernel {
	return rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return f(a[0].(*apd.Decimal), a[1].(*apd.Decimal))
	})
}

func absInt[T ~int16 | ~int32 | ~int64](t *types.T) Kernel {
	lo := int64(math.MinInt64)
	switch t.Width {
	case 2:
		lo = math.MinInt16
	case 4:
		lo = math.MinInt32
	}
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return unaryFixed(args, n, t, func(x T) (T, error) {
			if int64(x) == lo {
				return 0, outOfRange(t)
			}
			if x < 0 {
				return -x, nil
			}
			return x, nil
		})
	}
}

func fsqrt(x float64) (float64, error) {
	if x < 0 {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForPowerFunction, "cannot take square root of a negative number")
	}
	return math.Sqrt(x), nil
}

func fexp(x float64) (float64, error) {
	switch {
	case math.IsNaN(x):
		return x, nil
	case math.IsInf(x, 1):
		return x, nil
	case math.IsInf(x, -1):
		return 0, nil
	}
	r := math.Exp(x)
	if math.IsInf(r, 0) {
		return 0, errFloatOverflow()
	}
	if r == 0 {
		return 0, errFloatUnderflow()
	}
	return r, nil
}

// log10 is math.Log10, exact for powers of ten (math.Log10(1e15) is
// 14.999999999999998; C's log10, which PostgreSQL uses, gives 15).
func log10(x float64) float64 {
	r := math.Log10(x)
	if k := math.Round(r); k != r && math.Abs(k) <= 308 && math.Pow(10, k) == x {
		return k
	}
	return r
}

func flog(f func(float64) float64) floatFn {
	return func(x float64) (float64, error) {
		if x == 0 {
			return 0, errLogZero()
		}
		if x < 0 {
			return 0, errLogNeg()
		}
		return f(x), nil
	}
}

// fpow is float8 power with PostgreSQL's domain errors.
func fpow(x, y float64) (float64, error) {
	if math.IsNaN(x) {
		if y == 0 {
			return 1, nil
		}
		return x, nil
	}
	if math.IsNaN(y) {
		if x == 1 {
			return 1, nil
		}
		return y, nil
	}
	if x == 0 && y < 0 {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForPowerFunction, "zero raised to a negative power is undefined")
	}
	if x < 0 && math.Floor(y) != y && !math.IsInf(y, 0) {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForPowerFunction, "a negative number raised to a non-integer power yields a complex result")
	}
	r := math.Pow(x, y)
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return 0, errFloatOverflow()
	}
	if r == 0 && x != 0 && !math.IsInf(y, 0) {
		return 0, errFloatUnderflow()
	}
	return r, nil
}

// ftrig wraps a trigonometric function: infinite input is out of range.
func ftrig(f func(float64) float64) floatFn {
	return func(x float64) (float64, error) {
		if math.IsInf(x, 0) {
			return 0, errInputRange()
		}
		return f(x), nil
	}
}

// farc wraps asin/acos: |x| > 1 is out of range.
func farc(f func(float64) float64) floatFn {
	return func(x float64) (float64, error) {
		if x < -1 || x > 1 {
			return 0, errInputRange()
		}
		return f(x), nil
	}
}

func fsign(x float64) (float64, error) {
	switch {
	case x > 0:
		return 1, nil
	case x < 0:
		return -1, nil
	}
	return x * 0, nil // 0 stays 0, NaN stays NaN
}

func numericSign(x *apd.Decimal) (*apd.Decimal, error) { return apd.New(int64(x.Sign()), 0), nil }

func numericAbs(x *apd.Decimal) (*apd.Decimal, error) { return new(apd.Decimal).Abs(x), nil }

// floatWidthBucket is width_bucket(float8, float8, float8, int4).
func floatWidthBucket(op, b1, b2 float64, count int64) (int64, error) {
	if count <= 0 {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "count must be greater than zero")
	}
	if math.IsNaN(op) || math.IsNaN(b1) || math.IsNaN(b2) {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "operand, lower bound, and upper bound cannot be NaN")
	}
	if math.IsInf(b1, 0) || math.IsInf(b2, 0) {
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "lower and upper bounds must be finite")
	}
	var r int64
	switch {
	case b1 < b2:
		switch {
		case op < b1:
			return 0, nil
		case op >= b2:
			return overflowCheck32(count + 1)
		}
		if !math.IsInf(b2-b1, 0) {
			r = int64(float64(count) * ((op - b1) / (b2 - b1)))
		} else {
			r = int64(float64(count) * ((op/2 - b1/2) / (b2/2 - b1/2)))
		}
	case b1 > b2:
		switch {
		case op > b1:
			return 0, nil
		case op <= b2:
			return overflowCheck32(count + 1)
		}
		if !math.IsInf(b1-b2, 0) {
			r = int64(float64(count) * ((b1 - op) / (b1 - b2)))
		} else {
			r = int64(float64(count) * ((b1/2 - op/2) / (b1/2 - b2/2)))
		}
	default:
		return 0, sqlstate.New(pgerrcode.InvalidArgumentForWidthBucketFunction, "lower bound cannot equal upper bound")
	}
	return min(r, count-1) + 1, nil
}

// gcdInt is gcd over int4 (width 4) or int8 values; a result that does
// not fit the type (gcd(min, 0)) is out of range.
func gcdInt(a, b int64, t *types.T) (int64, error) {
	ua, ub := absU64(a), absU64(b)
	for ub != 0 {
		ua, ub = ub, ua%ub
	}
	limit := uint64(math.MaxInt64)
	if t.Width == 4 {
		limit = math.MaxInt32
	}
	if ua > limit {
		return 0, outOfRange(t)
	}
	return int64(ua), nil
}

func lcmInt(a, b int64, t *types.T) (int64, error) {
	if a == 0 || b == 0 {
		return 0, nil
	}
	g, err := gcdInt(a, b, t)
	if err != nil {
		return 0, err
	}
	hi, lo := bits.Mul64(absU64(a)/uint64(g), absU64(b))
	limit := uint64(math.MaxInt64)
	if t.Width == 4 {
		limit = math.MaxInt32
	}
	if hi != 0 || lo > limit {
		return 0, outOfRange(t)
	}
	return int64(lo), nil
}

func absU64(x int64) uint64 {
	if x < 0 {
		return uint64(-(x + 1)) + 1
	}
	return uint64(x)
}

func factorial(n int64) (*apd.Decimal, error) {
	if n < 0 {
		return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "factorial of a negative number is undefined")
	}
	if n > 32177 {
		return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "value overflows numeric format")
	}
	r := big.NewInt(1)
	for i := int64(2); i <= n; i++ {
		r.Mul(r, big.NewInt(i))
	}
	d := new(apd.Decimal)
	d.Coeff.SetMathBigInt(r)
	return d, nil
}

// bitKernel is one of the bitwise operators & | # over an integer type.
func bitKernel[T ~int16 | ~int32 | ~int64](t *types.T, op byte) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return binaryFixed(args, n, t, func(a, b T) (T, error) {
			switch op {
			case '&':
				return a & b, nil
			case '|':
				return a | b, nil
			}
			return a ^ b, nil
		})
	}
}

// shiftKernel is << or >> with an int4 shift count; like PostgreSQL on
// x86 the count is taken modulo the width of the promoted operand.
func shiftKernel[T ~int16 | ~int32 | ~int64](t *types.T, left bool) Kernel {
	mask := int32(31)
	if t.Width == 8 {
		mask = 63
	}
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return binaryFixed(args, n, t, func(a T, s int32) (T, error) {
			c := uint(s & mask)
			if t.Width == 8 {
				if left {
					return T(int64(a) << c), nil
				}
				return T(int64(a) >> c), nil
			}
			if left {
				return T(int32(a) << c), nil
			}
			return T(int32(a) >> c), nil
		})
	}
}

func notKernel[T ~int16 | ~int32 | ~int64](t *types.T) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return unaryFixed(args, n, t, func(a T) (T, error) { return ^a, nil })
	}
}

// randomKernel is random(): a fresh value per row.
func randomKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	if n <= 0 {
		return Vec{Scalar: rand.Float64()}, nil
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = rand.Float64()
	}
	return Vec{Arr: newFixedArray(types.Float8.Arrow(), out, nil)}, nil
}

func init() {
	F8, I2, I4, I8, Num := types.Float8, types.Int2, types.Int4, types.Int8, types.Numeric
	// abs and @
	for _, name := range []string{"abs", "@"} {
		regFn(name, sig(I2), I2, absInt[int16](I2))
		regFn(name, sig(I4), I4, absInt[int32](I4))
		regFn(name, sig(I8), I8, absInt[int64](I8))
		regFn(name, sig(types.Float4), types.Float4, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
			return unaryFixed(args, n, types.Float4, func(x float32) (float32, error) { return float32(math.Abs(float64(x))), nil })
		})
		regFn(name, sig(F8), F8, floatKernel(func(x float64) (float64, error) { return math.Abs(x), nil }))
		regFn(name, sig(Num), Num, numericKernel(numericAbs))
	}
	// Functions with float8, numeric and integer-as-float8 overloads.
	type triple struct {
		name string
		f    floatFn
		num  func(*apd.Decimal) (*apd.Decimal, error)
	}
	for _, t := range []triple{
		{"round", func(x float64) (float64, error) { return math.RoundToEven(x), nil },
			func(x *apd.Decimal) (*apd.Decimal, error) { return NumericRoundTo(x, 0, false) }},
		{"trunc", func(x float64) (float64, error) { return math.Trunc(x), nil },
			func(x *apd.Decimal) (*apd.Decimal, error) { return NumericRoundTo(x, 0, true) }},
		{"floor", func(x float64) (float64, error) { return math.Floor(x), nil },
			func(x *apd.Decimal) (*apd.Decimal, error) { return numericFloorCeil(x, false) }},
		{"ceil", func(x float64) (float64, error) { return math.Ceil(x), nil },
			func(x *apd.Decimal) (*apd.Decimal, error) { return numericFloorCeil(x, true) }},
		{"ceiling", func(x float64) (float64, error) { return math.Ceil(x), nil },
			func(x *apd.Decimal) (*apd.Decimal, error) { return numericFloorCeil(x, true) }},
		{"sign", fsign, numericSign},
		{"sqrt", fsqrt, NumericSqrt},
		{"exp", fexp, NumericExp},
		{"ln", flog(math.Log), NumericLn},
		{"log", flog(log10), func(x *apd.Decimal) (*apd.Decimal, error) { return NumericLog(numTen, x) }},
		{"log10", flog(log10), func(x *apd.Decimal) (*apd.Decimal, error) { return NumericLog(numTen, x) }},
	} {
		regFn(t.name, sig(F8), F8, floatKernel(t.f))
		regFn(t.name, sig(Num), Num, numericKernel(t.num))
		regFn(t.name, sig(I8), F8, intAsFloatKernel(t.f))
	}
	regFn("|/", sig(F8), F8, floatKernel(fsqrt))
	regFn("cbrt", sig(F8), F8, floatKernel(func(x float64) (float64, error) { return math.Cbrt(x), nil }))
	regFn("||/", sig(F8), F8, floatKernel(func(x float64) (float64, error) { return math.Cbrt(x), nil }))
	regFn("round", sig(Num, I4), Num, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return NumericRoundTo(a[0].(*apd.Decimal), a[1].(int64), false)
	}))
	regFn("trunc", sig(Num, I4), Num, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return NumericRoundTo(a[0].(*apd.Decimal), a[1].(int64), true)
	}))
	regFn("log", sig(Num, Num), Num, numeric2Kernel(NumericLog))
	for _, name := range []string{"power", "pow", "^"} {
		Register(
			&Func{Name: name, Args: sig(F8, F8), Ret: F8, Kernel: float2Kernel(fpow), Infix: name == "^"},
			&Func{Name: name, Args: sig(Num, Num), Ret: Num, Kernel: numeric2Kernel(NumericPow), Infix: name == "^"},
			&Func{Name: name, Args: sig(I8, I8), Ret: F8, Kernel: int2AsFloatKernel(fpow), Infix: name == "^"},
		)
	}
	regFn("mod", sig(I2, I2), I2, intArith[int16](I2, '%'))
	regFn("mod", sig(I4, I4), I4, intArith[int32](I4, '%'))
	regFn("mod", sig(I8, I8), I8, intArith[int64](I8, '%'))
	regFn("mod", sig(Num, Num), Num, numericArith('%'))
	regFn("div", sig(Num, Num), Num, numeric2Kernel(numericDiv))
	regFn("pi", nil, F8, func(*KernelCtx, []Vec, int) (Vec, error) { return Vec{Scalar: math.Pi}, nil })
	// PostgreSQL divides and multiplies by RADIANS_PER_DEGREE, which
	// rounds differently from multiplying by 180/π.
	const radiansPerDegree = 0.0174532925199432957692
	regFn("degrees", sig(F8), F8, floatKernel(func(x float64) (float64, error) { return x / radiansPerDegree, nil }))
	regFn("radians", sig(F8), F8, floatKernel(func(x float64) (float64, error) { return x * radiansPerDegree, nil }))
	for name, f := range map[string]floatFn{
		"sin": ftrig(math.Sin), "cos": ftrig(math.Cos), "tan": ftrig(math.Tan),
		"cot":  ftrig(func(x float64) float64 { return 1 / math.Tan(x) }),
		"asin": farc(math.Asin), "acos": farc(math.Acos),
		"atan":  func(x float64) (float64, error) { return math.Atan(x), nil },
		"sinh":  func(x float64) (float64, error) { return math.Sinh(x), nil },
		"cosh":  func(x float64) (float64, error) { return math.Cosh(x), nil },
		"tanh":  func(x float64) (float64, error) { return math.Tanh(x), nil },
		"asinh": func(x float64) (float64, error) { return math.Asinh(x), nil },
		"acosh": func(x float64) (float64, error) {
			if x < 1 {
				return 0, errInputRange()
			}
			return math.Acosh(x), nil
		},
		"atanh": func(x float64) (float64, error) {
			if x < -1 || x > 1 {
				return 0, errInputRange()
			}
			return math.Atanh(x), nil
		},
	} {
		regFn(name, sig(F8), F8, floatKernel(f))
	}
	regFn("atan2", sig(F8, F8), F8, float2Kernel(func(y, x float64) (float64, error) { return math.Atan2(y, x), nil }))
	Register(&Func{Name: "random", Ret: F8, Kernel: randomKernel, Volatile: true})
	regFn("width_bucket", sig(F8, F8, F8, I4), I4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return floatWidthBucket(a[0].(float64), a[1].(float64), a[2].(float64), a[3].(int64))
	}))
	regFn("width_bucket", sig(Num, Num, Num, I4), I4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return numericWidthBucket(a[0].(*apd.Decimal), a[1].(*apd.Decimal), a[2].(*apd.Decimal), a[3].(int64))
	}))
	for _, t := range []*types.T{I4, I8} {
		regFn("gcd", sig(t, t), t, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) { return gcdInt(a[0].(int64), a[1].(int64), t) }))
		regFn("lcm", sig(t, t), t, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) { return lcmInt(a[0].(int64), a[1].(int64), t) }))
	}
	regFn("factorial", sig(I8), Num, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) { return factorial(a[0].(int64)) }))
	// scale, min_scale and trim_scale: NaN and ±Infinity have no scale
	// (NULL) and trim to themselves.
	regFn("scale", sig(Num), I4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		if d := a[0].(*apd.Decimal); d.Form == apd.Finite {
			return numDScale(d), nil
		}
		return nil, nil
	}))
	regFn("min_scale", sig(Num), I4, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		if d := a[0].(*apd.Decimal); d.Form == apd.Finite {
			return numDScale(trimScale(d)), nil
		}
		return nil, nil
	}))
	regFn("trim_scale", sig(Num), Num, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return trimScale(a[0].(*apd.Decimal)), nil
	}))
	for _, op := range []byte{'&', '|', '#'} {
		name := string(op)
		Register(
			&Func{Name: name, Args: sig(I2, I2), Ret: I2, Kernel: bitKernel[int16](I2, op), Infix: true},
			&Func{Name: name, Args: sig(I4, I4), Ret: I4, Kernel: bitKernel[int32](I4, op), Infix: true},
			&Func{Name: name, Args: sig(I8, I8), Ret: I8, Kernel: bitKernel[int64](I8, op), Infix: true},
		)
	}
	for _, left := range []bool{true, false} {
		name := ">>"
		if left {
			name = "<<"
		}
		Register(
			&Func{Name: name, Args: sig(I2, I4), Ret: I2, Kernel: shiftKernel[int16](I2, left), Infix: true},
			&Func{Name: name, Args: sig(I4, I4), Ret: I4, Kernel: shiftKernel[int32](I4, left), Infix: true},
			&Func{Name: name, Args: sig(I8, I4), Ret: I8, Kernel: shiftKernel[int64](I8, left), Infix: true},
		)
	}
	regFn("~", sig(I2), I2, notKernel[int16](I2))
	regFn("~", sig(I4), I4, notKernel[int32](I4))
	regFn("~", sig(I8), I8, notKernel[int64](I8))
}
