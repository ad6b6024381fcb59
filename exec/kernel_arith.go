package exec

import (
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// binaryFixed applies f to every row of two fixed-width arguments (array or
// scalar) with strict NULL propagation. f reports failure with a non-nil
// error, which stops the evaluation (overflow, division by zero).
func binaryFixed[A, B, R fixed](args []Vec, n int, ret *types.T, f func(a A, b B) (R, error)) (Vec, error) {
	x, y := args[0], args[1]
	if (x.Arr == nil && x.Scalar == nil) || (y.Arr == nil && y.Scalar == nil) {
		return Vec{}, nil
	}
	if x.Arr == nil && y.Arr == nil {
		r, err := f(scalarAs[A](x.Scalar), scalarAs[B](y.Scalar))
		if err != nil {
			return Vec{}, err
		}
		return Vec{Scalar: fixedDatum(ret, r)}, nil
	}
	out := make([]R, n)
	var valid *memory.Buffer
	switch {
	case x.Arr != nil && y.Arr != nil:
		av, bv := valuesOf[A](x.Arr), valuesOf[B](y.Arr)
		valid = validityAnd(n, x.Arr, y.Arr)
		if valid == nil {
			for i := range out {
				r, err := f(av[i], bv[i])
				if err != nil {
					return Vec{}, err
				}
				out[i] = r
			}
		} else {
			vb := valid.Bytes()
			for i := range out {
				if vb[i>>3]&(1<<(i&7)) == 0 {
					continue
				}
				r, err := f(av[i], bv[i])
				if err != nil {
					return Vec{}, err
				}
				out[i] = r
			}
		}
	case x.Arr != nil:
		av, s := valuesOf[A](x.Arr), scalarAs[B](y.Scalar)
		valid = validityAnd(n, x.Arr)
		for i := range out {
			if valid != nil && !x.Arr.IsValid(i) {
				continue
			}
			r, err := f(av[i], s)
			if err != nil {
				return Vec{}, err
			}
			out[i] = r
		}
	default:
		s, bv := scalarAs[A](x.Scalar), valuesOf[B](y.Arr)
		valid = validityAnd(n, y.Arr)
		for i := range out {
			if valid != nil && !y.Arr.IsValid(i) {
				continue
			}
			r, err := f(s, bv[i])
			if err != nil {
				return Vec{}, err
			}
			out[i] = r
		}
	}
	return Vec{Arr: newFixedArray(ret.Arrow(), out, valid)}, nil
}

// unaryFixed applies f to every row of a fixed-width argument.
func unaryFixed[A, R fixed](args []Vec, n int, ret *types.T, f func(a A) (R, error)) (Vec, error) {
	x := args[0]
	if x.Arr == nil {
		if x.Scalar == nil {
			return Vec{}, nil
		}
		r, err := f(scalarAs[A](x.Scalar))
		if err != nil {
			return Vec{}, err
		}
		return Vec{Scalar: fixedDatum(ret, r)}, nil
	}
	av := valuesOf[A](x.Arr)
	out := make([]R, n)
	valid := validityAnd(n, x.Arr)
	for i := range out {
		if valid != nil && !x.Arr.IsValid(i) {
			continue
		}
		r, err := f(av[i])
		if err != nil {
			return Vec{}, err
		}
		out[i] = r
	}
	return Vec{Arr: newFixedArray(ret.Arrow(), out, valid)}, nil
}

func outOfRange(t *types.T) error {
	switch t.Width {
	case 2:
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "smallint out of range")
	case 4:
		return sqlstate.New(sqlstate.NumericValueOutOfRange, "integer out of range")
	}
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "bigint out of range")
}

var errDivByZero = sqlstate.New(sqlstate.DivisionByZero, "division by zero")

// intArith returns the kernel of op over one integer type.
func intArith[T ~int16 | ~int32 | ~int64](t *types.T, op byte) Kernel {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch t.Width {
	case 2:
		lo, hi = math.MinInt16, math.MaxInt16
	case 4:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	wide := t.Width < 8
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return binaryFixed(args, n, t, func(a, b T) (T, error) {
			x, y := int64(a), int64(b)
			var r int64
			switch op {
			case '+':
				r = x + y
				if !wide && ((r^x)&(r^y)) < 0 {
					return 0, outOfRange(t)
				}
			case '-':
				r = x - y
				if !wide && ((x^y)&(r^x)) < 0 {
					return 0, outOfRange(t)
				}
			case '*':
				if wide {
					r = x * y
				} else {
					if x != 0 && y != 0 {
						hiProd, loProd := mul64(x, y)
						if (hiProd != 0 || loProd < 0) && (hiProd != -1 || loProd >= 0) {
							return 0, outOfRange(t)
						}
					}
					r = x * y
				}
			case '/':
				if y == 0 {
					return 0, errDivByZero
				}
				if y == -1 && x == lo {
					return 0, outOfRange(t)
				}
				r = x / y
			case '%':
				if y == 0 {
					return 0, errDivByZero
				}
				if y == -1 {
					return 0, nil
				}
				r = x % y
			}
			if wide && (r < lo || r > hi) {
				return 0, outOfRange(t)
			}
			return T(r), nil
		})
	}
}

// mul64 returns the 128-bit signed product of x and y as (hi, lo).
func mul64(x, y int64) (int64, int64) {
	neg := (x < 0) != (y < 0)
	ux, uy := uint64(x), uint64(y)
	if x < 0 {
		ux = uint64(-x)
	}
	if y < 0 {
		uy = uint64(-y)
	}
	var hi, lo uint64
	{
		const mask32 = 1<<32 - 1
		x0, x1 := ux&mask32, ux>>32
		y0, y1 := uy&mask32, uy>>32
		w0 := x0 * y0
		t := x1*y0 + w0>>32
		w1 := t & mask32
		w2 := t >> 32
		w1 += x0 * y1
		hi = x1*y1 + w2 + w1>>32
		lo = ux * uy
	}
	if neg {
		lo = ^lo + 1
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	return int64(hi), int64(lo)
}

// floatArith returns the kernel of op over float4 or float8.
func floatArith[T ~float32 | ~float64](t *types.T, op byte) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return binaryFixed(args, n, t, func(a, b T) (T, error) {
			var r T
			switch op {
			case '+':
				r = a + b
			case '-':
				r = a - b
			case '*':
				r = a * b
			case '/':
				if b == 0 {
					return 0, errDivByZero
				}
				r = a / b
			}
			if math.IsInf(float64(r), 0) && !math.IsInf(float64(a), 0) && !math.IsInf(float64(b), 0) {
				return 0, sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range: overflow")
			}
			return r, nil
		})
	}
}

func negKernel[T ~int16 | ~int32 | ~int64 | ~float32 | ~float64](t *types.T) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		return unaryFixed(args, n, t, func(a T) (T, error) {
			if t.Family == types.FamInt {
				lo := int64(math.MinInt64)
				switch t.Width {
				case 2:
					lo = math.MinInt16
				case 4:
					lo = math.MinInt32
				}
				if int64(a) == lo {
					return 0, outOfRange(t)
				}
			}
			return -a, nil
		})
	}
}

func init() {
	for _, op := range []byte{'+', '-', '*', '/', '%'} {
		name := string(op)
		Register(
			&Func{Name: name, Args: []*types.T{types.Int2, types.Int2}, Ret: types.Int2, Kernel: intArith[int16](types.Int2, op), Infix: true},
			&Func{Name: name, Args: []*types.T{types.Int4, types.Int4}, Ret: types.Int4, Kernel: intArith[int32](types.Int4, op), Infix: true},
			&Func{Name: name, Args: []*types.T{types.Int8, types.Int8}, Ret: types.Int8, Kernel: intArith[int64](types.Int8, op), Infix: true},
		)
		if op != '%' {
			Register(
				&Func{Name: name, Args: []*types.T{types.Float4, types.Float4}, Ret: types.Float4, Kernel: floatArith[float32](types.Float4, op), Infix: true},
				&Func{Name: name, Args: []*types.T{types.Float8, types.Float8}, Ret: types.Float8, Kernel: floatArith[float64](types.Float8, op), Infix: true},
			)
		}
		Register(&Func{Name: name, Args: []*types.T{types.Numeric, types.Numeric}, Ret: types.Numeric, Kernel: numericArith(op), Infix: true})
	}
	Register(
		&Func{Name: "-", Args: []*types.T{types.Int2}, Ret: types.Int2, Kernel: negKernel[int16](types.Int2)},
		&Func{Name: "-", Args: []*types.T{types.Int4}, Ret: types.Int4, Kernel: negKernel[int32](types.Int4)},
		&Func{Name: "-", Args: []*types.T{types.Int8}, Ret: types.Int8, Kernel: negKernel[int64](types.Int8)},
		&Func{Name: "-", Args: []*types.T{types.Float4}, Ret: types.Float4, Kernel: negKernel[float32](types.Float4)},
		&Func{Name: "-", Args: []*types.T{types.Float8}, Ret: types.Float8, Kernel: negKernel[float64](types.Float8)},
		&Func{Name: "-", Args: []*types.T{types.Numeric}, Ret: types.Numeric, Kernel: numericNeg},
		&Func{Name: "-", Args: []*types.T{types.Interval}, Ret: types.Interval, Kernel: rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
			iv := a[0].(types.IntervalD)
			return types.IntervalD{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}, nil
		})},
	)
	for _, t := range []*types.T{types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric, types.Interval} {
		Register(&Func{Name: "+", Args: []*types.T{t}, Ret: t, Kernel: func(_ *KernelCtx, args []Vec, _ int) (Vec, error) {
			if args[0].Arr != nil {
				args[0].Arr.Retain()
			}
			return args[0], nil
		}})
	}
}

// boolArrayOf is a helper for kernels producing booleans from a per-row
// predicate over n rows with validity valid.
func boolArrayOf(n int, valid *memory.Buffer, pred func(i int) bool) arrow.Array {
	vals := make([]byte, (n+7)/8)
	for i := 0; i < n; i++ {
		if pred(i) {
			vals[i>>3] |= 1 << (i & 7)
		}
	}
	return newBoolArray(vals, valid, n)
}
