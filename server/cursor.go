package server

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// cursor is a server-side cursor (DECLARE … CURSOR). It reads forward
// from its operator tree; rows already fetched are kept so that FETCH
// ABSOLUTE/BACKWARD on a SCROLL cursor works within what was read.
type cursor struct {
	name   string
	hold   bool
	scroll bool
	op     exec.Operator
	ec     *exec.Ctx
	schema exec.Schema
	// buffered rows not yet returned, and all returned rows for SCROLL
	pending arrow.Record
	pendOff int64
	pos     int64 // rows returned so far (the cursor's position)
	done    bool
	seen    [][]any // SCROLL: every row read so far
	// ctx lives as long as the cursor: the operator tree (and its scan
	// workers) outlives each FETCH.
	ctx    context.Context
	cancel context.CancelFunc
}

func (c *cursor) close() {
	if c.cancel != nil {
		c.cancel()
	}
	if c.pending != nil {
		c.pending.Release()
		c.pending = nil
	}
	if c.op != nil {
		c.op.Close()
		c.op = nil
	}
}

// next returns up to n rows (n < 0: all) as records.
func (c *cursor) next(ctx context.Context, n int64) ([]arrow.Record, int64, error) {
	var out []arrow.Record
	var got int64
	fetch := ctx
	ctx = exec.WithExecCtx(c.ctx, c.ec)
	for (n < 0 || got < n) && !c.done {
		if err := fetch.Err(); err != nil {
			for _, r := range out {
				r.Release()
			}
			return nil, 0, err
		}
		if c.pending == nil {
			rec, err := c.op.Next(ctx)
			if err == io.EOF {
				c.done = true
				break
			}
			if err != nil {
				for _, r := range out {
					r.Release()
				}
				return nil, 0, err
			}
			c.pending, c.pendOff = rec, 0
		}
		avail := c.pending.NumRows() - c.pendOff
		take := avail
		if n >= 0 && n-got < take {
			take = n - got
		}
		slice := c.pending.NewSlice(c.pendOff, c.pendOff+take)
		if c.scroll {
			c.seen = append(c.seen, exec.Rows(slice, c.schema)...)
		}
		out = append(out, slice)
		got += take
		c.pendOff += take
		if c.pendOff >= c.pending.NumRows() {
			c.pending.Release()
			c.pending = nil
		}
	}
	c.pos += got
	return out, got, nil
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
			c := &cursor{name: x.Name, hold: x.Hold, scroll: x.Scroll, op: op, ec: ec, schema: visibleSchema(node.Schema()), ctx: cctx, cancel: cancel}
			if x.Hold {
				// WITH HOLD: materialize now so the cursor outlives the
				// transaction independent of later catalog changes.
				recs, _, err := c.next(ctx, -1)
				if err != nil {
					c.close()
					return nil, err
				}
				op.Close()
				c.op = exec.NewRecords("held cursor", c.schema, recs...)
				c.done = false
				c.pos = 0
				c.seen = nil
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
			verb := "FETCH"
			if x.Move {
				verb = "MOVE"
			}
			switch x.Direction {
			case sql.FetchForward:
				n := x.Count
				if x.All {
					n = -1
				}
				recs, got, err := c.next(ctx, n)
				if err != nil {
					return nil, err
				}
				if x.Move {
					for _, r := range recs {
						r.Release()
					}
					return tagResult(fmt.Sprintf("MOVE %d", got)), nil
				}
				return &rowsResult{recs: recs, tag: fmt.Sprintf("FETCH %d", got)}, nil
			case sql.FetchAbsolute, sql.FetchRelative, sql.FetchBackward:
				if !c.scroll {
					return nil, sqlstate.New("55000", "cursor can only scan forward").WithHint("Declare it with SCROLL option to enable backward scan.")
				}
				target := x.Count
				switch x.Direction {
				case sql.FetchRelative:
					target = c.pos + x.Count
				case sql.FetchBackward:
					target = c.pos - x.Count
					if x.All {
						target = 0
					}
				}
				if target > int64(len(c.seen)) {
					if _, _, err := c.next(ctx, target-int64(len(c.seen))); err != nil {
						return nil, err
					}
				}
				if target < 1 || target > int64(len(c.seen)) {
					c.pos = max(0, min(target, int64(len(c.seen))))
					return &rowsResult{tag: verb + " 0"}, nil
				}
				c.pos = target
				row := c.seen[target-1]
				if x.Move {
					return tagResult(verb + " 1"), nil
				}
				return &rowsResult{recs: []arrow.Record{exec.RecordOf(c.schema, [][]any{row})}, tag: verb + " 1"}, nil
			}
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "FETCH direction is not supported")
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
