package wire

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jackc/pgproto3/v2"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// prepared is a statement created by Parse. Its Statement is closed once
// the client closed (or replaced) it and no portal uses it any more.
type prepared struct {
	name   string
	stmt   Statement // nil for an empty query
	params []*types.T
	cols   exec.Schema
	refs   int // portals bound to it
	closed bool
}

// portal is a bound statement (Bind). Its result is created by the first
// Execute and may be continued by later ones (row limits).
type portal struct {
	name    string
	ps      *prepared
	params  []any
	formats []int16 // per column; nil when the statement returns no rows
	ctx     context.Context
	cancel  context.CancelCauseFunc
	rows    *rowStream // nil before the first Execute
	done    bool
	tag     string
}

// parse handles Parse.
func (c *conn) parse(m *pgproto3.Parse) {
	if m.Name != "" {
		if _, ok := c.stmts[m.Name]; ok {
			c.extError(nil, sqlstate.New(sqlstate.DuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name))
			return
		}
	}
	if !utf8.ValidString(m.Query) {
		c.extError(nil, invalidUTF8([]byte(m.Query)))
		return
	}
	stmts, err := c.prepare(m.Query, m.ParameterOIDs)
	if err != nil {
		c.skipping = true
		return
	}
	if len(stmts) > 1 {
		for _, st := range stmts {
			c.closeStmt(st)
		}
		c.extError(nil, sqlstate.New(sqlstate.SyntaxError, "cannot insert multiple commands into a prepared statement"))
		return
	}
	ps := &prepared{name: m.Name}
	if len(stmts) == 1 {
		ps.stmt = stmts[0]
		err := c.safely(func() error {
			ps.params = ps.stmt.ParamTypes()
			ps.cols = ps.stmt.Columns()
			return nil
		})
		if err != nil {
			c.closeStmt(ps.stmt)
			c.extError(nil, err)
			return
		}
	}
	if old, ok := c.stmts[m.Name]; ok { // the unnamed statement is replaced
		c.releaseStmt(old)
	}
	c.stmts[m.Name] = ps
	c.send(&pgproto3.ParseComplete{})
}

// releaseStmt closes ps once no portal uses it.
func (c *conn) releaseStmt(ps *prepared) {
	ps.closed = true
	if ps.refs == 0 && ps.stmt != nil {
		c.closeStmt(ps.stmt)
		ps.stmt = nil
	}
}

// dropUnnamed drops the unnamed statement and portal, as PostgreSQL does
// when a simple Query arrives.
func (c *conn) dropUnnamed() {
	if p, ok := c.portals[""]; ok {
		c.closePortal(p)
	}
	if ps, ok := c.stmts[""]; ok {
		delete(c.stmts, "")
		c.releaseStmt(ps)
	}
}

// bind handles Bind.
func (c *conn) bind(m *pgproto3.Bind) {
	ps, ok := c.stmts[m.PreparedStatement]
	if !ok {
		c.extError(nil, sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.PreparedStatement))
		return
	}
	if m.DestinationPortal != "" {
		_, ok := c.portals[m.DestinationPortal]
		if ok || c.cursorPortal(m.DestinationPortal) != nil {
			c.extError(nil, sqlstate.New(codeDuplicateCursor, "portal \"%s\" already exists", m.DestinationPortal))
			return
		}
	}
	if len(m.Parameters) != len(ps.params) {
		c.extError(nil, protocolError("bind message supplies %d parameters, but prepared statement \"%s\" requires %d",
			len(m.Parameters), m.PreparedStatement, len(ps.params)))
		return
	}
	nf := len(m.ParameterFormatCodes)
	if nf > 1 && nf != len(m.Parameters) {
		c.extError(nil, protocolError("bind message has %d parameter formats but %d parameters", nf, len(m.Parameters)))
		return
	}
	var params []any
	if len(m.Parameters) > 0 {
		loc := c.location()
		params = make([]any, len(m.Parameters))
		for i, raw := range m.Parameters {
			f := int16(0)
			switch nf {
			case 1:
				f = m.ParameterFormatCodes[0]
			case len(m.Parameters):
				f = m.ParameterFormatCodes[i]
			}
			v, err := decodeParam(ps.params[i], f, raw, loc, i+1)
			if err != nil {
				c.extError(nil, err)
				return
			}
			params[i] = v
		}
	}
	formats, err := resultFormats(m.ResultFormatCodes, ps.cols)
	if err != nil {
		c.extError(nil, err)
		return
	}
	if p, ok := c.portals[m.DestinationPortal]; ok { // the unnamed portal is replaced
		c.closePortal(p)
	}
	ps.refs++
	c.portals[m.DestinationPortal] = &portal{name: m.DestinationPortal, ps: ps, params: params, formats: formats}
	c.send(&pgproto3.BindComplete{})
}

// resultFormats resolves Bind's result format codes (none: all text; one:
// for all columns; else one per column) and checks that every binary
// column has a binary form.
func resultFormats(codes []int16, cols exec.Schema) ([]int16, error) {
	if cols == nil {
		return nil, nil
	}
	if len(codes) > 1 && len(codes) != len(cols) {
		return nil, protocolError("bind message has %d result formats but query has %d columns", len(codes), len(cols))
	}
	out := make([]int16, len(cols))
	for i := range out {
		switch len(codes) {
		case 0:
		case 1:
			out[i] = codes[0]
		default:
			out[i] = codes[i]
		}
		switch out[i] {
		case 0:
		case 1:
			if _, err := newEncoder(cols[i].Type, 1, nil); err != nil {
				return nil, err
			}
		default:
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "unsupported format code: %d", out[i])
		}
	}
	return out, nil
}

// describe handles Describe of a statement or a portal.
func (c *conn) describe(m *pgproto3.Describe) {
	switch m.ObjectType {
	case 'S':
		ps, ok := c.stmts[m.Name]
		if !ok {
			c.extError(nil, sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.Name))
			return
		}
		oids := make([]uint32, len(ps.params))
		for i, t := range ps.params {
			if t != nil {
				oids[i] = t.OID
			}
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		if ps.cols == nil {
			c.send(&pgproto3.NoData{})
		} else {
			c.send(rowDescription(ps.cols, nil))
		}
	case 'P':
		p, ok := c.portals[m.Name]
		if !ok {
			if cp := c.cursorPortal(m.Name); cp != nil {
				var cols exec.Schema
				if err := c.safely(func() error { cols = cp.Columns(); return nil }); err != nil {
					c.extError(nil, err)
					return
				}
				if cols == nil {
					c.send(&pgproto3.NoData{})
				} else {
					c.send(rowDescription(cols, nil))
				}
				return
			}
			c.extError(nil, sqlstate.New(sqlstate.InvalidCursorName, "portal \"%s\" does not exist", m.Name))
			return
		}
		if p.ps.cols == nil {
			c.send(&pgproto3.NoData{})
		} else {
			c.send(rowDescription(p.ps.cols, p.formats))
		}
	default:
		c.extError(nil, protocolError("invalid DESCRIBE message subtype %d", m.ObjectType))
	}
}

// closeMsg handles Close. Closing what does not exist is not an error.
func (c *conn) closeMsg(m *pgproto3.Close) {
	switch m.ObjectType {
	case 'S':
		if ps, ok := c.stmts[m.Name]; ok {
			delete(c.stmts, m.Name)
			c.releaseStmt(ps)
		}
	case 'P':
		if p, ok := c.portals[m.Name]; ok {
			c.closePortal(p)
		} else if cp := c.cursorPortal(m.Name); cp != nil {
			if err := c.safely(func() error { cp.Close(); return nil }); err != nil {
				c.extError(nil, err)
				return
			}
		}
	default:
		c.extError(nil, protocolError("invalid CLOSE message subtype %d", m.ObjectType))
		return
	}
	c.send(&pgproto3.CloseComplete{})
}

// closePortal ends a portal: its result is closed, its context cancelled
// and its statement released.
func (c *conn) closePortal(p *portal) {
	if c.portals[p.name] == p {
		delete(c.portals, p.name)
	}
	if p.rows != nil {
		p.rows.release()
		c.closeResult(p.rows.res)
		p.rows = nil
	}
	if p.cancel != nil {
		p.cancel(errConnDone)
		p.cancel = nil
	}
	p.ps.refs--
	if p.ps.closed {
		c.releaseStmt(p.ps)
	}
}

// execute handles Execute: the first Execute of a portal runs its
// statement; later ones continue its rows after PortalSuspended.
func (c *conn) execute(m *pgproto3.Execute) {
	p, ok := c.portals[m.Portal]
	if !ok {
		if cp := c.cursorPortal(m.Portal); cp != nil {
			c.executeCursor(cp, m.MaxRows)
			return
		}
		c.extError(nil, sqlstate.New(sqlstate.InvalidCursorName, "portal \"%s\" does not exist", m.Portal))
		return
	}
	st := p.ps.stmt
	if st == nil {
		c.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	if p.done {
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(p.tag)})
		return
	}
	if p.rows == nil {
		p.ctx, p.cancel = c.stmtContext()
		c.setRunning(p.cancel)
		res, err := c.executeStmt(p.ctx, st, p.params)
		if err != nil {
			c.setRunning(nil)
			c.portalError(p, err)
			return
		}
		switch r := res.(type) {
		case CopyInResult:
			tag, err := c.copyIn(p.ctx, r)
			c.finishCopy(p, res, tag, err)
			return
		case CopyOutResult:
			tag, err := c.copyOut(p.ctx, r, p.ps.cols)
			c.finishCopy(p, res, tag, err)
			return
		}
		rs, err := c.newRowStream(res, p.ps.cols, p.formats)
		if err != nil {
			c.setRunning(nil)
			c.closeResult(res)
			c.portalError(p, err)
			return
		}
		p.rows = rs
	} else {
		c.setRunning(p.cancel)
	}
	done, err := c.sendRows(p.ctx, p.rows, int(min(m.MaxRows, 1<<31-1)))
	c.setRunning(nil)
	if err != nil {
		c.portalError(p, err)
		return
	}
	if !done {
		c.send(&pgproto3.PortalSuspended{})
		return
	}
	p.tag = c.resultTag(p.rows.res, p.ps.cols, p.rows.rows)
	p.done = true
	c.closeResult(p.rows.res)
	p.rows = nil
	p.cancel(nil)
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(p.tag)})
	c.reportParams()
}

// finishCopy completes a COPY run by Execute.
func (c *conn) finishCopy(p *portal, res Result, tag string, err error) {
	c.setRunning(nil)
	c.closeResult(res)
	if err != nil {
		c.portalError(p, err)
		return
	}
	p.tag, p.done = tag, true
	p.cancel(nil)
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	c.reportParams()
}

// portalError reports an error of Execute; the portal is dropped (it
// cannot be continued) and messages are discarded until Sync.
func (c *conn) portalError(p *portal, err error) {
	ctx := p.ctx
	c.extError(ctx, err)
	c.closePortal(p)
	if !c.dead {
		c.reportParams()
	}
}

// cursorPortal returns the session's SQL-level cursor named name when the
// Session implements CursorPortals, else nil.
func (c *conn) cursorPortal(name string) CursorPortal {
	cps, ok := c.sess.(CursorPortals)
	if !ok || name == "" {
		return nil
	}
	var cp CursorPortal
	if err := c.safely(func() error { cp = cps.CursorPortal(name); return nil }); err != nil {
		c.srv.log.Error("wire: CursorPortals.CursorPortal", "pid", c.pid, "err", err)
		return nil
	}
	return cp
}

// executeCursor handles Execute of a portal that is an SQL-level cursor:
// up to maxRows rows (0: all) in text format, then CommandComplete
// ("SELECT n", the rows of this Execute) when the cursor ran off its end,
// else PortalSuspended, as PostgreSQL answers.
func (c *conn) executeCursor(cp CursorPortal, maxRows uint32) {
	c.srv.stats.statements.Add(1)
	ctx, cancel := c.stmtContext()
	defer cancel(nil)
	c.setRunning(cancel)
	defer c.setRunning(nil)
	var res Result
	var atEnd bool
	var cols exec.Schema
	err := c.safely(func() error {
		cols = cp.Columns()
		var err error
		res, atEnd, err = cp.Fetch(ctx, int64(maxRows))
		return err
	})
	if err == nil && res == nil {
		err = fmt.Errorf("BUG: CursorPortal.Fetch returned no Result and no error")
	}
	var rs *rowStream
	if err == nil {
		rs, err = c.newRowStream(res, cols, nil)
	}
	if err == nil {
		_, err = c.sendRows(ctx, rs, 0)
		rs.release()
	}
	if res != nil {
		c.closeResult(res)
	}
	if err != nil {
		c.extError(ctx, err)
		if !c.dead {
			c.reportParams()
		}
		return
	}
	if !atEnd {
		c.send(&pgproto3.PortalSuspended{})
		return
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(fmt.Sprintf("SELECT %d", rs.rows))})
	c.reportParams()
}
