package server

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// cursor is a server-side cursor (DECLARE … CURSOR). It reads forward
// from its operator tree. Its position follows PostgreSQL's portals
// (pquery.c): pos counts the rows up to and including the current one, and
// atStart/atEnd mark the positions before the first and after the last
// row. A SCROLL cursor keeps every row read so far (store), so that moving
// backward or to an absolute position serves those rows again, and moving
// forward past them continues with the operator.
type cursor struct {
	name   string
	hold   bool
	scroll bool
	op     exec.Operator
	ec     *exec.Ctx
	schema exec.Schema
	// the operator's record being consumed
	pending arrow.Record
	pendOff int64
	done    bool  // the operator returned io.EOF
	read    int64 // rows taken from the operator
	// SCROLL: every row read so far; ends[i] is the number of rows in
	// store[:i+1].
	store []arrow.Record
	ends  []int64
	// the position, as PostgreSQL's portalPos, atStart and atEnd
	pos     int64
	atStart bool
	atEnd   bool
	// ctx lives as long as the cursor: the operator tree (and its scan
	// workers) outlives each FETCH.
	ctx    context.Context
	cancel context.CancelFunc
}

// fetchAll is a count of FETCH ALL (PostgreSQL's FETCH_ALL).
const fetchAll = -1

func (c *cursor) close() {
	if c.cancel != nil {
		c.cancel()
	}
	if c.pending != nil {
		c.pending.Release()
		c.pending = nil
	}
	for _, r := range c.store {
		r.Release()
	}
	c.store, c.ends = nil, nil
	if c.op != nil {
		c.op.Close()
		c.op = nil
	}
}

func releaseAll(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

// pull reads up to n rows (fetchAll: all) from the operator. A SCROLL
// cursor keeps them in its store. The records are returned when emit is
// set, else released.
func (c *cursor) pull(ctx context.Context, n int64, emit bool) ([]arrow.Record, int64, error) {
	var out []arrow.Record
	var got int64
	fetch := ctx
	ctx = exec.WithExecCtx(c.ctx, c.ec)
	for (n == fetchAll || got < n) && !c.done {
		if err := fetch.Err(); err != nil {
			releaseAll(out)
			return nil, 0, err
		}
		if c.pending == nil {
			rec, err := c.op.Next(ctx)
			if err == io.EOF {
				c.done = true
				break
			}
			if err != nil {
				releaseAll(out)
				return nil, 0, err
			}
			if rec.NumRows() == 0 {
				rec.Release()
				continue
			}
			c.pending, c.pendOff = rec, 0
		}
		take := c.pending.NumRows() - c.pendOff
		if n != fetchAll && n-got < take {
			take = n - got
		}
		slice := c.pending.NewSlice(c.pendOff, c.pendOff+take)
		if c.scroll {
			slice.Retain()
			c.store = append(c.store, slice)
			c.ends = append(c.ends, c.read+take)
		}
		if emit {
			out = append(out, slice)
		} else {
			slice.Release()
		}
		got += take
		c.read += take
		c.pendOff += take
		if c.pendOff >= c.pending.NumRows() {
			c.pending.Release()
			c.pending = nil
		}
	}
	return out, got, nil
}

// stored returns slices of the stored rows [from, to) (0-based).
func (c *cursor) stored(from, to int64) []arrow.Record {
	var out []arrow.Record
	i, _ := slices.BinarySearch(c.ends, from+1)
	for ; i < len(c.store) && from < to; i++ {
		start := int64(0)
		if i > 0 {
			start = c.ends[i-1]
		}
		end := min(c.ends[i], to)
		out = append(out, c.store[i].NewSlice(from-start, end-start))
		from = end
	}
	return out
}

// forward moves count rows forward (fetchAll: to the end) and returns
// them when emit is set: PortalRunSelect forward.
func (c *cursor) forward(ctx context.Context, count int64, emit bool) ([]arrow.Record, int64, error) {
	if c.atEnd || count == 0 {
		return nil, 0, nil
	}
	var out []arrow.Record
	var got int64
	if c.scroll && c.pos < c.read { // rows read before
		got = c.read - c.pos
		if count != fetchAll && count < got {
			got = count
		}
		if emit {
			out = c.stored(c.pos, c.pos+got)
		}
	}
	if count == fetchAll || got < count {
		more := int64(fetchAll)
		if count != fetchAll {
			more = count - got
		}
		recs, n, err := c.pull(ctx, more, emit)
		if err != nil {
			releaseAll(out)
			return nil, 0, err
		}
		out = append(out, recs...)
		got += n
	}
	if got > 0 {
		c.atStart = false
	}
	if count == fetchAll || got < count {
		c.atEnd = true
	}
	c.pos += got
	return out, got, nil
}

// errNoScroll is PostgreSQL's error for moving a NO SCROLL cursor back.
func errNoScroll() error {
	return sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "cursor can only scan forward").WithHint("Declare it with SCROLL option to enable backward scan.")
}

// backward moves count rows backward (fetchAll: to the start) and returns
// them, last first, when emit is set: PortalRunSelect backward.
func (c *cursor) backward(count int64, emit bool) ([]arrow.Record, int64, error) {
	if !c.scroll {
		return nil, 0, errNoScroll()
	}
	if c.atStart || count == 0 {
		return nil, 0, nil
	}
	p := c.pos // the row after the ones returned
	if c.atEnd {
		p++
	}
	n := p - 1
	if count != fetchAll && count < n {
		n = count
	}
	var out []arrow.Record
	if emit && n > 0 {
		var rows [][]any
		for _, r := range c.stored(p-1-n, p-1) {
			rows = append(rows, exec.Rows(r, c.schema)...)
			r.Release()
		}
		slices.Reverse(rows)
		out = []arrow.Record{exec.RecordOf(c.schema, rows)}
	}
	if n > 0 && c.atEnd {
		c.atEnd = false
		c.pos++
	}
	if count == fetchAll || n < count {
		c.atStart, c.pos = true, 0
	} else {
		c.pos -= n
	}
	return out, n, nil
}

// rewind moves before the first row: DoPortalRewind.
func (c *cursor) rewind() error {
	if c.atStart && !c.atEnd {
		return nil
	}
	if !c.scroll {
		return errNoScroll()
	}
	c.atStart, c.atEnd, c.pos = true, false, 0
	return nil
}

// fetch runs FETCH (emit) or MOVE as PortalRunFetch does; the count is the
// command tag's.
func (c *cursor) fetch(ctx context.Context, x *sql.Fetch) ([]arrow.Record, int64, error) {
	emit := !x.Move
	count := x.Count
	forward := true
	switch x.Direction {
	case sql.FetchForward, sql.FetchBackward:
		forward = x.Direction == sql.FetchForward
		if x.All {
			count = fetchAll
		}
	case sql.FetchAbsolute:
		switch {
		case count > 0:
			// Rewind and advance count-1 rows, or get there from the
			// current position when that is nearer.
			if count-1 < c.pos/2 {
				if err := c.rewind(); err != nil {
					return nil, 0, err
				}
				if count > 1 {
					if _, _, err := c.forward(ctx, count-1, false); err != nil {
						return nil, 0, err
					}
				}
			} else {
				pos := c.pos
				if c.atEnd {
					pos++ // one extra row back when off the end
				}
				var err error
				if count <= pos {
					_, _, err = c.backward(pos-count+1, false)
				} else if count > pos+1 {
					_, _, err = c.forward(ctx, count-pos-1, false)
				}
				if err != nil {
					return nil, 0, err
				}
			}
			return c.forward(ctx, 1, emit)
		case count < 0:
			// Advance to the end, back up -count-1 rows, return the prior row.
			if _, _, err := c.forward(ctx, fetchAll, false); err != nil {
				return nil, 0, err
			}
			if count < -1 {
				if _, _, err := c.backward(-count-1, false); err != nil {
					return nil, 0, err
				}
			}
			return c.backward(1, emit)
		default:
			return nil, 0, c.rewind()
		}
	case sql.FetchRelative:
		switch {
		case count > 0:
			if count > 1 {
				if _, _, err := c.forward(ctx, count-1, false); err != nil {
					return nil, 0, err
				}
			}
			return c.forward(ctx, 1, emit)
		case count < 0:
			if count < -1 {
				if _, _, err := c.backward(-count-1, false); err != nil {
					return nil, 0, err
				}
			}
			return c.backward(1, emit)
		}
		// RELATIVE 0 is FORWARD 0
	default:
		return nil, 0, sqlstate.New(sqlstate.FeatureNotSupported, "FETCH direction is not supported")
	}
	if count == 0 {
		// FETCH 0 fetches the current row again; MOVE 0 counts it.
		onRow := !c.atStart && !c.atEnd
		if !emit || !onRow {
			if onRow {
				return nil, 1, nil
			}
			return nil, 0, nil
		}
		if _, _, err := c.backward(1, false); err != nil {
			return nil, 0, err
		}
		return c.forward(ctx, 1, emit)
	}
	if !forward && count == fetchAll && !emit {
		// MOVE BACKWARD ALL is a rewind.
		n := c.pos
		if n > 0 && !c.atEnd {
			n--
		}
		if err := c.rewind(); err != nil {
			return nil, 0, err
		}
		return nil, n, nil
	}
	if forward {
		return c.forward(ctx, count, emit)
	}
	return c.backward(count, emit)
}

func (s *Session) prepareCursor(ctx context.Context, p *stmt, st sql.Stmt, paramOIDs []uint32) (wire.Statement, error) {
	switch x := st.(type) {
	case *sql.DeclareCursor:
		given := paramTypesOf(paramOIDs)
		ec := s.execCtx(ctx, nil)
		_, params, err := s.planQuery(ctx, x.Query, given, ec)
		if err != nil {
			return nil, err
		}
		p.params = finalParamTypes(params)
		p.run = func(ctx context.Context, args []any, _ func(wire.Notice)) (wire.Result, error) {
			if s.tx == txIdle && !x.Hold {
				return nil, sqlstate.New("25P01", "DECLARE CURSOR can only be used in transaction blocks")
			}
			if _, dup := s.cursors[x.Name]; dup {
				return nil, sqlstate.New(sqlstate.DuplicateCursor, "cursor %q already exists", x.Name)
			}
			cctx, cancel := context.WithCancel(context.Background())
			ec := s.execCtx(cctx, args)
			node, _, err := s.planQuery(ctx, x.Query, p.params, ec)
			if err != nil {
				cancel()
				return nil, err
			}
			comp := &planner.Compiler{Read: s.readMode()}
			op, err := comp.Compile(exec.WithExecCtx(cctx, ec), node)
			if err != nil {
				cancel()
				return nil, err
			}
			c := &cursor{name: x.Name, hold: x.Hold, scroll: x.Scroll, op: op, ec: ec, schema: visibleSchema(node.Schema()), ctx: cctx, cancel: cancel, atStart: true}
			if x.Hold {
				// WITH HOLD: materialize now so the cursor outlives the
				// transaction independent of later catalog changes.
				recs, _, err := c.pull(ctx, fetchAll, true)
				if err != nil {
					c.close()
					return nil, err
				}
				op.Close()
				for _, r := range c.store {
					r.Release()
				}
				c.op = exec.NewRecords("held cursor", c.schema, recs...)
				c.done, c.read, c.store, c.ends = false, 0, nil, nil
			}
			s.cursors[x.Name] = c
			return tagResult("DECLARE CURSOR"), nil
		}
		return p, nil
	case *sql.Fetch:
		c, ok := s.cursors[x.Cursor]
		if !ok {
			return nil, sqlstate.New(sqlstate.InvalidCursorName, "cursor %q does not exist", x.Cursor)
		}
		if !x.Move {
			p.cols = c.schema
		}
		p.run = func(ctx context.Context, _ []any, _ func(wire.Notice)) (wire.Result, error) {
			c, ok := s.cursors[x.Cursor]
			if !ok {
				return nil, sqlstate.New(sqlstate.InvalidCursorName, "cursor %q does not exist", x.Cursor)
			}
			recs, n, err := c.fetch(ctx, x)
			if err != nil {
				return nil, err
			}
			if x.Move {
				releaseAll(recs)
				return tagResult(fmt.Sprintf("MOVE %d", n)), nil
			}
			return &rowsResult{recs: recs, tag: fmt.Sprintf("FETCH %d", n)}, nil
		}
		return p, nil
	case *sql.CloseCursor:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			if x.All {
				for n, c := range s.cursors {
					c.close()
					delete(s.cursors, n)
				}
				return tagResult("CLOSE CURSOR ALL"), nil
			}
			c, ok := s.cursors[x.Name]
			if !ok {
				return nil, sqlstate.New(sqlstate.InvalidCursorName, "cursor %q does not exist", x.Name)
			}
			c.close()
			delete(s.cursors, x.Name)
			return tagResult("CLOSE CURSOR"), nil
		}
		return p, nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cursor statement is not supported")
}

// sqlPrepared is a statement from SQL-level PREPARE.
type sqlPrepared struct {
	name   string
	stmt   wire.Statement
	params []*types.T
	text   string
}

func (s *Session) prepareSQLPrepared(ctx context.Context, p *stmt, st sql.Stmt) (wire.Statement, error) {
	switch x := st.(type) {
	case *sql.Prepare:
		p.run = func(ctx context.Context, _ []any, _ func(wire.Notice)) (wire.Result, error) {
			if _, dup := s.prepared[x.Name]; dup {
				return nil, sqlstate.New(sqlstate.DuplicatePreparedStatement, "prepared statement %q already exists", x.Name)
			}
			oids := make([]uint32, len(x.ParamTypes))
			for i, t := range x.ParamTypes {
				oids[i] = t.OID
			}
			ps, err := s.prepareStmt(ctx, x.Stmt, oids, false)
			if err != nil {
				return nil, err
			}
			s.prepared[x.Name] = &sqlPrepared{name: x.Name, stmt: ps, params: ps.ParamTypes(), text: x.Text()}
			return tagResult("PREPARE"), nil
		}
		return p, nil
	case *sql.Execute:
		sp, ok := s.prepared[x.Name]
		if !ok {
			return nil, sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement %q does not exist", x.Name)
		}
		p.cols = sp.stmt.Columns()
		p.run = func(ctx context.Context, _ []any, notice func(wire.Notice)) (wire.Result, error) {
			sp, ok := s.prepared[x.Name]
			if !ok {
				return nil, sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement %q does not exist", x.Name)
			}
			var args []any
			if x.Args != nil {
				vals, err := s.evalArgs(ctx, x.Args, sp.params)
				if err != nil {
					return nil, err
				}
				args = vals
			}
			if len(args) != len(sp.params) {
				return nil, sqlstate.New(sqlstate.SyntaxError, "wrong number of parameters for prepared statement %q", x.Name).
					WithDetail("Expected %d parameters but got %d.", len(sp.params), len(args))
			}
			return sp.stmt.Execute(ctx, args, notice)
		}
		return p, nil
	case *sql.Deallocate:
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			if x.All {
				s.prepared = map[string]*sqlPrepared{}
				return tagResult("DEALLOCATE ALL"), nil
			}
			if _, ok := s.prepared[x.Name]; !ok {
				return nil, sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement %q does not exist", x.Name)
			}
			delete(s.prepared, x.Name)
			return tagResult("DEALLOCATE"), nil
		}
		return p, nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement is not supported")
}

// evalArgs evaluates the argument expressions of EXECUTE (a SELECT list)
// and converts them to the parameter types.
func (s *Session) evalArgs(ctx context.Context, q *sql.Query, want []*types.T) ([]any, error) {
	ec := s.execCtx(ctx, nil)
	node, _, err := s.planQuery(ctx, q, nil, ec)
	if err != nil {
		return nil, err
	}
	cols := node.Schema()
	comp := &planner.Compiler{}
	recs, err := comp.Run(exec.WithExecCtx(ctx, ec), node)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if len(recs) == 0 {
		return nil, nil
	}
	row := exec.Rows(recs[0], cols)[0]
	out := make([]any, len(row))
	for i, v := range row {
		if i < len(want) && want[i] != nil && !types.Equal(cols[i].Type, want[i]) {
			cv, err := exec.CastDatum(ec, v, cols[i].Type, want[i])
			if err != nil {
				return nil, err
			}
			v = cv
		}
		out[i] = v
	}
	return out, nil
}

// CursorPortal implements wire.CursorPortals: as in PostgreSQL, a cursor
// made by DECLARE is a protocol portal of the same name (Describe,
// Execute and Close of the portal reach it).
func (s *Session) CursorPortal(name string) wire.CursorPortal {
	if _, ok := s.cursors[name]; !ok {
		return nil
	}
	return &cursorPortal{s: s, name: name}
}

type cursorPortal struct {
	s    *Session
	name string
}

func (p *cursorPortal) cursor() (*cursor, error) {
	c, ok := p.s.cursors[p.name]
	if !ok {
		return nil, sqlstate.New(sqlstate.InvalidCursorName, "portal %q does not exist", p.name)
	}
	return c, nil
}

func (p *cursorPortal) Columns() exec.Schema {
	if c, err := p.cursor(); err == nil {
		return c.schema
	}
	return nil
}

// Fetch is Execute of the portal: FETCH FORWARD max (0: ALL).
func (p *cursorPortal) Fetch(ctx context.Context, max int64) (wire.Result, bool, error) {
	if p.s.tx == txFailed {
		return nil, false, sqlstate.New(sqlstate.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	c, err := p.cursor()
	if err != nil {
		return nil, false, err
	}
	n := max
	if n <= 0 {
		n = fetchAll
	}
	recs, got, err := c.forward(ctx, n, true)
	if err != nil {
		return nil, false, err
	}
	return &rowsResult{recs: recs, tag: fmt.Sprintf("SELECT %d", got)}, c.atEnd, nil
}

func (p *cursorPortal) Close() {
	if c, err := p.cursor(); err == nil {
		c.close()
		delete(p.s.cursors, p.name)
	}
}
