package planner

import (
	"context"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/exec/agg"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Binder turns a parsed query into a logical plan: it resolves names
// against the catalog with PostgreSQL's scoping rules, types every
// expression (implicit casts and overload resolution as PostgreSQL does
// them), and plans aggregation, ordering and set operations.
//
// Binding lives in planner rather than in sql because resolving functions
// and operators needs the kernels' signatures, which live with the kernels
// in exec; sql stays the parser and dialect layer.
type Binder struct {
	Cat Catalog
	Ctx context.Context
	// Exec is the statement's execution context (parameters, now(), time
	// zone, session): constant folding and uncorrelated subqueries use it.
	Exec *exec.Ctx
	// Params are the parameter types: given by the client or inferred
	// while binding ($n used as text compared with an int column becomes
	// int). Entries are nil until known.
	Params []*types.T
	// Pos maps an offset in the rewritten query text to a 1-based
	// character position in the user's text (0: unknown).
	Pos func(offset int) int
	// Compile compiles subquery plans for subquery expressions.
	Compile func(ctx context.Context, n Node) (exec.Operator, error)

	ctes  []map[string]*cteDef
	depth int
	// subqueries being bound, innermost last: each collects its outer refs
	subs []*subCtx
	// windows collects the window functions of the select list being bound
	windows *windowCtx
	// srfs collects the set-returning calls of the select list being bound
	srfs *srfCtx
	// clause names the clause being bound (WHERE, JOIN conditions, …) for
	// the errors of constructs not allowed there
	clause string
}

type cteDef struct {
	name string
	node ast.ResultSetNode
	cols []string
	plan Node
}

// subCtx collects the outer references of a subquery, or of a LATERAL
// FROM item (lateral), being bound: parent is the scope they resolve in.
type subCtx struct {
	parent  *scope
	refs    []*outerRef
	slot    *outerSlot
	lateral bool
}

func (b *Binder) errAt(node ast.Node, err *sqlstate.Error) error {
	if node != nil && b.Pos != nil && err.Position == 0 {
		if p := b.Pos(node.OriginTextPosition()); p > 0 {
			err.Position = p
		}
	}
	return err
}

// BindQuery binds a SELECT, VALUES or set operation.
func (b *Binder) BindQuery(n ast.Node) (Node, error) {
	node, _, err := b.bindResultSet(n, nil)
	return node, err
}

// bindResultSet binds a query node; names are the output column names.
func (b *Binder) bindResultSet(n ast.Node, parent *scope) (Node, []string, error) {
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > 64 {
		return nil, nil, sqlstate.New(sqlstate.StatementTooComplex, "query is nested too deeply")
	}
	switch s := n.(type) {
	case *ast.SelectStmt:
		return b.bindSelect(s, parent)
	case *ast.SetOprStmt:
		return b.bindSetOpr(s, parent)
	case *ast.SubqueryExpr:
		return b.bindResultSet(s.Query, parent)
	}
	return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement %T is not supported here", n)
}

func (b *Binder) pushCTEs(w *ast.WithClause) error {
	m := map[string]*cteDef{}
	b.ctes = append(b.ctes, m)
	if w == nil {
		return nil
	}
	if w.IsRecursive {
		return sqlstate.New(sqlstate.FeatureNotSupported, "WITH RECURSIVE is not supported")
	}
	for _, c := range w.CTEs {
		if m[c.Name.O] != nil {
			return sqlstate.New(sqlstate.DuplicateAlias, "WITH query name %q specified more than once", c.Name.O)
		}
		d := &cteDef{name: c.Name.O, node: c.Query.Query}
		for _, cn := range c.ColNameList {
			d.cols = append(d.cols, cn.O)
		}
		m[d.name] = d
	}
	return nil
}

func (b *Binder) popCTEs() { b.ctes = b.ctes[:len(b.ctes)-1] }

func (b *Binder) lookupCTE(name string) *cteDef {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if d, ok := b.ctes[i][name]; ok {
			return d
		}
	}
	return nil
}

func (b *Binder) bindSetOpr(s *ast.SetOprStmt, parent *scope) (Node, []string, error) {
	if err := b.pushCTEs(s.With); err != nil {
		return nil, nil, err
	}
	defer b.popCTEs()
	node, names, err := b.bindSetList(s.SelectList, parent)
	if err != nil {
		return nil, nil, err
	}
	return b.finishOrderLimit(node, names, s.OrderBy, s.Limit)
}

// bindSetList folds a list of selects joined by set operators, left to
// right (INTERSECT binds tighter in PostgreSQL; TiDB's parser already
// nests explicit parentheses).
func (b *Binder) bindSetList(l *ast.SetOprSelectList, parent *scope) (Node, []string, error) {
	if l.With != nil {
		if err := b.pushCTEs(l.With); err != nil {
			return nil, nil, err
		}
		defer b.popCTEs()
	}
	var acc Node
	var names []string
	for i, sel := range l.Selects {
		var node Node
		var ns []string
		var err error
		var op *ast.SetOprType
		switch x := sel.(type) {
		case *ast.SelectStmt:
			node, ns, err = b.bindSelect(x, parent)
			op = x.AfterSetOperator
		case *ast.SetOprSelectList:
			node, ns, err = b.bindSetList(x, parent)
			op = x.AfterSetOperator
			if err == nil && (x.OrderBy != nil || x.Limit != nil) {
				node, ns, err = b.finishOrderLimit(node, ns, x.OrderBy, x.Limit)
			}
		default:
			err = sqlstate.New(sqlstate.FeatureNotSupported, "set operation over %T is not supported", sel)
		}
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			acc, names = node, ns
			continue
		}
		if op == nil {
			return nil, nil, sqlstate.New(sqlstate.SyntaxError, "missing set operator")
		}
		acc, err = b.setOp(acc, node, *op)
		if err != nil {
			return nil, nil, err
		}
	}
	return acc, names, nil
}

// setOp combines two inputs with UNION/INTERSECT/EXCEPT [ALL].
func (b *Binder) setOp(l, r Node, op ast.SetOprType) (Node, error) {
	ls, rs := l.Schema(), r.Schema()
	if len(ls) != len(rs) {
		return nil, sqlstate.New(sqlstate.SyntaxError, "each %s query must have the same number of columns", setOpName(op))
	}
	out := make(exec.Schema, len(ls))
	lx := make([]exec.Expr, len(ls))
	rx := make([]exec.Expr, len(ls))
	castL, castR := false, false
	for i := range ls {
		t, err := commonType([]*types.T{ls[i].Type, rs[i].Type}, setOpName(op))
		if err != nil {
			return nil, err
		}
		out[i] = exec.Column{Name: ls[i].Name, Type: t}
		var e error
		lx[i], e = coerce(&exec.ColRef{Idx: i, T: ls[i].Type, Name: ls[i].Name}, t)
		if e != nil {
			return nil, e
		}
		rx[i], e = coerce(&exec.ColRef{Idx: i, T: rs[i].Type, Name: rs[i].Name}, t)
		if e != nil {
			return nil, e
		}
		castL = castL || !types.Equal(ls[i].Type, t)
		castR = castR || !types.Equal(rs[i].Type, t)
	}
	if castL {
		l = &Project{Child: l, Exprs: lx, Out: out}
	}
	if castR {
		r = &Project{Child: r, Exprs: rx, Out: out}
	}
	all := make([]int, len(out))
	for i := range all {
		all[i] = i
	}
	switch op {
	case ast.UnionAll:
		return &Union{Inputs: []Node{l, r}, Out: out}, nil
	case ast.Union:
		return &Aggregate{Child: &Union{Inputs: []Node{l, r}, Out: out}, Keys: all, Out: out}, nil
	case ast.Intersect, ast.IntersectAll, ast.Except, ast.ExceptAll:
		return b.countedSetOp(l, r, out, op)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "set operation %s is not supported", setOpName(op))
}

// countedSetOp plans INTERSECT and EXCEPT [ALL] by counting each distinct
// row on both sides (grouping treats NULLs as equal, as set operations
// must): INTERSECT keeps min(left, right) copies (one without ALL), EXCEPT
// keeps left − right (one when right is 0, without ALL).
func (b *Binder) countedSetOp(l, r Node, out exec.Schema, op ast.SetOprType) (Node, error) {
	tag := func(n Node, side int64) Node {
		s := n.Schema()
		exprs := make([]exec.Expr, 0, len(s)+1)
		cols := make(exec.Schema, 0, len(s)+1)
		for i, c := range s {
			exprs = append(exprs, &exec.ColRef{Idx: i, T: c.Type, Name: c.Name})
			cols = append(cols, out[i])
		}
		exprs = append(exprs, &exec.Const{Value: side, T: types.Int8})
		cols = append(cols, exec.Column{Name: "?side?", Type: types.Int8})
		return &Project{Child: n, Exprs: exprs, Out: cols}
	}
	tagged := append(append(exec.Schema{}, out...), exec.Column{Name: "?side?", Type: types.Int8})
	u := &Union{Inputs: []Node{tag(l, 0), tag(r, 1)}, Out: tagged}
	n := len(out)
	keys := make([]int, n)
	for i := range keys {
		keys[i] = i
	}
	side := &exec.ColRef{Idx: n, T: types.Int8, Name: "?side?"}
	isSide := func(v int64) (exec.Expr, error) {
		return b.binaryOp("=", side, &exec.Const{Value: v, T: types.Int8}, nil)
	}
	left, err := isSide(0)
	if err != nil {
		return nil, err
	}
	right, err := isSide(1)
	if err != nil {
		return nil, err
	}
	// Pre-project: keys, then the two filter flags.
	pre := make([]exec.Expr, 0, n+2)
	preOut := make(exec.Schema, 0, n+2)
	for i, c := range out {
		pre = append(pre, &exec.ColRef{Idx: i, T: c.Type, Name: c.Name})
		preOut = append(preOut, c)
	}
	pre = append(pre, left, right)
	preOut = append(preOut, exec.Column{Name: "?l?", Type: types.Bool}, exec.Column{Name: "?r?", Type: types.Bool})
	count := func(filter int, name string) exec.AggCall {
		return exec.AggCall{Spec: agg.Spec{Name: "count", Result: types.Int8}, Filter: filter, Name: name}
	}
	aggOut := append(append(exec.Schema{}, out...), exec.Column{Name: "?nl?", Type: types.Int8}, exec.Column{Name: "?nr?", Type: types.Int8})
	var node Node = &Aggregate{Child: &Project{Child: u, Exprs: pre, Out: preOut}, Keys: keys,
		Aggs: []exec.AggCall{count(n, "count(left)"), count(n+1, "count(right)")}, Out: aggOut}
	nl := &exec.ColRef{Idx: n, T: types.Int8, Name: "?nl?"}
	nr := &exec.ColRef{Idx: n + 1, T: types.Int8, Name: "?nr?"}
	all := op == ast.IntersectAll || op == ast.ExceptAll
	var copies exec.Expr
	switch op {
	case ast.Intersect, ast.IntersectAll:
		copies = exec.NewCall(exec.GreatestLeast(false, types.Int8), []exec.Expr{nl, nr})
	case ast.ExceptAll:
		d, err := b.binaryOp("-", nl, nr, nil)
		if err != nil {
			return nil, err
		}
		copies = exec.NewCall(exec.GreatestLeast(true, types.Int8), []exec.Expr{d, &exec.Const{Value: int64(0), T: types.Int8}})
	default: // EXCEPT: left rows that never occur on the right
		noRight, err := b.binaryOp("=", nr, &exec.Const{Value: int64(0), T: types.Int8}, nil)
		if err != nil {
			return nil, err
		}
		copies = &exec.Case{Whens: []exec.Expr{noRight}, Thens: []exec.Expr{nl}, Else: &exec.Const{Value: int64(0), T: types.Int8}, T: types.Int8}
	}
	if !all {
		gt, err := b.binaryOp(">", copies, &exec.Const{Value: int64(0), T: types.Int8}, nil)
		if err != nil {
			return nil, err
		}
		copies = &exec.Case{Whens: []exec.Expr{gt}, Thens: []exec.Expr{&exec.Const{Value: int64(1), T: types.Int8}},
			Else: &exec.Const{Value: int64(0), T: types.Int8}, T: types.Int8}
	}
	proj := make([]exec.Expr, 0, n+1)
	projOut := make(exec.Schema, 0, n+1)
	for i, c := range out {
		proj = append(proj, &exec.ColRef{Idx: i, T: c.Type, Name: c.Name})
		projOut = append(projOut, c)
	}
	proj = append(proj, copies)
	projOut = append(projOut, exec.Column{Name: "?copies?", Type: types.Int8})
	node = &Project{Child: node, Exprs: proj, Out: projOut}
	return &Repeat{Child: node, CountCol: n, Out: out}, nil
}

// nullSafeEq returns nil: INTERSECT uses the hash keys, which group NULLs
// apart (a NULL never matches); rows with NULLs are rare in set operations
// and PostgreSQL treats them as equal, so INTERSECT over them uses
// nullSafeEqAll instead when needed.
func nullSafeEq(exec.Schema) exec.Expr { return nil }

// nullSafeEqAll compares every left column with the right one as IS NOT
// DISTINCT FROM (EXCEPT semantics treat NULLs as equal).
func nullSafeEqAll(out exec.Schema) exec.Expr {
	n := len(out)
	var conj []exec.Expr
	for i := 0; i < n; i++ {
		l := &exec.ColRef{Idx: i, T: out[i].Type, Name: out[i].Name}
		r := &exec.ColRef{Idx: n + i, T: out[i].Type, Name: out[i].Name}
		conj = append(conj, notDistinct(l, r))
	}
	if len(conj) == 1 {
		return conj[0]
	}
	return &exec.BoolOp{And: true, Args: conj}
}

func setOpName(op ast.SetOprType) string {
	switch op {
	case ast.Union, ast.UnionAll:
		return "UNION"
	case ast.Intersect, ast.IntersectAll:
		return "INTERSECT"
	}
	return "EXCEPT"
}

// bindSelect binds one SELECT (or VALUES) level.
func (b *Binder) bindSelect(s *ast.SelectStmt, parent *scope) (Node, []string, error) {
	if err := b.pushCTEs(s.With); err != nil {
		return nil, nil, err
	}
	defer b.popCTEs()
	if s.Kind == ast.SelectStmtKindValues {
		node, names, err := b.bindValues(s.Lists, parent)
		if err != nil {
			return nil, nil, err
		}
		return b.finishOrderLimit(node, names, s.OrderBy, s.Limit)
	}
	if s.Kind == ast.SelectStmtKindTable {
		return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "TABLE statement is not supported")
	}
	if len(s.WindowSpecs) > 0 {
		return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "window functions are not supported")
	}
	// FROM
	var from Node
	sc := &scope{parent: parent}
	if s.From != nil && s.From.TableRefs != nil {
		var err error
		from, sc, err = b.bindJoin(s.From.TableRefs, parent)
		if err != nil {
			return nil, nil, err
		}
	} else {
		from = &Values{Rows: [][]exec.Expr{{}}, Out: exec.Schema{}}
	}
	// WHERE
	if s.Where != nil {
		pred, err := b.bindBoolExpr(s.Where, sc, "WHERE", false)
		if err != nil {
			return nil, nil, err
		}
		from = &Filter{Child: from, Pred: pred}
	}
	return b.bindSelectBody(s, from, sc)
}

// bindValues binds VALUES rows into a Values node with common column types.
func (b *Binder) bindValues(lists []*ast.RowExpr, parent *scope) (Node, []string, error) {
	if len(lists) == 0 {
		return nil, nil, sqlstate.New(sqlstate.SyntaxError, "VALUES must have at least one row")
	}
	sc := &scope{parent: parent}
	width := len(lists[0].Values)
	rows := make([][]exec.Expr, len(lists))
	for i, l := range lists {
		if len(l.Values) != width {
			return nil, nil, b.errAt(l, sqlstate.New(sqlstate.SyntaxError, "VALUES lists must all be the same length"))
		}
		rows[i] = make([]exec.Expr, width)
		for j, v := range l.Values {
			e, err := b.bindExpr(v, sc)
			if err != nil {
				return nil, nil, err
			}
			rows[i][j] = e
		}
	}
	out := make(exec.Schema, width)
	names := make([]string, width)
	for j := 0; j < width; j++ {
		ts := make([]*types.T, len(rows))
		for i := range rows {
			ts[i] = rows[i][j].Type()
		}
		t, err := commonType(ts, "VALUES")
		if err != nil {
			return nil, nil, err
		}
		for i := range rows {
			if rows[i][j], err = coerce(rows[i][j], t); err != nil {
				return nil, nil, err
			}
		}
		names[j] = fmt.Sprintf("column%d", j+1)
		out[j] = exec.Column{Name: names[j], Type: t}
	}
	return &Values{Rows: rows, Out: out}, names, nil
}

func andAll(conj []exec.Expr) exec.Expr {
	switch len(conj) {
	case 0:
		return nil
	case 1:
		return conj[0]
	}
	return &exec.BoolOp{And: true, Args: conj}
}

// splitAlias decodes a FROM-item alias written as t(a, b): the dialect
// layer encodes it as one identifier "t\x01a\x01b".
func splitAlias(alias string) (string, []string) {
	if !strings.ContainsRune(alias, '\x01') {
		return alias, nil
	}
	parts := strings.Split(alias, "\x01")
	return parts[0], parts[1:]
}

// bindFromItem binds one FROM item: a table, a subquery, a table function
// or a parenthesized join.
func (b *Binder) bindFromItem(n ast.ResultSetNode, parent *scope) (Node, *scope, error) {
	switch x := n.(type) {
	case *ast.Join:
		return b.bindJoin(x, parent)
	case *ast.TableSource:
		alias, colAliases := splitAlias(x.AsName.O)
		for _, cn := range x.ColumnNames {
			colAliases = append(colAliases, cn.O)
		}
		var node Node
		var sc *scope
		var err error
		switch src := x.Source.(type) {
		case *ast.TableName:
			node, sc, err = b.bindTableName(src, alias, parent)
		case *ast.SelectStmt, *ast.SetOprStmt:
			var names []string
			node, names, err = b.bindResultSet(src, parent)
			if err == nil {
				if alias == "" {
					alias = "unnamed_subquery"
				}
				sc = scopeOf(node, alias, names, parent)
			}
		case *ast.Join:
			node, sc, err = b.bindJoin(src, parent)
		default:
			err = sqlstate.New(sqlstate.FeatureNotSupported, "FROM item %T is not supported", src)
		}
		if err != nil {
			return nil, nil, err
		}
		if len(colAliases) > 0 {
			visible := 0
			for i := range sc.cols {
				if sc.cols[i].hidden {
					continue
				}
				if visible < len(colAliases) {
					sc.cols[i].name = colAliases[visible]
				}
				visible++
			}
			if len(colAliases) > visible {
				return nil, nil, sqlstate.New(sqlstate.InvalidColumnReference, "table %q has %d columns available but %d columns specified", alias, visible, len(colAliases))
			}
			node = renameColumns(node, sc)
		}
		return node, sc, nil
	case *ast.TableName:
		return b.bindTableName(x, "", parent)
	case *ast.SelectStmt, *ast.SetOprStmt:
		node, names, err := b.bindResultSet(x, parent)
		if err != nil {
			return nil, nil, err
		}
		return node, scopeOf(node, "", names, parent), nil
	}
	return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "FROM item %T is not supported", n)
}

// renameColumns gives node's output the scope's column names.
func renameColumns(node Node, sc *scope) Node {
	in := node.Schema()
	exprs := make([]exec.Expr, len(in))
	out := make(exec.Schema, len(in))
	for i, c := range in {
		exprs[i] = &exec.ColRef{Idx: i, T: c.Type, Name: c.Name}
		out[i] = c
		out[i].Name = sc.cols[i].name
	}
	return &Project{Child: node, Exprs: exprs, Out: out}
}

func scopeOf(node Node, table string, names []string, parent *scope) *scope {
	s := node.Schema()
	sc := &scope{parent: parent}
	for i, c := range s {
		name := c.Name
		if i < len(names) {
			name = names[i]
		}
		sc.cols = append(sc.cols, scopeCol{table: table, name: name, t: c.Type, hidden: c.Hidden, tableOID: c.TableOID, attnum: c.Attnum})
	}
	return sc
}

// bindTableName resolves a table, view, CTE or table function.
func (b *Binder) bindTableName(t *ast.TableName, alias string, parent *scope) (Node, *scope, error) {
	name := t.Name.O
	schema := t.Schema.O
	if strings.HasPrefix(name, "\x02") {
		return b.bindTableFunc(t, name[1:], alias, parent)
	}
	if schema == "" {
		if d := b.lookupCTE(name); d != nil {
			if d.plan == nil {
				// Bind the CTE in the scope where it was defined, each use
				// sharing the same plan.
				saved := b.ctes
				p, names, err := b.bindResultSet(d.node, nil)
				b.ctes = saved
				if err != nil {
					return nil, nil, err
				}
				if len(d.cols) > 0 {
					names = append(append([]string{}, d.cols...), names[min(len(d.cols), len(names)):]...)
				}
				sc := scopeOf(p, name, names, nil)
				p = renameColumns(p, sc)
				d.plan = p
			}
			tbl := alias
			if tbl == "" {
				tbl = name
			}
			sc := scopeOf(d.plan, tbl, nil, parent)
			return d.plan, sc, nil
		}
	}
	rel, found, err := b.Cat.Relation(schema, name)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		full := name
		if schema != "" {
			full = schema + "." + name
		}
		return nil, nil, b.errAt(t, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", full))
	}
	tbl := alias
	if tbl == "" {
		tbl = rel.Name
	}
	if rel.Kind == RelView {
		node, err := b.expandView(rel)
		if err != nil {
			return nil, nil, err
		}
		sc := scopeOf(node, tbl, nil, parent)
		for i := range sc.cols {
			sc.cols[i].schema = rel.Schema
		}
		return node, sc, nil
	}
	cols := make([]int, len(rel.Columns))
	for i := range cols {
		cols[i] = i
	}
	node := &Scan{Rel: rel, Cols: cols, Alias: alias}
	sc := &scope{parent: parent}
	for _, c := range rel.Columns {
		sc.cols = append(sc.cols, scopeCol{table: tbl, schema: rel.Schema, name: c.Name, t: c.Type, hidden: c.Hidden, tableOID: c.TableOID, attnum: c.Attnum})
	}
	return node, sc, nil
}

// expandView binds an ordinary view's definition in place.
func (b *Binder) expandView(rel *Relation) (Node, error) {
	if ParseQuery == nil {
		return nil, sqlstate.New(sqlstate.InternalError, "no query parser registered")
	}
	if b.depth > 32 {
		return nil, sqlstate.New(sqlstate.StatementTooComplex, "view %q is nested too deeply", rel.Name)
	}
	q, _, err := ParseQuery(rel.ViewSQL)
	if err != nil {
		return nil, fmt.Errorf("view %q: %w", rel.Name, err)
	}
	saved := b.Pos
	b.Pos = nil // positions inside a view's text mean nothing to the user
	defer func() { b.Pos = saved }()
	savedCTE := b.ctes
	b.ctes = nil
	node, names, err := b.bindResultSet(q, nil)
	b.ctes = savedCTE
	if err != nil {
		return nil, fmt.Errorf("view %q: %w", rel.Name, err)
	}
	sc := scopeOf(node, rel.Name, names, nil)
	// A view with a column list renames its columns.
	for i := range sc.cols {
		if i < len(rel.Columns) {
			sc.cols[i].name = rel.Columns[i].Name
		}
	}
	return renameColumns(node, sc), nil
}

// ParseQuery parses the text of a query (a view definition) into a TiDB
// AST node and a position mapper. The server sets it to the sql package's
// parser; planner does not import sql's parser to keep the binder
// testable with any front end.
var ParseQuery func(text string) (ast.Node, func(int) int, error)

// bindTableFunc binds read_parquet(…), generate_series(…), unnest(…) in
// FROM. call is the function call text as the dialect layer encoded it.
func (b *Binder) bindTableFunc(t *ast.TableName, call, alias string, parent *scope) (Node, *scope, error) {
	if ParseExpr == nil {
		return nil, nil, sqlstate.New(sqlstate.InternalError, "no expression parser registered")
	}
	e, err := ParseExpr(call)
	if err != nil {
		return nil, nil, err
	}
	fc, ok := e.(*ast.FuncCallExpr)
	if !ok {
		return nil, nil, sqlstate.New(sqlstate.SyntaxError, "syntax error in table function %s", call)
	}
	name := fc.FnName.L
	if name == "information_schema._pg_expandarray" {
		name = "_pg_expandarray"
	}
	// Arguments see the enclosing query's columns (a function in FROM of
	// a correlated subquery: unnest(outer.col)), not this FROM clause's.
	empty := &scope{parent: parent}
	if parent != nil {
		empty = &scope{parent: parent.parent, cols: nil}
	}
	var args []any
	var argExprs []exec.Expr
	var argTypes []*types.T
	lazy := false
	for _, a := range fc.Args {
		x, err := b.bindExpr(a, &scope{parent: parent})
		if err != nil {
			return nil, nil, err
		}
		if p, ok := x.(*paramExpr); ok {
			x = &p.Param
		}
		argExprs = append(argExprs, x)
		argTypes = append(argTypes, x.Type())
		v, err := b.constValue(x)
		if err != nil {
			lazy = true
			args = append(args, nil)
			continue
		}
		args = append(args, v)
	}
	_ = empty
	rel, err := b.Cat.TableFunction(b.Ctx, name, args, argTypes)
	if se := sqlstate.As(err); se != nil && se.Code == sqlstate.UndefinedFunction && !setReturning[name] {
		// A function that is not a table function: FROM f(…) is one row
		// holding its value.
		return b.bindScalarFunc(fc, name, alias, parent)
	}
	if err != nil {
		return nil, nil, err
	}
	if lazy {
		// Evaluate the arguments when the scan starts (per outer row).
		cat, shape := b.Cat, rel
		rel = &Relation{Name: shape.Name, Kind: RelFunction, Columns: shape.Columns,
			Table: func(ctx context.Context) (exec.TableSource, error) {
				ec := exec.ExecCtx(ctx)
				one := exec.RecordOf(exec.Schema{}, [][]any{{}})
				defer one.Release()
				vals := make([]any, len(argExprs))
				for i, e := range argExprs {
					v, err := e.Eval(ec, one)
					if err != nil {
						return nil, err
					}
					if v.Arr != nil {
						vals[i] = exec.Datum(v.Arr, 0, e.Type())
					} else {
						vals[i] = v.Scalar
					}
					v.Release()
				}
				r, err := cat.TableFunction(ctx, name, vals, argTypes)
				if err != nil {
					return nil, err
				}
				return r.Table(ctx)
			}}
	}
	tbl := alias
	if tbl == "" {
		tbl = name
	}
	cols := make([]int, len(rel.Columns))
	for i := range cols {
		cols[i] = i
	}
	sc := &scope{parent: parent}
	for _, c := range rel.Columns {
		sc.cols = append(sc.cols, scopeCol{table: tbl, name: c.Name, t: c.Type, hidden: c.Hidden})
	}
	// A function returning one column named after the function takes the
	// alias as its column name (generate_series(1,3) AS g → column g).
	if len(rel.Columns) == 1 && alias != "" && rel.Columns[0].Name == name {
		sc.cols[0].name = alias
	}
	node := Node(&Scan{Rel: rel, Cols: cols, Alias: alias})
	if len(rel.Columns) == 1 && sc.cols[0].name != rel.Columns[0].Name {
		node = renameColumns(node, sc)
	}
	return node, sc, nil
}

// bindScalarFunc binds a plain function call in FROM: one row, one column
// named by the alias (or the function), as PostgreSQL gives it.
func (b *Binder) bindScalarFunc(fc *ast.FuncCallExpr, name, alias string, parent *scope) (Node, *scope, error) {
	saved := b.clause
	b.clause = "functions in FROM"
	e, err := b.bindExpr(fc, &scope{parent: parent})
	b.clause = saved
	if err != nil {
		return nil, nil, err
	}
	if p, ok := e.(*paramExpr); ok {
		e = &p.Param
	}
	if e.Type().Family == types.FamUnknown || e.Type().Family == types.FamNull {
		if e, err = coerce(e, types.Text); err != nil {
			return nil, nil, err
		}
	}
	tbl, col := alias, alias
	if tbl == "" {
		tbl, col = name, name
	}
	node := &Project{Child: &Values{Rows: [][]exec.Expr{{}}, Out: exec.Schema{}}, Exprs: []exec.Expr{e},
		Out: exec.Schema{{Name: col, Type: e.Type()}}}
	sc := &scope{parent: parent, cols: []scopeCol{{table: tbl, name: col, t: e.Type()}}}
	return node, sc, nil
}

// ParseExpr parses one expression's text (the server sets it).
var ParseExpr func(text string) (ast.ExprNode, error)

// constValue folds a constant expression to its datum.
func (b *Binder) constValue(e exec.Expr) (any, error) {
	f := foldConst(b.Exec, e)
	if c, ok := f.(*exec.Const); ok {
		return c.Value, nil
	}
	if p, ok := f.(*exec.Param); ok && b.Exec != nil && p.Idx < len(b.Exec.Params) {
		return b.Exec.Params[p.Idx], nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "expression %s is not constant", e.String())
}
