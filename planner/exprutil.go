package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

type arrowRecord = arrow.Record

// exprChildren returns the sub-expressions of e.
func exprChildren(e exec.Expr) []exec.Expr {
	switch x := e.(type) {
	case *exec.Call:
		return x.Args
	case *exec.Cast:
		return []exec.Expr{x.Arg}
	case *exec.BoolOp:
		return x.Args
	case *exec.Not:
		return []exec.Expr{x.Arg}
	case *exec.IsNull:
		return []exec.Expr{x.Arg}
	case *exec.IsBool:
		return []exec.Expr{x.Arg}
	case *exec.Case:
		out := append(append([]exec.Expr{}, x.Whens...), x.Thens...)
		if x.Else != nil {
			out = append(out, x.Else)
		}
		return out
	case *exec.Coalesce:
		return x.Args
	case *exec.InList:
		return []exec.Expr{x.Arg}
	case *aggRef:
		out := append([]exec.Expr{}, x.args...)
		if x.filter != nil {
			out = append(out, x.filter)
		}
		return out
	case *subqueryExpr:
		return x.outerArgs
	case *groupingRef:
		return x.args
	case *exec.AnyAll:
		return []exec.Expr{x.X, x.Arr}
	case *exec.ArrayCtor:
		return x.Args
	}
	return nil
}

// mapExprChildren rebuilds e with each child replaced by f(child).
func mapExprChildren(e exec.Expr, f func(exec.Expr) (exec.Expr, error)) (exec.Expr, error) {
	mapAll := func(xs []exec.Expr) ([]exec.Expr, error) {
		out := make([]exec.Expr, len(xs))
		for i, x := range xs {
			y, err := f(x)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	switch x := e.(type) {
	case *exec.Call:
		args, err := mapAll(x.Args)
		if err != nil {
			return nil, err
		}
		return &exec.Call{Fn: x.Fn, Args: args, Ret: x.Ret}, nil
	case *exec.Cast:
		a, err := f(x.Arg)
		if err != nil {
			return nil, err
		}
		return exec.NewCast(a, x.To)
	case *exec.BoolOp:
		args, err := mapAll(x.Args)
		if err != nil {
			return nil, err
		}
		return &exec.BoolOp{And: x.And, Args: args}, nil
	case *exec.Not:
		a, err := f(x.Arg)
		if err != nil {
			return nil, err
		}
		return &exec.Not{Arg: a}, nil
	case *exec.IsNull:
		a, err := f(x.Arg)
		if err != nil {
			return nil, err
		}
		return &exec.IsNull{Arg: a, Negate: x.Negate}, nil
	case *exec.IsBool:
		a, err := f(x.Arg)
		if err != nil {
			return nil, err
		}
		return &exec.IsBool{Arg: a, Want: x.Want, Negate: x.Negate}, nil
	case *exec.Case:
		w, err := mapAll(x.Whens)
		if err != nil {
			return nil, err
		}
		t, err := mapAll(x.Thens)
		if err != nil {
			return nil, err
		}
		var el exec.Expr
		if x.Else != nil {
			if el, err = f(x.Else); err != nil {
				return nil, err
			}
		}
		return &exec.Case{Whens: w, Thens: t, Else: el, T: x.T}, nil
	case *exec.Coalesce:
		args, err := mapAll(x.Args)
		if err != nil {
			return nil, err
		}
		return &exec.Coalesce{Args: args, T: x.T}, nil
	case *exec.InList:
		a, err := f(x.Arg)
		if err != nil {
			return nil, err
		}
		vals := append([]any{}, x.Values...)
		if x.HasNull {
			vals = append(vals, nil)
		}
		return exec.NewInList(a, vals, x.Negate), nil
	case *aggRef:
		args, err := mapAll(x.args)
		if err != nil {
			return nil, err
		}
		n := *x
		n.args = args
		if x.filter != nil {
			if n.filter, err = f(x.filter); err != nil {
				return nil, err
			}
		}
		return &n, nil
	case *subqueryExpr:
		args, err := mapAll(x.outerArgs)
		if err != nil {
			return nil, err
		}
		n := *x
		n.outerArgs = args
		return &n, nil
	case *groupingRef:
		args, err := mapAll(x.args)
		if err != nil {
			return nil, err
		}
		return &groupingRef{args: args}, nil
	case *exec.AnyAll:
		args, err := mapAll([]exec.Expr{x.X, x.Arr})
		if err != nil {
			return nil, err
		}
		return exec.NewAnyAll(x.Cmp, args[0], args[1], x.All), nil
	case *exec.ArrayCtor:
		args, err := mapAll(x.Args)
		if err != nil {
			return nil, err
		}
		return &exec.ArrayCtor{Args: args, T: x.T}, nil
	}
	return e, nil
}

// exprKey is a structural identity of an expression, used to match GROUP
// BY expressions and to deduplicate aggregate arguments. Column refs are
// identified by index, not name.
func exprKey(e exec.Expr) string {
	var sb strings.Builder
	writeKey(&sb, e)
	return sb.String()
}

func writeKey(sb *strings.Builder, e exec.Expr) {
	switch x := e.(type) {
	case *exec.ColRef:
		fmt.Fprintf(sb, "#%d", x.Idx)
		return
	case *exec.Const:
		fmt.Fprintf(sb, "c(%s:%s)", x.T.TypName, x.String())
		return
	case *exec.Param:
		fmt.Fprintf(sb, "$%d", x.Idx)
		return
	case *exec.Call:
		fmt.Fprintf(sb, "%s/%p(", x.Fn.Name, x.Fn)
	case *exec.Cast:
		fmt.Fprintf(sb, "cast:%s:%d(", x.To.TypName, x.To.Mod)
	case *exec.BoolOp:
		fmt.Fprintf(sb, "bool:%v(", x.And)
	case *exec.Not:
		sb.WriteString("not(")
	case *exec.IsNull:
		fmt.Fprintf(sb, "isnull:%v(", x.Negate)
	case *exec.IsBool:
		fmt.Fprintf(sb, "isbool:%v:%v(", x.Want, x.Negate)
	case *exec.Case:
		fmt.Fprintf(sb, "case:%d:%v(", len(x.Whens), x.Else != nil)
	case *exec.Coalesce:
		sb.WriteString("coalesce(")
	case *exec.InList:
		fmt.Fprintf(sb, "in:%v:%s(", x.Negate, x.String())
	case *aggRef:
		fmt.Fprintf(sb, "agg:%s:%v:%v(", x.name, x.distinct, x.consts)
	case *groupingRef:
		sb.WriteString("grouping(")
	case *exec.AnyAll:
		fmt.Fprintf(sb, "anyall:%s:%v(", x.Cmp.Name, x.All)
	case *exec.ArrayCtor:
		sb.WriteString("array(")
	case *outerRef:
		fmt.Fprintf(sb, "outer:%d:%d", x.depth, x.idx)
		return
	case *windowRef:
		fmt.Fprintf(sb, "window:%d", x.idx)
		return
	case *subqueryExpr:
		fmt.Fprintf(sb, "sub:%p(", x)
	default:
		sb.WriteString(e.String())
		return
	}
	for i, c := range exprChildren(e) {
		if i > 0 {
			sb.WriteByte(',')
		}
		writeKey(sb, c)
	}
	if a, ok := e.(*aggRef); ok && a.filter != nil {
		sb.WriteString("|f")
	}
	sb.WriteByte(')')
}

// coerce converts e to type t: unknown literals are parsed as t at bind
// time, other types get a cast (error 42846 when none exists).
func coerce(e exec.Expr, t *types.T) (exec.Expr, error) {
	if types.Equal(e.Type(), t) && (t.Mod < 0 || e.Type().Mod == t.Mod) {
		return e, nil
	}
	if t == exec.Any || t == exec.AnyArray {
		return e, nil
	}
	if c, ok := e.(*exec.Const); ok {
		if c.Value == nil {
			return &exec.Const{Value: nil, T: t}, nil
		}
		if c.T.Family == types.FamUnknown && (t.Family == types.FamTimestampTZ ||
			(t.Family == types.FamDate || t.Family == types.FamTimestamp) && types.IsRelativeTimeInput(c.Value.(string))) {
			// Read in the session time zone at execution (folded with
			// the session's context).
			return exec.NewCast(&exec.Const{Value: c.Value, T: types.Text}, t)
		}
		if c.T.Family == types.FamUnknown && t.Family == types.FamOid && t.OID != types.Oid.OID && t.OID != types.Xid.OID {
			// 'pg_class'::regclass needs the catalog: cast at execution
			// (constant folding evaluates it with the session's catalog).
			return exec.NewCast(&exec.Const{Value: c.Value, T: types.Text}, t)
		}
		if c.T.Family == types.FamUnknown {
			v, err := types.ParseText(t, c.Value.(string), nil)
			if err != nil {
				return nil, err
			}
			return &exec.Const{Value: v, T: t}, nil
		}
	}
	if e.Type().Family == types.FamNull {
		return &exec.Const{Value: nil, T: t}, nil
	}
	return exec.NewCast(e, t)
}

// commonType picks the type a set of values unify to (UNION, CASE,
// COALESCE, VALUES, ARRAY), as PostgreSQL's select_common_type does.
func commonType(ts []*types.T, context string) (*types.T, error) {
	var out *types.T
	for _, t := range ts {
		if t.Family == types.FamUnknown || t.Family == types.FamNull {
			continue
		}
		if out == nil {
			out = t
			continue
		}
		if types.Equal(out, t) {
			continue
		}
		switch {
		case out.IsNumeric() && t.IsNumeric():
			if exec.NumericRank(t) > exec.NumericRank(out) {
				out = t
			}
		case out.Family == types.FamString && t.Family == types.FamString:
			out = types.Text
		case out.IsTime() && t.IsTime():
			if t.Family == types.FamTimestampTZ || out.Family == types.FamTimestampTZ {
				out = types.TimestampTZ
			} else {
				out = types.Timestamp
			}
		case exec.ImplicitCast(t, out):
		case exec.ImplicitCast(out, t):
			out = t
		default:
			return nil, sqlstate.New(sqlstate.DatatypeMismatch, "%s types %s and %s cannot be matched", context, out.Name, t.Name)
		}
	}
	if out == nil {
		return types.Text, nil
	}
	return out, nil
}

// foldConst evaluates e when it depends on no column (constant folding).
// Volatile functions and parameters are left alone; an error while folding
// leaves e unfolded (the error surfaces at execution, where PostgreSQL
// would raise it too).
func foldConst(ec *exec.Ctx, e exec.Expr) exec.Expr {
	switch e.(type) {
	case *exec.Call, *exec.Cast, *exec.BoolOp, *exec.Not, *exec.IsNull, *exec.IsBool, *exec.Case,
		*exec.Coalesce, *exec.InList, *exec.AnyAll, *exec.ArrayCtor:
	default:
		return e // leaves, and anything not known to be pure
	}
	folded, err := mapExprChildren(e, func(c exec.Expr) (exec.Expr, error) { return foldConst(ec, c), nil })
	if err != nil {
		return e
	}
	for _, c := range exprChildren(folded) {
		if _, ok := c.(*exec.Const); !ok {
			return folded
		}
	}
	if call, ok := folded.(*exec.Call); ok && call.Fn.Volatile {
		return folded
	}
	if ec == nil {
		ec = exec.NewCtx()
	}
	one := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	v, err := folded.Eval(ec, one)
	if err != nil {
		return folded
	}
	defer v.Release()
	if v.Arr == nil {
		return &exec.Const{Value: v.Scalar, T: folded.Type()}
	}
	return &exec.Const{Value: exec.Datum(v.Arr, 0, folded.Type()), T: folded.Type()}
}

// notDistinct builds "l IS NOT DISTINCT FROM r".
func notDistinct(l, r exec.Expr) exec.Expr {
	fn, targets, err := exec.Resolve("=", []*types.T{l.Type(), r.Type()})
	if err != nil {
		return &exec.Const{Value: false, T: types.Bool}
	}
	lc, err1 := coerce(l, targets[0])
	rc, err2 := coerce(r, targets[1])
	if err1 != nil || err2 != nil {
		return &exec.Const{Value: false, T: types.Bool}
	}
	eq := exec.NewCall(fn, []exec.Expr{lc, rc})
	bothNull := &exec.BoolOp{And: true, Args: []exec.Expr{&exec.IsNull{Arg: l}, &exec.IsNull{Arg: r}}}
	neitherNull := &exec.BoolOp{And: true, Args: []exec.Expr{&exec.IsNull{Arg: l, Negate: true}, &exec.IsNull{Arg: r, Negate: true}, eq}}
	return &exec.BoolOp{And: false, Args: []exec.Expr{bothNull, neitherNull}}
}
