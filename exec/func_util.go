package exec

// Shared helpers of the scalar function library (func_*.go): typed
// readers over kernel arguments that are scalars, plain arrays or
// dictionary arrays, typed output builders, strict NULL propagation, and a
// bounded cache for compiled patterns. The loops built from them decide
// types once per batch and never box a value per row.

import (
	"math"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// strCol reads a text argument: a scalar, a String array or a dictionary
// of strings. Strings returned alias Arrow memory: copy before keeping.
type strCol struct {
	str   *array.String
	dict  *array.Dictionary
	dvals *array.String
	s     string
}

func newStrCol(v Vec) strCol {
	if v.Arr == nil {
		switch x := v.Scalar.(type) {
		case string:
			return strCol{s: x}
		case nil:
			return strCol{}
		case []byte:
			return strCol{s: string(x)}
		default:
			return strCol{s: types.FormatText(nil, x, nil)}
		}
	}
	switch a := v.Arr.(type) {
	case *array.String:
		return strCol{str: a}
	case *array.Dictionary:
		return strCol{dict: a, dvals: a.Dictionary().(*array.String)}
	}
	panic("BUG: text argument of Arrow type " + v.Arr.DataType().String())
}

func (c *strCol) at(i int) string {
	if c.str != nil {
		return c.str.Value(i)
	}
	if c.dict != nil {
		return c.dvals.Value(c.dict.GetValueIndex(i))
	}
	return c.s
}

// intCol reads an integer argument (int2, int4, int8, oid) as int64.
type intCol struct {
	i16 []int16
	i32 []int32
	i64 []int64
	u32 []uint32
	v   int64
}

func newIntCol(v Vec) intCol {
	if v.Arr == nil {
		if v.Scalar == nil {
			return intCol{}
		}
		return intCol{v: toInt64(v.Scalar)}
	}
	switch v.Arr.DataType().ID() {
	case arrow.INT16:
		return intCol{i16: valuesOf[int16](v.Arr)}
	case arrow.INT32:
		return intCol{i32: valuesOf[int32](v.Arr)}
	case arrow.INT64:
		return intCol{i64: valuesOf[int64](v.Arr)}
	case arrow.UINT32:
		return intCol{u32: valuesOf[uint32](v.Arr)}
	}
	panic("BUG: integer argument of Arrow type " + v.Arr.DataType().String())
}

func (c *intCol) at(i int) int64 {
	switch {
	case c.i64 != nil:
		return c.i64[i]
	case c.i32 != nil:
		return int64(c.i32[i])
	case c.i16 != nil:
		return int64(c.i16[i])
	case c.u32 != nil:
		return int64(c.u32[i])
	}
	return c.v
}

// floatCol reads a float4 or float8 argument as float64.
type floatCol struct {
	f32 []float32
	f64 []float64
	v   float64
}

func newFloatCol(v Vec) floatCol {
	if v.Arr == nil {
		f, _ := v.Scalar.(float64)
		return floatCol{v: f}
	}
	switch v.Arr.DataType().ID() {
	case arrow.FLOAT32:
		return floatCol{f32: valuesOf[float32](v.Arr)}
	case arrow.FLOAT64:
		return floatCol{f64: valuesOf[float64](v.Arr)}
	}
	panic("BUG: float argument of Arrow type " + v.Arr.DataType().String())
}

func (c *floatCol) at(i int) float64 {
	switch {
	case c.f64 != nil:
		return c.f64[i]
	case c.f32 != nil:
		return float64(c.f32[i])
	}
	return c.v
}

// boolCol reads a boolean argument.
type boolCol struct {
	arr *array.Boolean
	v   bool
}

func newBoolCol(v Vec) boolCol {
	if v.Arr == nil {
		b, _ := v.Scalar.(bool)
		return boolCol{v: b}
	}
	return boolCol{arr: v.Arr.(*array.Boolean)}
}

func (c *boolCol) at(i int) bool {
	if c.arr != nil {
		return c.arr.Value(i)
	}
	return c.v
}

// strictValidity is the validity of a strict function's result: the AND
// of the arguments' validity (nil: no NULL row). null reports that some
// argument is a NULL scalar, so every row is NULL.
func strictValidity(args []Vec, n int) (valid *memory.Buffer, null bool) {
	if anyNullScalar(args) {
		return nil, true
	}
	arrs := make([]arrow.Array, 0, len(args))
	for _, a := range args {
		if a.Arr != nil {
			arrs = append(arrs, a.Arr)
		}
	}
	return validityAnd(n, arrs...), false
}

// bitSet reports whether bit i of a validity buffer is set (nil: all set).
func bitSet(valid *memory.Buffer, i int) bool {
	return valid == nil || bitutil.BitIsSet(valid.Bytes(), i)
}

// strOut builds a String array by appending to one byte slice.
type strOut struct {
	offs []int32
	data []byte
}

func newStrOut(n, sizeHint int) *strOut {
	o := &strOut{offs: make([]int32, 1, n+1), data: make([]byte, 0, sizeHint)}
	return o
}

// end closes the current row (whatever was appended to data since the
// previous end).
func (o *strOut) end() { o.offs = append(o.offs, int32(len(o.data))) }

func (o *strOut) add(s string) {
	o.data = append(o.data, s...)
	o.offs = append(o.offs, int32(len(o.data)))
}

// array returns the built column; valid may be nil. Rows past 2 GiB of
// text in one batch are refused with 54000, since Arrow's String offsets
// are 32-bit.
func (o *strOut) array(valid *memory.Buffer) (arrow.Array, error) {
	if len(o.data) > math.MaxInt32 {
		return nil, sqlstate.New(sqlstate.ProgramLimitExceeded, "string results of one batch exceed 2 GB")
	}
	n := len(o.offs) - 1
	data := array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{valid, memory.NewBufferBytes(unsafeBytes(o.offs)), memory.NewBufferBytes(o.data)}, nil, nullCount(valid, n), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// textMap evaluates a strict text-valued function over n rows: f appends
// row i's result to out and returns it. All-scalar arguments give a scalar.
func textMap(args []Vec, n int, f func(i int, out []byte) ([]byte, error)) (Vec, error) {
	valid, null := strictValidity(args, n)
	if null {
		return Vec{}, nil
	}
	if scalarArgs(args) {
		b, err := f(0, nil)
		if err != nil {
			return Vec{}, err
		}
		return Vec{Scalar: string(b)}, nil
	}
	o := newStrOut(n, n*8)
	var err error
	for i := 0; i < n; i++ {
		if bitSet(valid, i) {
			if o.data, err = f(i, o.data); err != nil {
				return Vec{}, err
			}
		}
		o.end()
	}
	a, err := o.array(valid)
	return Vec{Arr: a}, err
}

// fixedMap evaluates a strict function with a fixed-width result of type
// ret over n rows.
func fixedMap[R fixed](args []Vec, n int, ret *types.T, f func(i int) (R, error)) (Vec, error) {
	valid, null := strictValidity(args, n)
	if null {
		return Vec{}, nil
	}
	if scalarArgs(args) {
		r, err := f(0)
		if err != nil {
			return Vec{}, err
		}
		return Vec{Scalar: fixedDatum(ret, r)}, nil
	}
	out := make([]R, n)
	if valid == nil {
		for i := range out {
			r, err := f(i)
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
			r, err := f(i)
			if err != nil {
				return Vec{}, err
			}
			out[i] = r
		}
	}
	return Vec{Arr: newFixedArray(ret.Arrow(), out, valid)}, nil
}

// boolMap evaluates a strict boolean function over n rows.
func boolMap(args []Vec, n int, f func(i int) (bool, error)) (Vec, error) {
	valid, null := strictValidity(args, n)
	if null {
		return Vec{}, nil
	}
	if scalarArgs(args) {
		r, err := f(0)
		if err != nil {
			return Vec{}, err
		}
		return Vec{Scalar: r}, nil
	}
	vals := make([]byte, bitutil.BytesForBits(int64(n)))
	for i := 0; i < n; i++ {
		if !bitSet(valid, i) {
			continue
		}
		r, err := f(i)
		if err != nil {
			return Vec{}, err
		}
		if r {
			vals[i>>3] |= 1 << (i & 7)
		}
	}
	return Vec{Arr: newBoolArray(vals, valid, n)}, nil
}

// dictAware wraps a kernel whose first argument is the only one that
// varies: when that argument is a dictionary array with fewer entries
// than rows (and every other argument is a scalar), k runs once per
// dictionary entry and the results are gathered by index. Parquet scans
// deliver low-cardinality strings (device ids, event types) this way.
func dictAware(k Kernel) Kernel {
	return func(kc *KernelCtx, args []Vec, n int) (Vec, error) {
		d, ok := args[0].Arr.(*array.Dictionary)
		if !ok || d.Dictionary().Len() >= n {
			return k(kc, args, n)
		}
		for _, a := range args[1:] {
			if a.Arr != nil {
				return k(kc, args, n)
			}
		}
		dict := d.Dictionary()
		dn := dict.Len()
		if dn == 0 {
			return Vec{Arr: ConstArray(kc.Ret, nil, n)}, nil
		}
		sub := make([]Vec, len(args))
		copy(sub, args)
		sub[0] = Vec{Arr: dict}
		r, err := k(kc, sub, dn)
		if err != nil {
			return Vec{}, err
		}
		if r.Arr == nil {
			if d.NullN() == 0 {
				return r, nil
			}
			r.Arr = ConstArray(kc.Ret, r.Scalar, dn)
		}
		defer r.Arr.Release()
		idx := make([]int, n)
		for i := range idx {
			if d.IsValid(i) {
				idx[i] = d.GetValueIndex(i)
			}
		}
		out := TakeArray(r.Arr, idx)
		if d.NullN() == 0 {
			return Vec{Arr: out}, nil
		}
		defer out.Release()
		valid := validityAnd(n, out, d)
		od := out.Data()
		bufs := append([]*memory.Buffer{valid}, od.Buffers()[1:]...)
		nd := array.NewData(od.DataType(), n, bufs, od.Children(), nullCount(valid, n), od.Offset())
		defer nd.Release()
		return Vec{Arr: array.MakeFromData(nd)}, nil
	}
}

// patternCache is a bounded concurrent cache of compiled patterns (LIKE,
// regular expressions) keyed by their source text and flags. Kernels run
// on several scan workers at once, so it is safe for concurrent use; when
// it fills up it is emptied rather than tracked by recency, which keeps
// lookups to one map read.
type patternCache struct {
	m    sync.Map
	size atomic.Int64
	max  int64
}

func (c *patternCache) get(key string) (any, bool) { return c.m.Load(key) }

func (c *patternCache) put(key string, v any) {
	if c.size.Add(1) > c.max {
		c.m.Clear()
		c.size.Store(1)
	}
	c.m.Store(key, v)
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// errInvalidParam is a 22023 error.
func errInvalidParam(format string, args ...any) *sqlstate.Error {
	return sqlstate.New(sqlstate.InvalidParameterValue, format, args...)
}

// regFn registers one overload; a shorthand for the long init lists.
func regFn(name string, args []*types.T, ret *types.T, k Kernel) {
	Register(&Func{Name: name, Args: args, Ret: ret, Kernel: k})
}

// sig is a shorthand for a parameter list.
func sig(t ...*types.T) []*types.T { return t }

// rawStrings returns the value offsets of a String array (n+1 of them, not
// rebased to 0) and its whole data buffer, so hot loops slice values
// without a call per row.
func rawStrings(a *array.String) (offs []int32, data []byte) {
	offs = a.ValueOffsets()
	if b := a.Data().Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	return offs, data
}

// isASCII reports whether b holds only 7-bit bytes, eight at a time.
func isASCII(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return false
		}
	}
	return true
}
