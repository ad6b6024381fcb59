package planner

import (
	"context"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// ExtractPruneBounds derives file and row-group pruning bounds from a
// scan's filter conjuncts of the form "column op constant". The result is
// unchanged: bounds only let the source skip data whose statistics prove
// no row can satisfy the conjunct, and the conjunct itself still filters.
type ExtractPruneBounds struct{}

// Name implements Rule.
func (ExtractPruneBounds) Name() string { return "ExtractPruneBounds" }

// Apply implements Rule.
func (ExtractPruneBounds) Apply(n Node) (Node, bool) {
	return transformUp(n, func(n Node) (Node, bool) {
		s, ok := n.(*Scan)
		if !ok || len(s.Filters) == 0 {
			return n, false
		}
		var bounds []exec.Bound
		for _, f := range s.Filters {
			bounds = append(bounds, boundsOf(f, s)...)
		}
		if len(bounds) == len(s.Bounds) {
			return n, false
		}
		ns := *s
		ns.Bounds = bounds
		return &ns, true
	})
}

// runtimeBounds are the scan's bounds once the statement's parameters and
// stable functions (now(), current_date) have their values: a prepared
// point query (device_id = $1 AND window_start >= now() - interval '1
// hour') prunes as its literal form would. Without an execution context
// (plain EXPLAIN) they are the planned bounds.
func runtimeBounds(ctx context.Context, s *Scan) []exec.Bound {
	ec, ok := exec.LookupExecCtx(ctx)
	if !ok || len(s.Filters) == 0 {
		return s.Bounds
	}
	var bounds []exec.Bound
	for _, f := range s.Filters {
		g, err := bindParams(f, ec.Params)
		if err != nil {
			return s.Bounds
		}
		bounds = append(bounds, boundsOf(foldConst(ec, g), s)...)
	}
	return bounds
}

// bindParams replaces the parameters in e by their values.
func bindParams(e exec.Expr, params []any) (exec.Expr, error) {
	if p, ok := e.(*exec.Param); ok && p.Idx < len(params) {
		return &exec.Const{Value: params[p.Idx], T: p.T}, nil
	}
	return mapExprChildren(e, func(c exec.Expr) (exec.Expr, error) { return bindParams(c, params) })
}

var cmpOps = map[string]exec.CmpOp{"=": exec.OpEQ, "<": exec.OpLT, "<=": exec.OpLE, ">": exec.OpGT, ">=": exec.OpGE}

// boundsOf extracts pruning bounds from one conjunct over scan s's output.
func boundsOf(e exec.Expr, s *Scan) []exec.Bound {
	switch x := e.(type) {
	case *exec.BoolOp:
		if !x.And {
			return nil
		}
		var out []exec.Bound
		for _, a := range x.Args {
			out = append(out, boundsOf(a, s)...)
		}
		return out
	case *exec.InList:
		// x IN (a, b, c) prunes like a <= x <= c.
		col, ok := x.Arg.(*exec.ColRef)
		if !ok || x.Negate || len(x.Values) == 0 || !prunable(col.T) {
			return nil
		}
		lo, hi := x.Values[0], x.Values[0]
		for _, v := range x.Values[1:] {
			if exec.CompareDatums(col.T, v, lo) < 0 {
				lo = v
			}
			if exec.CompareDatums(col.T, v, hi) > 0 {
				hi = v
			}
		}
		c := s.Cols[col.Idx]
		return []exec.Bound{{Col: c, Op: exec.OpGE, Value: lo}, {Col: c, Op: exec.OpLE, Value: hi}}
	case *exec.Call:
		op, ok := cmpOps[x.Fn.Name]
		if !ok || len(x.Args) != 2 {
			return nil
		}
		l, r := x.Args[0], x.Args[1]
		if _, isConst := l.(*exec.Const); isConst {
			l, r = r, l
			op = flipOp(op)
		}
		cst, ok := r.(*exec.Const)
		if !ok || cst.Value == nil {
			return nil
		}
		col, ok := l.(*exec.ColRef)
		if !ok {
			// An integer column widened to compare with a wider constant.
			if cast, isCast := l.(*exec.Cast); isCast {
				if cr, isCol := cast.Arg.(*exec.ColRef); isCol && cr.T.Family == types.FamInt && cast.To.Family == types.FamInt {
					col = cr
				}
			}
			if col == nil {
				return nil
			}
		}
		if !prunable(col.T) || s.Rel.Columns[s.Cols[col.Idx]].Hidden {
			return nil
		}
		return []exec.Bound{{Col: s.Cols[col.Idx], Op: op, Value: cst.Value}}
	}
	return nil
}

func flipOp(op exec.CmpOp) exec.CmpOp {
	switch op {
	case exec.OpLT:
		return exec.OpGT
	case exec.OpLE:
		return exec.OpGE
	case exec.OpGT:
		return exec.OpLT
	case exec.OpGE:
		return exec.OpLE
	}
	return op
}

func prunable(t *types.T) bool {
	switch t.Family {
	case types.FamInt, types.FamFloat, types.FamString, types.FamDate, types.FamTimestamp, types.FamTimestampTZ, types.FamBool:
		return t.Family != types.FamString || t.OID == types.Text.OID || t.OID == types.Varchar.OID
	}
	return false
}

// PruneColumns keeps only the columns each node's parent reads, down to
// the scans, so sources decode only the columns a query needs. The result
// is unchanged: removed columns are never read.
type PruneColumns struct{}

// Name implements Rule.
func (PruneColumns) Name() string { return "PruneColumns" }

// Apply implements Rule.
func (PruneColumns) Apply(n Node) (Node, bool) {
	need := make([]bool, len(n.Schema()))
	for i := range need {
		need[i] = true
	}
	m, _, changed := prune(n, need)
	return m, changed
}

// prune returns n restricted to the needed output columns plus the map
// from old to new output index (-1: removed).
func prune(n Node, need []bool) (Node, []int, bool) {
	identity := func(k int) []int {
		m := make([]int, k)
		for i := range m {
			m[i] = i
		}
		return m
	}
	switch x := n.(type) {
	case *Scan:
		used := map[int]bool{}
		for _, f := range x.Filters {
			colRefs(f, used)
		}
		var cols []int
		m := make([]int, len(x.Cols))
		for i := range x.Cols {
			if need[i] || used[i] {
				m[i] = len(cols)
				cols = append(cols, x.Cols[i])
			} else {
				m[i] = -1
			}
		}
		if len(cols) == len(x.Cols) {
			return x, identity(len(x.Cols)), false
		}
		ns := *x
		ns.Cols = cols
		ns.Filters = make([]exec.Expr, len(x.Filters))
		for i, f := range x.Filters {
			ns.Filters[i] = remapCols(f, func(k int) int { return m[k] })
		}
		return &ns, m, true
	case *Project:
		childNeed := make([]bool, len(x.Child.Schema()))
		var exprs []exec.Expr
		var out exec.Schema
		m := make([]int, len(x.Exprs))
		for i, e := range x.Exprs {
			if !need[i] {
				m[i] = -1
				continue
			}
			m[i] = len(exprs)
			exprs = append(exprs, e)
			out = append(out, x.Out[i])
			refs := map[int]bool{}
			colRefs(e, refs)
			for r := range refs {
				childNeed[r] = true
			}
		}
		child, cm, changed := prune(x.Child, childNeed)
		for i, e := range exprs {
			exprs[i] = remapCols(e, func(k int) int { return cm[k] })
		}
		if !changed && len(exprs) == len(x.Exprs) {
			return x, identity(len(x.Exprs)), false
		}
		return &Project{Child: child, Exprs: exprs, Out: out}, m, true
	case *Filter:
		cn := append([]bool{}, need...)
		refs := map[int]bool{}
		colRefs(x.Pred, refs)
		for r := range refs {
			cn[r] = true
		}
		child, cm, changed := prune(x.Child, cn)
		if !changed {
			return x, identity(len(need)), false
		}
		return &Filter{Child: child, Pred: remapCols(x.Pred, func(k int) int { return cm[k] })}, cm, true
	case *Sort:
		cn := append([]bool{}, need...)
		for _, k := range x.Keys {
			cn[k.Col] = true
		}
		child, cm, changed := prune(x.Child, cn)
		if !changed {
			return x, identity(len(need)), false
		}
		keys := make([]exec.SortKey, len(x.Keys))
		for i, k := range x.Keys {
			keys[i] = k
			keys[i].Col = cm[k.Col]
		}
		return &Sort{Child: child, Keys: keys}, cm, true
	case *Limit:
		child, cm, changed := prune(x.Child, need)
		if !changed {
			return x, identity(len(need)), false
		}
		return &Limit{Child: child, Count: x.Count, Offset: x.Offset}, cm, true
	case *Aggregate:
		cn := make([]bool, len(x.Child.Schema()))
		for _, k := range x.Keys {
			cn[k] = true
		}
		for _, a := range x.Aggs {
			for _, c := range a.Args {
				cn[c] = true
			}
			if a.Filter >= 0 {
				cn[a.Filter] = true
			}
		}
		child, cm, changed := prune(x.Child, cn)
		if !changed {
			return x, identity(len(x.Out)), false
		}
		keys := make([]int, len(x.Keys))
		for i, k := range x.Keys {
			keys[i] = cm[k]
		}
		aggs := make([]exec.AggCall, len(x.Aggs))
		for i, a := range x.Aggs {
			aggs[i] = a
			aggs[i].Args = make([]int, len(a.Args))
			for j, c := range a.Args {
				aggs[i].Args[j] = cm[c]
			}
			if a.Filter >= 0 {
				aggs[i].Filter = cm[a.Filter]
			}
		}
		return &Aggregate{Child: child, Keys: keys, Aggs: aggs, Out: x.Out}, identity(len(x.Out)), true
	case *Join:
		nl := len(x.Left.Schema())
		refs := map[int]bool{}
		for i, nd := range need {
			if nd {
				refs[i] = true
			}
		}
		for _, k := range x.LeftKeys {
			refs[k] = true
		}
		for _, k := range x.RightKeys {
			refs[nl+k] = true
		}
		colRefs(x.Residual, refs)
		left, right, lm, rm, m, changed := pruneSides(x.Left, x.Right, refs)
		if !changed {
			return x, identity(len(x.Schema())), false
		}
		j := *x
		j.Left, j.Right = left, right
		j.LeftKeys = make([]int, len(x.LeftKeys))
		for i, k := range x.LeftKeys {
			j.LeftKeys[i] = lm[k]
		}
		j.RightKeys = make([]int, len(x.RightKeys))
		for i, k := range x.RightKeys {
			j.RightKeys[i] = rm[k]
		}
		j.Residual = remapCols(x.Residual, func(k int) int { return m[k] })
		// Semi and anti joins output the left columns only.
		return &j, m[:len(x.Schema())], true
	case *LateralJoin:
		return pruneLateral(x, need)
	case *Union:
		// Every input must keep the same columns: prune each with the same
		// need, which keeps positions aligned when the inputs agree.
		ins := make([]Node, len(x.Inputs))
		var m []int
		changed := false
		for i, in := range x.Inputs {
			p, pm, c := prune(in, need)
			if i > 0 && !equalInts(pm, m) {
				// Inputs pruned differently: keep every column instead.
				full := make([]bool, len(need))
				for k := range full {
					full[k] = true
				}
				for k, in2 := range x.Inputs {
					ins[k], _, _ = prune(in2, full)
				}
				return &Union{Inputs: ins, Out: x.Out}, identity(len(need)), true
			}
			ins[i], m = p, pm
			changed = changed || c
		}
		if !changed {
			return x, identity(len(need)), false
		}
		var out exec.Schema
		for i, c := range x.Out {
			if m[i] >= 0 {
				out = append(out, c)
			}
		}
		return &Union{Inputs: ins, Out: out}, m, true
	}
	// Values and anything else: keep all columns, prune below.
	ch := n.Children()
	if len(ch) == 0 {
		return n, identity(len(n.Schema())), false
	}
	changed := false
	nc := make([]Node, len(ch))
	for i, c := range ch {
		full := make([]bool, len(c.Schema()))
		for k := range full {
			full[k] = true
		}
		var ok bool
		nc[i], _, ok = prune(c, full)
		changed = changed || ok
	}
	if changed {
		n = n.WithChildren(nc)
	}
	return n, identity(len(n.Schema())), changed
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pruneSides prunes the inputs of a join-like node whose output is the
// left input's columns then the right one's, keeping the output columns in
// refs. It returns the pruned inputs, their column maps, the map of the
// combined output (-1: dropped) and whether anything was pruned.
func pruneSides(l, r Node, refs map[int]bool) (left, right Node, lm, rm, m []int, changed bool) {
	nl, nr := len(l.Schema()), len(r.Schema())
	ln, rn := make([]bool, nl), make([]bool, nr)
	for k := range refs {
		if k < nl {
			ln[k] = true
		} else {
			rn[k-nl] = true
		}
	}
	left, lm, lc := prune(l, ln)
	right, rm, rc := prune(r, rn)
	newNL := 0
	for _, v := range lm {
		if v >= 0 {
			newNL++
		}
	}
	m = make([]int, nl+nr)
	for i := range m {
		switch {
		case i < nl:
			m[i] = lm[i]
		case rm[i-nl] < 0:
			m[i] = -1
		default:
			m[i] = newNL + rm[i-nl]
		}
	}
	return left, right, lm, rm, m, lc || rc
}
