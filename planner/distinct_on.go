package planner

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
)

// DistinctOn keeps the first row, in input order, of each distinct value
// of its key columns: SELECT DISTINCT ON (keys), above the Sort of the
// query's ORDER BY.
type DistinctOn struct {
	Child Node
	Keys  []int
}

// Schema implements Node.
func (d *DistinctOn) Schema() exec.Schema { return d.Child.Schema() }

// Children implements Node.
func (d *DistinctOn) Children() []Node { return []Node{d.Child} }

// WithChildren implements Node.
func (d *DistinctOn) WithChildren(c []Node) Node { return &DistinctOn{Child: c[0], Keys: d.Keys} }

func (d *DistinctOn) String() string {
	in := d.Child.Schema()
	keys := make([]string, len(d.Keys))
	for i, k := range d.Keys {
		keys[i] = in[k].Name
	}
	return "DistinctOn [" + strings.Join(keys, ", ") + "]"
}

func distinctOnError() *sqlstate.Error {
	return sqlstate.New(sqlstate.InvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
}

// ordinalOf reports whether e is an integer literal (an output-column
// ordinal where an ORDER BY item is expected).
func ordinalOf(e ast.ExprNode) (int64, bool) {
	switch x := e.(type) {
	case *ast.PositionExpr:
		return int64(x.N), x.P == nil
	case *test_driver.ValueExpr:
		if x.Kind() == test_driver.KindInt64 && !isBoolLiteral(x) {
			return x.GetInt64(), true
		}
	}
	return 0, false
}

// checkDistinctOn applies PostgreSQL's rule (transformDistinctOnClause):
// the ORDER BY keys that are DISTINCT ON expressions must come before any
// that are not, and when some are not, every DISTINCT ON expression must
// be among them. Repeated ORDER BY keys count once. On a mismatch it
// returns the index of the DISTINCT ON expression to blame.
func checkDistinctOn(on []int, order []exec.SortKey) (int, bool) {
	isOn := map[int]int{}
	for i, c := range on {
		if _, ok := isOn[c]; !ok {
			isOn[c] = i
		}
	}
	seen := map[int]bool{}
	skipped := false
	for _, k := range order {
		if seen[k.Col] {
			continue
		}
		seen[k.Col] = true
		if i, ok := isOn[k.Col]; ok {
			if skipped {
				return i, false
			}
		} else {
			skipped = true
		}
	}
	if skipped {
		for i, c := range on {
			if !seen[c] {
				return i, false
			}
		}
	}
	return 0, true
}

// appendDistinctOnKeys appends to the sort keys, ascending, the DISTINCT
// ON columns they do not sort by yet.
func appendDistinctOnKeys(keys []exec.SortKey, on []int) []exec.SortKey {
	out := append([]exec.SortKey{}, keys...)
	for _, c := range on {
		found := false
		for _, k := range out {
			found = found || k.Col == c
		}
		if !found {
			out = append(out, exec.SortKey{Col: c})
		}
	}
	return out
}
