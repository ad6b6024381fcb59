package planner

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
)

// LateralJoin joins each row of Left with the rows of Right for that row:
// Right (a LATERAL subquery, or a function in FROM) reads Left's columns
// Args through outer references bound to slot, and runs again for every
// row. Kind is Inner or Left; Residual, over the left then the right
// columns, is the ON condition.
type LateralJoin struct {
	Left, Right Node
	Kind        exec.JoinKind
	Residual    exec.Expr
	Args        []exec.Expr // over Left's columns, in slot order
	slot        *outerSlot
}

// Schema implements Node.
func (j *LateralJoin) Schema() exec.Schema {
	return append(append(exec.Schema{}, j.Left.Schema()...), j.Right.Schema()...)
}

// Children implements Node.
func (j *LateralJoin) Children() []Node { return []Node{j.Left, j.Right} }

// WithChildren implements Node.
func (j *LateralJoin) WithChildren(c []Node) Node {
	n := *j
	n.Left, n.Right = c[0], c[1]
	return &n
}

func (j *LateralJoin) String() string {
	args := make([]string, len(j.Args))
	for i, a := range j.Args {
		args[i] = a.String()
	}
	s := "Lateral" + j.Kind.String() + "Join per row of (" + strings.Join(args, ", ") + ")"
	if j.Residual != nil {
		s += " filter " + j.Residual.String()
	}
	return s
}

// lateralJoin compiles a LateralJoin: the right side is compiled for each
// left row once the row's values are in the slot.
func (c *Compiler) lateralJoin(ctx context.Context, j *LateralJoin) (exec.Operator, error) {
	left, err := c.Compile(ctx, j.Left)
	if err != nil {
		return nil, err
	}
	sub := &Compiler{Read: c.Read, Workers: c.Workers}
	right := func(ctx context.Context, args []any) (exec.Operator, error) {
		// A context of its own per row: subqueries inside the right side
		// key their caches by it, and may read the row's values.
		ec := *exec.ExecCtx(ctx)
		ctx = exec.WithExecCtx(ctx, &ec)
		j.slot.vals = args
		op, err := sub.Compile(ctx, j.Right)
		if err != nil {
			return nil, err
		}
		return &slotOp{Operator: op, slot: j.slot, vals: args, ec: &ec}, nil
	}
	return &exec.LateralJoin{Left: left, Args: j.Args, Right: right, Kind: j.Kind, Residual: j.Residual,
		Out: j.Schema(), Shape: planShape(j.Right)}, nil
}

// slotOp runs the right side of a LateralJoin for one row. It puts the
// row's values back in the slot before each Next, so that two lateral joins
// compiled from one plan (a CTE read twice) never see each other's row, and
// runs under the row's own execution context.
type slotOp struct {
	exec.Operator
	slot *outerSlot
	vals []any
	ec   *exec.Ctx
}

func (s *slotOp) Next(ctx context.Context) (arrow.Record, error) {
	s.slot.vals = s.vals
	return s.Operator.Next(exec.WithExecCtx(ctx, s.ec))
}

// planShape renders a logical plan as an EXPLAIN-only operator tree.
func planShape(n Node) exec.Operator {
	ch := n.Children()
	kids := make([]exec.Operator, len(ch))
	for i, c := range ch {
		kids[i] = planShape(c)
	}
	return &exec.PlanShape{Label: n.String(), Kids: kids, Out: n.Schema()}
}

// pruneLateral is PruneColumns over a LateralJoin: as for a Join, each side
// keeps the columns needed above, by the ON condition and (the left side)
// by Args.
func pruneLateral(x *LateralJoin, need []bool) (Node, []int, bool) {
	refs := map[int]bool{}
	for i, nd := range need {
		if nd {
			refs[i] = true
		}
	}
	colRefs(x.Residual, refs)
	for _, a := range x.Args {
		colRefs(a, refs)
	}
	left, right, lm, _, m, changed := pruneSides(x.Left, x.Right, refs)
	if !changed {
		return x, m, false
	}
	j := *x
	j.Left, j.Right = left, right
	j.Residual = remapCols(x.Residual, func(k int) int { return m[k] })
	j.Args = make([]exec.Expr, len(x.Args))
	for i, a := range x.Args {
		j.Args[i] = remapCols(a, func(k int) int { return lm[k] })
	}
	return &j, m, true
}

// pushIntoLateral is PushFilterDown over a LateralJoin: a conjunct over the
// left columns only filters the left rows before the right side runs for
// them (for a LEFT join too: it tests what the join passes through
// unchanged); over an inner join any other conjunct joins the ON condition.
func pushIntoLateral(f *Filter, c *LateralJoin) (Node, bool) {
	nl := len(c.Left.Schema())
	var left, resid, keep []exec.Expr
	for _, e := range conjuncts(f.Pred) {
		refs := map[int]bool{}
		colRefs(e, refs)
		onlyL := len(refs) > 0
		for r := range refs {
			onlyL = onlyL && r < nl
		}
		switch {
		case isVolatile(e) || len(refs) == 0:
			keep = append(keep, e)
		case onlyL:
			left = append(left, e)
		case c.Kind == exec.InnerJoin:
			resid = append(resid, e)
		default:
			keep = append(keep, e)
		}
	}
	if len(left)+len(resid) == 0 {
		return f, false
	}
	j := *c
	j.Left = wrapFilter(c.Left, left)
	if len(resid) > 0 {
		j.Residual = andAll(append(conjuncts(c.Residual), resid...))
	}
	return wrapFilter(&j, keep), true
}
