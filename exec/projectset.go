package exec

import (
	"context"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// SetFunc is one set-returning function call of a select list
// (generate_series(1, x), unnest(a), _pg_expandarray(a)).
type SetFunc struct {
	Name string
	Args []Expr // over the ProjectSet's input
	Cols Schema // the columns of each row the function returns
	// Rows returns the function's rows for one input row's argument
	// values; each row has len(Cols) values.
	Rows func(ctx context.Context, args []any) ([][]any, error)
}

// ProjectSet evaluates the set-returning functions of a select list, as
// PostgreSQL's ProjectSet node does: for each input row every function is
// run, the functions' rows are zipped (a function that runs out early
// gives NULLs), and the input row is repeated once per zipped row; an
// input row for which every function returns no row produces nothing. Its
// output is the input columns, then each function's columns.
type ProjectSet struct {
	Child Operator
	Funcs []SetFunc
	Out   Schema

	pending [][]any
	done    bool
}

var _ Operator = (*ProjectSet)(nil)

// Schema implements Operator.
func (p *ProjectSet) Schema() Schema { return p.Out }

// Next implements Operator.
func (p *ProjectSet) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if len(p.pending) >= BatchSize || (p.done && len(p.pending) > 0) {
			n := min(len(p.pending), BatchSize)
			rec := RecordOf(p.Out, p.pending[:n])
			p.pending = p.pending[n:]
			return rec, nil
		}
		if p.done {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := p.Child.Next(ctx)
		if err == io.EOF {
			p.done = true
			continue
		}
		if err != nil {
			return nil, err
		}
		err = p.expand(ctx, rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
	}
}

func (p *ProjectSet) expand(ctx context.Context, rec arrow.Record) error {
	ec := ExecCtx(ctx)
	in := p.Child.Schema()
	n := int(rec.NumRows())
	// Argument columns, one array per argument of each function.
	args := make([][]arrow.Array, len(p.Funcs))
	defer func() {
		for _, as := range args {
			for _, a := range as {
				a.Release()
			}
		}
	}()
	for i, f := range p.Funcs {
		for _, e := range f.Args {
			a, err := EvalArray(ec, e, rec)
			if err != nil {
				return err
			}
			args[i] = append(args[i], a)
		}
	}
	rows := Rows(rec, in)
	width := len(p.Out)
	results := make([][][]any, len(p.Funcs))
	for r := 0; r < n; r++ {
		most := 0
		for i, f := range p.Funcs {
			vals := make([]any, len(f.Args))
			for j, a := range args[i] {
				vals[j] = Datum(a, r, f.Args[j].Type())
			}
			res, err := f.Rows(ctx, vals)
			if err != nil {
				return err
			}
			results[i] = res
			most = max(most, len(res))
		}
		for k := 0; k < most; k++ {
			row := make([]any, 0, width)
			row = append(row, rows[r]...)
			for i, f := range p.Funcs {
				if k < len(results[i]) {
					row = append(row, results[i][k]...)
				} else {
					row = append(row, make([]any, len(f.Cols))...)
				}
			}
			p.pending = append(p.pending, row)
		}
	}
	return nil
}

// Close implements Operator.
func (p *ProjectSet) Close() error {
	p.pending = nil
	return p.Child.Close()
}

// Children implements Operator.
func (p *ProjectSet) Children() []Operator { return []Operator{p.Child} }

func (p *ProjectSet) String() string {
	parts := make([]string, len(p.Funcs))
	for i, f := range p.Funcs {
		as := make([]string, len(f.Args))
		for j, a := range f.Args {
			as[j] = a.String()
		}
		parts[i] = f.Name + "(" + strings.Join(as, ", ") + ")"
	}
	return "ProjectSet: " + strings.Join(parts, ", ")
}
