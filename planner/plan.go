package planner

import (
	"fmt"
	"strings"

	"lambdasql/exec"
)

// Node is a logical plan node. Nodes are immutable values: a rewrite
// returns a new node (WithChildren) and never edits one in place.
// Expressions in a node refer to the columns of its children's output by
// index (exec.ColRef); a Join's expressions see left columns then right.
type Node interface {
	Schema() exec.Schema
	Children() []Node
	WithChildren(children []Node) Node
	String() string
}

// Scan reads a relation. Cols are the indexes (into Rel.Columns) it
// produces; Filters are conjuncts over its output evaluated inside the
// scan workers; Bounds prune files and row groups.
type Scan struct {
	Rel     *Relation
	Cols    []int
	Filters []exec.Expr
	Bounds  []exec.Bound
	Alias   string
}

// Schema implements Node.
func (s *Scan) Schema() exec.Schema {
	out := make(exec.Schema, len(s.Cols))
	for i, c := range s.Cols {
		out[i] = s.Rel.Columns[c]
	}
	return out
}

// Children implements Node.
func (s *Scan) Children() []Node { return nil }

// WithChildren implements Node.
func (s *Scan) WithChildren([]Node) Node { return s }

func (s *Scan) String() string {
	name := s.Rel.Name
	if s.Rel.Schema != "" && s.Rel.Schema != "public" {
		name = s.Rel.Schema + "." + name
	}
	cols := make([]string, len(s.Cols))
	for i, c := range s.Cols {
		cols[i] = s.Rel.Columns[c].Name
	}
	kind := "Scan"
	switch s.Rel.Kind {
	case RelLambdaView:
		kind = "LambdaScan"
	case RelSystem:
		kind = "SystemScan"
	case RelFunction:
		kind = "FunctionScan"
	}
	str := fmt.Sprintf("%s %s [%s]", kind, name, strings.Join(cols, ", "))
	if len(s.Filters) > 0 {
		fs := make([]string, len(s.Filters))
		for i, f := range s.Filters {
			fs[i] = f.String()
		}
		str += " filter " + strings.Join(fs, " AND ")
	}
	if len(s.Bounds) > 0 {
		full := s.Rel.Columns
		bs := make([]string, len(s.Bounds))
		for i, b := range s.Bounds {
			bs[i] = full[b.Col].Name + " " + b.Op.String() + " " + (&exec.Const{Value: b.Value, T: full[b.Col].Type}).String()
		}
		str += " prune " + strings.Join(bs, " AND ")
	}
	return str
}

// Filter keeps rows where Pred is TRUE.
type Filter struct {
	Child Node
	Pred  exec.Expr
}

// Schema implements Node.
func (f *Filter) Schema() exec.Schema { return f.Child.Schema() }

// Children implements Node.
func (f *Filter) Children() []Node { return []Node{f.Child} }

// WithChildren implements Node.
func (f *Filter) WithChildren(c []Node) Node { return &Filter{Child: c[0], Pred: f.Pred} }

func (f *Filter) String() string { return "Filter " + f.Pred.String() }

// Project computes a new row from each input row.
type Project struct {
	Child Node
	Exprs []exec.Expr
	Out   exec.Schema
}

// Schema implements Node.
func (p *Project) Schema() exec.Schema { return p.Out }

// Children implements Node.
func (p *Project) Children() []Node { return []Node{p.Child} }

// WithChildren implements Node.
func (p *Project) WithChildren(c []Node) Node {
	return &Project{Child: c[0], Exprs: p.Exprs, Out: p.Out}
}

func (p *Project) String() string {
	parts := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		s := e.String()
		if p.Out[i].Name != s {
			s += " AS " + p.Out[i].Name
		}
		parts[i] = s
	}
	return "Project " + strings.Join(parts, ", ")
}

// Aggregate groups by key columns of its input and computes aggregates.
// Its output is the keys then the aggregates.
type Aggregate struct {
	Child Node
	Keys  []int
	Aggs  []exec.AggCall
	Out   exec.Schema
}

// Schema implements Node.
func (a *Aggregate) Schema() exec.Schema { return a.Out }

// Children implements Node.
func (a *Aggregate) Children() []Node { return []Node{a.Child} }

// WithChildren implements Node.
func (a *Aggregate) WithChildren(c []Node) Node {
	return &Aggregate{Child: c[0], Keys: a.Keys, Aggs: a.Aggs, Out: a.Out}
}

func (a *Aggregate) String() string {
	in := a.Child.Schema()
	keys := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		keys[i] = in[k].Name
	}
	aggs := make([]string, len(a.Aggs))
	for i, g := range a.Aggs {
		aggs[i] = g.Name
	}
	if len(a.Aggs) == 0 {
		return "Distinct [" + strings.Join(keys, ", ") + "]"
	}
	return "Aggregate keys [" + strings.Join(keys, ", ") + "] aggs [" + strings.Join(aggs, ", ") + "]"
}

// Sort orders rows.
type Sort struct {
	Child Node
	Keys  []exec.SortKey
}

// Schema implements Node.
func (s *Sort) Schema() exec.Schema { return s.Child.Schema() }

// Children implements Node.
func (s *Sort) Children() []Node { return []Node{s.Child} }

// WithChildren implements Node.
func (s *Sort) WithChildren(c []Node) Node { return &Sort{Child: c[0], Keys: s.Keys} }

func (s *Sort) String() string {
	in := s.Child.Schema()
	parts := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		parts[i] = in[k.Col].Name
		if k.Desc {
			parts[i] += " DESC"
		}
	}
	return "Sort " + strings.Join(parts, ", ")
}

// Limit skips Offset rows and passes at most Count (Count < 0: all).
type Limit struct {
	Child         Node
	Count, Offset int64
}

// Schema implements Node.
func (l *Limit) Schema() exec.Schema { return l.Child.Schema() }

// Children implements Node.
func (l *Limit) Children() []Node { return []Node{l.Child} }

// WithChildren implements Node.
func (l *Limit) WithChildren(c []Node) Node {
	return &Limit{Child: c[0], Count: l.Count, Offset: l.Offset}
}

func (l *Limit) String() string { return fmt.Sprintf("Limit %d offset %d", l.Count, l.Offset) }

// Join joins two inputs. Its output is the left columns then the right
// ones (Semi and Anti joins: the left columns only).
type Join struct {
	Left, Right         Node
	Kind                exec.JoinKind
	LeftKeys, RightKeys []int
	Residual            exec.Expr // over left ++ right columns
}

// Schema implements Node.
func (j *Join) Schema() exec.Schema {
	l := j.Left.Schema()
	switch j.Kind {
	case exec.SemiJoin, exec.AntiJoin, exec.AntiNullAwareJoin:
		return l
	}
	return append(append(exec.Schema{}, l...), j.Right.Schema()...)
}

// Children implements Node.
func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }

// WithChildren implements Node.
func (j *Join) WithChildren(c []Node) Node {
	n := *j
	n.Left, n.Right = c[0], c[1]
	return &n
}

func (j *Join) String() string {
	ls, rs := j.Left.Schema(), j.Right.Schema()
	conds := make([]string, len(j.LeftKeys))
	for i := range j.LeftKeys {
		conds[i] = ls[j.LeftKeys[i]].Name + " = " + rs[j.RightKeys[i]].Name
	}
	s := j.Kind.String() + "Join"
	if len(conds) > 0 {
		s += " " + strings.Join(conds, " AND ")
	}
	if j.Residual != nil {
		s += " filter " + j.Residual.String()
	}
	return s
}

// Union concatenates its inputs (UNION ALL).
type Union struct {
	Inputs []Node
	Out    exec.Schema
}

// Schema implements Node.
func (u *Union) Schema() exec.Schema { return u.Out }

// Children implements Node.
func (u *Union) Children() []Node { return u.Inputs }

// WithChildren implements Node.
func (u *Union) WithChildren(c []Node) Node { return &Union{Inputs: c, Out: u.Out} }

func (u *Union) String() string { return "UnionAll" }

// Values is a constant table.
type Values struct {
	Rows [][]exec.Expr
	Out  exec.Schema
}

// Schema implements Node.
func (v *Values) Schema() exec.Schema { return v.Out }

// Children implements Node.
func (v *Values) Children() []Node { return nil }

// WithChildren implements Node.
func (v *Values) WithChildren([]Node) Node { return v }

func (v *Values) String() string { return fmt.Sprintf("Values %d rows", len(v.Rows)) }

// Explain renders a plan tree, one node per line.
func Explain(n Node) string {
	var sb strings.Builder
	var walk func(Node, int)
	walk = func(n Node, depth int) {
		if depth > 0 {
			sb.WriteString(strings.Repeat("  ", depth-1))
			sb.WriteString("->  ")
		}
		sb.WriteString(n.String())
		sb.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return sb.String()
}

// Repeat repeats each row by its count column (then dropped): INTERSECT
// and EXCEPT.
type Repeat struct {
	Child    Node
	CountCol int
	Out      exec.Schema
}

// Schema implements Node.
func (r *Repeat) Schema() exec.Schema { return r.Out }

// Children implements Node.
func (r *Repeat) Children() []Node { return []Node{r.Child} }

// WithChildren implements Node.
func (r *Repeat) WithChildren(c []Node) Node {
	return &Repeat{Child: c[0], CountCol: r.CountCol, Out: r.Out}
}

func (r *Repeat) String() string { return "Repeat" }
