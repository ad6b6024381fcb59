package server

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// stmt is a prepared statement of any kind.
type stmt struct {
	sess    *Session
	text    string
	params  []*types.T
	cols    exec.Schema
	run     func(ctx context.Context, params []any, notice func(wire.Notice)) (wire.Result, error)
	txCtl   bool // COMMIT/ROLLBACK: allowed in a failed transaction
	closeFn func()
}

func (p *stmt) ParamTypes() []*types.T { return p.params }
func (p *stmt) Columns() exec.Schema   { return p.cols }
func (p *stmt) SQL() string            { return p.text }
func (p *stmt) Close() {
	if p.closeFn != nil {
		p.closeFn()
	}
}

// Execute implements wire.Statement.
func (p *stmt) Execute(ctx context.Context, params []any, notice func(wire.Notice)) (wire.Result, error) {
	s := p.sess
	if s.tx == txFailed && !p.txCtl {
		return nil, sqlstate.New(sqlstate.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	s.setActivity(p.text, "active")
	res, err := p.run(ctx, params, notice)
	if err != nil {
		s.setActivity(p.text, s.idleState())
		return nil, err
	}
	switch res.(type) {
	case wire.CopyInResult, wire.CopyOutResult:
		// wire type-asserts these: hand them over unwrapped.
		return res, nil
	}
	return &activityResult{Result: res, sess: s}, nil
}

func (s *Session) idleState() string {
	switch s.tx {
	case txOpen:
		return "idle in transaction"
	case txFailed:
		return "idle in transaction (aborted)"
	}
	return "idle"
}

// activityResult marks the session idle when the result closes.
type activityResult struct {
	wire.Result
	sess *Session
}

func (r *activityResult) Close() {
	r.Result.Close()
	r.sess.setActivity(r.sess.query, r.sess.idleState())
}

// rowsResult returns materialized records.
type rowsResult struct {
	recs []arrow.Record
	tag  string
	i    int
}

func (r *rowsResult) Next(context.Context) (arrow.Record, error) {
	if r.i >= len(r.recs) {
		return nil, io.EOF
	}
	rec := r.recs[r.i]
	r.recs[r.i] = nil
	r.i++
	return rec, nil
}
func (r *rowsResult) Tag() string { return r.tag }
func (r *rowsResult) Close() {
	for _, rec := range r.recs {
		if rec != nil {
			rec.Release()
		}
	}
	r.recs = nil
}

func tagResult(tag string) wire.Result { return &rowsResult{tag: tag} }

// textRows builds a one-record result of text columns.
func textRows(cols []string, rows [][]string, tag string) (exec.Schema, *rowsResult) {
	schema := make(exec.Schema, len(cols))
	for i, c := range cols {
		schema[i] = exec.Column{Name: c, Type: types.Text}
	}
	data := make([][]any, len(rows))
	for i, r := range rows {
		data[i] = make([]any, len(r))
		for j, v := range r {
			data[i][j] = v
		}
	}
	return schema, &rowsResult{recs: []arrow.Record{exec.RecordOf(schema, data)}, tag: tag}
}

// queryResult streams an operator tree.
type queryResult struct {
	op     exec.Operator
	ec     *exec.Ctx
	n      int64
	verb   string
	done   bool
	onEnd  func()
	obs    observer
	start  time.Time
	layers []string
	err    error
}

func (r *queryResult) Next(ctx context.Context) (arrow.Record, error) {
	if r.done {
		return nil, io.EOF
	}
	rec, err := r.op.Next(exec.WithExecCtx(ctx, r.ec))
	if err == io.EOF {
		r.done = true
		return nil, io.EOF
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	r.n += rec.NumRows()
	return rec, nil
}

func (r *queryResult) Tag() string { return fmt.Sprintf("%s %d", r.verb, r.n) }

func (r *queryResult) Close() {
	if r.obs != nil {
		r.obs.QueryDone(time.Since(r.start), r.err, r.layers)
		r.obs = nil
	}
	if r.op != nil {
		r.op.Close()
		r.op = nil
	}
	if r.onEnd != nil {
		r.onEnd()
		r.onEnd = nil
	}
}

// prepareStmt prepares one parsed statement.
func (s *Session) prepareStmt(ctx context.Context, st sql.Stmt, paramOIDs []uint32, multi bool) (wire.Statement, error) {
	p := &stmt{sess: s, text: st.Text()}
	switch x := st.(type) {
	case *sql.Query:
		return s.prepareQuery(ctx, p, x, paramOIDs)
	case *sql.Transaction:
		p.txCtl = x.Kind == sql.TxnCommit || x.Kind == sql.TxnRollback || x.Kind == sql.TxnRollbackTo
		p.run = func(ctx context.Context, _ []any, notice func(wire.Notice)) (wire.Result, error) {
			return s.transaction(x, notice)
		}
	case *sql.SetVar:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			if err := s.set(x.Name, x.Values, x.Local, x.Default); err != nil {
				return nil, err
			}
			return tagResult("SET"), nil
		}
	case *sql.ResetVar:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			if err := s.reset(x.Name); err != nil {
				return nil, err
			}
			return tagResult("RESET"), nil
		}
	case *sql.SetTransaction:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			if x.Modes.Isolation != "" {
				key := "transaction_isolation"
				if x.Session {
					key = "default_transaction_isolation"
				}
				if x.Session {
					s.settings[key] = x.Modes.Isolation
				} else if s.tx != txIdle {
					s.local[key] = x.Modes.Isolation
				}
			}
			return tagResult("SET"), nil
		}
	case *sql.ShowVar:
		return s.prepareShow(p, x)
	case *sql.ShowObjects, *sql.ShowCreate:
		return s.prepareShowObjects(p, st)
	case *sql.CreateSource, *sql.CreateView, *sql.Drop, *sql.AlterOptions:
		p.run = func(ctx context.Context, params []any, notice func(wire.Notice)) (wire.Result, error) {
			return s.ddl(ctx, st, notice)
		}
	case *sql.Explain:
		return s.prepareExplain(ctx, p, x, paramOIDs)
	case *sql.Discard:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			if x.What == "all" {
				if s.tx != txIdle {
					return nil, sqlstate.New(sqlstate.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
				}
				s.reset("all")
				for name, c := range s.cursors {
					c.close()
					delete(s.cursors, name)
				}
				s.prepared = map[string]*sqlPrepared{}
			}
			return tagResult("DISCARD " + strings.ToUpper(x.What)), nil
		}
	case *sql.IgnoredUtility:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			return tagResult(x.Name), nil
		}
	case *sql.DeclareCursor, *sql.Fetch, *sql.CloseCursor:
		return s.prepareCursor(ctx, p, st, paramOIDs)
	case *sql.Prepare, *sql.Execute, *sql.Deallocate:
		return s.prepareSQLPrepared(ctx, p, st)
	case *sql.Insert, *sql.Copy, *sql.Refresh:
		return s.prepareData(ctx, p, st, paramOIDs)
	default:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement %T is not supported", st)
	}
	return p, nil
}

// paramTypesOf converts client-specified parameter OIDs to types.
func paramTypesOf(oids []uint32) []*types.T {
	out := make([]*types.T, len(oids))
	for i, o := range oids {
		if o != 0 {
			out[i] = types.ByOID(o)
		}
	}
	return out
}

// finalParamTypes fills parameters whose type nothing determined with
// text, as PostgreSQL does for unknown parameters.
func finalParamTypes(ts []*types.T) []*types.T {
	out := make([]*types.T, len(ts))
	for i, t := range ts {
		if t == nil || t.Family == types.FamUnknown {
			t = types.Text
		}
		out[i] = t
	}
	return out
}

// planQuery binds and optimizes a query.
func (s *Session) planQuery(ctx context.Context, q *sql.Query, params []*types.T, ec *exec.Ctx) (planner.Node, []*types.T, error) {
	rels := s.srv.relations(s)
	comp := &planner.Compiler{Read: s.readMode()}
	b := &planner.Binder{
		Cat:    rels,
		Ctx:    ctx,
		Exec:   ec,
		Params: append([]*types.T{}, params...),
		Pos:    q.PositionAt,
		Compile: func(ctx context.Context, n planner.Node) (exec.Operator, error) {
			opt, _ := planner.Optimize(n)
			return comp.Compile(ctx, opt)
		},
	}
	node, err := b.BindQuery(q.Node)
	if err != nil {
		return nil, nil, err
	}
	opt, _ := planner.Optimize(node)
	return opt, b.Params, nil
}

func (s *Session) prepareQuery(ctx context.Context, p *stmt, q *sql.Query, paramOIDs []uint32) (wire.Statement, error) {
	given := paramTypesOf(paramOIDs)
	ec := s.execCtx(ctx, nil)
	node, params, err := s.planQuery(ctx, q, given, ec)
	if err != nil {
		return nil, err
	}
	p.params = finalParamTypes(params)
	p.cols = visibleSchema(node.Schema())
	p.run = func(ctx context.Context, args []any, notice func(wire.Notice)) (wire.Result, error) {
		ec := s.execCtx(ctx, args)
		node, _, err := s.planQuery(ctx, q, p.params, ec)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		comp := &planner.Compiler{Read: s.readMode()}
		op, err := comp.Compile(exec.WithExecCtx(ctx, ec), node)
		if err != nil {
			s.srv.obs.QueryDone(time.Since(start), err, nil)
			return nil, err
		}
		return &queryResult{op: op, ec: ec, verb: "SELECT", obs: s.srv.obs, start: start, layers: splitLayers(comp.Splits)}, nil
	}
	return p, nil
}

// splitLayers names the layers the lambda view scans of a query read.
func splitLayers(splits []planner.SplitInfo) []string {
	var batch, speed bool
	for _, sp := range splits {
		switch sp.Mode {
		case planner.ReadBatch:
			batch = batch || sp.HasB
		case planner.ReadSpeed:
			speed = true
		default:
			batch = batch || sp.HasB
			speed = true
		}
	}
	var out []string
	if batch {
		out = append(out, "batch")
	}
	if speed {
		out = append(out, "speed")
	}
	return out
}

// visibleSchema is the schema clients see (all columns a query selected;
// hidden columns only appear when named, which the binder handled).
func visibleSchema(s exec.Schema) exec.Schema {
	out := make(exec.Schema, len(s))
	copy(out, s)
	for i := range out {
		out[i].Hidden = false
	}
	return out
}

func (s *Session) transaction(x *sql.Transaction, notice func(wire.Notice)) (wire.Result, error) {
	switch x.Kind {
	case sql.TxnBegin:
		if s.tx != txIdle {
			notice(wire.Notice{Severity: "WARNING", Code: "25001", Message: "there is already a transaction in progress"})
			return tagResult("BEGIN"), nil
		}
		s.tx = txOpen
		if x.Modes.ReadOnly != nil && *x.Modes.ReadOnly {
			s.txRO = true
			s.local["transaction_read_only"] = "on"
		}
		if x.Modes.Isolation != "" {
			s.local["transaction_isolation"] = x.Modes.Isolation
		}
		return tagResult("BEGIN"), nil
	case sql.TxnCommit:
		if s.tx == txIdle {
			notice(wire.Notice{Severity: "WARNING", Code: "25P01", Message: "there is no transaction in progress"})
			return tagResult("COMMIT"), nil
		}
		failed := s.tx == txFailed
		s.endTx()
		if failed {
			return tagResult("ROLLBACK"), nil
		}
		return tagResult("COMMIT"), nil
	case sql.TxnRollback:
		if s.tx == txIdle {
			notice(wire.Notice{Severity: "WARNING", Code: "25P01", Message: "there is no transaction in progress"})
		}
		s.endTx()
		return tagResult("ROLLBACK"), nil
	case sql.TxnSavepoint:
		if s.tx == txIdle {
			return nil, sqlstate.New(sqlstate.NoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		return tagResult("SAVEPOINT"), nil
	case sql.TxnRelease:
		if s.tx == txIdle {
			return nil, sqlstate.New(sqlstate.NoActiveSQLTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
		}
		return tagResult("RELEASE"), nil
	case sql.TxnRollbackTo:
		if s.tx == txIdle {
			return nil, sqlstate.New(sqlstate.NoActiveSQLTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
		}
		// lambdasql's reads have no effects to undo: the block just leaves
		// the failed state.
		s.tx = txOpen
		return tagResult("ROLLBACK"), nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "transaction statement is not supported")
}

func (s *Session) prepareShow(p *stmt, x *sql.ShowVar) (wire.Statement, error) {
	name := x.Name
	if name == "all" {
		p.cols = exec.Schema{{Name: "name", Type: types.Text}, {Name: "setting", Type: types.Text}, {Name: "description", Type: types.Text}}
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			var rows [][]string
			for _, n := range settingNames() {
				v, _ := s.Setting(n)
				st, _ := lookupSetting(n)
				rows = append(rows, []string{n, v, st.desc})
			}
			_, res := textRows([]string{"name", "setting", "description"}, rows, "SHOW")
			return res, nil
		}
		return p, nil
	}
	st, known := lookupSetting(name)
	colName := strings.ToLower(name)
	if known {
		colName = strings.ToLower(st.name)
		if colName == "timezone" {
			colName = "TimeZone"
		}
		if colName == "datestyle" {
			colName = "DateStyle"
		}
		if colName == "intervalstyle" {
			colName = "IntervalStyle"
		}
	}
	if !known {
		if _, ok := s.Setting(name); !ok {
			return nil, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
	}
	p.cols = exec.Schema{{Name: colName, Type: types.Text}}
	p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
		v, ok := s.Setting(name)
		if !ok {
			return nil, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		_, res := textRows([]string{colName}, [][]string{{v}}, "SHOW")
		return res, nil
	}
	return p, nil
}

func itoa(n int) string { return fmt.Sprint(n) }

func humanSize(n int64) string {
	switch {
	case n == 0:
		return "0"
	case n%(1<<30) == 0:
		return fmt.Sprintf("%dGB", n>>30)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dkB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
