package exec

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
)

// Step is a stateless per-batch transformation (filter, projection). Steps
// run inside parallel scan workers as well as in single-threaded
// pipelines.
type Step interface {
	// Apply transforms rec; it does not release rec. The result may be nil
	// (no rows survived) and belongs to the caller.
	Apply(ctx *Ctx, rec arrow.Record) (arrow.Record, error)
	// Schema is the output schema given the input schema the step was
	// built for.
	Schema() Schema
	String() string
}

// FilterStep keeps the rows for which Pred is TRUE.
type FilterStep struct {
	Pred Expr
	Out  Schema
}

// Apply implements Step.
func (f *FilterStep) Apply(ctx *Ctx, rec arrow.Record) (arrow.Record, error) {
	v, err := f.Pred.Eval(ctx, rec)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	n := int(rec.NumRows())
	if v.Arr == nil {
		if v.Scalar != nil && v.Scalar.(bool) {
			rec.Retain()
			return rec, nil
		}
		return nil, nil
	}
	mask := boolBits(v.Arr)
	if vb := validBits(v.Arr); vb != nil {
		for i := range mask {
			mask[i] &= vb[i]
		}
	}
	kept := bitutil.CountSetBits(mask, 0, n)
	if kept == 0 {
		return nil, nil
	}
	return FilterRecord(rec, mask), nil
}

// Schema implements Step.
func (f *FilterStep) Schema() Schema { return f.Out }

func (f *FilterStep) String() string { return "Filter: " + f.Pred.String() }

// ProjectStep computes Exprs over each batch.
type ProjectStep struct {
	Exprs []Expr
	Out   Schema
	arrow *arrow.Schema
}

// NewProjectStep returns a projection producing the named columns.
func NewProjectStep(exprs []Expr, out Schema) *ProjectStep {
	return &ProjectStep{Exprs: exprs, Out: out, arrow: out.Arrow()}
}

// Apply implements Step.
func (p *ProjectStep) Apply(ctx *Ctx, rec arrow.Record) (arrow.Record, error) {
	n := rec.NumRows()
	cols := make([]arrow.Array, len(p.Exprs))
	for i, e := range p.Exprs {
		a, err := EvalArray(ctx, e, rec)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, err
		}
		cols[i] = a
	}
	out := array.NewRecord(p.arrow, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// Schema implements Step.
func (p *ProjectStep) Schema() Schema { return p.Out }

func (p *ProjectStep) String() string {
	parts := make([]string, len(p.Exprs))
	for i, e := range p.Exprs {
		parts[i] = e.String()
	}
	return "Project: " + strings.Join(parts, ", ")
}

// StepOp runs a Step over its child's batches.
type StepOp struct {
	Child Operator
	Step  Step
}

var _ Operator = (*StepOp)(nil)

// Schema implements Operator.
func (s *StepOp) Schema() Schema { return s.Step.Schema() }

// Next implements Operator.
func (s *StepOp) Next(ctx context.Context) (arrow.Record, error) {
	ec := ExecCtx(ctx)
	for {
		rec, err := s.Child.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := s.Step.Apply(ec, rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		if out != nil && out.NumRows() > 0 {
			return out, nil
		}
		if out != nil {
			out.Release()
		}
	}
}

// Close implements Operator.
func (s *StepOp) Close() error { return s.Child.Close() }

// Children implements Operator.
func (s *StepOp) Children() []Operator { return []Operator{s.Child} }

func (s *StepOp) String() string { return s.Step.String() }

// ForEach implements Parallel when the child is parallel: the step runs in
// the child's workers.
func (s *StepOp) ForEach(ctx context.Context, fn func(worker int, rec arrow.Record) error) error {
	p, ok := s.Child.(Parallel)
	if !ok || !p.CanParallel() {
		return errorf("BUG: StepOp.ForEach over a serial child")
	}
	ec := ExecCtx(ctx)
	return p.ForEach(ctx, func(w int, rec arrow.Record) error {
		out, err := s.Step.Apply(ec, rec)
		rec.Release()
		if err != nil {
			return err
		}
		if out == nil {
			return nil
		}
		if out.NumRows() == 0 {
			out.Release()
			return nil
		}
		return fn(w, out)
	})
}

// CanParallel implements Parallel.
func (s *StepOp) CanParallel() bool {
	p, ok := s.Child.(Parallel)
	return ok && p.CanParallel()
}

// Workers implements Parallel.
func (s *StepOp) Workers() int {
	if p, ok := s.Child.(Parallel); ok {
		return p.Workers()
	}
	return 1
}

// Parallel is implemented by operators whose batches can be consumed by
// several workers at once (a parallel scan and the steps above it).
type Parallel interface {
	// CanParallel reports whether ForEach may be used.
	CanParallel() bool
	// Workers is the number of workers ForEach uses.
	Workers() int
	// ForEach calls fn for every batch from Workers() goroutines; worker
	// is in [0, Workers()). fn owns the record. The first error stops all
	// workers and is returned.
	ForEach(ctx context.Context, fn func(worker int, rec arrow.Record) error) error
}

type execCtxKey struct{}

// WithExecCtx attaches the statement's Ctx to a context.
func WithExecCtx(ctx context.Context, ec *Ctx) context.Context {
	return context.WithValue(ctx, execCtxKey{}, ec)
}

// LookupExecCtx returns the execution context carried by ctx, if any.
func LookupExecCtx(ctx context.Context) (*Ctx, bool) {
	ec, ok := ctx.Value(execCtxKey{}).(*Ctx)
	return ec, ok
}

// ExecCtx returns the statement's Ctx from ctx (a default one if none).
func ExecCtx(ctx context.Context) *Ctx {
	if ec, ok := ctx.Value(execCtxKey{}).(*Ctx); ok {
		return ec
	}
	return NewCtx()
}

// Limit passes at most Count rows after skipping Offset rows. Count < 0
// means no limit.
type Limit struct {
	Child         Operator
	Count, Offset int64
	seen, emitted int64
}

// Schema implements Operator.
func (l *Limit) Schema() Schema { return l.Child.Schema() }

// Next implements Operator.
func (l *Limit) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if l.Count >= 0 && l.emitted >= l.Count {
			return nil, io.EOF
		}
		rec, err := l.Child.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := rec.NumRows()
		from := int64(0)
		if l.seen < l.Offset {
			skip := min(l.Offset-l.seen, n)
			from = skip
		}
		l.seen += n
		to := n
		if l.Count >= 0 {
			to = min(n, from+(l.Count-l.emitted))
		}
		if from >= to {
			rec.Release()
			continue
		}
		l.emitted += to - from
		if from == 0 && to == n {
			return rec, nil
		}
		out := rec.NewSlice(from, to)
		rec.Release()
		return out, nil
	}
}

// Close implements Operator.
func (l *Limit) Close() error { return l.Child.Close() }

// Children implements Operator.
func (l *Limit) Children() []Operator { return []Operator{l.Child} }

func (l *Limit) String() string {
	switch {
	case l.Count >= 0 && l.Offset > 0:
		return fmt.Sprintf("Limit: %d offset %d", l.Count, l.Offset)
	case l.Count >= 0:
		return fmt.Sprintf("Limit: %d", l.Count)
	}
	return fmt.Sprintf("Offset: %d", l.Offset)
}

// Records replays materialized records (VALUES, catalog tables, speed-view
// snapshots, results of subqueries).
type Records struct {
	Out   Schema
	Recs  []arrow.Record
	Label string
	i     int
}

// NewRecords returns an operator over recs, which it takes ownership of.
func NewRecords(label string, s Schema, recs ...arrow.Record) *Records {
	return &Records{Out: s, Recs: recs, Label: label}
}

// Schema implements Operator.
func (r *Records) Schema() Schema { return r.Out }

// Next implements Operator.
func (r *Records) Next(ctx context.Context) (arrow.Record, error) {
	for r.i < len(r.Recs) {
		rec := r.Recs[r.i]
		r.i++
		if rec.NumRows() == 0 {
			continue
		}
		rec.Retain()
		return rec, nil
	}
	return nil, io.EOF
}

// Close implements Operator.
func (r *Records) Close() error {
	for _, rec := range r.Recs {
		rec.Release()
	}
	r.Recs = nil
	return nil
}

// Children implements Operator.
func (r *Records) Children() []Operator { return nil }

func (r *Records) String() string { return r.Label }

// UnionAll concatenates its children's rows.
type UnionAll struct {
	Inputs []Operator
	Out    Schema
	Label  string
	i      int
}

// Schema implements Operator.
func (u *UnionAll) Schema() Schema { return u.Out }

// Next implements Operator.
func (u *UnionAll) Next(ctx context.Context) (arrow.Record, error) {
	for u.i < len(u.Inputs) {
		rec, err := u.Inputs[u.i].Next(ctx)
		if err == io.EOF {
			u.i++
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.Schema().Equal(u.Out.Arrow()) {
			return rec, nil
		}
		// Children may name columns differently: rewrap under our schema.
		out := array.NewRecord(u.Out.Arrow(), rec.Columns(), rec.NumRows())
		rec.Release()
		return out, nil
	}
	return nil, io.EOF
}

// Close implements Operator.
func (u *UnionAll) Close() error {
	var first error
	for _, in := range u.Inputs {
		if err := in.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Children implements Operator.
func (u *UnionAll) Children() []Operator { return u.Inputs }

func (u *UnionAll) String() string {
	if u.Label != "" {
		return u.Label
	}
	return "Append"
}

// Drain reads every record of op into memory, then closes op.
func Drain(ctx context.Context, op Operator) ([]arrow.Record, error) {
	defer op.Close()
	var out []arrow.Record
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			for _, r := range out {
				r.Release()
			}
			return nil, err
		}
		out = append(out, rec)
	}
}

// RepeatStep repeats each row as many times as its count column says (0
// drops it) and removes the count column: INTERSECT ALL and EXCEPT ALL.
type RepeatStep struct {
	CountCol int
	Out      Schema
}

// Apply implements Step.
func (r *RepeatStep) Apply(_ *Ctx, rec arrow.Record) (arrow.Record, error) {
	counts := valuesOf[int64](rec.Column(r.CountCol))
	var idx []int
	for i, c := range counts {
		for k := int64(0); k < c; k++ {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	taken := TakeRecord(rec, idx)
	defer taken.Release()
	cols := make([]arrow.Array, 0, len(r.Out))
	for i := 0; i < int(taken.NumCols()); i++ {
		if i != r.CountCol {
			cols = append(cols, taken.Column(i))
		}
	}
	return array.NewRecord(r.Out.Arrow(), cols, int64(len(idx))), nil
}

// Schema implements Step.
func (r *RepeatStep) Schema() Schema { return r.Out }

func (r *RepeatStep) String() string { return "Repeat" }
