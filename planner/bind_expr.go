package planner

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// bindExpr binds an expression where aggregates are not allowed.
func (b *Binder) bindExpr(e ast.ExprNode, sc *scope) (exec.Expr, error) {
	x, err := b.expr(e, sc, false)
	if err != nil {
		return nil, err
	}
	return foldConst(b.Exec, x), nil
}

// bindExprAgg binds an expression that may contain aggregate calls.
func (b *Binder) bindExprAgg(e ast.ExprNode, sc *scope) (exec.Expr, error) {
	x, err := b.expr(e, sc, true)
	if err != nil {
		return nil, err
	}
	return foldConst(b.Exec, x), nil
}

// bindBoolExpr binds a condition (WHERE, ON, HAVING) and checks its type.
func (b *Binder) bindBoolExpr(e ast.ExprNode, sc *scope, clause string, aggOK bool) (exec.Expr, error) {
	saved := b.clause
	b.clause = clause
	x, err := b.expr(e, sc, aggOK)
	b.clause = saved
	if err != nil {
		return nil, err
	}
	if !aggOK && containsAgg(x) {
		return nil, b.errAt(e, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in %s", clause))
	}
	if x.Type().Family != types.FamBool {
		c, err := coerce(x, types.Bool)
		if err != nil || x.Type().Family != types.FamUnknown {
			return nil, b.errAt(e, sqlstate.New(sqlstate.DatatypeMismatch, "argument of %s must be type boolean, not type %s", clause, x.Type().Name))
		}
		x = c
	}
	return foldConst(b.Exec, x), nil
}

func isBoolLiteral(v *test_driver.ValueExpr) bool {
	return mysql.HasIsBooleanFlag(v.GetType().GetFlag())
}

// literal converts a TiDB value expression to a typed constant with
// PostgreSQL's literal typing: integers are int4 when they fit, else int8,
// else numeric; decimals and exponent forms are numeric; strings are of
// unknown type until context resolves them.
func literal(v *test_driver.ValueExpr) (*exec.Const, error) {
	switch v.Kind() {
	case test_driver.KindNull:
		return &exec.Const{Value: nil, T: types.Null}, nil
	case test_driver.KindInt64:
		n := v.GetInt64()
		if isBoolLiteral(v) {
			return &exec.Const{Value: n != 0, T: types.Bool}, nil
		}
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return &exec.Const{Value: n, T: types.Int4}, nil
		}
		return &exec.Const{Value: n, T: types.Int8}, nil
	case test_driver.KindUint64:
		u := v.GetUint64()
		if u <= math.MaxInt64 {
			return &exec.Const{Value: int64(u), T: types.Int8}, nil
		}
		d, _, _ := apd.NewFromString(strconv.FormatUint(u, 10))
		return &exec.Const{Value: d, T: types.Numeric}, nil
	case test_driver.KindMysqlDecimal:
		d, _, err := apd.NewFromString(v.GetMysqlDecimal().String())
		if err != nil {
			return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid numeric literal")
		}
		return &exec.Const{Value: d, T: types.Numeric}, nil
	case test_driver.KindFloat64, test_driver.KindFloat32:
		f := v.GetFloat64()
		d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', -1, 64))
		if err != nil {
			return &exec.Const{Value: f, T: types.Float8}, nil
		}
		return &exec.Const{Value: d, T: types.Numeric}, nil
	case test_driver.KindString:
		return &exec.Const{Value: v.GetString(), T: types.Unknown}, nil
	case test_driver.KindBytes:
		return &exec.Const{Value: string(v.GetBytes()), T: types.Unknown}, nil
	case test_driver.KindBinaryLiteral:
		b := v.GetBinaryLiteral()
		return &exec.Const{Value: []byte(b), T: types.Bytea}, nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "literal of kind %d is not supported", v.Kind())
}

var binOps = map[opcode.Op]string{
	opcode.Plus: "+", opcode.Minus: "-", opcode.Mul: "*", opcode.Div: "/", opcode.Mod: "%",
	opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=", opcode.GT: ">", opcode.GE: ">=",
	opcode.And: "&", opcode.Or: "|", opcode.LeftShift: "<<", opcode.RightShift: ">>",
	opcode.IntDiv: "div", opcode.Xor: "#",
}

// expr binds one expression node.
func (b *Binder) expr(e ast.ExprNode, sc *scope, aggOK bool) (exec.Expr, error) {
	switch x := e.(type) {
	case *test_driver.ValueExpr:
		return literal(x)
	case *test_driver.ParamMarkerExpr:
		return b.param(x.Offset, e)
	case *ast.ParenthesesExpr:
		return b.expr(x.Expr, sc, aggOK)
	case *ast.ColumnNameExpr:
		return b.column(x, sc)
	case *ast.BinaryOperationExpr:
		l, err := b.expr(x.L, sc, aggOK)
		if err != nil {
			return nil, err
		}
		r, err := b.expr(x.R, sc, aggOK)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case opcode.LogicAnd, opcode.LogicOr:
			lb, err := b.asBool(l, x.L, map[bool]string{true: "AND", false: "OR"}[x.Op == opcode.LogicAnd])
			if err != nil {
				return nil, err
			}
			rb, err := b.asBool(r, x.R, map[bool]string{true: "AND", false: "OR"}[x.Op == opcode.LogicAnd])
			if err != nil {
				return nil, err
			}
			and := x.Op == opcode.LogicAnd
			var args []exec.Expr
			for _, a := range []exec.Expr{lb, rb} {
				if bo, ok := a.(*exec.BoolOp); ok && bo.And == and {
					args = append(args, bo.Args...)
				} else {
					args = append(args, a)
				}
			}
			return &exec.BoolOp{And: and, Args: args}, nil
		case opcode.LogicXor:
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "XOR is not supported")
		case opcode.NullEQ:
			return b.distinctOp(l, r, false, e)
		}
		name, ok := binOps[x.Op]
		if !ok {
			return nil, b.errAt(e, sqlstate.New(sqlstate.FeatureNotSupported, "operator %s is not supported", x.Op.String()))
		}
		return b.binaryOp(name, l, r, e)
	case *ast.UnaryOperationExpr:
		v, err := b.expr(x.V, sc, aggOK)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case opcode.Not, opcode.Not2:
			vb, err := b.asBool(v, x.V, "NOT")
			if err != nil {
				return nil, err
			}
			return &exec.Not{Arg: vb}, nil
		case opcode.Minus:
			if _, lit := x.V.(*test_driver.ValueExpr); lit {
				if c, ok := v.(*exec.Const); ok && c.T.Family == types.FamInt && c.Value != nil {
					// -2147483648 is an int4 literal in PostgreSQL.
					if n := c.Value.(int64); -n >= math.MinInt32 {
						return &exec.Const{Value: -n, T: types.Int4}, nil
					}
				}
				if c, ok := v.(*exec.Const); ok && c.T.Family == types.FamNumeric && c.Value != nil {
					// PostgreSQL's grammar negates a numeric constant before
					// typing it: -9223372036854775808 is a bigint.
					if d, ok := c.Value.(*apd.Decimal); ok && d.Exponent == 0 && d.String() == "9223372036854775808" {
						return &exec.Const{Value: int64(math.MinInt64), T: types.Int8}, nil
					}
				}
			}
			return b.callFunc("-", []exec.Expr{v}, e)
		case opcode.Plus:
			return b.callFunc("+", []exec.Expr{v}, e)
		case opcode.BitNeg:
			return b.callFunc("~", []exec.Expr{v}, e)
		}
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "unary operator %s is not supported", x.Op.String())
	case *ast.IsNullExpr:
		v, err := b.expr(x.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		return &exec.IsNull{Arg: v, Negate: x.Not}, nil
	case *ast.IsTruthExpr:
		v, err := b.expr(x.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		vb, err := b.asBool(v, x.Expr, "IS TRUE")
		if err != nil {
			return nil, err
		}
		return &exec.IsBool{Arg: vb, Want: x.True != 0, Negate: x.Not}, nil
	case *ast.BetweenExpr:
		v, err := b.expr(x.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		lo, err := b.expr(x.Left, sc, aggOK)
		if err != nil {
			return nil, err
		}
		hi, err := b.expr(x.Right, sc, aggOK)
		if err != nil {
			return nil, err
		}
		if x.Not {
			a, err := b.binaryOp("<", v, lo, e)
			if err != nil {
				return nil, err
			}
			c, err := b.binaryOp(">", v, hi, e)
			if err != nil {
				return nil, err
			}
			return &exec.BoolOp{And: false, Args: []exec.Expr{a, c}}, nil
		}
		a, err := b.binaryOp(">=", v, lo, e)
		if err != nil {
			return nil, err
		}
		c, err := b.binaryOp("<=", v, hi, e)
		if err != nil {
			return nil, err
		}
		return &exec.BoolOp{And: true, Args: []exec.Expr{a, c}}, nil
	case *ast.PatternLikeOrIlikeExpr:
		v, err := b.expr(x.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		p, err := b.expr(x.Pattern, sc, aggOK)
		if err != nil {
			return nil, err
		}
		name := "like"
		if !x.IsLike {
			name = "ilike"
		}
		esc := &exec.Const{Value: "\\", T: types.Text}
		if x.EscapeExplicit || x.Escape != '\\' {
			esc = &exec.Const{Value: string([]byte{x.Escape}), T: types.Text}
			if x.Escape == 0 {
				esc = &exec.Const{Value: "", T: types.Text}
			}
		}
		call, err := b.callFunc(name, []exec.Expr{v, p, esc}, e)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return &exec.Not{Arg: call}, nil
		}
		return call, nil
	case *ast.PatternRegexpExpr:
		v, err := b.expr(x.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		p, err := b.expr(x.Pattern, sc, aggOK)
		if err != nil {
			return nil, err
		}
		op := "~"
		if x.Not {
			op = "!~"
		}
		return b.binaryOp(op, v, p, e)
	case *ast.PatternInExpr:
		return b.inExpr(x, sc, aggOK)
	case *ast.CaseExpr:
		return b.banSRF(srfBanned("CASE"), func() (exec.Expr, error) { return b.caseExpr(x, sc, aggOK) })
	case *ast.FuncCallExpr:
		return b.funcCall(x, sc, aggOK)
	case *ast.AggregateFuncExpr:
		if !aggOK {
			return nil, b.errAt(e, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here"))
		}
		return b.aggCall(strings.ToLower(x.F), x.Args, x.Distinct, nil, nil, sc, e)
	case *ast.FuncCastExpr:
		v, err := b.expr(x.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		t, ok := types.ByName(x.Tp.String())
		if !ok {
			t = types.Text
		}
		return coerceExplicit(v, t)
	case *ast.SubqueryExpr:
		return b.subquery(x, nil, sc, subScalar, e)
	case *ast.ExistsSubqueryExpr:
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "EXISTS needs a subquery")
		}
		s, err := b.subquery(sq, nil, sc, subExists, e)
		if err != nil {
			return nil, err
		}
		if x.Not {
			return &exec.Not{Arg: s}, nil
		}
		return s, nil
	case *ast.CompareSubqueryExpr:
		l, err := b.expr(x.L, sc, aggOK)
		if err != nil {
			return nil, err
		}
		sq, ok := x.R.(*ast.SubqueryExpr)
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "ANY/ALL needs a subquery or an array")
		}
		name := binOps[x.Op]
		kind := subAny
		if x.All {
			kind = subAll
		}
		s, err := b.subquery(sq, l, sc, kind, e)
		if err != nil {
			return nil, err
		}
		s.(*subqueryExpr).op = name
		return s, nil
	case *ast.RowExpr:
		return nil, b.errAt(e, sqlstate.New(sqlstate.FeatureNotSupported, "row constructors are not supported"))
	case *ast.WindowFuncExpr:
		return b.windowFunc(x, sc)
	case *ast.VariableExpr:
		return nil, b.errAt(e, sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \"@\""))
	case *ast.DefaultExpr:
		return nil, b.errAt(e, sqlstate.New(sqlstate.FeatureNotSupported, "DEFAULT is not supported here"))
	case *ast.TrimDirectionExpr:
		return &exec.Const{Value: strings.ToLower(x.Direction.String()), T: types.Text}, nil
	case *ast.TimeUnitExpr:
		return &exec.Const{Value: strings.ToLower(x.Unit.String()), T: types.Text}, nil
	}
	return nil, b.errAt(e, sqlstate.New(sqlstate.FeatureNotSupported, "expression %T is not supported", e))
}

// asBool checks that a boolean context got a boolean.
func (b *Binder) asBool(e exec.Expr, n ast.Node, what string) (exec.Expr, error) {
	switch e.Type().Family {
	case types.FamBool:
		return e, nil
	case types.FamUnknown, types.FamNull:
		return coerce(e, types.Bool)
	}
	return nil, b.errAt(n, sqlstate.New(sqlstate.DatatypeMismatch, "argument of %s must be type boolean, not type %s", what, e.Type().Name))
}

// param returns the expression of parameter $n (1-based offset).
func (b *Binder) param(n int, node ast.Node) (exec.Expr, error) {
	if n < 1 || n > 65535 {
		return nil, b.errAt(node, sqlstate.New(sqlstate.UndefinedParameter, "there is no parameter $%d", n))
	}
	for len(b.Params) < n {
		b.Params = append(b.Params, nil)
	}
	t := b.Params[n-1]
	if t == nil {
		t = types.Unknown
	}
	return &paramExpr{Param: exec.Param{Idx: n - 1, T: t}, b: b}, nil
}

// paramExpr is a parameter whose type may still be inferred from context:
// coerce on an unknown-typed parameter fixes its type.
type paramExpr struct {
	exec.Param
	b *Binder
}

// column resolves a column name, a $n parameter, or an outer reference.
func (b *Binder) column(x *ast.ColumnNameExpr, sc *scope) (exec.Expr, error) {
	name := x.Name.Name.O
	table := x.Name.Table.O
	if table == "" && strings.HasPrefix(name, "$") {
		if n, err := strconv.Atoi(name[1:]); err == nil {
			return b.param(n, x)
		}
	}
	depth := 0
	for s := sc; s != nil; s = s.parent {
		idx, err := s.resolve(table, name)
		if err != nil {
			return nil, b.errAt(x, sqlstate.As(err))
		}
		if idx >= 0 {
			c := s.cols[idx]
			if depth == 0 {
				return &exec.ColRef{Idx: idx, T: c.t, Name: c.name}, nil
			}
			return b.outer(depth, s, idx, c)
		}
		depth++
	}
	if name == "tableoid" {
		// The system column tableoid: the OID of the row's relation.
		for s, d := sc, 0; s != nil; s, d = s.parent, d+1 {
			for _, c := range s.cols {
				if (table == "" || c.table == table) && c.tableOID != 0 {
					return &exec.Const{Value: types.OidD(c.tableOID), T: types.Oid}, nil
				}
			}
		}
	}
	if table != "" {
		found := false
		for s := sc; s != nil; s = s.parent {
			found = found || s.hasTable(table)
		}
		if !found {
			return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedTable, "missing FROM-clause entry for table %q", table))
		}
		return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedColumn, "column %s.%s does not exist", table, name))
	}
	return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedColumn, "column %q does not exist", name))
}

// outer registers a reference to column idx of scope s, an enclosing query
// level depth levels out, with the subquery (or LATERAL FROM item) of that
// scope. A subquery caches its results by the outer values it reads, so a
// reference may not pass through another subquery to a level further out
// (that one's cache would go stale), except through LATERAL items, which
// cache nothing, or into a LATERAL item: the subqueries inside one start
// with empty caches for every row it runs for.
func (b *Binder) outer(depth int, s *scope, idx int, c scopeCol) (exec.Expr, error) {
	top := len(b.subs) - 1
	throughCached := false
	for k := top; k >= 0; k-- {
		sub := b.subs[k]
		if sub.parent == s || depth == 1 && k == top && !sub.lateral {
			if throughCached && !sub.lateral {
				break
			}
			for _, r := range sub.refs {
				if r.idx == idx {
					return r, nil
				}
			}
			r := &outerRef{depth: 1, idx: idx, t: c.t, name: c.name, slot: sub.slot}
			sub.refs = append(sub.refs, r)
			return r, nil
		}
		throughCached = throughCached || !sub.lateral
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "references to columns of queries more than one level out are not supported (column %q)", c.name)
}

// binaryOp resolves and builds "l op r".
func (b *Binder) binaryOp(op string, l, r exec.Expr, node ast.Node) (exec.Expr, error) {
	return b.callFunc(op, []exec.Expr{l, r}, node)
}

// distinctOp builds IS [NOT] DISTINCT FROM.
func (b *Binder) distinctOp(l, r exec.Expr, distinct bool, node ast.Node) (exec.Expr, error) {
	t, err := commonType([]*types.T{l.Type(), r.Type()}, "IS DISTINCT FROM")
	if err != nil {
		return nil, b.errAt(node, sqlstate.As(err))
	}
	if l, err = b.coerceParam(l, t); err != nil {
		return nil, err
	}
	if r, err = b.coerceParam(r, t); err != nil {
		return nil, err
	}
	nd := notDistinct(l, r)
	if distinct {
		return &exec.Not{Arg: nd}, nil
	}
	return nd, nil
}

// coerceParam is coerce that also fixes the type of an untyped parameter.
func (b *Binder) coerceParam(e exec.Expr, t *types.T) (exec.Expr, error) {
	if p, ok := e.(*paramExpr); ok && p.T.Family == types.FamUnknown && t != exec.Any && t != exec.AnyArray {
		b.Params[p.Idx] = t
		return &exec.Param{Idx: p.Idx, T: t}, nil
	}
	if p, ok := e.(*paramExpr); ok {
		e = &p.Param
	}
	return coerce(e, t)
}

// callFunc resolves a scalar function or operator over bound arguments
// and inserts the implicit casts.
func (b *Binder) callFunc(name string, args []exec.Expr, node ast.Node) (exec.Expr, error) {
	ts := make([]*types.T, len(args))
	for i, a := range args {
		ts[i] = a.Type()
		if p, ok := a.(*paramExpr); ok && p.T.Family == types.FamUnknown {
			ts[i] = types.Unknown
		}
	}
	fn, targets, err := exec.Resolve(name, ts)
	if err != nil {
		if se := sqlstate.As(err); se != nil {
			return nil, b.errAt(node, se)
		}
		return nil, err
	}
	cast := make([]exec.Expr, len(args))
	for i, a := range args {
		c, err := b.coerceParam(a, targets[i])
		if err != nil {
			if se := sqlstate.As(err); se != nil {
				return nil, b.errAt(node, se)
			}
			return nil, err
		}
		cast[i] = c
	}
	return exec.NewCall(fn, cast), nil
}

// coerceExplicit is an explicit CAST: any cast PostgreSQL allows.
func coerceExplicit(e exec.Expr, t *types.T) (exec.Expr, error) {
	if p, ok := e.(*paramExpr); ok {
		if p.T.Family == types.FamUnknown {
			p.b.Params[p.Idx] = t
			return &exec.Param{Idx: p.Idx, T: t}, nil
		}
		e = &p.Param
	}
	if c, ok := e.(*exec.Const); ok && c.T.Family == types.FamUnknown && c.Value != nil && t.Mod >= 0 {
		// An explicit cast applies the modifier: varchar(n) truncates,
		// numeric(p,s) rounds to s.
		return exec.NewCast(&exec.Const{Value: c.Value, T: types.Text}, t)
	}
	if c, ok := e.(*exec.Const); ok && (c.T.Family == types.FamUnknown || c.Value == nil) {
		return coerce(e, t)
	}
	if types.Equal(e.Type(), t) && t.Mod < 0 {
		return e, nil
	}
	return exec.NewCast(e, t)
}

func (b *Binder) inExpr(x *ast.PatternInExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	v, err := b.expr(x.Expr, sc, aggOK)
	if err != nil {
		return nil, err
	}
	if x.Sel != nil {
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "IN needs a list or a subquery")
		}
		s, err := b.subquery(sq, v, sc, subAny, x)
		if err != nil {
			return nil, err
		}
		s.(*subqueryExpr).op = "="
		if x.Not {
			return &exec.Not{Arg: s}, nil
		}
		return s, nil
	}
	items := make([]exec.Expr, len(x.List))
	ts := []*types.T{v.Type()}
	for i, it := range x.List {
		e, err := b.expr(it, sc, aggOK)
		if err != nil {
			return nil, err
		}
		items[i] = e
		ts = append(ts, e.Type())
	}
	t, err := commonType(ts, "IN")
	if err != nil {
		// As PostgreSQL's transformAExprIn: without a common type, IN is
		// a chain of = operators, each resolved on its own (1 IN
		// ('x'::text) fails with 42883 operator does not exist).
		return b.inChain(v, items, x, b.errAt(x, sqlstate.As(err)))
	}
	if v, err = b.coerceParam(v, t); err != nil {
		return nil, err
	}
	allConst := true
	var vals []any
	for i := range items {
		if items[i], err = b.coerceParam(items[i], t); err != nil {
			return nil, err
		}
		f := foldConst(b.Exec, items[i])
		if c, ok := f.(*exec.Const); ok {
			vals = append(vals, c.Value)
		} else {
			allConst = false
		}
	}
	if allConst {
		return exec.NewInList(v, vals, x.Not), nil
	}
	return b.inChain(v, items, x, nil)
}

// inChain is v IN (items) as v = item OR …; when an = resolves but
// typeErr is set (the items had no common type), typeErr is the error.
func (b *Binder) inChain(v exec.Expr, items []exec.Expr, x *ast.PatternInExpr, typeErr error) (exec.Expr, error) {
	var ors []exec.Expr
	for _, it := range items {
		eq, err := b.binaryOp("=", v, it, x)
		if err != nil {
			return nil, err
		}
		ors = append(ors, eq)
	}
	if typeErr != nil {
		return nil, typeErr
	}
	var out exec.Expr = &exec.BoolOp{And: false, Args: ors}
	if len(ors) == 1 {
		out = ors[0]
	}
	if x.Not {
		return &exec.Not{Arg: out}, nil
	}
	return out, nil
}

func (b *Binder) caseExpr(x *ast.CaseExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	var subject exec.Expr
	var err error
	if x.Value != nil {
		if subject, err = b.expr(x.Value, sc, aggOK); err != nil {
			return nil, err
		}
	}
	c := &exec.Case{}
	var results []exec.Expr
	for _, w := range x.WhenClauses {
		cond, err := b.expr(w.Expr, sc, aggOK)
		if err != nil {
			return nil, err
		}
		if subject != nil {
			if cond, err = b.binaryOp("=", subject, cond, w.Expr); err != nil {
				return nil, err
			}
		} else if cond, err = b.asBool(cond, w.Expr, "CASE/WHEN"); err != nil {
			return nil, err
		}
		r, err := b.expr(w.Result, sc, aggOK)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, cond)
		results = append(results, r)
	}
	if x.ElseClause != nil {
		el, err := b.expr(x.ElseClause, sc, aggOK)
		if err != nil {
			return nil, err
		}
		results = append(results, el)
	}
	ts := make([]*types.T, len(results))
	for i, r := range results {
		ts[i] = r.Type()
	}
	t, err := commonType(ts, "CASE")
	if err != nil {
		return nil, b.errAt(x, sqlstate.As(err))
	}
	for i := range results {
		if results[i], err = b.coerceParam(results[i], t); err != nil {
			return nil, err
		}
	}
	c.Thens = results[:len(x.WhenClauses)]
	if x.ElseClause != nil {
		c.Else = results[len(results)-1]
	}
	c.T = t
	return c, nil
}
