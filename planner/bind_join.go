package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// bindJoin binds a FROM clause tree: one item, or two joined by [INNER],
// LEFT, RIGHT or FULL JOIN with ON, USING or NATURAL, or a cross join.
//
// The dialect layer writes FULL JOIN as TiDB's STRAIGHT_JOIN and NATURAL
// FULL JOIN as STRAIGHT_JOIN … ON __natural() (see package sql).
//
// A join's columns are the left input's then the right input's. With USING
// (and NATURAL, which is USING over the common column names) the merged
// columns come first, as in PostgreSQL: the left column for INNER and LEFT
// joins, the right one for RIGHT joins, COALESCE(left, right) for FULL
// joins, each of the two inputs' types' common type. The inputs' own
// columns stay reachable qualified (t.a), not by the bare name or *.
func (b *Binder) bindJoin(j *ast.Join, parent *scope) (Node, *scope, error) {
	if j.Right == nil {
		return b.bindFromItem(j.Left, parent)
	}
	left, ls, err := b.bindFromItem(j.Left, parent)
	if err != nil {
		return nil, nil, err
	}
	// A LATERAL item (and a function in FROM, always lateral) sees the
	// left input's columns as outer references.
	rparent := parent
	var lat *subCtx
	if isLateral(j.Right) {
		rparent = &scope{parent: parent, cols: ls.cols}
		lat = &subCtx{parent: rparent, slot: &outerSlot{}, lateral: true}
		b.subs = append(b.subs, lat)
	}
	right, rs, err := b.bindFromItem(j.Right, rparent)
	if lat != nil {
		b.subs = b.subs[:len(b.subs)-1]
		if len(lat.refs) == 0 {
			lat = nil // it reads nothing of the left: an ordinary join
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if lat != nil && (j.StraightJoin || j.Tp == ast.RightJoin) {
		return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "invalid reference to FROM-clause entry for table %q", ls.cols[lat.refs[0].idx].table).
			WithDetail("The combining JOIN type must be INNER or LEFT for a LATERAL reference.")
	}
	tables := map[[2]string]bool{}
	for _, c := range ls.cols {
		tables[[2]string{c.schema, c.table}] = true
	}
	for _, c := range rs.cols {
		if c.table != "" && c.table != "unnamed_subquery" && tables[[2]string{c.schema, c.table}] {
			return nil, nil, sqlstate.New(sqlstate.DuplicateAlias, "table name %q specified more than once", c.table)
		}
	}
	full := j.StraightJoin
	kind := exec.InnerJoin
	switch {
	case full:
		kind = exec.FullJoin
	case j.Tp == ast.LeftJoin, j.Tp == ast.RightJoin:
		kind = exec.LeftJoin
	}
	on := j.On
	var using []string
	switch {
	case j.NaturalJoin || full && isNaturalMark(on):
		on = nil
		using = naturalColumns(ls, rs)
	case len(j.Using) > 0:
		seen := map[string]bool{}
		for _, u := range j.Using {
			if seen[u.Name.O] {
				return nil, nil, sqlstate.New(sqlstate.DuplicateColumn, "column name %q appears more than once in USING clause", u.Name.O)
			}
			seen[u.Name.O] = true
			using = append(using, u.Name.O)
		}
	}

	// a RIGHT JOIN b runs as b LEFT JOIN a; phys maps a column of the
	// written order (left columns, then right ones) to the join's output.
	nl, nr := len(ls.cols), len(rs.cols)
	written := append(append([]scopeCol{}, ls.cols...), rs.cols...)
	swapped := j.Tp == ast.RightJoin && !full
	jl, jr, jcols := left, right, written
	phys := func(i int) int { return i }
	if swapped {
		jl, jr = right, left
		jcols = append(append([]scopeCol{}, rs.cols...), ls.cols...)
		phys = func(i int) int {
			if i < nl {
				return nr + i
			}
			return i - nl
		}
	}
	jsc := &scope{parent: parent, cols: jcols}
	var conj []exec.Expr
	if on != nil {
		cond, err := b.bindBoolExpr(on.Expr, jsc, "JOIN/ON", false)
		if err != nil {
			return nil, nil, err
		}
		conj = append(conj, cond)
	}
	merged := make([]exec.Expr, len(using))
	mergedCols := make(exec.Schema, len(using))
	usedBy := map[int]bool{} // written-order columns merged away
	for k, name := range using {
		li, err := usingColumn(ls, name, "left")
		if err != nil {
			return nil, nil, err
		}
		ri, err := usingColumn(rs, name, "right")
		if err != nil {
			return nil, nil, err
		}
		usedBy[li], usedBy[nl+ri] = true, true
		lc, rc := ls.cols[li], rs.cols[ri]
		l := &exec.ColRef{Idx: phys(li), T: lc.t, Name: name}
		r := &exec.ColRef{Idx: phys(nl + ri), T: rc.t, Name: name}
		t, err := commonType([]*types.T{lc.t, rc.t}, "JOIN/USING")
		if err != nil {
			return nil, nil, err
		}
		lx, err := coerce(l, t)
		if err != nil {
			return nil, nil, err
		}
		rx, err := coerce(r, t)
		if err != nil {
			return nil, nil, err
		}
		eq, err := b.binaryOp("=", lx, rx, nil)
		if err != nil {
			return nil, nil, err
		}
		conj = append(conj, eq)
		mergedCols[k] = exec.Column{Name: name, Type: t}
		switch {
		case full:
			merged[k] = &exec.Coalesce{Args: []exec.Expr{lx, rx}, T: t}
		case swapped:
			merged[k] = rx
			if rx == r {
				mergedCols[k].TableOID, mergedCols[k].Attnum = rc.tableOID, rc.attnum
			}
		default:
			merged[k] = lx
			if lx == l {
				mergedCols[k].TableOID, mergedCols[k].Attnum = lc.tableOID, lc.attnum
			}
		}
	}
	var node Node = &Join{Left: jl, Right: jr, Kind: kind, Residual: andAll(conj)}
	if lat != nil {
		args := make([]exec.Expr, len(lat.refs))
		for i, r := range lat.refs {
			c := ls.cols[r.idx]
			args[i] = &exec.ColRef{Idx: r.idx, T: c.t, Name: c.name}
			r.pos = i
		}
		node = &LateralJoin{Left: jl, Right: jr, Kind: kind, Residual: andAll(conj), Args: args, slot: lat.slot}
	}
	if !swapped && len(using) == 0 {
		return node, jsc, nil
	}
	// Put the columns in written order, the merged ones first.
	jout := node.Schema()
	exprs := append([]exec.Expr{}, merged...)
	out := append(exec.Schema{}, mergedCols...)
	sc := &scope{parent: parent}
	for _, c := range mergedCols {
		sc.cols = append(sc.cols, scopeCol{name: c.Name, t: c.Type, tableOID: c.TableOID, attnum: c.Attnum})
	}
	for i, c := range written {
		p := phys(i)
		exprs = append(exprs, &exec.ColRef{Idx: p, T: jout[p].Type, Name: jout[p].Name})
		out = append(out, jout[p])
		c.qualOnly = c.qualOnly || usedBy[i]
		sc.cols = append(sc.cols, c)
	}
	return &Project{Child: node, Exprs: exprs, Out: out}, sc, nil
}

// isLateral reports whether a FROM item may read the columns of the items
// before it: a LATERAL subquery, or a function (PostgreSQL's functions in
// FROM are always lateral; the dialect layer drops their LATERAL).
func isLateral(n ast.ResultSetNode) bool {
	ts, ok := n.(*ast.TableSource)
	if !ok {
		tn, ok := n.(*ast.TableName)
		return ok && strings.HasPrefix(tn.Name.O, "\x02")
	}
	if ts.Lateral {
		return true
	}
	tn, ok := ts.Source.(*ast.TableName)
	return ok && strings.HasPrefix(tn.Name.O, "\x02")
}

// isNaturalMark reports whether a join condition is the dialect layer's
// __natural() marker of NATURAL FULL JOIN.
func isNaturalMark(on *ast.OnCondition) bool {
	if on == nil {
		return false
	}
	fc, ok := on.Expr.(*ast.FuncCallExpr)
	return ok && fc.FnName.L == "__natural" && len(fc.Args) == 0
}

// naturalColumns returns the column names a NATURAL join matches on: those
// the two inputs' * lists share, in the left input's order.
func naturalColumns(ls, rs *scope) []string {
	inRight := map[string]bool{}
	for _, c := range rs.cols {
		if !c.hidden && !c.qualOnly {
			inRight[c.name] = true
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, c := range ls.cols {
		if !c.hidden && !c.qualOnly && inRight[c.name] && !seen[c.name] {
			seen[c.name] = true
			names = append(names, c.name)
		}
	}
	return names
}

// usingColumn finds the one column of an input that a USING name (or a
// NATURAL join's common name) denotes.
func usingColumn(s *scope, name, side string) (int, error) {
	found := -1
	for i, c := range s.cols {
		if c.name != name || c.qualOnly {
			continue
		}
		if found >= 0 {
			return -1, sqlstate.New(sqlstate.AmbiguousColumn, "common column name %q appears more than once in %s table", name, side)
		}
		found = i
	}
	if found < 0 {
		return -1, sqlstate.New(sqlstate.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, side)
	}
	return found, nil
}
