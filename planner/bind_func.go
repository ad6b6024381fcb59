package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// stringArg returns the string of a literal argument the dialect layer
// wrote (type names, operator names).
func stringArg(e ast.ExprNode) (string, bool) {
	v, ok := e.(*test_driver.ValueExpr)
	if !ok || v.Kind() != test_driver.KindString {
		return "", false
	}
	return v.GetString(), true
}

// funcCall binds a function call, including the dialect layer's synthetic
// functions (__cast, __op, __any, __array, __agg_filter, …).
func (b *Binder) funcCall(x *ast.FuncCallExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	name := x.FnName.L
	switch name {
	case "__cast":
		if len(x.Args) != 2 {
			break
		}
		tn, ok := stringArg(x.Args[1])
		if !ok {
			break
		}
		t, found := types.ByName(tn)
		if !found {
			return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedObject, "type %q does not exist", tn))
		}
		v, err := b.expr(x.Args[0], sc, aggOK)
		if err != nil {
			return nil, err
		}
		c, err := coerceExplicit(v, t)
		if err != nil {
			if se := sqlstate.As(err); se != nil {
				return nil, b.errAt(x, se)
			}
			return nil, err
		}
		return c, nil
	case "__op":
		if len(x.Args) == 2 {
			op, ok := stringArg(x.Args[0])
			if !ok {
				break
			}
			v, err := b.expr(x.Args[1], sc, aggOK)
			if err != nil {
				return nil, err
			}
			return b.callFunc(op, []exec.Expr{v}, x)
		}
		if len(x.Args) != 3 {
			break
		}
		op, ok := stringArg(x.Args[0])
		if !ok {
			break
		}
		if strings.EqualFold(op, "at time zone") {
			l, err := b.expr(x.Args[1], sc, aggOK)
			if err != nil {
				return nil, err
			}
			z, err := b.expr(x.Args[2], sc, aggOK)
			if err != nil {
				return nil, err
			}
			return b.callFunc("timezone", []exec.Expr{z, l}, x)
		}
		l, err := b.expr(x.Args[1], sc, aggOK)
		if err != nil {
			return nil, err
		}
		r, err := b.expr(x.Args[2], sc, aggOK)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(op) {
		case "is distinct from":
			return b.distinctOp(l, r, true, x)
		case "is not distinct from":
			return b.distinctOp(l, r, false, x)
		}
		return b.binaryOp(op, l, r, x)
	case "__any", "__all":
		if len(x.Args) != 3 {
			break
		}
		op, ok := stringArg(x.Args[0])
		if !ok {
			break
		}
		l, err := b.expr(x.Args[1], sc, aggOK)
		if err != nil {
			return nil, err
		}
		arr, err := b.expr(x.Args[2], sc, aggOK)
		if err != nil {
			return nil, err
		}
		return b.anyAll(op, l, arr, name == "__all", x)
	case "__array":
		return b.arrayCtor(x, sc, aggOK)
	case "__array_subquery":
		if len(x.Args) == 1 {
			if sq, ok := unparen(x.Args[0]).(*ast.SubqueryExpr); ok {
				return b.subquery(sq, nil, sc, subArray, x)
			}
		}
	case "__agg_filter":
		if len(x.Args) != 2 {
			break
		}
		if !aggOK {
			return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here"))
		}
		cond, err := b.expr(x.Args[1], sc, false)
		if err != nil {
			return nil, err
		}
		if cond, err = b.asBool(cond, x.Args[1], "FILTER"); err != nil {
			return nil, err
		}
		switch inner := unparen(x.Args[0]).(type) {
		case *ast.AggregateFuncExpr:
			return b.aggCall(strings.ToLower(inner.F), inner.Args, inner.Distinct, cond, nil, sc, x)
		case *ast.FuncCallExpr:
			if types.IsAggregate(inner.FnName.L) {
				return b.aggCall(inner.FnName.L, inner.Args, false, cond, nil, sc, x)
			}
		}
		return nil, b.errAt(x, sqlstate.New(sqlstate.WrongObjectType, "FILTER specified, but it is not an aggregate function"))
	case "__within_group":
		if len(x.Args) < 2 {
			break
		}
		if !aggOK {
			return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here"))
		}
		var fname string
		var direct []ast.ExprNode
		switch inner := unparen(x.Args[0]).(type) {
		case *ast.FuncCallExpr:
			fname, direct = inner.FnName.L, inner.Args
		case *ast.AggregateFuncExpr:
			fname, direct = strings.ToLower(inner.F), inner.Args
		default:
			return nil, b.errAt(x, sqlstate.New(sqlstate.SyntaxError, "WITHIN GROUP needs an ordered-set aggregate"))
		}
		if len(x.Args) >= 3 {
			if dir, ok := stringArg(x.Args[2]); ok && strings.EqualFold(dir, "desc") {
				return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "WITHIN GROUP (ORDER BY … DESC) is not supported"))
			}
		}
		// percentile_cont(f) WITHIN GROUP (ORDER BY x) → args (x), const f
		return b.aggCall(fname, []ast.ExprNode{x.Args[1]}, false, nil, direct, sc, x)
	case "__agg_distinct", "__agg_order":
		if len(x.Args) < 1 {
			break
		}
		if !aggOK {
			return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here"))
		}
		distinct := name == "__agg_distinct"
		var fname string
		var args []ast.ExprNode
		switch inner := unparen(x.Args[0]).(type) {
		case *ast.FuncCallExpr:
			fname, args = inner.FnName.L, inner.Args
			if inner.FnName.L == "__agg_distinct" && len(inner.Args) == 1 {
				// __agg_order(__agg_distinct(f(…)), …)
				if f2, ok := unparen(inner.Args[0]).(*ast.FuncCallExpr); ok {
					fname, args, distinct = f2.FnName.L, f2.Args, true
				}
			}
		case *ast.AggregateFuncExpr:
			fname, args = strings.ToLower(inner.F), inner.Args
			distinct = distinct || inner.Distinct
		default:
			return nil, b.errAt(x, sqlstate.New(sqlstate.SyntaxError, "DISTINCT or ORDER BY in a call needs an aggregate"))
		}
		if !types.IsAggregate(fname) {
			return nil, b.errAt(x, sqlstate.New(sqlstate.WrongObjectType, "DISTINCT specified, but %s is not an aggregate function", fname))
		}
		e, err := b.aggCall(fname, args, distinct, nil, nil, sc, x)
		if err != nil || name != "__agg_order" {
			return e, err
		}
		// ORDER BY inside the call fixes the order the aggregate sees its
		// rows in (string_agg, array_agg, json_agg); planAggregate sorts the
		// aggregate's input by it.
		ref := e.(*aggRef)
		var sb strings.Builder
		for i := 1; i < len(x.Args); i += 2 {
			k, nullsFirst, explicit := unwrapNulls(x.Args[i])
			ke, err := b.expr(k, sc, false)
			if err != nil {
				return nil, err
			}
			if containsAgg(ke) {
				return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "aggregate function calls cannot be nested"))
			}
			desc := false
			if i+1 < len(x.Args) {
				if dir, ok := stringArg(x.Args[i+1]); ok && strings.EqualFold(dir, "desc") {
					desc = true
				}
			}
			if !explicit {
				nullsFirst = desc
			}
			if distinct && (desc || !slices.ContainsFunc(ref.args, func(a exec.Expr) bool { return exprKey(a) == exprKey(ke) })) {
				return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "in an aggregate with DISTINCT, only ORDER BY of the argument, ascending, is supported"))
			}
			ref.order = append(ref.order, aggOrder{e: ke, desc: desc, nullsFirst: nullsFirst})
			fmt.Fprintf(&sb, " %s/%v/%v", exprKey(ke), desc, nullsFirst)
		}
		if distinct {
			ref.order = nil // DISTINCT values reach the aggregate in ascending order
		}
		ref.key += " ORDER" + sb.String()
		return ref, nil
	case "__subscript", "__slice":
		args := make([]exec.Expr, len(x.Args))
		for i, a := range x.Args {
			e, err := b.expr(a, sc, aggOK)
			if err != nil {
				return nil, err
			}
			args[i] = e
		}
		if len(args) > 0 && args[0].Type().Family != types.FamArray && args[0].Type() != types.Int2Vector && args[0].Type() != types.OidVector {
			return nil, b.errAt(x, sqlstate.New(sqlstate.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", args[0].Type().Name))
		}
		if name == "__subscript" {
			return b.callFunc("array_element", args, x)
		}
		return b.callFunc("array_slice", args, x)
	case "__field":
		return b.fieldSelect(x, sc, aggOK)
	case "coalesce":
		return b.banSRF(srfBanned("COALESCE"), func() (exec.Expr, error) {
			args, t, err := b.commonArgs(x.Args, sc, aggOK, "COALESCE")
			if err != nil {
				return nil, err
			}
			return &exec.Coalesce{Args: args, T: t}, nil
		})
	case "nullif":
		if len(x.Args) != 2 {
			break
		}
		a, err := b.expr(x.Args[0], sc, aggOK)
		if err != nil {
			return nil, err
		}
		c, err := b.expr(x.Args[1], sc, aggOK)
		if err != nil {
			return nil, err
		}
		eq, err := b.binaryOp("=", a, c, x)
		if err != nil {
			return nil, err
		}
		t := a.Type()
		if t.Family == types.FamUnknown {
			t = types.Text
			if a, err = coerce(a, t); err != nil {
				return nil, err
			}
		}
		return &exec.Case{Whens: []exec.Expr{eq}, Thens: []exec.Expr{&exec.Const{T: t}}, Else: a, T: t}, nil
	case "greatest", "least":
		args, t, err := b.commonArgs(x.Args, sc, aggOK, strings.ToUpper(name))
		if err != nil {
			return nil, err
		}
		fn := exec.GreatestLeast(name == "greatest", t)
		return &exec.Call{Fn: fn, Args: args, Ret: t}, nil
	}
	if name == "grouping" && x.FnName.O == "grouping" {
		return b.groupingCall(x, sc, aggOK)
	}
	if types.IsAggregate(name) {
		if !aggOK {
			return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here"))
		}
		return b.aggCall(name, x.Args, false, nil, nil, sc, x)
	}
	if strings.HasPrefix(name, "__") {
		return nil, b.errAt(x, sqlstate.New(sqlstate.SyntaxError, "malformed %s", name))
	}
	if setReturning[name] {
		return b.srfCall(name, x, sc, aggOK)
	}
	args := make([]exec.Expr, len(x.Args))
	for i, a := range x.Args {
		e, err := b.expr(a, sc, aggOK)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	return b.callFunc(name, args, x)
}

func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// commonArgs binds arguments and coerces them to their common type.
func (b *Binder) commonArgs(nodes []ast.ExprNode, sc *scope, aggOK bool, what string) ([]exec.Expr, *types.T, error) {
	args := make([]exec.Expr, len(nodes))
	ts := make([]*types.T, len(nodes))
	for i, a := range nodes {
		e, err := b.expr(a, sc, aggOK)
		if err != nil {
			return nil, nil, err
		}
		args[i] = e
		ts[i] = e.Type()
	}
	t, err := commonType(ts, what)
	if err != nil {
		return nil, nil, err
	}
	for i := range args {
		if args[i], err = b.coerceParam(args[i], t); err != nil {
			return nil, nil, err
		}
	}
	return args, t, nil
}

// aggCall binds an aggregate call into an aggRef. direct holds the direct
// arguments of an ordered-set aggregate (the fraction of percentile_cont).
func (b *Binder) aggCall(name string, argNodes []ast.ExprNode, distinct bool, filter exec.Expr, direct []ast.ExprNode, sc *scope, node ast.Node) (exec.Expr, error) {
	if len(b.subs) > 0 && false {
		return nil, nil
	}
	var args []exec.Expr
	var consts []any
	constPos := map[int]bool{}
	for _, p := range types.AggregateConstArgs(name) {
		constPos[p] = true
	}
	// count(*): TiDB writes COUNT(1) — a constant count is count(*).
	if name == "count" && len(argNodes) == 1 && !distinct {
		if v, ok := argNodes[0].(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 && v.GetInt64() == 1 {
			argNodes = nil
		}
	}
	noSRF := sqlstate.New(sqlstate.FeatureNotSupported, "aggregate function calls cannot contain set-returning function calls").
		WithHint("You might be able to move the set-returning function into a LATERAL FROM item.")
	for i, a := range argNodes {
		e, err := b.banSRF(noSRF, func() (exec.Expr, error) {
			if row, ok := a.(*ast.RowExpr); ok && name == "count" && distinct && len(argNodes) == 1 {
				return b.distinctRow(row, sc)
			}
			return b.expr(a, sc, false)
		})
		if err != nil {
			return nil, err
		}
		if containsAgg(e) {
			return nil, b.errAt(node, sqlstate.New(sqlstate.GroupingError, "aggregate function calls cannot be nested"))
		}
		if constPos[i] {
			v, err := b.constValue(e)
			if err != nil {
				return nil, b.errAt(node, sqlstate.New(sqlstate.FeatureNotSupported, "argument %d of %s must be a constant", i+1, name))
			}
			consts = append(consts, v)
			continue
		}
		args = append(args, e)
	}
	for _, d := range direct {
		e, err := b.expr(d, sc, false)
		if err != nil {
			return nil, err
		}
		if e, err = coerce(e, types.Float8); err != nil {
			return nil, err
		}
		v, err := b.constValue(e)
		if err != nil {
			return nil, b.errAt(node, sqlstate.New(sqlstate.FeatureNotSupported, "the fraction of %s must be a constant", name))
		}
		consts = append(consts, v)
	}
	ts := make([]*types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	rt, err := types.AggregateResult(name, ts, distinct)
	if err != nil {
		if se := sqlstate.As(err); se != nil {
			return nil, b.errAt(node, se)
		}
		return nil, err
	}
	// Arguments take the types the accumulator expects (an untyped
	// literal resolves as PostgreSQL does: stddev('1') reads float8).
	want, err := types.AggregateArgs(name, ts)
	if err != nil {
		if se := sqlstate.As(err); se != nil {
			return nil, b.errAt(node, se)
		}
		return nil, err
	}
	for i, a := range args {
		if i < len(want) && want[i] != nil && !types.Equal(a.Type(), want[i]) {
			if args[i], err = b.coerceParam(a, want[i]); err != nil {
				return nil, err
			}
		}
	}
	ref := &aggRef{name: name, args: args, consts: consts, distinct: distinct, filter: filter, t: rt}
	var sb strings.Builder
	sb.WriteString(name + "(")
	if distinct {
		sb.WriteString("DISTINCT ")
	}
	if len(args) == 0 && name == "count" {
		sb.WriteString("*")
	}
	for i, a := range args {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(a.String())
	}
	sb.WriteString(")")
	if filter != nil {
		sb.WriteString(" FILTER (WHERE " + filter.String() + ")")
	}
	ref.key = sb.String()
	// Two calls that print alike but read different columns must differ.
	ref.key = ref.key + "§" + exprKey(&aggRef{name: name, args: args, consts: consts, distinct: distinct, filter: filter})
	ref.key = strings.TrimSpace(ref.key)
	return ref, nil
}

// distinctRow binds the row constructor of count(DISTINCT (a, b, …)) as
// the record's text form: two rows are the same when their texts are, which
// holds for fields whose equal values print alike (integers, text, booleans,
// dates, times, timestamps). Other field types (numeric 1.0 = 1.00, float
// -0 = 0, intervals, char(n)) keep row constructors unsupported. The record
// itself is never NULL, so rows of NULL fields count, as in PostgreSQL.
func (b *Binder) distinctRow(row *ast.RowExpr, sc *scope) (exec.Expr, error) {
	fields := make([]types.Field, len(row.Values))
	args := make([]exec.Expr, len(row.Values))
	for i, v := range row.Values {
		e, err := b.expr(v, sc, false)
		if err != nil {
			return nil, err
		}
		t := e.Type()
		switch t.Family {
		case types.FamUnknown:
			return nil, b.errAt(v, sqlstate.New(sqlstate.UndefinedFunction, "could not identify a comparison function for type unknown"))
		case types.FamBool, types.FamInt, types.FamDate, types.FamTime, types.FamTimestamp, types.FamTimestampTZ, types.FamOid, types.FamBytes:
		case types.FamString:
			if t.OID == types.BPChar.OID {
				return nil, b.errAt(row, sqlstate.New(sqlstate.FeatureNotSupported, "row constructors are not supported"))
			}
		default:
			return nil, b.errAt(row, sqlstate.New(sqlstate.FeatureNotSupported, "row constructors are not supported"))
		}
		fields[i] = types.Field{Name: fmt.Sprintf("f%d", i+1), T: t}
		args[i] = e
	}
	// The accumulator counts the text: the call returns text, not record.
	c := exec.NewRowCtor(args, types.RecordOf(fields...))
	fn := *c.Fn
	fn.Ret = types.Text
	return &exec.Call{Fn: &fn, Args: c.Args, Ret: types.Text}, nil
}

// anyAll binds "l op ANY (array)" / "l op ALL (array)".
func (b *Binder) anyAll(op string, l, arr exec.Expr, all bool, node ast.Node) (exec.Expr, error) {
	at := arr.Type()
	if at.Family == types.FamUnknown {
		// '{a,b}' literal: an array of l's type.
		var err error
		if arr, err = coerce(arr, types.ArrayOf(l.Type())); err != nil {
			return nil, err
		}
		at = arr.Type()
	}
	if at.Family != types.FamArray {
		return nil, b.errAt(node, sqlstate.New(sqlstate.WrongObjectType, "op ANY/ALL (array) requires array on right side"))
	}
	// Resolve the element comparison to learn the common type.
	fn, targets, err := exec.Resolve(op, []*types.T{l.Type(), at.Elem})
	if err != nil {
		return nil, b.errAt(node, sqlstate.As(err))
	}
	if l, err = b.coerceParam(l, targets[0]); err != nil {
		return nil, err
	}
	if !types.Equal(targets[1], at.Elem) {
		if arr, err = coerce(arr, types.ArrayOf(targets[1])); err != nil {
			return nil, err
		}
	}
	return exec.NewAnyAll(fn, l, arr, all), nil
}

// arrayCtor binds ARRAY[a, b, …].
func (b *Binder) arrayCtor(x *ast.FuncCallExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	args, t, err := b.commonArgs(x.Args, sc, aggOK, "ARRAY")
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, b.errAt(x, sqlstate.New("42P18", "cannot determine type of empty array").WithHint("Explicitly cast to the desired type, for example ARRAY[]::integer[]."))
	}
	return exec.NewArrayCtor(args, t), nil
}
