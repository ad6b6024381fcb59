package planner

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// ReadMode is the session's lambda.read setting: which layers a query over
// a lambda view reads.
type ReadMode uint8

// Read modes.
const (
	ReadMerged ReadMode = iota // batch up to B, speed after it (default)
	ReadBatch                  // exact history only: the batch view up to B
	ReadSpeed                  // freshest only: the speed view above B
)

// ParseReadMode parses a lambda.read value.
func ParseReadMode(s string) (ReadMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "merged", "":
		return ReadMerged, nil
	case "batch":
		return ReadBatch, nil
	case "speed":
		return ReadSpeed, nil
	}
	return 0, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"lambda.read\": %q", s).
		WithHint("Available values: merged, batch, speed.")
}

// Compiler turns optimized logical plans into exec operators.
type Compiler struct {
	Read ReadMode
	// Splits records the lambda view snapshots a compilation took, for
	// EXPLAIN (the watermark B each view was split at).
	Splits []SplitInfo
	// Workers overrides exec.DefaultWorkers when > 0.
	Workers int
	// Instrument wraps every operator to count rows and time (EXPLAIN
	// ANALYZE).
	Instrument bool
}

// SplitInfo describes how one lambda view was split.
type SplitInfo struct {
	View      string
	B         types.TimestampD
	HasB      bool
	Watermark types.TimestampD
	Mode      ReadMode
}

// Compile builds the operator tree of n.
func (c *Compiler) Compile(ctx context.Context, n Node) (exec.Operator, error) {
	op, err := c.compile(ctx, n)
	if err != nil || !c.Instrument {
		return op, err
	}
	return &exec.Analyzed{Op: op}, nil
}

func (c *Compiler) compile(ctx context.Context, n Node) (exec.Operator, error) {
	switch x := n.(type) {
	case *Scan:
		return c.scan(ctx, x)
	case *Filter:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.StepOp{Child: child, Step: &exec.FilterStep{Pred: x.Pred, Out: child.Schema()}}, nil
	case *Project:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.StepOp{Child: child, Step: exec.NewProjectStep(x.Exprs, x.Out)}, nil
	case *Aggregate:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return exec.NewHashAggregate(child, x.Keys, x.Aggs, x.Out), nil
	case *GroupingSets:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.GroupingSetsAggregate{Child: child, Keys: x.Keys, Sets: x.Sets, Aggs: x.Aggs,
			Grouping: x.Grouping, Ordered: x.Ordered, Out: x.Out}, nil
	case *DistinctOn:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.DistinctOn{Child: child, Keys: x.Keys}, nil
	case *Sort:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.Sort{Child: child, Keys: x.Keys, Limit: -1}, nil
	case *Limit:
		if s, ok := x.Child.(*Sort); ok && x.Count >= 0 {
			child, err := c.Compile(ctx, s.Child)
			if err != nil {
				return nil, err
			}
			top := &exec.Sort{Child: child, Keys: s.Keys, Limit: x.Count, Offset: x.Offset}
			return &exec.Limit{Child: top, Count: x.Count, Offset: x.Offset}, nil
		}
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.Limit{Child: child, Count: x.Count, Offset: x.Offset}, nil
	case *Join:
		return c.join(ctx, x)
	case *LateralJoin:
		return c.lateralJoin(ctx, x)
	case *Repeat:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.StepOp{Child: child, Step: &exec.RepeatStep{CountCol: x.CountCol, Out: x.Out}}, nil
	case *ProjectSet:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.ProjectSet{Child: child, Funcs: x.Funcs, Out: x.Schema()}, nil
	case *WindowNode:
		child, err := c.Compile(ctx, x.Child)
		if err != nil {
			return nil, err
		}
		return &exec.Window{Child: child, Calls: x.Calls, Out: x.Out}, nil
	case *Union:
		ins := make([]exec.Operator, len(x.Inputs))
		for i, in := range x.Inputs {
			op, err := c.Compile(ctx, in)
			if err != nil {
				for _, o := range ins[:i] {
					o.Close()
				}
				return nil, err
			}
			ins[i] = op
		}
		return &exec.UnionAll{Inputs: ins, Out: x.Out}, nil
	case *Values:
		ec := exec.ExecCtx(ctx)
		rows := make([][]any, len(x.Rows))
		one := exec.RecordOf(exec.Schema{}, [][]any{{}})
		defer one.Release()
		for i, r := range x.Rows {
			rows[i] = make([]any, len(r))
			for j, e := range r {
				v, err := e.Eval(ec, one)
				if err != nil {
					return nil, err
				}
				if v.Arr != nil {
					rows[i][j] = exec.Datum(v.Arr, 0, e.Type())
				} else {
					rows[i][j] = v.Scalar
				}
				v.Release()
			}
		}
		if len(x.Out) == 0 {
			// SELECT without FROM: rows of no columns.
			return exec.NewRecords("Result", x.Out, exec.RecordOf(x.Out, rows)), nil
		}
		return exec.NewRecords(fmt.Sprintf("Values: %d rows", len(rows)), x.Out, exec.RecordOf(x.Out, rows)), nil
	}
	return nil, sqlstate.New(sqlstate.InternalError, "cannot compile %T", n)
}

func (c *Compiler) newScan(ts exec.TableSource, cols []int, bounds []exec.Bound) *exec.Scan {
	s := exec.NewScan(ts, exec.ScanRequest{Columns: cols, Bounds: bounds})
	if c.Workers > 0 {
		s.SetWorkers(c.Workers)
	}
	return s
}

func (c *Compiler) scan(ctx context.Context, s *Scan) (exec.Operator, error) {
	if s.Rel.Kind == RelLambdaView {
		return c.lambdaScan(ctx, s)
	}
	if s.Rel.Table == nil {
		return nil, sqlstate.New(sqlstate.InternalError, "relation %q has no table", s.Rel.Name)
	}
	ts, err := s.Rel.Table(ctx)
	if err != nil {
		return nil, err
	}
	var op exec.Operator = c.newScan(ts, s.Cols, runtimeBounds(ctx, s))
	if len(s.Filters) > 0 {
		op = &exec.StepOp{Child: op, Step: &exec.FilterStep{Pred: andAll(s.Filters), Out: op.Schema()}}
	}
	return op, nil
}

// lambdaScan is the serving rewrite: one snapshot of B, then
// batch WHERE window_end <= B UNION ALL speed WHERE window_end > B, with
// the scan's filters applied to both sides and _layer filled per side.
func (c *Compiler) lambdaScan(ctx context.Context, s *Scan) (exec.Operator, error) {
	lv := s.Rel.Lambda
	split, err := lv.Split(ctx)
	if err != nil {
		return nil, err
	}
	c.Splits = append(c.Splits, SplitInfo{View: s.Rel.Name, B: split.B, HasB: split.HasB, Watermark: split.Watermark, Mode: c.Read})
	weCol := lv.WindowEndCol()
	out := s.Schema()
	side := func(ts exec.TableSource, layer string, below bool) (exec.Operator, error) {
		// Read the needed physical columns (never _layer) plus window_end.
		var phys []int
		pos := map[int]int{}
		for _, col := range append(append([]int{}, s.Cols...), weCol) {
			if s.Rel.Columns[col].Hidden && s.Rel.Columns[col].Name == "_layer" {
				continue
			}
			if _, ok := pos[col]; !ok {
				pos[col] = len(phys)
				phys = append(phys, col)
			}
		}
		var bounds []exec.Bound
		for _, b := range runtimeBounds(ctx, s) {
			if _, ok := pos[b.Col]; ok {
				bounds = append(bounds, b)
			}
		}
		weT := s.Rel.Columns[weCol].Type
		if split.HasB {
			if below {
				bounds = append(bounds, exec.Bound{Col: weCol, Op: exec.OpLE, Value: split.B})
			} else {
				bounds = append(bounds, exec.Bound{Col: weCol, Op: exec.OpGT, Value: split.B})
			}
		}
		var op exec.Operator = c.newScan(ts, phys, bounds)
		physSchema := op.Schema()
		// Split predicate on window_end.
		if split.HasB {
			we := &exec.ColRef{Idx: pos[weCol], T: weT, Name: "window_end"}
			cmp := "<="
			if !below {
				cmp = ">"
			}
			fn, _, err := exec.Resolve(cmp, []*types.T{weT, weT})
			if err != nil {
				return nil, err
			}
			pred := exec.NewCall(fn, []exec.Expr{we, &exec.Const{Value: split.B, T: weT}})
			op = &exec.StepOp{Child: op, Step: &exec.FilterStep{Pred: pred, Out: physSchema}}
		}
		// Back to the scan's column order, with _layer as a constant.
		exprs := make([]exec.Expr, len(s.Cols))
		for i, col := range s.Cols {
			rc := s.Rel.Columns[col]
			if rc.Hidden && rc.Name == "_layer" {
				exprs[i] = &exec.Const{Value: layer, T: types.Text}
				continue
			}
			exprs[i] = &exec.ColRef{Idx: pos[col], T: rc.Type, Name: rc.Name}
		}
		op = &exec.StepOp{Child: op, Step: exec.NewProjectStep(exprs, out)}
		if len(s.Filters) > 0 {
			op = &exec.StepOp{Child: op, Step: &exec.FilterStep{Pred: andAll(s.Filters), Out: out}}
		}
		return op, nil
	}
	var inputs []exec.Operator
	fail := func(err error) (exec.Operator, error) {
		for _, in := range inputs {
			in.Close()
		}
		split.Release()
		return nil, err
	}
	if split.HasB && split.Batch != nil && c.Read != ReadSpeed {
		op, err := side(split.Batch, "batch", true)
		if err != nil {
			return fail(err)
		}
		inputs = append(inputs, op)
	}
	if c.Read != ReadBatch && split.Speed != nil {
		op, err := side(split.Speed, "speed", false)
		if err != nil {
			return fail(err)
		}
		inputs = append(inputs, op)
	}
	label := fmt.Sprintf("LambdaSplit %s", s.Rel.Name)
	if split.HasB {
		label += " at B=" + types.FormatText(types.TimestampTZ, split.B, nil)
	} else {
		label += " (no batch run yet: speed only)"
	}
	u := &exec.UnionAll{Inputs: inputs, Out: out, Label: label}
	return &releaseOp{Operator: u, release: split.Release}, nil
}

// releaseOp releases a snapshot when the query's operator tree closes.
type releaseOp struct {
	exec.Operator
	release func()
	done    bool
}

func (r *releaseOp) Close() error {
	err := r.Operator.Close()
	if !r.done && r.release != nil {
		r.done = true
		r.release()
	}
	return err
}

// Children implements exec.Operator.
func (r *releaseOp) Children() []exec.Operator { return r.Operator.Children() }

func (r *releaseOp) Next(ctx context.Context) (arrow.Record, error) { return r.Operator.Next(ctx) }

// join compiles a Join, extracting equality conjuncts between a left and
// a right column into hash keys.
func (c *Compiler) join(ctx context.Context, j *Join) (exec.Operator, error) {
	left, err := c.Compile(ctx, j.Left)
	if err != nil {
		return nil, err
	}
	right, err := c.Compile(ctx, j.Right)
	if err != nil {
		left.Close()
		return nil, err
	}
	nl := len(j.Left.Schema())
	lk, rk := append([]int{}, j.LeftKeys...), append([]int{}, j.RightKeys...)
	var rest []exec.Expr
	for _, conj := range conjuncts(j.Residual) {
		if l, r, ok := equiKey(conj, nl); ok {
			lk, rk = append(lk, l), append(rk, r)
			continue
		}
		rest = append(rest, conj)
	}
	out := j.Schema()
	return &exec.HashJoin{Left: left, Right: right, LeftKeys: lk, RightKeys: rk, Kind: j.Kind, Residual: andAll(rest), Out: out}, nil
}

// equiKey recognizes "left column = right column" of one type.
func equiKey(e exec.Expr, nl int) (int, int, bool) {
	call, ok := e.(*exec.Call)
	if !ok || call.Fn.Name != "=" || len(call.Args) != 2 {
		return 0, 0, false
	}
	a, ok1 := call.Args[0].(*exec.ColRef)
	b, ok2 := call.Args[1].(*exec.ColRef)
	if !ok1 || !ok2 || !types.Equal(a.T, b.T) {
		return 0, 0, false
	}
	switch {
	case a.Idx < nl && b.Idx >= nl:
		return a.Idx, b.Idx - nl, true
	case b.Idx < nl && a.Idx >= nl:
		return b.Idx, a.Idx - nl, true
	}
	return 0, 0, false
}

// conjuncts splits an AND tree.
func conjuncts(e exec.Expr) []exec.Expr {
	if e == nil {
		return nil
	}
	if b, ok := e.(*exec.BoolOp); ok && b.And {
		var out []exec.Expr
		for _, a := range b.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []exec.Expr{e}
}

// Run compiles and drains a plan (for internal queries and tests).
func (c *Compiler) Run(ctx context.Context, n Node) ([]arrow.Record, error) {
	op, err := c.Compile(ctx, n)
	if err != nil {
		return nil, err
	}
	return exec.Drain(ctx, op)
}

var _ = io.EOF
