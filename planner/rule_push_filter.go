package planner

import (
	"lambdasql/exec"
)

// DropTrueFilter removes filters whose predicate folded to TRUE. The
// result is unchanged: such a filter keeps every row.
type DropTrueFilter struct{}

// Name implements Rule.
func (DropTrueFilter) Name() string { return "DropTrueFilter" }

// Apply implements Rule.
func (DropTrueFilter) Apply(n Node) (Node, bool) {
	return transformUp(n, func(n Node) (Node, bool) {
		if f, ok := n.(*Filter); ok {
			if c, ok := f.Pred.(*exec.Const); ok && c.Value == true {
				return f.Child, true
			}
		}
		return n, false
	})
}

// PushFilterDown moves filter conjuncts below projections, sorts, unions,
// aggregates (conjuncts over group keys only) and into the matching side of
// joins. The result is unchanged: a conjunct only moves below operators
// that pass each row through unchanged (or, for an aggregate, below the
// grouping of the very key values it tests), and volatile predicates and
// subqueries never move.
type PushFilterDown struct{}

// Name implements Rule.
func (PushFilterDown) Name() string { return "PushFilterDown" }

// Apply implements Rule.
func (PushFilterDown) Apply(n Node) (Node, bool) {
	return transformUp(n, func(n Node) (Node, bool) {
		f, ok := n.(*Filter)
		if !ok {
			return n, false
		}
		return pushFilter(f)
	})
}

func wrapFilter(child Node, conj []exec.Expr) Node {
	if len(conj) == 0 {
		return child
	}
	return &Filter{Child: child, Pred: andAll(conj)}
}

func pushFilter(f *Filter) (Node, bool) {
	conj := conjuncts(f.Pred)
	switch c := f.Child.(type) {
	case *Filter:
		return &Filter{Child: c.Child, Pred: andAll(append(conjuncts(c.Pred), conj...))}, true
	case *Project:
		var down, keep []exec.Expr
		for _, e := range conj {
			if isVolatile(e) || !pushableThrough(e, c.Exprs) {
				keep = append(keep, e)
				continue
			}
			down = append(down, substitute(e, c.Exprs))
		}
		if len(down) == 0 {
			return f, false
		}
		return wrapFilter(&Project{Child: wrapFilter(c.Child, down), Exprs: c.Exprs, Out: c.Out}, keep), true
	case *Sort:
		return &Sort{Child: wrapFilter(c.Child, conj), Keys: c.Keys}, true
	case *Union:
		for _, e := range conj {
			if isVolatile(e) {
				return f, false
			}
		}
		ins := make([]Node, len(c.Inputs))
		for i, in := range c.Inputs {
			ins[i] = wrapFilter(in, conj)
		}
		return &Union{Inputs: ins, Out: c.Out}, true
	case *Aggregate:
		var down, keep []exec.Expr
		for _, e := range conj {
			refs := map[int]bool{}
			colRefs(e, refs)
			onlyKeys := !isVolatile(e) && len(refs) > 0
			for r := range refs {
				if r >= len(c.Keys) {
					onlyKeys = false
				}
			}
			if !onlyKeys {
				keep = append(keep, e)
				continue
			}
			down = append(down, remapCols(e, func(i int) int { return c.Keys[i] }))
		}
		if len(down) == 0 {
			return f, false
		}
		return wrapFilter(&Aggregate{Child: wrapFilter(c.Child, down), Keys: c.Keys, Aggs: c.Aggs, Out: c.Out}, keep), true
	case *Join:
		nl := len(c.Left.Schema())
		var left, right, keep, resid []exec.Expr
		for _, e := range conj {
			if isVolatile(e) {
				keep = append(keep, e)
				continue
			}
			refs := map[int]bool{}
			colRefs(e, refs)
			onlyL, onlyR := true, true
			for r := range refs {
				if r < nl {
					onlyR = false
				} else {
					onlyL = false
				}
			}
			switch {
			case onlyL && len(refs) > 0 && c.Kind != exec.FullJoin:
				// (a FULL join NULL-extends its left rows too)
				left = append(left, e)
			case onlyR && len(refs) > 0 && c.Kind == exec.InnerJoin:
				right = append(right, remapCols(e, func(i int) int { return i - nl }))
			case c.Kind == exec.InnerJoin && len(refs) > 0:
				resid = append(resid, e)
			default:
				keep = append(keep, e)
			}
		}
		if len(left)+len(right)+len(resid) == 0 {
			return f, false
		}
		j := *c
		j.Left = wrapFilter(c.Left, left)
		j.Right = wrapFilter(c.Right, right)
		if len(resid) > 0 {
			j.Residual = andAll(append(conjuncts(c.Residual), resid...))
		}
		return wrapFilter(&j, keep), true
	case *LateralJoin:
		return pushIntoLateral(f, c)
	}
	return f, false
}

// pushableThrough reports whether every column e reads is computed by a
// non-volatile projection expression (so substituting it is safe).
func pushableThrough(e exec.Expr, exprs []exec.Expr) bool {
	refs := map[int]bool{}
	colRefs(e, refs)
	for r := range refs {
		if r >= len(exprs) || isVolatile(exprs[r]) {
			return false
		}
	}
	return true
}

// MergeScanFilters moves a filter directly above a scan into the scan, so
// it runs inside the parallel scan workers. The result is unchanged: the
// scan applies the same predicate to the same rows.
type MergeScanFilters struct{}

// Name implements Rule.
func (MergeScanFilters) Name() string { return "MergeScanFilters" }

// Apply implements Rule.
func (MergeScanFilters) Apply(n Node) (Node, bool) {
	return transformUp(n, func(n Node) (Node, bool) {
		f, ok := n.(*Filter)
		if !ok {
			return n, false
		}
		s, ok := f.Child.(*Scan)
		if !ok {
			return n, false
		}
		var in, keep []exec.Expr
		for _, e := range conjuncts(f.Pred) {
			if isVolatile(e) {
				keep = append(keep, e)
			} else {
				in = append(in, e)
			}
		}
		if len(in) == 0 {
			return n, false
		}
		ns := *s
		ns.Filters = append(append([]exec.Expr{}, s.Filters...), in...)
		return wrapFilter(&ns, keep), true
	})
}
