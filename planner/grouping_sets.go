package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Grouping sets: GROUP BY ROLLUP (…), CUBE (…), GROUPING SETS (…) and (),
// as the dialect layer writes them (__rollup, __cube, __grouping_sets,
// __gset, a row expression for a parenthesized list, __group_distinct for
// GROUP BY DISTINCT), and the GROUPING(…) function.

// maxGroupingSets is PostgreSQL's limit on the sets of one GROUP BY.
const maxGroupingSets = 4096

// GroupingSets aggregates its input once per grouping set. Keys are the
// input columns of every grouping key, Sets the keys of each set (positions
// in Keys), Grouping the arguments of each GROUPING(…) call (positions in
// Keys). Its output is the keys (NULL where a row's set lacks them), the
// aggregates, then one int4 per GROUPING call. Ordered: the aggregates read
// their input in order (see exec.GroupingSetsAggregate).
type GroupingSets struct {
	Child    Node
	Keys     []int
	Sets     [][]int
	Aggs     []exec.AggCall
	Grouping [][]int
	Ordered  bool
	Out      exec.Schema
}

// Schema implements Node.
func (g *GroupingSets) Schema() exec.Schema { return g.Out }

// Children implements Node.
func (g *GroupingSets) Children() []Node { return []Node{g.Child} }

// WithChildren implements Node.
func (g *GroupingSets) WithChildren(c []Node) Node {
	n := *g
	n.Child = c[0]
	return &n
}

func (g *GroupingSets) String() string {
	return "GroupingSets " + strings.TrimPrefix(exec.DescribeGroupingSets(g.Child.Schema(), g.Keys, g.Sets, g.Aggs), "sets ")
}

// groupingRef stands for a GROUPING(args…) call while binding; planning
// the aggregate replaces it with its value for the row's grouping set.
type groupingRef struct {
	args []exec.Expr
}

func (g *groupingRef) Type() *types.T { return types.Int4 }

// Eval implements exec.Expr; a groupingRef never reaches execution.
func (g *groupingRef) Eval(*exec.Ctx, arrowRecord) (exec.Vec, error) {
	return exec.Vec{}, sqlstate.New(sqlstate.GroupingError, "grouping operations are not allowed here")
}

func (g *groupingRef) String() string {
	parts := make([]string, len(g.args))
	for i, a := range g.args {
		parts[i] = a.String()
	}
	return "GROUPING(" + strings.Join(parts, ", ") + ")"
}

// groupingCall binds GROUPING(args…).
func (b *Binder) groupingCall(x *ast.FuncCallExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	if !aggOK {
		clause := b.clause
		if clause == "" {
			return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "grouping operations are not allowed here"))
		}
		return nil, b.errAt(x, sqlstate.New(sqlstate.GroupingError, "grouping operations are not allowed in %s", clause))
	}
	if len(x.Args) == 0 {
		return nil, b.errAt(x, sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \")\""))
	}
	if len(x.Args) > 31 {
		return nil, b.errAt(x, sqlstate.New("54023", "GROUPING must have fewer than 32 arguments"))
	}
	g := &groupingRef{}
	for _, a := range x.Args {
		e, err := b.expr(a, sc, false)
		if err != nil {
			return nil, err
		}
		g.args = append(g.args, foldConst(b.Exec, e))
	}
	return g, nil
}

// groupingValue is GROUPING(args) for a row of the grouping set that has
// the keys in present (by exprKey): bit i, counted from the last argument,
// is 1 when argument i is not grouped in that set.
func groupingValue(pos []int, present func(int) bool) int32 {
	v := int32(0)
	for _, k := range pos {
		v <<= 1
		if !present(k) {
			v |= 1
		}
	}
	return v
}

// bindGroupBy binds a GROUP BY clause into its distinct key expressions and
// its grouping sets (positions in keys), expanded as PostgreSQL does: the
// clause is the cross product of its items' set lists; ROLLUP (a, b) is
// (a, b), (a), (); CUBE every subset; GROUPING SETS the concatenation of
// its elements' lists. A plain GROUP BY a, b is the one set (a, b).
func (b *Binder) bindGroupBy(gb *ast.GroupByClause, sc *scope, items []selectItem) ([]exec.Expr, [][]int, error) {
	var keys []exec.Expr
	keyPos := map[string]int{}
	bindKey := func(e ast.ExprNode) (int, error) {
		x, err := b.bindByItem(e, sc, items, "GROUP BY")
		if err != nil {
			return 0, err
		}
		if containsAgg(x) {
			return 0, b.errAt(e, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in GROUP BY"))
		}
		k := exprKey(x)
		if p, ok := keyPos[k]; ok {
			return p, nil
		}
		keyPos[k] = len(keys)
		keys = append(keys, x)
		return len(keys) - 1, nil
	}
	// one binds an element that is one set of keys: an expression, or a
	// parenthesized list (a row expression) or ().
	one := func(e ast.ExprNode) ([]int, error) {
		var fields []ast.ExprNode
		switch x := e.(type) {
		case *ast.RowExpr:
			fields = x.Values
		case *ast.FuncCallExpr:
			if x.FnName.L != "__gset" {
				fields = []ast.ExprNode{e}
				break
			}
			fields = x.Args
		default:
			fields = []ast.ExprNode{e}
		}
		var set []int
		for _, f := range fields {
			p, err := bindKey(f)
			if err != nil {
				return nil, err
			}
			set = append(set, p)
		}
		return set, nil
	}
	var elem func(e ast.ExprNode) ([][]int, error)
	elem = func(e ast.ExprNode) ([][]int, error) {
		fc, ok := e.(*ast.FuncCallExpr)
		if !ok {
			set, err := one(e)
			return [][]int{set}, err
		}
		switch fc.FnName.L {
		case "__rollup", "__cube":
			var parts [][]int
			for _, a := range fc.Args {
				set, err := one(a)
				if err != nil {
					return nil, err
				}
				parts = append(parts, set)
			}
			if fc.FnName.L == "__rollup" {
				out := make([][]int, 0, len(parts)+1)
				for n := len(parts); n >= 0; n-- {
					var set []int
					for _, p := range parts[:n] {
						set = append(set, p...)
					}
					out = append(out, set)
				}
				return out, nil
			}
			if len(parts) > 12 {
				return nil, b.errAt(fc, sqlstate.New("54011", "CUBE is limited to 12 elements"))
			}
			var out [][]int
			for mask := (1 << len(parts)) - 1; mask >= 0; mask-- {
				var set []int
				for i, p := range parts {
					if mask&(1<<(len(parts)-1-i)) != 0 {
						set = append(set, p...)
					}
				}
				out = append(out, set)
			}
			return out, nil
		case "__grouping_sets":
			var out [][]int
			for _, a := range fc.Args {
				sets, err := elem(a)
				if err != nil {
					return nil, err
				}
				out = append(out, sets...)
				if len(out) > maxGroupingSets {
					return nil, tooManySets()
				}
			}
			return out, nil
		}
		set, err := one(e)
		return [][]int{set}, err
	}
	sets := [][]int{nil}
	distinct := false
	for i, it := range gb.Items {
		if fc, ok := it.Expr.(*ast.FuncCallExpr); ok && fc.FnName.L == "__group_distinct" && i == 0 {
			distinct = true
			continue
		}
		list, err := elem(it.Expr)
		if err != nil {
			return nil, nil, err
		}
		if len(sets)*len(list) > maxGroupingSets {
			return nil, nil, tooManySets()
		}
		next := make([][]int, 0, len(sets)*len(list))
		for _, s := range sets {
			for _, l := range list {
				next = append(next, append(append([]int{}, s...), l...))
			}
		}
		sets = next
	}
	// A set groups by each key once; GROUP BY DISTINCT drops repeated sets.
	seen := map[string]bool{}
	out := sets[:0]
	for _, s := range sets {
		slices.Sort(s)
		s = slices.Compact(s)
		if distinct {
			k := fmt.Sprint(s)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, s)
	}
	return keys, out, nil
}

func tooManySets() error {
	return sqlstate.New(sqlstate.StatementTooComplex, "too many grouping sets present (maximum %d)", maxGroupingSets)
}

// isGroupingSetsItem reports whether a GROUP BY item is more than a plain
// key: ROLLUP, CUBE or GROUPING SETS.
func isGroupingSetsItem(e ast.ExprNode) bool {
	fc, ok := e.(*ast.FuncCallExpr)
	return ok && (fc.FnName.L == "__rollup" || fc.FnName.L == "__cube" || fc.FnName.L == "__grouping_sets")
}

// distinctOnMarker is the dialect layer's last select-list item for SELECT
// DISTINCT ON (…).
const distinctOnMarker = "__distinct_on"

// splitDistinctOn returns the select list without the DISTINCT ON marker,
// and the DISTINCT ON expressions (nil without DISTINCT ON).
func splitDistinctOn(s *ast.SelectStmt) ([]*ast.SelectField, []ast.ExprNode) {
	if s.Fields == nil {
		return nil, nil
	}
	fields := s.Fields.Fields
	if n := len(fields); n > 0 && s.Distinct {
		if fc, ok := fields[n-1].Expr.(*ast.FuncCallExpr); ok && fc.FnName.L == distinctOnMarker && fields[n-1].AsName.O == "" {
			return fields[:n-1], fc.Args
		}
	}
	return fields, nil
}
