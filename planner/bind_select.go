package planner

import (
	"fmt"
	"math"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"lambdasql/exec"
	"lambdasql/exec/agg"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// aggRef stands for an aggregate call while binding; lifting above the
// Aggregate node replaces it with a reference to the aggregate's output.
type aggRef struct {
	name     string
	args     []exec.Expr
	consts   []any
	distinct bool
	filter   exec.Expr
	t        *types.T
	key      string
	order    []aggOrder // ORDER BY inside the call
}

// aggOrder is one ORDER BY key inside an aggregate call.
type aggOrder struct {
	e                exec.Expr
	desc, nullsFirst bool
}

func (a *aggRef) Type() *types.T { return a.t }

// Eval implements exec.Expr; an aggRef never reaches execution.
func (a *aggRef) Eval(*exec.Ctx, arrowRecord) (exec.Vec, error) {
	return exec.Vec{}, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed here")
}

func (a *aggRef) String() string { return a.key }

// selectItem is one bound output column.
type selectItem struct {
	expr exec.Expr
	name string
	node ast.ExprNode
}

// bindSelectBody binds the select list, GROUP BY, HAVING, DISTINCT, ORDER BY
// and LIMIT over the FROM/WHERE plan.
func (b *Binder) bindSelectBody(s *ast.SelectStmt, from Node, sc *scope) (Node, []string, error) {
	// Window functions in the select list are computed over the FROM rows.
	if hasWindowFunc(s.Fields) {
		saved := b.windows
		b.windows = &windowCtx{sc: sc}
		defer func() { b.windows = saved }()
	}
	// Set-returning functions in the select list and ORDER BY run in a
	// ProjectSet below the projection.
	savedSRF, savedClause := b.srfs, b.clause
	srfs := &srfCtx{sc: sc}
	b.srfs, b.clause = srfs, ""
	defer func() { b.srfs, b.clause = savedSRF, savedClause }()
	// Select list, with * expanded.
	var items []selectItem
	fields, distinctOn := splitDistinctOn(s)
	for _, f := range fields {
		if f.WildCard != nil {
			tbl := f.WildCard.Table.O
			if tbl != "" && !sc.hasTable(tbl) {
				return nil, nil, sqlstate.New(sqlstate.UndefinedTable, "missing FROM-clause entry for table %q", tbl)
			}
			n := 0
			for i, c := range sc.cols {
				if c.hidden || (tbl != "" && c.table != tbl) || (tbl == "" && c.qualOnly) {
					continue
				}
				items = append(items, selectItem{expr: &exec.ColRef{Idx: i, T: c.t, Name: c.name}, name: c.name})
				n++
			}
			if n == 0 && tbl == "" && len(sc.cols) == 0 {
				return nil, nil, sqlstate.New(sqlstate.SyntaxError, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		e, err := b.bindExprAgg(f.Expr, sc)
		if err != nil {
			return nil, nil, err
		}
		name := f.AsName.O
		if name == "" {
			name = columnName(f.Expr)
		}
		items = append(items, selectItem{expr: e, name: name, node: f.Expr})
	}
	// GROUP BY items may name output columns (alias or ordinal).
	var groupBy []exec.Expr
	var groupSets [][]int // more than one grouping set: positions in groupBy
	b.srfs, b.clause = nil, "GROUP BY"
	if s.GroupBy != nil {
		if s.GroupBy.Rollup {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "GROUP BY … WITH ROLLUP is not supported").
				WithHint("Write GROUP BY ROLLUP (…).")
		}
		keys, sets, err := b.bindGroupBy(s.GroupBy, sc, items)
		if err != nil {
			return nil, nil, err
		}
		if len(sets) == 1 {
			for _, k := range sets[0] {
				groupBy = append(groupBy, keys[k])
			}
		} else {
			groupBy, groupSets = keys, sets
		}
	}
	var having exec.Expr
	b.clause = "HAVING"
	if s.Having != nil {
		h, err := b.bindExprAgg(s.Having.Expr, sc)
		if err != nil {
			return nil, nil, err
		}
		if h, err = coerce(h, types.Bool); err != nil {
			return nil, nil, sqlstate.New(sqlstate.DatatypeMismatch, "argument of HAVING must be type boolean, not type %s", h.Type().Name)
		}
		having = h
	}
	// ORDER BY: by output column (name, ordinal) or by expression.
	type orderItem struct {
		expr       exec.Expr
		outIdx     int // >= 0: an output column
		desc       bool
		nullsFirst bool
		on         bool     // a DISTINCT ON expression, not an ORDER BY key
		node       ast.Node // for error positions
	}
	var orders []orderItem
	b.srfs, b.clause = srfs, ""
	// resolveKey resolves an ORDER BY or DISTINCT ON item that is not an
	// out-of-range position: an output column (by name or ordinal), else
	// an expression, sorting by the output column equal to it if any.
	resolveKey := func(expr ast.ExprNode) (exec.Expr, int, error) {
		if idx, ok := outputRef(expr, items); ok {
			return nil, idx, nil
		}
		e, err := b.bindExprAgg(expr, sc)
		if err != nil {
			return nil, -1, err
		}
		for i, item := range items {
			if exprKey(item.expr) == exprKey(e) {
				return e, i, nil
			}
		}
		return e, -1, nil
	}
	if s.OrderBy != nil {
		for _, it := range s.OrderBy.Items {
			expr, nullsFirst, hasNulls := unwrapNulls(it.Expr)
			oi := orderItem{outIdx: -1, desc: it.Desc}
			if hasNulls {
				oi.nullsFirst = nullsFirst
			} else {
				oi.nullsFirst = it.Desc
			}
			if p, ok := expr.(*ast.PositionExpr); ok && !isOutputRef(expr, items) {
				return nil, nil, b.errAt(it.Expr, sqlstate.New(sqlstate.InvalidColumnReference, "ORDER BY position %d is not in select list", p.N))
			}
			var err error
			if oi.expr, oi.outIdx, err = resolveKey(expr); err != nil {
				return nil, nil, err
			}
			orders = append(orders, oi)
		}
	}
	// DISTINCT ON expressions resolve as ORDER BY items do; they ride along
	// in orders (marked on) through aggregation and window lifting.
	for _, expr := range distinctOn {
		oi := orderItem{outIdx: -1, on: true, node: expr}
		if n, ok := ordinalOf(expr); ok && !isOutputRef(expr, items) {
			return nil, nil, b.errAt(expr, sqlstate.New(sqlstate.InvalidColumnReference, "DISTINCT ON position %d is not in select list", n))
		}
		var err error
		if oi.expr, oi.outIdx, err = resolveKey(expr); err != nil {
			return nil, nil, err
		}
		orders = append(orders, oi)
	}
	// Aggregation.
	hasAgg := s.GroupBy != nil || having != nil
	for _, it := range items {
		hasAgg = hasAgg || containsAgg(it.expr)
	}
	for _, o := range orders {
		if o.expr != nil {
			hasAgg = hasAgg || containsAgg(o.expr)
		}
	}
	b.srfs = nil
	node := from
	if len(srfs.funcs) > 0 {
		if hasAgg || (b.windows != nil && b.windows.sc == sc && len(b.windows.calls) > 0) {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "set-returning functions in a select list with aggregates or window functions are not supported").
				WithHint("Move the set-returning function into a LATERAL FROM item, or the aggregate into a subquery.")
		}
		node = &ProjectSet{Child: node, Funcs: srfs.funcs}
	}
	if b.windows != nil && b.windows.sc == sc && len(b.windows.calls) > 0 {
		if hasAgg {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "window functions together with GROUP BY or aggregates are not supported")
		}
		var exprs []exec.Expr
		for _, it := range items {
			exprs = append(exprs, it.expr)
		}
		for _, o := range orders {
			if o.expr != nil {
				exprs = append(exprs, o.expr)
			}
		}
		wnode, lifted, err := b.planWindows(node, b.windows, exprs)
		if err != nil {
			return nil, nil, err
		}
		node = wnode
		k := 0
		for i := range items {
			items[i].expr = lifted[k]
			k++
		}
		for i := range orders {
			if orders[i].expr != nil {
				orders[i].expr = lifted[k]
				k++
			}
		}
	}
	if hasAgg {
		var exprs []exec.Expr
		for _, it := range items {
			exprs = append(exprs, it.expr)
		}
		if having != nil {
			exprs = append(exprs, having)
		}
		for _, o := range orders {
			if o.expr != nil {
				exprs = append(exprs, o.expr)
			}
		}
		aggNode, lifted, err := b.planAggregateSets(node, sc, groupBy, groupSets, exprs)
		if err != nil {
			return nil, nil, err
		}
		node = aggNode
		k := 0
		for i := range items {
			items[i].expr = lifted[k]
			k++
		}
		if having != nil {
			having = lifted[k]
			k++
			node = &Filter{Child: node, Pred: having}
		}
		for i := range orders {
			if orders[i].expr != nil {
				orders[i].expr = lifted[k]
				k++
			}
		}
	}
	// Project the select list plus hidden sort expressions.
	out := make(exec.Schema, len(items))
	exprs := make([]exec.Expr, len(items))
	names := make([]string, len(items))
	for i, it := range items {
		if it.expr.Type().Family == types.FamUnknown {
			// An untyped literal in the select list comes out as text.
			var err error
			if it.expr, err = coerce(it.expr, types.Text); err != nil {
				return nil, nil, err
			}
		}
		exprs[i] = it.expr
		names[i] = it.name
		out[i] = exec.Column{Name: it.name, Type: it.expr.Type()}
		if cr, ok := it.expr.(*exec.ColRef); ok && !hasAgg && cr.Idx < len(sc.cols) {
			c := sc.cols[cr.Idx]
			out[i].TableOID, out[i].Attnum = c.tableOID, c.attnum
		}
	}
	var sortKeys []exec.SortKey
	var onCols []int // DISTINCT ON columns
	var onNodes []ast.Node
	extra := 0
	hidden := map[string]int{} // exprKey → hidden column
	for _, o := range orders {
		col := o.outIdx
		if col < 0 {
			if s.Distinct && distinctOn == nil {
				return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
			}
			k := exprKey(o.expr)
			if c, ok := hidden[k]; ok {
				col = c
			} else {
				exprs = append(exprs, o.expr)
				col = len(out) + extra
				hidden[k] = col
				extra++
			}
		}
		if o.on {
			onCols = append(onCols, col)
			onNodes = append(onNodes, o.node)
			continue
		}
		sortKeys = append(sortKeys, exec.SortKey{Col: col, Desc: o.desc, NullsFirst: o.nullsFirst})
	}
	if distinctOn != nil {
		if at, ok := checkDistinctOn(onCols, sortKeys); !ok {
			return nil, nil, b.errAt(onNodes[at], distinctOnError())
		}
		// As in PostgreSQL, the rows are sorted by the DISTINCT ON keys
		// the ORDER BY lacks, after it.
		sortKeys = appendDistinctOnKeys(sortKeys, onCols)
	}
	full := append(exec.Schema{}, out...)
	for i := len(out); i < len(exprs); i++ {
		full = append(full, exec.Column{Name: fmt.Sprintf("?sort%d?", i), Type: exprs[i].Type()})
	}
	node = &Project{Child: node, Exprs: exprs, Out: full}
	if s.Distinct && distinctOn == nil {
		keys := make([]int, len(out))
		for i := range keys {
			keys[i] = i
		}
		node = &Aggregate{Child: node, Keys: keys, Out: out}
	}
	if len(sortKeys) > 0 {
		node = &Sort{Child: node, Keys: sortKeys}
	}
	if distinctOn != nil {
		node = &DistinctOn{Child: node, Keys: onCols}
	}
	var err error
	if node, err = b.bindLimit(node, s.Limit); err != nil {
		return nil, nil, err
	}
	if extra > 0 {
		keep := make([]exec.Expr, len(out))
		for i, c := range out {
			keep[i] = &exec.ColRef{Idx: i, T: c.Type, Name: c.Name}
		}
		node = &Project{Child: node, Exprs: keep, Out: out}
	}
	return node, names, nil
}

// unwrapNulls strips the dialect layer's __nulls_first/__nulls_last marker
// from an ORDER BY expression.
func unwrapNulls(e ast.ExprNode) (ast.ExprNode, bool, bool) {
	if fc, ok := e.(*ast.FuncCallExpr); ok && len(fc.Args) == 1 {
		switch fc.FnName.L {
		case "__nulls_first":
			return fc.Args[0], true, true
		case "__nulls_last":
			return fc.Args[0], false, true
		}
	}
	return e, false, false
}

// outputRef resolves an ORDER BY / GROUP BY item that names an output
// column: an ordinal (ORDER BY 2) or an output alias.
func isOutputRef(e ast.ExprNode, items []selectItem) bool {
	_, ok := outputRef(e, items)
	return ok
}

func outputRef(e ast.ExprNode, items []selectItem) (int, bool) {
	if p, ok := e.(*ast.PositionExpr); ok && p.P == nil {
		if p.N >= 1 && p.N <= len(items) {
			return p.N - 1, true
		}
		return -1, false
	}
	if v, ok := e.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 {
		n := int(v.GetInt64())
		if n >= 1 && n <= len(items) {
			return n - 1, true
		}
		return -1, false
	}
	if c, ok := e.(*ast.ColumnNameExpr); ok && c.Name.Table.O == "" {
		found := -1
		for i, it := range items {
			if it.name == c.Name.Name.O {
				if found >= 0 {
					return -1, false
				}
				found = i
			}
		}
		if found >= 0 {
			return found, true
		}
	}
	return -1, false
}

// bindByItem binds a GROUP BY item: an ordinal, an input column, or an
// output alias (PostgreSQL prefers input columns over output aliases).
func (b *Binder) bindByItem(e ast.ExprNode, sc *scope, items []selectItem, clause string) (exec.Expr, error) {
	if p, ok := e.(*ast.PositionExpr); ok && p.P == nil {
		if p.N < 1 || p.N > len(items) {
			return nil, b.errAt(e, sqlstate.New(sqlstate.InvalidColumnReference, "%s position %d is not in select list", clause, p.N))
		}
		return items[p.N-1].expr, nil
	}
	if v, ok := e.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 {
		n := int(v.GetInt64())
		if n < 1 || n > len(items) {
			return nil, b.errAt(e, sqlstate.New(sqlstate.InvalidColumnReference, "%s position %d is not in select list", clause, n))
		}
		return items[n-1].expr, nil
	}
	if c, ok := e.(*ast.ColumnNameExpr); ok && c.Name.Table.O == "" {
		if idx, _ := sc.resolve("", c.Name.Name.O); idx < 0 {
			for _, it := range items {
				if it.name == c.Name.Name.O {
					return it.expr, nil
				}
			}
		}
	}
	return b.bindExprAgg(e, sc)
}

// finishOrderLimit applies ORDER BY (over output columns) and LIMIT to a
// set operation or VALUES.
func (b *Binder) finishOrderLimit(node Node, names []string, ob *ast.OrderByClause, lim *ast.Limit) (Node, []string, error) {
	if ob != nil {
		out := node.Schema()
		items := make([]selectItem, len(out))
		for i, c := range out {
			name := c.Name
			if i < len(names) {
				name = names[i]
			}
			items[i] = selectItem{expr: &exec.ColRef{Idx: i, T: c.Type, Name: name}, name: name}
		}
		var keys []exec.SortKey
		for _, it := range ob.Items {
			expr, nf, has := unwrapNulls(it.Expr)
			idx, ok := outputRef(expr, items)
			if !ok {
				if c, isCol := expr.(*ast.ColumnNameExpr); isCol {
					// PostgreSQL resolves a name against the result columns only.
					if t := c.Name.Table.O; t != "" {
						return nil, nil, sqlstate.New(sqlstate.UndefinedTable, "missing FROM-clause entry for table %q", t)
					}
					return nil, nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q does not exist", c.Name.Name.O)
				}
				return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "ORDER BY on a UNION/INTERSECT/EXCEPT result must be on one of the result columns")
			}
			k := exec.SortKey{Col: idx, Desc: it.Desc, NullsFirst: it.Desc}
			if has {
				k.NullsFirst = nf
			}
			keys = append(keys, k)
		}
		node = &Sort{Child: node, Keys: keys}
	}
	node, err := b.bindLimit(node, lim)
	return node, names, err
}

func (b *Binder) bindLimit(node Node, lim *ast.Limit) (Node, error) {
	if lim == nil {
		return node, nil
	}
	count, offset := int64(-1), int64(0)
	empty := &scope{}
	eval := func(e ast.ExprNode, what string) (int64, error) {
		if v, ok := e.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindUint64 && v.GetUint64() == math.MaxUint64 {
			return -1, nil // the dialect layer's LIMIT for an OFFSET alone
		}
		x, err := b.bindExpr(e, empty)
		if err != nil {
			return 0, err
		}
		x, err = coerce(x, types.Int8)
		if err != nil {
			return 0, err
		}
		v, err := b.constValue(x)
		if err != nil {
			return 0, sqlstate.New(sqlstate.FeatureNotSupported, "argument of %s must be a constant", what)
		}
		if v == nil {
			return -1, nil
		}
		n := v.(int64)
		if n < 0 {
			if what == "OFFSET" {
				return 0, sqlstate.New("2201X", "OFFSET must not be negative")
			}
			return 0, sqlstate.New("2201W", "LIMIT must not be negative")
		}
		return n, nil
	}
	var err error
	if lim.Count != nil {
		if count, err = eval(lim.Count, "LIMIT"); err != nil {
			return nil, err
		}
	}
	if lim.Offset != nil {
		if offset, err = eval(lim.Offset, "OFFSET"); err != nil {
			return nil, err
		}
		if offset < 0 {
			offset = 0
		}
	}
	return &Limit{Child: node, Count: count, Offset: offset}, nil
}

// planAggregate builds Project → Aggregate over input for the group keys
// and the aggregates found in exprs, and returns exprs lifted to refer to
// the aggregate's output.
func (b *Binder) planAggregate(input Node, sc *scope, groupBy []exec.Expr, exprs []exec.Expr) (Node, []exec.Expr, error) {
	return b.planAggregateSets(input, sc, groupBy, nil, exprs)
}

// planAggregateSets is planAggregate with grouping sets: when sets is not
// nil (positions in groupBy of each set's keys), the aggregate is a
// GroupingSets node, and keys a row's set lacks read as NULL above it.
// GROUPING(…) calls in exprs become its grouping columns (or 0 without
// sets).
func (b *Binder) planAggregateSets(input Node, sc *scope, groupBy []exec.Expr, sets [][]int, exprs []exec.Expr) (Node, []exec.Expr, error) {
	var pre []exec.Expr
	var preOut exec.Schema
	addPre := func(e exec.Expr, name string) int {
		k := exprKey(e)
		for i, p := range pre {
			if exprKey(p) == k {
				return i
			}
		}
		pre = append(pre, e)
		preOut = append(preOut, exec.Column{Name: name, Type: e.Type()})
		return len(pre) - 1
	}
	var keys []int
	var aggOut exec.Schema
	keyIdx := map[string]int{} // exprKey → output column
	for _, g := range groupBy {
		k := exprKey(g)
		if _, dup := keyIdx[k]; dup {
			continue
		}
		name := g.String()
		if cr, ok := g.(*exec.ColRef); ok {
			name = cr.Name
		}
		keys = append(keys, addPre(g, name))
		keyIdx[k] = len(aggOut)
		col := exec.Column{Name: name, Type: g.Type()}
		if cr, ok := g.(*exec.ColRef); ok && cr.Idx < len(sc.cols) {
			col.TableOID, col.Attnum = sc.cols[cr.Idx].tableOID, sc.cols[cr.Idx].attnum
		}
		aggOut = append(aggOut, col)
	}
	// Collect aggregates and GROUPING calls.
	var calls []exec.AggCall
	aggIdx := map[string]int{}
	var grouping [][]int // per GROUPING call: positions in keys
	groupingIdx := map[string]int{}
	var collect func(e exec.Expr) error
	collect = func(e exec.Expr) error {
		if g, ok := e.(*groupingRef); ok {
			k := exprKey(g)
			if _, seen := groupingIdx[k]; seen {
				return nil
			}
			var pos []int
			for _, a := range g.args {
				p, ok := keyIdx[exprKey(a)]
				if !ok {
					return sqlstate.New(sqlstate.GroupingError, "arguments to GROUPING must be grouping expressions of the associated query level")
				}
				pos = append(pos, p)
			}
			groupingIdx[k] = len(grouping)
			grouping = append(grouping, pos)
			return nil
		}
		if a, ok := e.(*aggRef); ok {
			if _, seen := aggIdx[a.key]; seen {
				return nil
			}
			display, _, _ := strings.Cut(a.key, "§")
			call := exec.AggCall{Filter: -1, Name: display}
			call.Spec = agg.Spec{Name: a.name, Distinct: a.distinct, Result: a.t, Const: a.consts}
			for _, arg := range a.args {
				if containsAgg(arg) {
					return sqlstate.New(sqlstate.GroupingError, "aggregate function calls cannot be nested")
				}
				call.Args = append(call.Args, addPre(arg, arg.String()))
				call.Spec.Args = append(call.Spec.Args, arg.Type())
			}
			if a.filter != nil {
				call.Filter = addPre(a.filter, "filter")
			}
			aggIdx[a.key] = len(aggOut)
			aggOut = append(aggOut, exec.Column{Name: a.name, Type: a.t})
			calls = append(calls, call)
			return nil
		}
		for _, c := range exprChildren(e) {
			if err := collect(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range exprs {
		if err := collect(e); err != nil {
			return nil, nil, err
		}
	}
	sortKeys, err := b.aggInputOrder(exprs, addPre)
	if err != nil {
		return nil, nil, err
	}
	var node Node = &Project{Child: input, Exprs: pre, Out: preOut}
	if len(pre) == 0 {
		node = &Project{Child: input, Exprs: nil, Out: exec.Schema{}}
	}
	if len(sortKeys) > 0 {
		// Ordered aggregates see their rows in this order: the aggregate
		// reads a sorted, serial input and order-sensitive accumulators
		// keep arrival order.
		node = &Sort{Child: node, Keys: sortKeys}
	}
	// GROUPING(…) reads a column of the GroupingSets node, or is 0 when
	// there is one set (every key grouped).
	groupingVal := make(map[string]exec.Expr, len(grouping))
	if sets == nil {
		for k := range groupingIdx {
			groupingVal[k] = &exec.Const{Value: int32(0), T: types.Int4}
		}
		node = &Aggregate{Child: node, Keys: keys, Aggs: calls, Out: aggOut}
	} else {
		gs := &GroupingSets{Child: node, Keys: keys, Aggs: calls, Grouping: grouping, Ordered: len(sortKeys) > 0}
		for _, set := range sets {
			var ks []int
			for _, p := range set {
				ks = append(ks, keyIdx[exprKey(groupBy[p])])
			}
			gs.Sets = append(gs.Sets, ks)
		}
		for k, i := range groupingIdx {
			groupingVal[k] = &exec.ColRef{Idx: len(aggOut) + i, T: types.Int4, Name: "grouping"}
		}
		for range grouping {
			aggOut = append(aggOut, exec.Column{Name: "grouping", Type: types.Int4})
		}
		gs.Out = aggOut
		node = gs
	}
	// Lift.
	lifted := make([]exec.Expr, len(exprs))
	for i, e := range exprs {
		l, err := liftAgg(e, keyIdx, aggIdx, groupingVal, aggOut, sc)
		if err != nil {
			return nil, nil, err
		}
		lifted[i] = l
	}
	return node, lifted, nil
}

// aggInputOrder returns the sort keys (over the pre-projection, extended
// by addPre) of the ORDER BY inside the aggregate calls of exprs. Calls
// without ORDER BY do not care; calls with different orders in one query
// are not supported.
func (b *Binder) aggInputOrder(exprs []exec.Expr, addPre func(exec.Expr, string) int) ([]exec.SortKey, error) {
	var order []aggOrder
	var orderKey string
	var err error
	var walk func(e exec.Expr)
	walk = func(e exec.Expr) {
		if a, ok := e.(*aggRef); ok {
			if len(a.order) == 0 {
				return
			}
			var sb strings.Builder
			for _, o := range a.order {
				fmt.Fprintf(&sb, "%s/%v/%v;", exprKey(o.e), o.desc, o.nullsFirst)
			}
			switch {
			case order == nil:
				order, orderKey = a.order, sb.String()
			case orderKey != sb.String():
				err = sqlstate.New(sqlstate.FeatureNotSupported, "aggregates with different ORDER BY clauses in one query are not supported")
			}
			return
		}
		for _, c := range exprChildren(e) {
			walk(c)
		}
	}
	for _, e := range exprs {
		walk(e)
	}
	if err != nil || order == nil {
		return nil, err
	}
	keys := make([]exec.SortKey, len(order))
	for i, o := range order {
		keys[i] = exec.SortKey{Col: addPre(o.e, o.e.String()), Desc: o.desc, NullsFirst: o.nullsFirst}
	}
	return keys, nil
}

// liftAgg rewrites e (over the FROM columns) to read the aggregate's
// output: group-key subtrees and aggregate calls become column refs; any
// other input column is a grouping error.
func liftAgg(e exec.Expr, keyIdx, aggIdx map[string]int, groupingVal map[string]exec.Expr, out exec.Schema, sc *scope) (exec.Expr, error) {
	k := exprKey(e)
	if i, ok := keyIdx[k]; ok {
		return &exec.ColRef{Idx: i, T: out[i].Type, Name: out[i].Name}, nil
	}
	if _, ok := e.(*groupingRef); ok {
		return groupingVal[k], nil
	}
	if a, ok := e.(*aggRef); ok {
		i := aggIdx[a.key]
		return &exec.ColRef{Idx: i, T: out[i].Type, Name: out[i].Name}, nil
	}
	if cr, ok := e.(*exec.ColRef); ok {
		name := cr.Name
		if cr.Idx < len(sc.cols) && sc.cols[cr.Idx].table != "" {
			name = sc.cols[cr.Idx].table + "." + name
		}
		return nil, sqlstate.New(sqlstate.GroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
	}
	return mapExprChildren(e, func(c exec.Expr) (exec.Expr, error) {
		return liftAgg(c, keyIdx, aggIdx, groupingVal, out, sc)
	})
}

func containsAgg(e exec.Expr) bool {
	switch e.(type) {
	case *aggRef, *groupingRef:
		return true
	}
	for _, c := range exprChildren(e) {
		if containsAgg(c) {
			return true
		}
	}
	return false
}

// columnName derives an output column name from an expression as
// PostgreSQL does: a column's name, a function's name, otherwise ?column?.
func columnName(e ast.ExprNode) string {
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		if strings.HasPrefix(x.Name.Name.O, "$") {
			return "?column?"
		}
		return x.Name.Name.O
	case *ast.ParenthesesExpr:
		return columnName(x.Expr)
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "__cast":
			if len(x.Args) == 2 {
				inner := columnName(x.Args[0])
				if inner != "?column?" {
					return inner
				}
				if v, ok := x.Args[1].(*test_driver.ValueExpr); ok {
					if t, ok := types.ByName(v.GetString()); ok {
						if t.Family == types.FamArray {
							return t.TypName
						}
						return t.TypName
					}
				}
			}
			return "?column?"
		case "__agg_filter", "__within_group", "__agg_order", "__agg_distinct":
			if len(x.Args) > 0 {
				return columnName(x.Args[0])
			}
		case "__op", "__any", "__all":
			return "?column?"
		case "__array", "__array_subquery":
			return "array"
		case "__field":
			if len(x.Args) == 2 {
				if v, ok := x.Args[1].(*test_driver.ValueExpr); ok {
					return v.GetString()
				}
			}
		case "__subscript", "__slice":
			if len(x.Args) > 0 {
				return columnName(x.Args[0])
			}
		case "current_database", "current_catalog":
			return x.FnName.L
		}
		return x.FnName.L
	case *ast.AggregateFuncExpr:
		return strings.ToLower(x.F)
	case *ast.WindowFuncExpr:
		return strings.ToLower(x.Name)
	case *ast.CaseExpr:
		return "case"
	case *ast.ExistsSubqueryExpr:
		return "exists"
	case *ast.SubqueryExpr:
		if s, ok := x.Query.(*ast.SelectStmt); ok && s.Fields != nil {
			fields, _ := splitDistinctOn(s)
			if len(fields) != 1 {
				break
			}
			f := fields[0]
			if f.AsName.O != "" {
				return f.AsName.O
			}
			if f.Expr != nil {
				return columnName(f.Expr)
			}
		}
	case *ast.FuncCastExpr:
		return columnName(x.Expr)
	case *test_driver.ValueExpr:
		if x.Kind() == test_driver.KindInt64 && isBoolLiteral(x) {
			return "bool"
		}
	}
	return "?column?"
}

// hasWindowFunc reports whether a select list calls a window function.
func hasWindowFunc(n ast.Node) bool {
	v := &windowFinder{}
	n.Accept(v)
	return v.found
}

type windowFinder struct{ found bool }

func (v *windowFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.WindowFuncExpr:
		v.found = true
		return n, true
	case *ast.SubqueryExpr:
		return n, true // a subquery's windows are its own
	}
	return n, v.found
}

func (v *windowFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }
