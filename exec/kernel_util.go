package exec

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// fixed is the set of Go types stored as fixed-width Arrow values.
type fixed interface {
	~int16 | ~int32 | ~int64 | ~uint32 | ~float32 | ~float64
}

// valuesOf returns the typed values of a fixed-width array (offset-aware).
func valuesOf[T fixed](a arrow.Array) []T { return arrow.GetValues[T](a.Data(), 1) }

// newFixedArray wraps vals (and an optional validity bitmap) as an array of
// Arrow type dt.
func newFixedArray[T fixed](dt arrow.DataType, vals []T, valid *memory.Buffer) arrow.Array {
	n := len(vals)
	var buf []byte
	if n > 0 {
		buf = unsafeBytes(vals)
	}
	data := array.NewData(dt, n, []*memory.Buffer{valid, memory.NewBufferBytes(buf)}, nil, nullCount(valid, n), 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// scalarAs converts a scalar datum to the Go value stored in Arrow for t.
func scalarAs[T fixed](v any) T {
	switch x := v.(type) {
	case int64:
		return T(x)
	case float64:
		return T(x)
	case types.DateD:
		return T(x)
	case types.TimestampD:
		return T(x)
	case types.TimeOfDay:
		return T(x)
	case types.OidD:
		return T(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	panic("BUG: scalarAs of unexpected datum")
}

// fixedDatum converts a stored fixed-width value back to a datum of t.
func fixedDatum[T fixed](t *types.T, v T) any {
	switch t.Family {
	case types.FamInt:
		return int64(v)
	case types.FamFloat:
		return float64(v)
	case types.FamDate:
		return types.DateD(v)
	case types.FamTimestamp, types.FamTimestampTZ:
		return types.TimestampD(v)
	case types.FamTime:
		return types.TimeOfDay(v)
	case types.FamOid:
		return types.OidD(v)
	}
	panic("BUG: fixedDatum of " + t.Name)
}

// isValid reports whether row i of a is not NULL; a fast path for arrays
// without NULLs.
func isValid(a arrow.Array, i int) bool { return a.NullN() == 0 || a.IsValid(i) }

// boolValues returns a copy of the value bits of a boolean array starting
// at bit 0 (offset removed).
func boolBits(a arrow.Array) []byte {
	n := a.Len()
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	bitutil.CopyBitmap(a.Data().Buffers()[1].Bytes(), a.Data().Offset(), n, out, 0)
	return out
}

// validBits returns the validity bitmap of a starting at bit 0, or nil when
// a has no NULLs.
func validBits(a arrow.Array) []byte {
	if a.NullN() == 0 {
		return nil
	}
	n := a.Len()
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), n, out, 0)
	return out
}

// scalarArgs reports whether every argument is a scalar.
func scalarArgs(args []Vec) bool {
	for _, a := range args {
		if a.Arr != nil {
			return false
		}
	}
	return true
}

// anyNullScalar reports whether some argument is a NULL scalar.
func anyNullScalar(args []Vec) bool {
	for _, a := range args {
		if a.Arr == nil && a.Scalar == nil {
			return true
		}
	}
	return false
}

// rowKernel adapts a function over datums to a Kernel. It boxes every
// value: use it for functions that are rare on hot paths (catalog
// functions, exotic string and time functions). strict functions return
// NULL when any argument is NULL without calling f.
func rowKernel(strict bool, f func(k *KernelCtx, args []any) (any, error)) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		row := make([]any, len(args))
		get := func(i int) bool {
			for j, a := range args {
				if a.Arr == nil {
					row[j] = a.Scalar
				} else {
					row[j] = Datum(a.Arr, i, k.ArgType(j))
				}
				if strict && row[j] == nil {
					return false
				}
			}
			return true
		}
		if scalarArgs(args) {
			if !get(0) {
				return Vec{}, nil
			}
			v, err := f(k, row)
			return Vec{Scalar: v}, err
		}
		b := NewBuilder(k.Ret)
		defer b.Release()
		b.Reserve(n)
		for i := 0; i < n; i++ {
			if !get(i) {
				b.AppendNull()
				continue
			}
			v, err := f(k, row)
			if err != nil {
				return Vec{}, err
			}
			AppendDatum(b, k.Ret, v)
		}
		return Vec{Arr: b.NewArray()}, nil
	}
}

// unsafeBytes reinterprets a slice of fixed-width values as bytes without
// copying; the bytes alias vals.
func unsafeBytes[T fixed](vals []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), len(vals)*int(unsafe.Sizeof(zero)))
}
