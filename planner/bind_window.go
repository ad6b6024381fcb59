package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/exec/agg"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// windowRef stands for a window function's value while binding the
// select list; bindSelectBody replaces it with the Window node's column.
type windowRef struct {
	idx int
	t   *types.T
	key string
}

func (w *windowRef) Type() *types.T { return w.t }
func (w *windowRef) String() string { return w.key }

// Eval implements exec.Expr; a windowRef never reaches execution.
func (w *windowRef) Eval(*exec.Ctx, arrow.Record) (exec.Vec, error) {
	return exec.Vec{}, sqlstate.New(sqlstate.WindowingError, "window functions are not allowed here")
}

// windowCtx collects the window functions of one select list.
type windowCtx struct {
	sc    *scope
	exprs []exec.Expr // extra input columns (arguments, partition and order keys)
	calls []exec.WindowCall
}

func (wc *windowCtx) column(e exec.Expr) int {
	if c, ok := e.(*exec.ColRef); ok {
		return c.Idx
	}
	k := exprKey(e)
	for i, x := range wc.exprs {
		if exprKey(x) == k {
			return len(wc.sc.cols) + i
		}
	}
	wc.exprs = append(wc.exprs, e)
	return len(wc.sc.cols) + len(wc.exprs) - 1
}

// windowFunc binds name(args) OVER (PARTITION BY … ORDER BY …).
func (b *Binder) windowFunc(x *ast.WindowFuncExpr, sc *scope) (exec.Expr, error) {
	wc := b.windows
	if wc == nil || wc.sc != sc {
		return nil, b.errAt(x, sqlstate.New(sqlstate.WindowingError, "window functions are not allowed here"))
	}
	spec := x.Spec
	if spec.Name.O != "" || spec.Ref.O != "" {
		return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "named windows are not supported"))
	}
	if spec.Frame != nil {
		return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "window frame clauses are not supported"))
	}
	name := strings.ToLower(x.Name)
	call := exec.WindowCall{Name: name, Offset: 1}
	var argTypes []*types.T
	for i, a := range x.Args {
		e, err := b.expr(a, sc, false)
		if err != nil {
			return nil, err
		}
		if (name == "lag" || name == "lead") && i == 1 {
			v, err := b.constValue(e)
			if err != nil {
				return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "the offset of %s must be a constant", name))
			}
			if n, ok := v.(int64); ok {
				call.Offset = n
			}
			call.Args = append(call.Args, -1)
			continue
		}
		if e.Type().Family == types.FamUnknown {
			if e, err = coerce(e, types.Text); err != nil {
				return nil, err
			}
		}
		call.Args = append(call.Args, wc.column(e))
		argTypes = append(argTypes, e.Type())
	}
	if spec.PartitionBy != nil {
		for _, it := range spec.PartitionBy.Items {
			e, err := b.expr(it.Expr, sc, false)
			if err != nil {
				return nil, err
			}
			call.PartitionBy = append(call.PartitionBy, wc.column(e))
		}
	}
	if spec.OrderBy != nil {
		for _, it := range spec.OrderBy.Items {
			expr, nf, has := unwrapNulls(it.Expr)
			e, err := b.expr(expr, sc, false)
			if err != nil {
				return nil, err
			}
			k := exec.SortKey{Col: wc.column(e), Desc: it.Desc, NullsFirst: it.Desc}
			if has {
				k.NullsFirst = nf
			}
			call.OrderBy = append(call.OrderBy, k)
		}
	}
	switch name {
	case "row_number", "rank", "dense_rank":
		call.Ret = types.Int8
	case "lag", "lead", "first_value", "last_value":
		if len(argTypes) == 0 {
			return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedFunction, "function %s() does not exist", name))
		}
		call.Ret = argTypes[0]
		// lag(x, n, default): the default must have x's type.
		if len(call.Args) == 3 && len(wc.exprs) > 0 {
			last := wc.exprs[len(wc.exprs)-1]
			if !types.Equal(last.Type(), argTypes[0]) {
				cast, err := coerce(last, argTypes[0])
				if err != nil {
					return nil, err
				}
				wc.exprs[len(wc.exprs)-1] = cast
			}
		}
	default:
		if !types.IsAggregate(name) {
			return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedFunction, "function %s is not a window function", name))
		}
		if name == "count" && len(call.Args) == 1 && len(x.Args) == 1 {
			if c, ok := wc.exprs[len(wc.exprs)-1].(*exec.Const); ok && c.Value != nil && wc.exprs != nil {
				call.Args, argTypes = nil, nil // count(*) arrives as count(1)
			}
		}
		rt, err := types.AggregateResult(name, argTypes, x.Distinct)
		if err != nil {
			return nil, b.errAt(x, sqlstate.As(err))
		}
		call.Ret = rt
		call.Agg = &agg.Spec{Name: name, Args: argTypes, Result: rt, Distinct: x.Distinct}
	}
	call.Label = fmt.Sprintf("%s(…) OVER (…)", name)
	wc.calls = append(wc.calls, call)
	return &windowRef{idx: len(wc.calls) - 1, t: call.Ret, key: fmt.Sprintf("window#%d", len(wc.calls)-1)}, nil
}

// planWindows builds the Window node under the select list and rewrites
// the items to read it.
func (b *Binder) planWindows(from Node, wc *windowCtx, items []exec.Expr) (Node, []exec.Expr, error) {
	in := from.Schema()
	exprs := make([]exec.Expr, 0, len(in)+len(wc.exprs))
	out := make(exec.Schema, 0, len(in)+len(wc.exprs))
	for i, c := range in {
		exprs = append(exprs, &exec.ColRef{Idx: i, T: c.Type, Name: c.Name})
		out = append(out, c)
	}
	for i, e := range wc.exprs {
		exprs = append(exprs, e)
		out = append(out, exec.Column{Name: fmt.Sprintf("?win%d?", i), Type: e.Type()})
	}
	pre := &Project{Child: from, Exprs: exprs, Out: out}
	// lag/lead offsets are constants: drop the -1 placeholders.
	for i := range wc.calls {
		var args []int
		for _, a := range wc.calls[i].Args {
			if a >= 0 {
				args = append(args, a)
			}
		}
		wc.calls[i].Args = args
	}
	wout := append(exec.Schema{}, out...)
	for i, c := range wc.calls {
		wout = append(wout, exec.Column{Name: fmt.Sprintf("?window%d?", i), Type: c.Ret})
	}
	node := &WindowNode{Child: pre, Calls: wc.calls, Out: wout}
	base := len(out)
	lifted := make([]exec.Expr, len(items))
	for i, e := range items {
		l, err := liftWindows(e, base)
		if err != nil {
			return nil, nil, err
		}
		lifted[i] = l
	}
	return node, lifted, nil
}

func liftWindows(e exec.Expr, base int) (exec.Expr, error) {
	if w, ok := e.(*windowRef); ok {
		return &exec.ColRef{Idx: base + w.idx, T: w.t, Name: w.key}, nil
	}
	return mapExprChildren(e, func(c exec.Expr) (exec.Expr, error) { return liftWindows(c, base) })
}

func containsWindow(e exec.Expr) bool {
	if _, ok := e.(*windowRef); ok {
		return true
	}
	for _, c := range exprChildren(e) {
		if containsWindow(c) {
			return true
		}
	}
	return false
}

// WindowNode computes window functions over its input.
type WindowNode struct {
	Child Node
	Calls []exec.WindowCall
	Out   exec.Schema
}

// Schema implements Node.
func (w *WindowNode) Schema() exec.Schema { return w.Out }

// Children implements Node.
func (w *WindowNode) Children() []Node { return []Node{w.Child} }

// WithChildren implements Node.
func (w *WindowNode) WithChildren(c []Node) Node {
	return &WindowNode{Child: c[0], Calls: w.Calls, Out: w.Out}
}

func (w *WindowNode) String() string { return fmt.Sprintf("Window %d calls", len(w.Calls)) }
