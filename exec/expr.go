package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Vec is the value of an expression over a batch: an array with one value
// per row, or a scalar standing for the same value on every row. Kernels
// take scalars so that "column op constant" never materializes the
// constant.
type Vec struct {
	Arr    arrow.Array // nil when the value is a scalar
	Scalar any         // the datum when Arr is nil; nil is NULL
}

// IsScalar reports whether v is a scalar.
func (v Vec) IsScalar() bool { return v.Arr == nil }

// Release releases the array, if any.
func (v Vec) Release() {
	if v.Arr != nil {
		v.Arr.Release()
	}
}

// ScalarVec returns a scalar Vec.
func ScalarVec(d any) Vec { return Vec{Scalar: d} }

// Materialize returns v as an array of n rows of type t; the caller
// releases it. When v is an array it is retained and returned.
func Materialize(v Vec, t *types.T, n int) arrow.Array {
	if v.Arr != nil {
		v.Arr.Retain()
		return v.Arr
	}
	return ConstArray(t, v.Scalar, n)
}

// Expr is a compiled scalar expression.
type Expr interface {
	// Type is the expression's result type.
	Type() *types.T
	// Eval evaluates the expression over rec. The returned Vec belongs to
	// the caller (Release it); its array, if any, has rec.NumRows() rows.
	Eval(ctx *Ctx, rec arrow.Record) (Vec, error)
	String() string
}

// EvalArray evaluates e over rec and materializes the result.
func EvalArray(ctx *Ctx, e Expr, rec arrow.Record) (arrow.Array, error) {
	v, err := e.Eval(ctx, rec)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	return Materialize(v, e.Type(), int(rec.NumRows())), nil
}

// ColRef reads input column Idx.
type ColRef struct {
	Idx  int
	T    *types.T
	Name string
}

// Type implements Expr.
func (c *ColRef) Type() *types.T { return c.T }

// Eval implements Expr.
func (c *ColRef) Eval(_ *Ctx, rec arrow.Record) (Vec, error) {
	a := rec.Column(c.Idx)
	a.Retain()
	return Vec{Arr: a}, nil
}

func (c *ColRef) String() string {
	if c.Name != "" {
		return c.Name
	}
	return fmt.Sprintf("#%d", c.Idx)
}

// Const is a constant datum.
type Const struct {
	Value any
	T     *types.T
}

// Type implements Expr.
func (c *Const) Type() *types.T { return c.T }

// Eval implements Expr.
func (c *Const) Eval(*Ctx, arrow.Record) (Vec, error) { return Vec{Scalar: c.Value}, nil }

func (c *Const) String() string {
	if c.Value == nil {
		return "NULL"
	}
	s := types.FormatText(c.T, c.Value, nil)
	switch c.T.Family {
	case types.FamInt, types.FamFloat, types.FamBool:
		return s
	case types.FamNumeric:
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'::" + c.T.Name
}

// Param is a bound statement parameter ($1 is Idx 0).
type Param struct {
	Idx int
	T   *types.T
}

// Type implements Expr.
func (p *Param) Type() *types.T { return p.T }

// Eval implements Expr.
func (p *Param) Eval(ctx *Ctx, _ arrow.Record) (Vec, error) {
	if ctx == nil || p.Idx >= len(ctx.Params) {
		return Vec{}, sqlstate.New(sqlstate.UndefinedParameter, "there is no parameter $%d", p.Idx+1)
	}
	return Vec{Scalar: ctx.Params[p.Idx]}, nil
}

func (p *Param) String() string { return fmt.Sprintf("$%d", p.Idx+1) }

// Call applies a resolved function to its arguments.
type Call struct {
	Fn   *Func
	Args []Expr
	Ret  *types.T
}

// NewCall returns a call of fn over args; ret is fn's result type for
// these argument types.
func NewCall(fn *Func, args []Expr) *Call {
	ts := make([]*types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	return &Call{Fn: fn, Args: args, Ret: fn.ResultType(ts)}
}

// Type implements Expr.
func (c *Call) Type() *types.T { return c.Ret }

// Eval implements Expr.
func (c *Call) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	args := make([]Vec, len(c.Args))
	defer func() {
		for _, a := range args {
			a.Release()
		}
	}()
	n := int(rec.NumRows())
	for i, a := range c.Args {
		v, err := a.Eval(ctx, rec)
		if err != nil {
			return Vec{}, err
		}
		args[i] = v
	}
	return c.Fn.Kernel(&KernelCtx{Ctx: ctx, Args: c.Args, Ret: c.Ret}, args, n)
}

func (c *Call) String() string {
	if c.Fn.Infix && len(c.Args) == 2 {
		return "(" + c.Args[0].String() + " " + c.Fn.Name + " " + c.Args[1].String() + ")"
	}
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return c.Fn.Name + "(" + strings.Join(parts, ", ") + ")"
}

// validityAnd returns the validity bitmap of rows valid in every array of
// arrs (nil when all rows are valid), offset-aware.
func validityAnd(n int, arrs ...arrow.Array) *memory.Buffer {
	var out []byte
	for _, a := range arrs {
		if a == nil || a.NullN() == 0 {
			continue
		}
		bm := a.NullBitmapBytes()
		if out == nil {
			out = make([]byte, bitutil.BytesForBits(int64(n)))
			bitutil.CopyBitmap(bm, a.Data().Offset(), n, out, 0)
			continue
		}
		bitutil.BitmapAnd(out, bm, 0, int64(a.Data().Offset()), out, 0, int64(n))
	}
	if out == nil {
		return nil
	}
	return memory.NewBufferBytes(out)
}

// nullCount counts zero bits of a validity bitmap.
func nullCount(valid *memory.Buffer, n int) int {
	if valid == nil {
		return 0
	}
	return n - bitutil.CountSetBits(valid.Bytes(), 0, n)
}

// allNull returns a Vec that is NULL everywhere.
func allNull() Vec { return Vec{Scalar: nil} }

// bitmapOf packs bools into an Arrow bitmap buffer.
func bitmapOf(bs []bool) *memory.Buffer {
	out := make([]byte, bitutil.BytesForBits(int64(len(bs))))
	for i, b := range bs {
		if b {
			bitutil.SetBit(out, i)
		}
	}
	return memory.NewBufferBytes(out)
}

// newBoolArray builds a boolean array from a value bitmap and an optional
// validity bitmap.
func newBoolArray(values []byte, valid *memory.Buffer, n int) *array.Boolean {
	return array.NewBooleanData(array.NewData(arrow.FixedWidthTypes.Boolean, n,
		[]*memory.Buffer{valid, memory.NewBufferBytes(values)}, nil, nullCount(valid, n), 0))
}
