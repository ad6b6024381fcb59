package exec

import (
	"bytes"
	"math"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// cmpOp is a comparison operator; the kernels below switch on it once per
// batch, never per row.
type cmpOp uint8

const (
	cmpEQ cmpOp = iota
	cmpNE
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

var cmpNames = [...]string{"=", "<>", "<", "<=", ">", ">="}

// flip returns the operator with its operands swapped (a < b ⇔ b > a).
func (o cmpOp) flip() cmpOp {
	switch o {
	case cmpLT:
		return cmpGT
	case cmpLE:
		return cmpGE
	case cmpGT:
		return cmpLT
	case cmpGE:
		return cmpLE
	}
	return o
}

// holds reports whether a comparison result c (-1, 0, 1) satisfies o.
func (o cmpOp) holds(c int) bool {
	switch o {
	case cmpEQ:
		return c == 0
	case cmpNE:
		return c != 0
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	}
	return c >= 0
}

type ordered interface {
	~int16 | ~int32 | ~int64 | ~uint32 | ~float32 | ~float64
}

// cmpArrayScalar sets bit i of out when av[i] op s.
func cmpArrayScalar[T ordered](op cmpOp, av []T, s T, out []byte) {
	switch op {
	case cmpEQ:
		for i, v := range av {
			if v == s {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpNE:
		for i, v := range av {
			if v != s {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpLT:
		for i, v := range av {
			if v < s {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpLE:
		for i, v := range av {
			if v <= s {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpGT:
		for i, v := range av {
			if v > s {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpGE:
		for i, v := range av {
			if v >= s {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	}
}

// cmpArrayArray sets bit i of out when av[i] op bv[i].
func cmpArrayArray[T ordered](op cmpOp, av, bv []T, out []byte) {
	bv = bv[:len(av)]
	switch op {
	case cmpEQ:
		for i, v := range av {
			if v == bv[i] {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpNE:
		for i, v := range av {
			if v != bv[i] {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpLT:
		for i, v := range av {
			if v < bv[i] {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpLE:
		for i, v := range av {
			if v <= bv[i] {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpGT:
		for i, v := range av {
			if v > bv[i] {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case cmpGE:
		for i, v := range av {
			if v >= bv[i] {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	}
}

// floatCmp compares floats with PostgreSQL's NaN rule: NaN equals NaN and
// sorts above every other value.
func floatCmp(a, b float64) int {
	an, bn := a != a, b != b
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func hasNaN[T ordered](vs []T) bool {
	for _, v := range vs {
		if v != v {
			return true
		}
	}
	return false
}

// fixedCmpKernel compares two fixed-width arguments of the same type.
func fixedCmpKernel[T ordered](op cmpOp, isFloat bool) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		x, y := args[0], args[1]
		if anyNullScalar(args) {
			return Vec{}, nil
		}
		if x.Arr == nil && y.Arr == nil {
			a, b := scalarAs[T](x.Scalar), scalarAs[T](y.Scalar)
			return Vec{Scalar: op.holds(cmpOrdered(a, b, isFloat))}, nil
		}
		o := op
		if x.Arr == nil { // scalar op array ⇒ array flip(op) scalar
			x, y = y, x
			o = op.flip()
		}
		out := make([]byte, (n+7)/8)
		av := valuesOf[T](x.Arr)
		var valid *memory.Buffer
		if y.Arr == nil {
			s := scalarAs[T](y.Scalar)
			valid = validityAnd(n, x.Arr)
			if isFloat && (s != s || hasNaN(av)) {
				for i, v := range av {
					if o.holds(floatCmp(float64(v), float64(s))) {
						out[i>>3] |= 1 << (i & 7)
					}
				}
			} else {
				cmpArrayScalar(o, av, s, out)
			}
		} else {
			bv := valuesOf[T](y.Arr)
			valid = validityAnd(n, x.Arr, y.Arr)
			if isFloat && (hasNaN(av) || hasNaN(bv)) {
				for i, v := range av {
					if o.holds(floatCmp(float64(v), float64(bv[i]))) {
						out[i>>3] |= 1 << (i & 7)
					}
				}
			} else {
				cmpArrayArray(o, av, bv, out)
			}
		}
		return Vec{Arr: newBoolArray(out, valid, n)}, nil
	}
}

func cmpOrdered[T ordered](a, b T, isFloat bool) int {
	if isFloat {
		return floatCmp(float64(a), float64(b))
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// stringCmpKernel compares strings bytewise (the C collation).
func stringCmpKernel(op cmpOp) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		x, y := args[0], args[1]
		if anyNullScalar(args) {
			return Vec{}, nil
		}
		if x.Arr == nil && y.Arr == nil {
			return Vec{Scalar: op.holds(strings.Compare(x.Scalar.(string), y.Scalar.(string)))}, nil
		}
		o := op
		if x.Arr == nil {
			x, y = y, x
			o = op.flip()
		}
		out := make([]byte, (n+7)/8)
		var valid *memory.Buffer
		if d, ok := x.Arr.(*array.Dictionary); ok && y.Arr == nil {
			// Compare each dictionary entry once, then map indexes.
			dict := d.Dictionary().(*array.String)
			s := y.Scalar.(string)
			hit := make([]bool, dict.Len())
			for j := range hit {
				hit[j] = o.holds(strings.Compare(dict.Value(j), s))
			}
			for i := 0; i < n; i++ {
				if d.IsValid(i) && hit[d.GetValueIndex(i)] {
					out[i>>3] |= 1 << (i & 7)
				}
			}
			return Vec{Arr: newBoolArray(out, validityAnd(n, x.Arr), n)}, nil
		}
		xs := asStrings(x.Arr)
		if y.Arr == nil {
			s := y.Scalar.(string)
			valid = validityAnd(n, x.Arr)
			if o == cmpEQ || o == cmpNE {
				want := o == cmpEQ
				for i := 0; i < n; i++ {
					if (xs.Value(i) == s) == want {
						out[i>>3] |= 1 << (i & 7)
					}
				}
			} else {
				for i := 0; i < n; i++ {
					if o.holds(strings.Compare(xs.Value(i), s)) {
						out[i>>3] |= 1 << (i & 7)
					}
				}
			}
		} else {
			ys := asStrings(y.Arr)
			valid = validityAnd(n, x.Arr, y.Arr)
			for i := 0; i < n; i++ {
				if o.holds(strings.Compare(xs.Value(i), ys.Value(i))) {
					out[i>>3] |= 1 << (i & 7)
				}
			}
		}
		return Vec{Arr: newBoolArray(out, valid, n)}, nil
	}
}

// stringer reads strings from a String array or a dictionary of strings.
type stringer interface {
	Value(i int) string
}

type dictStrings struct {
	d    *array.Dictionary
	dict *array.String
}

func (s dictStrings) Value(i int) string { return s.dict.Value(s.d.GetValueIndex(i)) }

// asStrings returns a string reader over a String array or a dictionary.
func asStrings(a arrow.Array) stringer {
	switch x := a.(type) {
	case *array.String:
		return x
	case *array.Dictionary:
		return dictStrings{d: x, dict: x.Dictionary().(*array.String)}
	}
	panic("BUG: asStrings of " + a.DataType().String())
}

// CompareDatums compares two non-NULL datums of type t as PostgreSQL
// orders them.
func CompareDatums(t *types.T, a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case float64:
		return floatCmp(x, b.(float64))
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case *apd.Decimal:
		return x.Cmp(b.(*apd.Decimal))
	case types.DateD:
		return cmpOrdered(int64(x), int64(b.(types.DateD)), false)
	case types.TimestampD:
		return cmpOrdered(int64(x), int64(b.(types.TimestampD)), false)
	case types.TimeOfDay:
		return cmpOrdered(int64(x), int64(b.(types.TimeOfDay)), false)
	case types.IntervalD:
		return cmpOrdered(x.TotalMicros(), b.(types.IntervalD).TotalMicros(), false)
	case types.OidD:
		return cmpOrdered(int64(x), int64(b.(types.OidD)), false)
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case []any:
		y := b.([]any)
		var et *types.T
		if t != nil {
			et = t.Elem
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			switch {
			case x[i] == nil && y[i] == nil:
				continue
			case x[i] == nil:
				return 1
			case y[i] == nil:
				return -1
			}
			if c := CompareDatums(et, x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmpOrdered(int64(len(x)), int64(len(y)), false)
	}
	return 0
}

// datumCmpKernel compares any comparable type through datums (numeric,
// interval, bytea, arrays: rare on hot paths).
func datumCmpKernel(op cmpOp) Kernel {
	return rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		return op.holds(CompareDatums(k.ArgType(0), a[0], a[1])), nil
	})
}

func boolCmpKernel(op cmpOp) Kernel { return datumCmpKernel(op) }

func init() {
	for op := cmpEQ; op <= cmpGE; op++ {
		name := cmpNames[op]
		reg := func(t *types.T, k Kernel) {
			Register(&Func{Name: name, Args: []*types.T{t, t}, Ret: types.Bool, Kernel: k, Infix: true})
		}
		reg(types.Int2, fixedCmpKernel[int16](op, false))
		reg(types.Int4, fixedCmpKernel[int32](op, false))
		reg(types.Int8, fixedCmpKernel[int64](op, false))
		reg(types.Float4, fixedCmpKernel[float32](op, true))
		reg(types.Float8, fixedCmpKernel[float64](op, true))
		reg(types.Date, fixedCmpKernel[int32](op, false))
		reg(types.Time, fixedCmpKernel[int64](op, false))
		reg(types.Timestamp, fixedCmpKernel[int64](op, false))
		reg(types.TimestampTZ, fixedCmpKernel[int64](op, false))
		reg(types.Oid, fixedCmpKernel[uint32](op, false))
		reg(types.Text, stringCmpKernel(op))
		reg(types.Name, stringCmpKernel(op))
		reg(types.Char, stringCmpKernel(op))
		reg(types.Varchar, stringCmpKernel(op))
		reg(types.BPChar, stringCmpKernel(op))
		reg(types.Bool, boolCmpKernel(op))
		reg(types.Numeric, datumCmpKernel(op))
		reg(types.Interval, datumCmpKernel(op))
		reg(types.Bytea, datumCmpKernel(op))
		reg(AnyArray, datumCmpKernel(op))
		reg(types.RegClass, fixedCmpKernel[uint32](op, false))
		reg(types.RegType, fixedCmpKernel[uint32](op, false))
		reg(types.RegProc, fixedCmpKernel[uint32](op, false))
		reg(types.RegNamespace, fixedCmpKernel[uint32](op, false))
		reg(types.JSON, stringCmpKernel(op))
	}
	_ = math.NaN
}
