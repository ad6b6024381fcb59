package planner

import (
	"fmt"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// WindowSpec is a lambda view's windowing: tumbling (Size), hopping (Size
// and Hop) or session (Gap).
type WindowSpec struct {
	Size time.Duration
	Hop  time.Duration // 0: tumbling
	Gap  time.Duration // > 0: session windows
}

// Grid returns the spacing of window boundaries: windows start on
// multiples of it (the hop for hopping windows). Session windows have no
// grid (0).
func (w WindowSpec) Grid() time.Duration {
	if w.Gap > 0 {
		return 0
	}
	if w.Hop > 0 {
		return w.Hop
	}
	return w.Size
}

func (w WindowSpec) String() string {
	switch {
	case w.Gap > 0:
		return fmt.Sprintf("session(gap %s)", w.Gap)
	case w.Hop > 0:
		return fmt.Sprintf("hop(size %s, every %s)", w.Size, w.Hop)
	}
	return fmt.Sprintf("tumble(%s)", w.Size)
}

// LambdaPlan is a lambda view compiled for both layers (see
// exec.ViewPlan).
type LambdaPlan = exec.ViewPlan

// CompileLambdaView binds a lambda view's SELECT against its source and
// compiles it into a LambdaPlan. What cannot be maintained in both layers
// is refused with 0A000 and a sentence saying why.
func (b *Binder) CompileLambdaView(q ast.Node, src *Relation, eventTime string, w WindowSpec) (*LambdaPlan, error) {
	sel, ok := q.(*ast.SelectStmt)
	if !ok {
		return nil, notMaintainable("a lambda view must be a single SELECT … GROUP BY over one source (set operations cannot be maintained incrementally)")
	}
	if sel.With != nil {
		return nil, notMaintainable("WITH is not allowed in a lambda view")
	}
	if _, on := splitDistinctOn(sel); on != nil {
		return nil, notMaintainable("DISTINCT ON cannot be maintained in a lambda view: which row it keeps depends on an order the speed layer does not have; use DISTINCT ON when you query the view")
	}
	if sel.Distinct {
		return nil, notMaintainable("SELECT DISTINCT cannot be maintained in both layers; use GROUP BY")
	}
	if sel.OrderBy != nil {
		return nil, notMaintainable("ORDER BY is not allowed in a lambda view: order the rows when you query the view")
	}
	if sel.Limit != nil {
		return nil, notMaintainable("LIMIT is not allowed in a lambda view: limit the rows when you query the view")
	}
	if sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return nil, notMaintainable("a lambda view reads exactly one source: joins are not maintained in the speed layer")
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, notMaintainable("a lambda view reads exactly one source")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, notMaintainable("a lambda view reads a source directly, not a subquery")
	}
	if tn.Name.O != src.Name {
		return nil, sqlstate.New(sqlstate.InternalError, "lambda view source mismatch")
	}
	if src.Kind != RelSource {
		return nil, sqlstate.New(sqlstate.WrongObjectType, "%q is not a source: lambda views are defined over sources", src.Name).
			WithHint("Create the windowed view over the source itself.")
	}
	// The scope: the source's columns, then window_start and window_end.
	var cols exec.Schema
	for _, c := range src.Columns {
		if c.Hidden {
			continue
		}
		cols = append(cols, c)
	}
	et := -1
	for i, c := range cols {
		if c.Name == eventTime {
			et = i
		}
	}
	if et < 0 {
		return nil, sqlstate.New(sqlstate.UndefinedColumn, "event-time column %q of source %q does not exist", eventTime, src.Name)
	}
	wt := types.TimestampTZ
	if cols[et].Type.Family == types.FamTimestamp {
		wt = types.Timestamp
	}
	in := append(append(exec.Schema{}, cols...), exec.Column{Name: "window_start", Type: wt}, exec.Column{Name: "window_end", Type: wt})
	table := ts.AsName.O
	if table == "" {
		table = src.Name
	}
	sc := &scope{}
	for _, c := range in {
		sc.cols = append(sc.cols, scopeCol{table: table, name: c.Name, t: c.Type})
	}
	nsrc := len(cols)
	// WHERE, over the source columns.
	var where exec.Expr
	if sel.Where != nil {
		pred, err := b.bindBoolExpr(sel.Where, sc, "WHERE", false)
		if err != nil {
			return nil, err
		}
		if hasSubquery(pred) {
			return nil, notMaintainable("subqueries are not allowed in a lambda view")
		}
		where = pred
	}
	// The select list.
	var items []selectItem
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			return nil, notMaintainable("SELECT * is not allowed in a lambda view: name the grouping keys and aggregates")
		}
		e, err := b.bindExprAgg(f.Expr, sc)
		if err != nil {
			return nil, err
		}
		if hasSubquery(e) {
			return nil, notMaintainable("subqueries are not allowed in a lambda view")
		}
		name := f.AsName.O
		if name == "" {
			name = columnName(f.Expr)
		}
		if name == "window_start" || name == "window_end" {
			if cr, ok := e.(*exec.ColRef); ok && cr.Idx >= nsrc {
				continue // already in front
			}
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column name %q is reserved in a windowed view", name)
		}
		items = append(items, selectItem{expr: e, name: name, node: f.Expr})
	}
	// GROUP BY: the window first, then the user's keys.
	groupBy := []exec.Expr{
		&exec.ColRef{Idx: nsrc, T: wt, Name: "window_start"},
		&exec.ColRef{Idx: nsrc + 1, T: wt, Name: "window_end"},
	}
	if sel.GroupBy != nil {
		for _, it := range sel.GroupBy.Items {
			if sel.GroupBy.Rollup || isGroupingSetsItem(it.Expr) {
				return nil, notMaintainable("GROUPING SETS, ROLLUP and CUBE cannot be maintained in a lambda view: each window would need a row per grouping set in both layers; group by the finest keys and roll up when you query the view")
			}
		}
		keys, sets, err := b.bindGroupBy(sel.GroupBy, sc, items)
		if err != nil {
			return nil, err
		}
		for _, k := range sets[0] {
			e := keys[k]
			if cr, ok := e.(*exec.ColRef); ok && cr.Idx >= nsrc {
				continue // the window is grouped already
			}
			groupBy = append(groupBy, e)
		}
	}
	hasAgg := false
	for _, it := range items {
		hasAgg = hasAgg || containsAgg(it.expr)
	}
	if !hasAgg && sel.GroupBy == nil {
		return nil, notMaintainable("a windowed view must aggregate (GROUP BY keys and aggregates such as count(*)); use a view without window options for row-level views")
	}
	var having exec.Expr
	if sel.Having != nil {
		h, err := b.bindExprAgg(sel.Having.Expr, sc)
		if err != nil {
			return nil, err
		}
		if h, err = coerce(h, types.Bool); err != nil {
			return nil, err
		}
		having = h
	}
	var exprs []exec.Expr
	for _, it := range items {
		exprs = append(exprs, it.expr)
	}
	if having != nil {
		exprs = append(exprs, having)
	}
	var from Node = &Values{Out: in}
	if where != nil {
		from = &Filter{Child: from, Pred: where}
	}
	aggNode, lifted, err := b.planAggregate(from, sc, groupBy, exprs)
	if err != nil {
		return nil, err
	}
	agg := aggNode.(*Aggregate)
	if _, sorted := agg.Child.(*Sort); sorted {
		return nil, notMaintainable("ORDER BY inside an aggregate call cannot be kept by the speed layer, which folds events in arrival order")
	}
	pre := agg.Child.(*Project)
	for _, a := range agg.Aggs {
		if err := checkMaintainable(a); err != nil {
			return nil, err
		}
	}
	p := &LambdaPlan{Source: src.Name, Size: w.Size, Hop: w.Hop, Gap: w.Gap, EventTime: et, SourceCols: cols, InSchema: in,
		Keys: agg.Keys, Aggs: agg.Aggs, AggOut: agg.Out}
	if where != nil {
		p.Pre = append(p.Pre, &exec.FilterStep{Pred: where, Out: in})
	}
	p.Pre = append(p.Pre, exec.NewProjectStep(pre.Exprs, pre.Out))
	// Post: HAVING, then window_start, window_end and the select list.
	if having != nil {
		p.Post = append(p.Post, &exec.FilterStep{Pred: lifted[len(lifted)-1], Out: agg.Out})
	}
	postExprs := []exec.Expr{
		&exec.ColRef{Idx: 0, T: wt, Name: "window_start"},
		&exec.ColRef{Idx: 1, T: wt, Name: "window_end"},
	}
	out := exec.Schema{{Name: "window_start", Type: wt}, {Name: "window_end", Type: wt}}
	seen := map[string]bool{"window_start": true, "window_end": true}
	for i, it := range items {
		if seen[it.name] {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once in view", it.name)
		}
		seen[it.name] = true
		e := lifted[i]
		if e.Type().Family == types.FamUnknown {
			if e, err = coerce(e, types.Text); err != nil {
				return nil, err
			}
		}
		postExprs = append(postExprs, e)
		out = append(out, exec.Column{Name: it.name, Type: e.Type()})
	}
	p.Post = append(p.Post, exec.NewProjectStep(postExprs, out))
	p.Out = out
	// Source columns read: event time plus whatever WHERE and Pre read.
	need := map[int]bool{et: true}
	if where != nil {
		colRefs(where, need)
	}
	for _, e := range pre.Exprs {
		colRefs(e, need)
	}
	for i := 0; i < nsrc; i++ {
		if need[i] {
			p.NeededCols = append(p.NeededCols, i)
		}
	}
	return p, nil
}

func notMaintainable(format string, args ...any) error {
	return sqlstate.New(sqlstate.FeatureNotSupported, format, args...)
}

// checkMaintainable refuses aggregates whose state the speed layer cannot
// keep bounded per window.
func checkMaintainable(a exec.AggCall) error {
	switch a.Spec.Name {
	case "percentile_cont", "percentile_disc", "mode":
		return notMaintainable("%s keeps every value of a window in both layers; use percentile_approx(x, fraction), which merges exactly", a.Spec.Name)
	case "array_agg", "string_agg":
		return notMaintainable("%s keeps every value of a window and its order is not defined across layers", a.Spec.Name)
	}
	return nil
}

func hasSubquery(e exec.Expr) bool {
	if _, ok := e.(*subqueryExpr); ok {
		return true
	}
	for _, c := range exprChildren(e) {
		if hasSubquery(c) {
			return true
		}
	}
	return false
}
