package planner

import (
	"strings"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// scopeCol is a column visible to expressions: one output column of the
// FROM clause (or of an aggregate, for expressions above it).
type scopeCol struct {
	table  string // alias or relation name qualifying the column
	schema string // relation schema, for three-part names
	name   string
	t      *types.T
	hidden bool // selected only when named (_layer)
	// qualOnly columns were merged into a JOIN USING (or NATURAL) column:
	// they are reachable only through their table qualifier (t.a) and left
	// out of an unqualified *.
	qualOnly bool
	tableOID uint32
	attnum   int16
}

// scope is the name space of one query level.
type scope struct {
	cols   []scopeCol
	parent *scope
	// outer records references this scope's subquery made to parent
	// scopes, so the subquery is known to be correlated.
	correlated bool
}

func (s *scope) schema() exec.Schema {
	out := make(exec.Schema, len(s.cols))
	for i, c := range s.cols {
		out[i] = exec.Column{Name: c.name, Type: c.t, TableOID: c.tableOID, Attnum: c.attnum, Hidden: c.hidden}
	}
	return out
}

// resolve finds a column by optional table qualifier and name. It returns
// the index, or -1 when absent; ambiguity is an error (42702).
func (s *scope) resolve(table, name string) (int, error) {
	found := -1
	for i, c := range s.cols {
		if c.name != name {
			continue
		}
		if table != "" && c.table != table || table == "" && c.qualOnly {
			continue
		}
		if found >= 0 {
			if table == "" && s.cols[found].table == c.table && c.table == "" {
				return -1, sqlstate.New(sqlstate.AmbiguousColumn, "column reference %q is ambiguous", name)
			}
			return -1, sqlstate.New(sqlstate.AmbiguousColumn, "column reference %q is ambiguous", qualify(table, name))
		}
		found = i
	}
	return found, nil
}

// hasTable reports whether some column is qualified by table.
func (s *scope) hasTable(table string) bool {
	for _, c := range s.cols {
		if c.table == table {
			return true
		}
	}
	return false
}

func qualify(table, name string) string {
	if table == "" {
		return name
	}
	return table + "." + name
}

// outerRef is a column of an enclosing query level referenced from a
// correlated subquery. Its value is set by the subquery expression before
// each execution of the subquery plan.
type outerRef struct {
	depth int // 1: the immediately enclosing query
	idx   int
	t     *types.T
	name  string
	slot  *outerSlot
	pos   int // index into slot.vals
}

// outerSlot carries the current outer row's values to outerRefs.
type outerSlot struct {
	vals []any
}

func (o *outerRef) Type() *types.T { return o.t }

func (o *outerRef) String() string { return "outer." + o.name }

func joinNames(names []string) string { return strings.Join(names, ", ") }
