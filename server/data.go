package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/batch"
	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

var errEOF = io.EOF

// prepareData prepares INSERT, COPY and REFRESH.
func (s *Session) prepareData(ctx context.Context, p *stmt, st sql.Stmt, paramOIDs []uint32) (wire.Statement, error) {
	switch x := st.(type) {
	case *sql.Insert:
		return s.prepareInsert(ctx, p, x, paramOIDs)
	case *sql.Copy:
		return s.prepareCopy(ctx, p, x, paramOIDs)
	case *sql.Refresh:
		p.run = func(ctx context.Context, _ []any, notice func(wire.Notice)) (wire.Result, error) {
			if s.tx != txIdle {
				return nil, sqlstate.New(sqlstate.ActiveSQLTransaction, "REFRESH VIEW cannot run inside a transaction block")
			}
			snap := s.srv.cat.Snapshot()
			v, ok := snap.Views[x.Name.Name]
			if !ok {
				return nil, sqlstate.New(sqlstate.UndefinedTable, "view %q does not exist", x.Name.Name).WithPosition(x.Name.Pos)
			}
			if !v.Lambda {
				return nil, sqlstate.New(sqlstate.WrongObjectType, "%q is not a windowed view: ordinary views are computed when queried", x.Name.Name)
			}
			progress := func(msg string) { notice(wire.Notice{Severity: "NOTICE", Code: "00000", Message: msg}) }
			run, err := s.srv.engine.refresh(ctx, x.Name.Name, x.Full, progress)
			if err != nil {
				return nil, err
			}
			msg := fmt.Sprintf("%s: batch run %d (%s) %s: %d rows read, %d rows written in %d files", v.Name, run.RunID, run.Kind, run.Status, run.RowsIn, run.RowsOut, run.Files)
			if run.Watermark != 0 && run.Watermark != minInt64 {
				msg += ", batch watermark " + fmtTS(typesTS(run.Watermark))
			}
			progress(msg)
			return tagResult("REFRESH VIEW"), nil
		}
		return p, nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement is not supported")
}

const minInt64 = -1 << 63

func typesTS(us int64) types.TimestampD { return types.TimestampD(us) }

// insertTarget resolves the source and target columns of INSERT/COPY.
func (s *Session) insertTarget(name sql.ObjectName, cols []string) (*catalog.Source, *sourceRT, []int, error) {
	snap := s.srv.cat.Snapshot()
	src, ok := snap.Sources[name.Name]
	if !ok {
		if _, isView := snap.Views[name.Name]; isView {
			return nil, nil, nil, sqlstate.New(sqlstate.WrongObjectType, "cannot insert into view %q", name.Name).
				WithDetail("Views are computed from sources; insert into the source instead.")
		}
		if lookupSystemTable("pg_catalog", name.Name) != nil {
			return nil, nil, nil, sqlstate.New(sqlstate.WrongObjectType, "cannot change system table %q", name.Name)
		}
		return nil, nil, nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", name.Name).WithPosition(name.Pos)
	}
	if isKafka(src) {
		return nil, nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "source %q reads from Kafka topic %q: produce events to the topic instead", src.Name, src.Options["topic"])
	}
	rt, ok := s.srv.engine.source(src.Name)
	if !ok || rt.embedded == nil {
		return nil, nil, nil, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "source %q is not running", src.Name)
	}
	var idx []int
	if len(cols) == 0 {
		for i := range src.Columns {
			idx = append(idx, i)
		}
	} else {
		seen := map[string]bool{}
		for _, c := range cols {
			i := src.ColumnIndex(c)
			if i < 0 {
				return nil, nil, nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", c, src.Name)
			}
			if seen[c] {
				return nil, nil, nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", c)
			}
			seen[c] = true
			idx = append(idx, i)
		}
	}
	return src, rt, idx, nil
}

func insertTable(ins *ast.InsertStmt) (sql.ObjectName, error) {
	if ins.Table == nil || ins.Table.TableRefs == nil {
		return sql.ObjectName{}, sqlstate.New(sqlstate.SyntaxError, "INSERT needs a target")
	}
	var tn *ast.TableName
	switch x := ins.Table.TableRefs.Left.(type) {
	case *ast.TableSource:
		tn, _ = x.Source.(*ast.TableName)
	case *ast.TableName:
		tn = x
	}
	if tn == nil {
		return sql.ObjectName{}, sqlstate.New(sqlstate.SyntaxError, "INSERT needs a table name")
	}
	if ins.OnDuplicate != nil || ins.IsReplace {
		return sql.ObjectName{}, sqlstate.New(sqlstate.FeatureNotSupported, "INSERT … ON CONFLICT is not supported: sources are append-only")
	}
	return sql.ObjectName{Schema: tn.Schema.O, Name: tn.Name.O}, nil
}

func (s *Session) prepareInsert(ctx context.Context, p *stmt, x *sql.Insert, paramOIDs []uint32) (wire.Statement, error) {
	ins := x.Node.(*ast.InsertStmt)
	name, err := insertTable(ins)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, c := range ins.Columns {
		cols = append(cols, c.Name.O)
	}
	src, _, idx, err := s.insertTarget(name, cols)
	if err != nil {
		return nil, err
	}
	full := batch.SourceSchema(src)
	targets := make(exec.Schema, len(idx))
	for i, c := range idx {
		targets[i] = full[c]
	}
	bind := func(ctx context.Context, params []*types.T, ec *exec.Ctx) (planner.Node, []*types.T, error) {
		b := &planner.Binder{Cat: s.srv.relations(s), Ctx: ctx, Exec: ec, Params: append([]*types.T{}, params...), Pos: x.PositionAt,
			Compile: func(ctx context.Context, n planner.Node) (exec.Operator, error) {
				opt, _ := planner.Optimize(n)
				return (&planner.Compiler{Read: s.readMode()}).Compile(ctx, opt)
			}}
		node, err := b.BindInsertRows(ins, targets)
		if err != nil {
			return nil, nil, err
		}
		opt, _ := planner.Optimize(node)
		return opt, b.Params, nil
	}
	_, params, err := bind(ctx, paramTypesOf(paramOIDs), s.execCtx(ctx, nil))
	if err != nil {
		return nil, err
	}
	p.params = finalParamTypes(params)
	p.run = func(ctx context.Context, args []any, _ func(wire.Notice)) (wire.Result, error) {
		if s.txRO {
			return nil, sqlstate.New(sqlstate.ReadOnlySQLTransaction, "cannot execute INSERT in a read-only transaction")
		}
		src, rt, idx, err := s.insertTarget(name, cols)
		if err != nil {
			return nil, err
		}
		ec := s.execCtx(ctx, args)
		node, _, err := bind(ctx, p.params, ec)
		if err != nil {
			return nil, err
		}
		recs, err := (&planner.Compiler{Read: s.readMode()}).Run(exec.WithExecCtx(ctx, ec), node)
		if err != nil {
			return nil, err
		}
		widened := make([]arrow.Record, 0, len(recs))
		for _, r := range recs {
			w, err := (&exec.WidenStep{Have: idx, Full: batch.SourceSchema(src)}).Apply(ec, r)
			r.Release()
			if err != nil {
				return nil, err
			}
			widened = append(widened, w)
		}
		n, err := s.appendRows(ctx, rt, widened, "INSERT")
		if err != nil {
			return nil, err
		}
		return tagResult(fmt.Sprintf("INSERT 0 %d", n)), nil
	}
	return p, nil
}

// appendRows validates rows of the source's full schema and appends them
// to its log in one atomic write. It releases recs.
func (s *Session) appendRows(ctx context.Context, rt *sourceRT, recs []arrow.Record, verb string) (int64, error) {
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	src := rt.src
	maxFuture := durationOpt(src.Options, "max_future", 0)
	now := time.Now()
	et := src.ColumnIndex(src.EventTime)
	var total int64
	line := int64(0)
	for _, r := range recs {
		if err := validateRows(src, r, et, maxFuture, now, line, verb); err != nil {
			return 0, err
		}
		line += r.NumRows()
		total += r.NumRows()
	}
	if total == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p := rt.embedded.NextPartition()
	if _, err := rt.embedded.AppendMany(p, recs); err != nil {
		return 0, err
	}
	rt.stats.addEvents(total)
	return total, nil
}

// validateRows enforces NOT NULL columns and the event-time guards.
func validateRows(src *catalog.Source, rec arrow.Record, et int, maxFuture time.Duration, now time.Time, firstRow int64, verb string) error {
	for i, c := range src.Columns {
		col := rec.Column(i)
		if !c.NotNull || col.NullN() == 0 {
			continue
		}
		for r := 0; r < col.Len(); r++ {
			if col.IsNull(r) {
				e := sqlstate.New(sqlstate.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", c.Name, src.Name)
				if i == et {
					e.Hint = "Every event needs its event time."
				}
				if verb == "COPY" {
					e.Detail = fmt.Sprintf("COPY %s, line %d", src.Name, firstRow+int64(r)+1)
				} else {
					e.Detail = fmt.Sprintf("Failing row %d of the statement.", firstRow+int64(r)+1)
				}
				return e
			}
		}
	}
	if maxFuture > 0 {
		limit := now.Add(maxFuture).UnixMicro()
		ts := rec.Column(et).(*array.Timestamp).TimestampValues()
		for r, v := range ts {
			if int64(v) > limit {
				return sqlstate.New(sqlstate.DatetimeFieldOverflow, "event time %s is more than %s ahead of the server clock",
					fmtTS(types.TimestampD(v)), maxFuture).
					WithDetail("Row %d; the source's max_future option rejects events stamped too far in the future.", firstRow+int64(r)+1)
			}
		}
	}
	return nil
}

func (s *Session) prepareCopy(ctx context.Context, p *stmt, x *sql.Copy, paramOIDs []uint32) (wire.Statement, error) {
	format := wire.CopyFormat{Kind: string(x.Format), Header: x.Header, Null: x.Null}
	if format.Kind == "" {
		format.Kind = "text"
	}
	if len(x.Delimiter) > 0 {
		format.Delimiter = x.Delimiter[0]
	}
	if len(x.Quote) > 0 {
		format.Quote = x.Quote[0]
	}
	if len(x.Escape) > 0 {
		format.Escape = x.Escape[0]
	}
	if format.Kind == "text" && x.Null == "" && !strings.Contains(strings.ToUpper(x.Text()), "NULL") {
		format.Null = `\N`
	}
	if !x.From {
		return s.prepareCopyTo(ctx, p, x, format, paramOIDs)
	}
	if x.Table == nil {
		return nil, sqlstate.New(sqlstate.SyntaxError, "COPY FROM needs a table")
	}
	name := *x.Table
	if !x.Stdio {
		return s.prepareCopyFile(ctx, p, x, name, format)
	}
	p.run = func(ctx context.Context, _ []any, _ func(wire.Notice)) (wire.Result, error) {
		if s.txRO {
			return nil, sqlstate.New(sqlstate.ReadOnlySQLTransaction, "cannot execute COPY FROM in a read-only transaction")
		}
		src, rt, idx, err := s.insertTarget(name, x.Columns)
		if err != nil {
			return nil, err
		}
		mem := exec.NewMemTracker(s.srv.cfg.QueryMemory)
		parser := newRowParser(format, src.Name, batch.SourceSchema(src), idx, s.loc, mem)
		return &copyIn{sess: s, rt: rt, parser: parser, format: format, ncols: len(idx)}, nil
	}
	return p, nil
}

// prepareCopyFile handles COPY source FROM 'file': Parquet files (a glob)
// are backfilled into the master dataset; text and CSV files are read like
// COPY FROM STDIN.
func (s *Session) prepareCopyFile(ctx context.Context, p *stmt, x *sql.Copy, name sql.ObjectName, format wire.CopyFormat) (wire.Statement, error) {
	p.run = func(ctx context.Context, _ []any, notice func(wire.Notice)) (wire.Result, error) {
		src, rt, idx, err := s.insertTarget(name, x.Columns)
		if err != nil {
			return nil, err
		}
		lower := strings.ToLower(x.File)
		if strings.HasSuffix(lower, ".parquet") || strings.Contains(lower, ".parquet") || strings.ContainsAny(x.File, "*?[") && format.Kind != "csv" {
			n, err := s.backfill(ctx, src, x.File, notice)
			if err != nil {
				return nil, err
			}
			return tagResult(fmt.Sprintf("COPY %d", n)), nil
		}
		data, err := os.ReadFile(x.File)
		if err != nil {
			return nil, sqlstate.New(sqlstate.UndefinedFile, "could not open file %q for reading: %v", x.File, errors.Unwrap(err))
		}
		mem := exec.NewMemTracker(s.srv.cfg.QueryMemory)
		parser := newRowParser(format, src.Name, batch.SourceSchema(src), idx, s.loc, mem)
		defer parser.release()
		if err := parser.write(data); err != nil {
			return nil, err
		}
		recs, err := parser.finish()
		if err != nil {
			return nil, err
		}
		parser.out = nil
		n, err := s.appendRows(ctx, rt, recs, "COPY")
		if err != nil {
			return nil, err
		}
		return tagResult(fmt.Sprintf("COPY %d", n)), nil
	}
	return p, nil
}

// backfill imports Parquet history straight into the master dataset.
func (s *Session) backfill(ctx context.Context, src *catalog.Source, glob string, notice func(wire.Notice)) (int64, error) {
	tbl, err := batch.OpenParquetGlob(glob)
	if err != nil {
		return 0, err
	}
	in := tbl.Schema()
	target := batch.SourceSchema(src)
	have := map[string]bool{}
	for _, c := range in {
		have[c.Name] = true
	}
	for i, c := range src.Columns {
		if !have[c.Name] {
			if c.NotNull {
				return 0, sqlstate.New(sqlstate.DatatypeMismatch, "the Parquet files have no column %q, which source %q requires (NOT NULL)", c.Name, src.Name)
			}
			continue
		}
		for _, ic := range in {
			if ic.Name == c.Name && !exec.CanCast(ic.Type, target[i].Type) {
				return 0, sqlstate.New(sqlstate.DatatypeMismatch, "column %q is %s in the Parquet files but %s in source %q", c.Name, ic.Type.Name, target[i].Type.Name, src.Name)
			}
		}
	}
	scan := exec.NewScan(tbl, exec.ScanRequest{Columns: allCols(len(in))})
	scan.SetWorkers(1) // keep file order for progress reports
	defer scan.Close()
	bf := batch.NewBackfill(s.srv.cat, s.srv.cfg.DataDir, src)
	ec := s.execCtx(ctx, nil)
	maxFuture := durationOpt(src.Options, "max_future", 0)
	et := src.ColumnIndex(src.EventTime)
	lastReport := time.Now()
	var row int64
	for {
		rec, err := scan.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bf.Abort()
			return 0, err
		}
		conv, err := batch.ConvertRecord(ec, rec, in, target)
		rec.Release()
		if err != nil {
			bf.Abort()
			return 0, err
		}
		if err := validateRows(src, conv, et, maxFuture, time.Now(), row, "COPY"); err != nil {
			conv.Release()
			bf.Abort()
			return 0, err
		}
		row += conv.NumRows()
		err = bf.Add(conv)
		conv.Release()
		if err != nil {
			bf.Abort()
			return 0, err
		}
		if time.Since(lastReport) > 2*time.Second {
			lastReport = time.Now()
			notice(wire.Notice{Severity: "NOTICE", Code: "00000", Message: fmt.Sprintf("backfill of %s: %d rows imported so far", src.Name, bf.Rows())})
		}
	}
	if err := bf.Commit(); err != nil {
		return 0, err
	}
	notice(wire.Notice{Severity: "NOTICE", Code: "00000", Message: fmt.Sprintf("backfill of %s: %d rows added to the master dataset", src.Name, bf.Rows())})
	return bf.Rows(), nil
}

// copyOut is the Result of COPY … TO STDOUT.
type copyOut struct {
	queryResult
	format wire.CopyFormat
	cols   exec.Schema
}

func (c *copyOut) CopyOut() wire.CopyFormat { return c.format }
func (c *copyOut) CopyColumns() exec.Schema { return c.cols }
func (c *copyOut) Tag() string              { return fmt.Sprintf("COPY %d", c.n) }

func (s *Session) prepareCopyTo(ctx context.Context, p *stmt, x *sql.Copy, format wire.CopyFormat, paramOIDs []uint32) (wire.Statement, error) {
	if !x.Stdio {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "COPY TO a server file is not supported; use COPY … TO STDOUT")
	}
	q := x.Query
	if q == nil {
		cols := "*"
		if len(x.Columns) > 0 {
			quoted := make([]string, len(x.Columns))
			for i, c := range x.Columns {
				quoted[i] = sqlIdent(c)
			}
			cols = strings.Join(quoted, ", ")
		}
		stmts, err := sql.Parse("SELECT " + cols + " FROM " + sqlIdent(x.Table.Name))
		if err != nil {
			return nil, err
		}
		q = stmts[0].(*sql.Query)
	}
	given := paramTypesOf(paramOIDs)
	node, params, err := s.planQuery(ctx, q, given, s.execCtx(ctx, nil))
	if err != nil {
		return nil, err
	}
	p.params = finalParamTypes(params)
	cols := visibleSchema(node.Schema())
	p.run = func(ctx context.Context, args []any, _ func(wire.Notice)) (wire.Result, error) {
		ec := s.execCtx(ctx, args)
		node, _, err := s.planQuery(ctx, q, p.params, ec)
		if err != nil {
			return nil, err
		}
		op, err := (&planner.Compiler{Read: s.readMode()}).Compile(exec.WithExecCtx(ctx, ec), node)
		if err != nil {
			return nil, err
		}
		return &copyOut{queryResult: queryResult{op: op, ec: ec, verb: "COPY"}, format: format, cols: cols}, nil
	}
	return p, nil
}

func sqlIdent(s string) string {
	simple := s != ""
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			simple = false
		}
	}
	if simple {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
