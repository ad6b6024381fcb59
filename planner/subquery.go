package planner

import (
	"context"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

type subKind uint8

const (
	subScalar subKind = iota
	subExists
	subAny
	subAll
	subArray
)

// subqueryExpr evaluates a subquery inside an expression. An uncorrelated
// subquery runs once per statement execution; a correlated one runs once
// per distinct combination of the outer values it references.
type subqueryExpr struct {
	kind      subKind
	plan      Node
	lhs       exec.Expr // ANY/ALL/IN: the left operand (over the outer row)
	op        string
	outerArgs []exec.Expr // outer columns feeding the plan's outerRefs
	slot      *outerSlot
	t         *types.T
	compile   func(ctx context.Context, n Node) (exec.Operator, error)

	st *subState
}

// subState is the run cache of a subquery expression, shared by its copies.
type subState struct {
	mu    sync.Mutex // subquery runs are serialized (the outer slot is shared)
	owner *exec.Ctx
	cache map[string][]any // outer values key → result column values
}

func (b *Binder) subquery(sq *ast.SubqueryExpr, lhs exec.Expr, sc *scope, kind subKind, node ast.Node) (exec.Expr, error) {
	sub := &subCtx{parent: sc, slot: &outerSlot{}}
	b.subs = append(b.subs, sub)
	plan, _, err := b.bindResultSet(sq.Query, sc)
	b.subs = b.subs[:len(b.subs)-1]
	if err != nil {
		return nil, err
	}
	cols := plan.Schema()
	visible := 0
	for _, c := range cols {
		if !c.Hidden {
			visible++
		}
	}
	if kind != subExists && visible != 1 {
		return nil, b.errAt(node, sqlstate.New(sqlstate.SyntaxError, "subquery must return only one column"))
	}
	s := &subqueryExpr{kind: kind, plan: plan, lhs: lhs, slot: sub.slot, compile: b.Compile, st: &subState{}}
	for i, r := range sub.refs {
		c := sc.cols[r.idx]
		s.outerArgs = append(s.outerArgs, &exec.ColRef{Idx: r.idx, T: c.t, Name: c.name})
		r.pos = i
	}
	switch kind {
	case subScalar:
		s.t = cols[0].Type
	case subExists, subAny, subAll:
		s.t = types.Bool
	case subArray:
		s.t = types.ArrayOf(cols[0].Type)
	}
	if lhs != nil && (kind == subAny || kind == subAll) {
		// Unify the operand and the subquery column for the comparison.
		t, err := commonType([]*types.T{lhs.Type(), cols[0].Type}, "IN")
		if err != nil {
			return nil, b.errAt(node, sqlstate.As(err))
		}
		if s.lhs, err = b.coerceParam(lhs, t); err != nil {
			return nil, err
		}
		if !types.Equal(cols[0].Type, t) {
			cast, err := coerce(&exec.ColRef{Idx: 0, T: cols[0].Type, Name: cols[0].Name}, t)
			if err != nil {
				return nil, err
			}
			s.plan = &Project{Child: plan, Exprs: []exec.Expr{cast}, Out: exec.Schema{{Name: cols[0].Name, Type: t}}}
		}
		s.outerArgs = append(s.outerArgs, s.lhs) // evaluated with the outer row too
	}
	return s, nil
}

func (s *subqueryExpr) Type() *types.T { return s.t }

func (s *subqueryExpr) String() string {
	kind := [...]string{"SubPlan", "EXISTS(SubPlan)", "ANY(SubPlan)", "ALL(SubPlan)", "ARRAY(SubPlan)"}[s.kind]
	if len(s.refs()) > 0 {
		kind += " correlated"
	}
	return kind
}

func (s *subqueryExpr) refs() []exec.Expr {
	n := len(s.outerArgs)
	if s.lhs != nil && (s.kind == subAny || s.kind == subAll) {
		n--
	}
	return s.outerArgs[:n]
}

// run executes the subquery plan with the given outer values and returns
// the first column's values (or, for EXISTS, one value per row).
func (s *subqueryExpr) run(ctx *exec.Ctx, outer []any) ([]any, error) {
	s.slot.vals = outer
	if s.compile == nil {
		return nil, sqlstate.New(sqlstate.InternalError, "subquery without a compiler")
	}
	goctx := ctx.Context
	if goctx == nil {
		goctx = context.Background()
	}
	goctx = exec.WithExecCtx(goctx, ctx)
	op, err := s.compile(goctx, s.plan)
	if err != nil {
		return nil, err
	}
	recs, err := exec.Drain(goctx, op)
	if err != nil {
		return nil, err
	}
	var out []any
	schema := s.plan.Schema()
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			if s.kind == subExists {
				out = append(out, true)
				continue
			}
			out = append(out, exec.Datum(r.Column(0), i, schema[0].Type))
		}
		r.Release()
		if s.kind == subExists && len(out) > 0 {
			break
		}
	}
	return out, nil
}

// Eval implements exec.Expr.
func (s *subqueryExpr) Eval(ctx *exec.Ctx, rec arrow.Record) (exec.Vec, error) {
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.owner != ctx {
		st.owner = ctx
		st.cache = map[string][]any{}
	}
	n := int(rec.NumRows())
	refs := s.refs()
	// Outer argument values, as arrays over the outer batch.
	argVals := make([]exec.Vec, len(s.outerArgs))
	defer func() {
		for _, v := range argVals {
			v.Release()
		}
	}()
	for i, a := range s.outerArgs {
		v, err := a.Eval(ctx, rec)
		if err != nil {
			return exec.Vec{}, err
		}
		argVals[i] = v
	}
	at := func(v exec.Vec, t *types.T, i int) any {
		if v.Arr == nil {
			return v.Scalar
		}
		return exec.Datum(v.Arr, i, t)
	}
	result := func(i int) (any, error) {
		outer := make([]any, len(refs))
		var key strings.Builder
		for j := range refs {
			outer[j] = at(argVals[j], refs[j].Type(), i)
			key.WriteString(types.FormatText(refs[j].Type(), outer[j], nil))
			if outer[j] == nil {
				key.WriteString("\x00null")
			}
			key.WriteByte(0)
		}
		k := key.String()
		vals, ok := st.cache[k]
		if !ok {
			var err error
			if vals, err = s.run(ctx, outer); err != nil {
				return nil, err
			}
			st.cache[k] = vals
		}
		switch s.kind {
		case subScalar:
			if len(vals) > 1 {
				return nil, sqlstate.New(sqlstate.CardinalityViolation, "more than one row returned by a subquery used as an expression")
			}
			if len(vals) == 0 {
				return nil, nil
			}
			return vals[0], nil
		case subExists:
			return len(vals) > 0, nil
		case subArray:
			return append([]any{}, vals...), nil
		}
		// ANY / ALL
		l := at(argVals[len(argVals)-1], s.lhs.Type(), i)
		return anyAllResult(s.op, l, vals, s.kind == subAll, s.lhs.Type()), nil
	}
	if len(refs) == 0 && (s.kind != subAny && s.kind != subAll || argVals[len(argVals)-1].Arr == nil) {
		v, err := result(0)
		return exec.Vec{Scalar: v}, err
	}
	b := exec.NewBuilder(s.t)
	defer b.Release()
	for i := 0; i < n; i++ {
		v, err := result(i)
		if err != nil {
			return exec.Vec{}, err
		}
		exec.AppendDatum(b, s.t, v)
	}
	return exec.Vec{Arr: b.NewArray()}, nil
}

// anyAllResult is "l op ANY/ALL (vals)" with SQL NULL semantics.
func anyAllResult(op string, l any, vals []any, all bool, t *types.T) any {
	if len(vals) == 0 {
		return all
	}
	if l == nil {
		return nil
	}
	sawNull := false
	for _, v := range vals {
		if v == nil {
			sawNull = true
			continue
		}
		ok := holds(op, exec.CompareDatums(t, l, v))
		if all && !ok {
			return false
		}
		if !all && ok {
			return true
		}
	}
	if sawNull {
		return nil
	}
	return all
}

func holds(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>", "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// Eval implements exec.Expr for outer references.
func (o *outerRef) Eval(_ *exec.Ctx, _ arrow.Record) (exec.Vec, error) {
	if o.slot == nil || o.pos >= len(o.slot.vals) {
		return exec.Vec{}, sqlstate.New(sqlstate.InternalError, "outer reference %s evaluated outside its subquery", o.name)
	}
	return exec.Vec{Scalar: o.slot.vals[o.pos]}, nil
}
