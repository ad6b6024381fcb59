package server

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

func (s *Session) prepareExplain(ctx context.Context, p *stmt, x *sql.Explain, paramOIDs []uint32) (wire.Statement, error) {
	if x.Format != "" && !strings.EqualFold(x.Format, "text") {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "EXPLAIN (FORMAT %s) is not supported; use FORMAT TEXT", x.Format)
	}
	q, ok := x.Stmt.(*sql.Query)
	if !ok {
		if dc, ok := x.Stmt.(*sql.DeclareCursor); ok {
			q = dc.Query
		} else {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "EXPLAIN of this statement is not supported")
		}
	}
	given := paramTypesOf(paramOIDs)
	ec := s.execCtx(ctx, nil)
	_, params, err := s.planQuery(ctx, q, given, ec)
	if err != nil {
		return nil, err
	}
	p.params = finalParamTypes(params)
	p.cols = exec.Schema{{Name: "QUERY PLAN", Type: types.Text}}
	p.run = func(ctx context.Context, args []any, notice func(wire.Notice)) (wire.Result, error) {
		lines, err := s.explain(ctx, q, p.params, args, x.Analyze, x.Verbose)
		if err != nil {
			return nil, err
		}
		rows := make([][]string, len(lines))
		for i, l := range lines {
			rows[i] = []string{l}
		}
		_, res := textRows([]string{"QUERY PLAN"}, rows, "EXPLAIN")
		return res, nil
	}
	return p, nil
}

// explain renders the plan of q: the physical operator tree (with the
// split of every lambda view at its batch watermark) and, for lambda views,
// their batch plan and stream graph.
func (s *Session) explain(ctx context.Context, q *sql.Query, paramTypes []*types.T, args []any, analyze, verbose bool) ([]string, error) {
	ec := s.execCtx(ctx, args)
	rels := s.srv.relations(s)
	comp := &planner.Compiler{Read: s.readMode(), Instrument: analyze}
	b := &planner.Binder{Cat: rels, Ctx: ctx, Exec: ec, Params: append([]*types.T{}, paramTypes...), Pos: q.PositionAt,
		Compile: func(ctx context.Context, n planner.Node) (exec.Operator, error) {
			opt, _ := planner.Optimize(n)
			return (&planner.Compiler{Read: s.readMode()}).Compile(ctx, opt)
		}}
	node, err := b.BindQuery(q.Node)
	if err != nil {
		return nil, err
	}
	opt, fired := planner.Optimize(node)
	ctx = exec.WithExecCtx(ctx, ec)
	op, err := comp.Compile(ctx, opt)
	if err != nil {
		return nil, err
	}
	var total time.Duration
	var rows int64
	if analyze {
		start := time.Now()
		for {
			rec, err := op.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				op.Close()
				return nil, err
			}
			rows += rec.NumRows()
			rec.Release()
		}
		total = time.Since(start)
	}
	tree := exec.Describe(op)
	op.Close()
	lines := strings.Split(strings.TrimRight(tree, "\n"), "\n")
	for _, sp := range comp.Splits {
		mode := [...]string{"merged", "batch", "speed"}[sp.Mode]
		if sp.HasB {
			lines = append(lines, fmt.Sprintf("Split %s: batch WHERE window_end <= %s UNION ALL speed WHERE window_end > %s (lambda.read = %s)",
				sp.View, fmtTS(sp.B), fmtTS(sp.B), mode))
		} else {
			lines = append(lines, fmt.Sprintf("Split %s: no batch version yet, every window from the speed layer (lambda.read = %s)", sp.View, mode))
		}
		if sp.Watermark != 0 {
			lines = append(lines, fmt.Sprintf("  stream watermark: %s", fmtTS(sp.Watermark)))
		}
		if rel, ok, _ := rels.Relation("", sp.View); ok && rel.Lambda != nil {
			bp, sg := rel.Lambda.Explain()
			lines = append(lines, "  Batch plan:")
			for _, l := range strings.Split(strings.TrimRight(bp, "\n"), "\n") {
				lines = append(lines, "    "+l)
			}
			lines = append(lines, "  Stream graph:")
			for _, l := range strings.Split(strings.TrimRight(sg, "\n"), "\n") {
				lines = append(lines, "    "+l)
			}
		}
	}
	if verbose {
		lines = append(lines, "Rules: "+strings.Join(fired, ", "))
		lines = append(lines, "Logical plan:")
		for _, l := range strings.Split(strings.TrimRight(planner.Explain(opt), "\n"), "\n") {
			lines = append(lines, "  "+l)
		}
	}
	if analyze {
		lines = append(lines, fmt.Sprintf("Execution Time: %.3f ms (%d rows, peak operator memory %s)", float64(total.Microseconds())/1000, rows, humanSize(ec.Mem.Peak())))
	}
	return lines, nil
}

func fmtTS(ts types.TimestampD) string { return types.FormatText(types.TimestampTZ, ts, nil) }
