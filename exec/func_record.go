package exec

// Composite values. A record whose fields the binder knows (types.T.Fields)
// is carried as its text form, "(1,2)", in a String column: that is what
// the client sees, and field selection reads it back with the field's
// input function. Both are rare (catalog queries of drivers), so they run
// through rowKernel.

import (
	"lambdasql/sql/types"
)

// NewRowCtor returns ROW(args…) as a value of the record type t, whose
// Fields give one field per argument.
func NewRowCtor(args []Expr, t *types.T) *Call {
	ts := make([]*types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	fn := &Func{Name: "row", Args: ts, Ret: t, Kernel: rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		return string(types.AppendRecord(nil, t.Fields, a, k.Loc)), nil
	})}
	return &Call{Fn: fn, Args: args, Ret: t}
}

// IsRowCtor reports whether e is a ROW constructor made by NewRowCtor.
func IsRowCtor(e Expr) (*Call, bool) {
	c, ok := e.(*Call)
	if !ok || c.Fn.Name != "row" || c.Ret.Family != types.FamRecord || len(c.Ret.Fields) != len(c.Args) {
		return nil, false
	}
	return c, true
}

// NewFieldSelect returns (rec).field for field idx of rec's record type.
func NewFieldSelect(rec Expr, idx int) *Call {
	rt := rec.Type()
	f := rt.Fields[idx]
	fn := &Func{Name: "." + f.Name, Args: []*types.T{rt}, Ret: f.T, Kernel: rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		vals, err := types.ParseRecord(rt.Fields, a[0].(string), k.Loc)
		if err != nil {
			return nil, err
		}
		return vals[idx], nil
	})}
	return &Call{Fn: fn, Args: []Expr{rec}, Ret: f.T}
}
