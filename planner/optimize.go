package planner

import (
	"lambdasql/exec"
)

// Rule is an optimizer rewrite. A rule never changes a query's result:
// each rule's doc comment says why.
type Rule interface {
	Name() string
	// Apply rewrites n (the whole tree); ok reports whether it changed.
	Apply(n Node) (Node, bool)
}

// DefaultRules run in order, repeatedly, until none fires.
var DefaultRules = []Rule{
	DropTrueFilter{},
	PushFilterDown{},
	MergeScanFilters{},
	ExtractPruneBounds{},
}

// Optimize runs rules to a fixpoint (bounded), then prunes columns. It
// returns the optimized plan and the names of the rules that fired.
func Optimize(n Node) (Node, []string) {
	var fired []string
	seen := map[string]bool{}
	for round := 0; round < 16; round++ {
		changed := false
		for _, r := range DefaultRules {
			if m, ok := r.Apply(n); ok {
				n = m
				changed = true
				if !seen[r.Name()] {
					seen[r.Name()] = true
					fired = append(fired, r.Name())
				}
			}
		}
		if !changed {
			break
		}
	}
	if m, ok := (PruneColumns{}).Apply(n); ok {
		n = m
		fired = append(fired, PruneColumns{}.Name())
	}
	return n, fired
}

// transformUp applies f bottom-up to every node of the tree.
func transformUp(n Node, f func(Node) (Node, bool)) (Node, bool) {
	changed := false
	ch := n.Children()
	if len(ch) > 0 {
		nc := make([]Node, len(ch))
		for i, c := range ch {
			m, ok := transformUp(c, f)
			nc[i] = m
			changed = changed || ok
		}
		if changed {
			n = n.WithChildren(nc)
		}
	}
	m, ok := f(n)
	return m, changed || ok
}

// colRefs collects the input column indexes e reads.
func colRefs(e exec.Expr, into map[int]bool) {
	if e == nil {
		return
	}
	if c, ok := e.(*exec.ColRef); ok {
		into[c.Idx] = true
		return
	}
	for _, c := range exprChildren(e) {
		colRefs(c, into)
	}
}

// remapCols rewrites column references through m (old index → new).
func remapCols(e exec.Expr, m func(int) int) exec.Expr {
	if e == nil {
		return nil
	}
	if c, ok := e.(*exec.ColRef); ok {
		return &exec.ColRef{Idx: m(c.Idx), T: c.T, Name: c.Name}
	}
	out, err := mapExprChildren(e, func(c exec.Expr) (exec.Expr, error) { return remapCols(c, m), nil })
	if err != nil {
		return e
	}
	return out
}

// substitute replaces column refs by the expressions they name (used to
// push a predicate below a projection).
func substitute(e exec.Expr, exprs []exec.Expr) exec.Expr {
	if c, ok := e.(*exec.ColRef); ok {
		return exprs[c.Idx]
	}
	out, err := mapExprChildren(e, func(c exec.Expr) (exec.Expr, error) { return substitute(c, exprs), nil })
	if err != nil {
		return e
	}
	return out
}

// isVolatile reports whether e calls a volatile function or a subquery:
// such predicates are not moved.
func isVolatile(e exec.Expr) bool {
	switch x := e.(type) {
	case *exec.Call:
		if x.Fn.Volatile {
			return true
		}
	case *subqueryExpr, *outerRef, *aggRef, *groupingRef:
		return true
	}
	for _, c := range exprChildren(e) {
		if isVolatile(c) {
			return true
		}
	}
	return false
}
