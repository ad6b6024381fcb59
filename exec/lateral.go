package exec

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/sqlstate"
)

// LateralJoin joins each row of Left with the rows its right side returns
// for that row: a LATERAL subquery, or a function in FROM, that reads
// Left's columns. Right builds the right side for the values of Args (over
// Left's columns) at one left row and is called once per left row, as
// PostgreSQL's nested loop over a parameterized subquery runs it. Kind is
// InnerJoin or LeftJoin. Residual (over the left then the right columns)
// is the ON condition: a LeftJoin row none of whose pairs passes it comes
// out once, NULL-extended.
type LateralJoin struct {
	Left     Operator
	Args     []Expr
	Right    func(ctx context.Context, args []any) (Operator, error)
	Kind     JoinKind
	Residual Expr // nil: none
	Out      Schema
	// Shape describes the right side for EXPLAIN; it is never run.
	Shape Operator

	schema  *arrow.Schema
	cur     arrow.Record
	args    []Vec // Args over cur
	row     int
	right   Operator // open for row
	matched bool     // some pair of row passed, in an earlier batch
	done    bool
}

var _ Operator = (*LateralJoin)(nil)

// lateralRow is one left row's stretch of a batch's candidate pairs.
type lateralRow struct {
	row        int
	start, end int  // its candidate pairs
	done       bool // its right side ended within the batch
}

// Schema implements Operator.
func (j *LateralJoin) Schema() Schema { return j.Out }

// Next implements Operator. It runs the right side for consecutive rows of
// one left batch, collecting the candidate pairs (each left row beside each
// of its right rows) until a batch is full, then judges them all at once:
// the ON condition over the whole candidate batch, then, for a LEFT join,
// one NULL-extended row for each finished left row none of whose pairs
// passed.
func (j *LateralJoin) Next(ctx context.Context) (arrow.Record, error) {
	if j.Kind != InnerJoin && j.Kind != LeftJoin {
		return nil, sqlstate.New(sqlstate.InternalError, "lateral %s join", j.Kind)
	}
	if j.schema == nil {
		j.schema = j.Out.Arrow()
	}
	for {
		if j.cur == nil {
			if j.done {
				return nil, io.EOF
			}
			if err := j.nextLeft(ctx); err != nil {
				if err == io.EOF {
					j.done = true
				}
				return nil, err
			}
		}
		out, err := j.batch(ctx)
		if err != nil || out != nil {
			return out, err
		}
	}
}

func (j *LateralJoin) nextLeft(ctx context.Context) error {
	rec, err := j.Left.Next(ctx)
	if err != nil {
		return err
	}
	j.cur, j.row = rec, 0
	for _, a := range j.Args {
		v, err := a.Eval(ExecCtx(ctx), rec)
		if err != nil {
			j.releaseCur()
			return err
		}
		j.args = append(j.args, v)
	}
	return nil
}

// batch makes the output of the next rows of the current left batch (nil:
// none); it releases the left batch after its last row.
func (j *LateralJoin) batch(ctx context.Context) (arrow.Record, error) {
	var li []int // left row of each candidate pair
	var parts []arrow.Record
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	var rows []lateralRow
	carried := j.right != nil && j.matched // the first row's earlier pairs
	n := int(j.cur.NumRows())
	for j.row < n && len(li) < BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if j.right == nil {
			vals := make([]any, len(j.Args))
			for i, v := range j.args {
				if v.Arr == nil {
					vals[i] = v.Scalar
				} else {
					vals[i] = Datum(v.Arr, j.row, j.Args[i].Type())
				}
			}
			op, err := j.Right(ctx, vals)
			if err != nil {
				return nil, err
			}
			j.right, j.matched = op, false
		}
		if len(rows) == 0 || rows[len(rows)-1].row != j.row {
			rows = append(rows, lateralRow{row: j.row, start: len(li), end: len(li)})
		}
		r := &rows[len(rows)-1]
		rb, err := j.right.Next(ctx)
		if err == io.EOF {
			err = j.right.Close()
			j.right = nil
			r.done = true
			j.row++
			if err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, rb)
		for k := 0; k < int(rb.NumRows()); k++ {
			li = append(li, j.row)
		}
		r.end = len(li)
	}
	out, err := j.judge(ctx, li, parts, rows, carried)
	if j.row >= n {
		j.releaseCur()
	}
	return out, err
}

// judge builds the output of one batch of candidate pairs.
func (j *LateralJoin) judge(ctx context.Context, li []int, parts []arrow.Record, rows []lateralRow, carried bool) (arrow.Record, error) {
	nl := int(j.cur.NumCols())
	var cand arrow.Record // the candidate pairs
	if len(li) > 0 {
		cols := make([]arrow.Array, 0, len(j.Out))
		for c := 0; c < nl; c++ {
			cols = append(cols, TakeArray(j.cur.Column(c), li))
		}
		for c := nl; c < len(j.Out); c++ {
			chunks := make([]arrow.Array, len(parts))
			for i, p := range parts {
				chunks[i] = p.Column(c - nl)
			}
			a, err := array.Concatenate(chunks, Alloc)
			if err != nil {
				for _, x := range cols {
					x.Release()
				}
				return nil, err
			}
			cols = append(cols, a)
		}
		cand = array.NewRecord(j.schema, cols, int64(len(li)))
		for _, c := range cols {
			c.Release()
		}
		defer cand.Release()
	}
	var pass boolVec
	all := j.Residual == nil
	if !all && cand != nil {
		v, err := j.Residual.Eval(ExecCtx(ctx), cand)
		if err != nil {
			return nil, err
		}
		pass = unpackBool(v, len(li))
		v.Release()
	}
	passes := func(k int) bool {
		return all || pass.vals[k>>3]&(1<<(k&7)) != 0 && (pass.valid == nil || pass.valid[k>>3]&(1<<(k&7)) != 0)
	}
	var ol, oc []int // output: left row, candidate pair (-1: NULL-extended)
	extended := false
	for i, r := range rows {
		matched := i == 0 && carried
		for k := r.start; k < r.end; k++ {
			if passes(k) {
				ol, oc = append(ol, r.row), append(oc, k)
				matched = true
			}
		}
		if r.done && !matched && j.Kind == LeftJoin {
			ol, oc = append(ol, r.row), append(oc, -1)
			extended = true
		}
		if !r.done {
			j.matched = matched // the row goes on in the next batch
		}
	}
	if len(ol) == 0 {
		return nil, nil
	}
	if !extended && len(oc) == len(li) {
		cand.Retain() // every candidate passed
		return cand, nil
	}
	cols := make([]arrow.Array, 0, len(j.Out))
	for c := 0; c < nl; c++ {
		cols = append(cols, TakeArray(j.cur.Column(c), ol))
	}
	for c := nl; c < len(j.Out); c++ {
		if cand == nil {
			cols = append(cols, array.MakeArrayOfNull(Alloc, j.schema.Field(c).Type, len(oc)))
		} else {
			cols = append(cols, takeNullable(cand.Column(c), oc))
		}
	}
	out := array.NewRecord(j.schema, cols, int64(len(ol)))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

func (j *LateralJoin) releaseCur() {
	for _, v := range j.args {
		v.Release()
	}
	j.args = j.args[:0]
	if j.cur != nil {
		j.cur.Release()
		j.cur = nil
	}
}

// Close implements Operator.
func (j *LateralJoin) Close() error {
	var err error
	if j.right != nil {
		err = j.right.Close()
		j.right = nil
	}
	j.releaseCur()
	if e := j.Left.Close(); err == nil {
		err = e
	}
	return err
}

// Children implements Operator.
func (j *LateralJoin) Children() []Operator {
	if j.Shape == nil {
		return []Operator{j.Left}
	}
	return []Operator{j.Left, j.Shape}
}

func (j *LateralJoin) String() string {
	args := make([]string, len(j.Args))
	for i, a := range j.Args {
		args[i] = a.String()
	}
	s := fmt.Sprintf("NestedLoopLateral%sJoin: per row of (%s)", j.Kind, strings.Join(args, ", "))
	if j.Residual != nil {
		s += " filter " + j.Residual.String()
	}
	return s
}

// PlanShape stands in, in an EXPLAIN tree, for a plan that is built and run
// elsewhere (the right side of a LateralJoin, built again for every row).
// It is not an operator one can run.
type PlanShape struct {
	Label string
	Kids  []Operator
	Out   Schema
}

// Schema implements Operator.
func (p *PlanShape) Schema() Schema { return p.Out }

// Next implements Operator; a PlanShape has no rows.
func (p *PlanShape) Next(context.Context) (arrow.Record, error) {
	return nil, sqlstate.New(sqlstate.InternalError, "plan shape %q run", p.Label)
}

// Close implements Operator.
func (p *PlanShape) Close() error { return nil }

// Children implements Operator.
func (p *PlanShape) Children() []Operator { return p.Kids }

func (p *PlanShape) String() string { return p.Label }
