package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/jackc/pgproto3/v2"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// simpleQuery answers a Query message: every statement in order, each
// with its own RowDescription/DataRows/CommandComplete, the first error
// ending the rest, and one ReadyForQuery.
func (c *conn) simpleQuery(query string) {
	defer c.readyForQuery()
	c.dropUnnamed()
	if !utf8.ValidString(query) {
		c.sendError(nil, invalidUTF8([]byte(query)))
		return
	}
	stmts, err := c.prepare(query, nil)
	if err != nil {
		return
	}
	defer func() {
		for _, st := range stmts {
			c.closeStmt(st)
		}
	}()
	if len(stmts) == 0 {
		c.send(&pgproto3.EmptyQueryResponse{})
		return
	}
	for _, st := range stmts {
		ok := c.runSimple(st)
		if c.dead {
			return
		}
		c.reportParams()
		if !ok {
			return
		}
	}
}

// prepare calls Session.Prepare under a cancellable statement context and
// reports its error.
func (c *conn) prepare(query string, oids []uint32) ([]Statement, error) {
	ctx, cancel := c.stmtContext()
	defer cancel(nil)
	c.setRunning(cancel)
	defer c.setRunning(nil)
	var stmts []Statement
	err := c.safely(func() error {
		var err error
		stmts, err = c.sess.Prepare(ctx, query, oids)
		return err
	})
	if err != nil {
		for _, st := range stmts {
			c.closeStmt(st)
		}
		c.sendError(ctx, err)
		return nil, err
	}
	return stmts, nil
}

// runSimple executes one statement of a simple query and sends its
// results in text format. It reports whether the statement succeeded.
func (c *conn) runSimple(st Statement) bool {
	ctx, cancel := c.stmtContext()
	defer cancel(nil)
	c.setRunning(cancel)
	defer c.setRunning(nil)
	var cols exec.Schema
	if err := c.safely(func() error { cols = st.Columns(); return nil }); err != nil {
		c.sendError(ctx, err)
		return false
	}
	res, err := c.executeStmt(ctx, st, nil)
	if err != nil {
		c.sendError(ctx, err)
		return false
	}
	defer c.closeResult(res)
	var tag string
	switch r := res.(type) {
	case CopyInResult:
		tag, err = c.copyIn(ctx, r)
	case CopyOutResult:
		tag, err = c.copyOut(ctx, r, cols)
	default:
		var rs *rowStream
		if rs, err = c.newRowStream(res, cols, nil); err == nil {
			if cols != nil {
				c.send(rowDescription(cols, nil))
			}
			var done bool
			done, err = c.sendRows(ctx, rs, 0)
			rs.release()
			if err == nil && done {
				tag = c.resultTag(res, cols, rs.rows)
			}
		}
	}
	if err != nil {
		c.sendError(ctx, err)
		return false
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return true
}

// executeStmt calls Statement.Execute.
func (c *conn) executeStmt(ctx context.Context, st Statement, params []any) (Result, error) {
	c.srv.stats.statements.Add(1)
	var res Result
	err := c.safely(func() error {
		var err error
		res, err = st.Execute(ctx, params, c.noticeFn)
		return err
	})
	if err == nil && res == nil {
		err = fmt.Errorf("BUG: Statement.Execute returned no Result and no error")
	}
	if err != nil && res != nil {
		c.closeResult(res)
	}
	return res, err
}

// resultTag is the CommandComplete tag of a finished result.
func (c *conn) resultTag(res Result, cols exec.Schema, rows int64) string {
	var tag string
	if err := c.safely(func() error { tag = res.Tag(); return nil }); err != nil {
		c.srv.log.Error("wire: Result.Tag", "pid", c.pid, "err", err)
	}
	if tag == "" && cols != nil {
		tag = fmt.Sprintf("SELECT %d", rows)
	}
	return tag
}

func (c *conn) closeResult(res Result) {
	if err := c.safely(func() error { res.Close(); return nil }); err != nil {
		c.srv.log.Error("wire: Result.Close", "pid", c.pid, "err", err)
	}
}

func (c *conn) closeStmt(st Statement) {
	if st == nil {
		return
	}
	if err := c.safely(func() error { st.Close(); return nil }); err != nil {
		c.srv.log.Error("wire: Statement.Close", "pid", c.pid, "err", err)
	}
}

// rowStream is a result being sent as DataRows, possibly over several
// Execute messages: rec holds the part of a record not yet sent.
type rowStream struct {
	res  Result
	encs []*colEncoder
	rec  arrow.Record
	off  int
	rows int64
}

// newRowStream prepares the encoders of cols in the given result formats
// (nil: all text).
func (c *conn) newRowStream(res Result, cols exec.Schema, formats []int16) (*rowStream, error) {
	rs := &rowStream{res: res}
	if cols == nil {
		return rs, nil
	}
	loc := c.location()
	rs.encs = make([]*colEncoder, len(cols))
	for i, col := range cols {
		f := int16(0)
		if formats != nil {
			f = formats[i]
		}
		e, err := newEncoder(col.Type, f, loc)
		if err != nil {
			return nil, err
		}
		rs.encs[i] = e
	}
	return rs, nil
}

// release drops the pending record.
func (rs *rowStream) release() {
	if rs.rec != nil {
		rs.rec.Release()
		rs.rec = nil
	}
}

// sendRows sends DataRows until the result ends (done) or limit rows were
// sent (limit 0: no limit). Each record's rows are encoded into the output
// buffer and written at once.
func (c *conn) sendRows(ctx context.Context, rs *rowStream, limit int) (done bool, err error) {
	sent := 0
	for {
		if rs.rec == nil {
			rec, err := c.next(ctx, rs.res)
			if err == io.EOF {
				return true, nil
			}
			if err != nil {
				return false, err
			}
			if rec.NumRows() == 0 {
				rec.Release()
				continue
			}
			if rs.encs == nil || int(rec.NumCols()) != len(rs.encs) {
				rec.Release()
				return false, fmt.Errorf("BUG: the statement describes %d columns but returned a record of %d", len(rs.encs), rec.NumCols())
			}
			rs.rec, rs.off = rec, 0
		}
		n := int(rs.rec.NumRows()) - rs.off
		if limit > 0 && n > limit-sent {
			n = limit - sent
		}
		if err := c.encodeRows(rs.encs, rs.rec, rs.off, rs.off+n); err != nil {
			rs.release()
			return false, err
		}
		rs.off += n
		sent += n
		rs.rows += int64(n)
		if rs.off == int(rs.rec.NumRows()) {
			rs.release()
		}
		if err := c.flush(); err != nil {
			return false, err
		}
		if limit > 0 && sent >= limit {
			return false, nil
		}
	}
}

// next calls Result.Next; io.EOF ends the result.
func (c *conn) next(ctx context.Context, res Result) (arrow.Record, error) {
	var rec arrow.Record
	err := c.safely(func() error {
		var err error
		rec, err = res.Next(ctx)
		return err
	})
	if err != nil {
		if rec != nil {
			rec.Release()
		}
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("BUG: Result.Next returned no record and no error")
	}
	return rec, nil
}

// encodeColumns encodes rows [from, to) of every column of rec into
// c.cols. A panic in an encoder (a malformed Arrow array) is an error.
func (c *conn) encodeColumns(encs []*colEncoder, rec arrow.Record, from, to int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{val: r, stack: debug.Stack()}
		}
	}()
	if len(c.cols) < len(encs) {
		c.cols = append(c.cols, make([]cells, len(encs)-len(c.cols))...)
	}
	for j, e := range encs {
		c.cols[j].reset()
		if err := e.encode(&c.cols[j], rec.Column(j), from, to); err != nil {
			return err
		}
	}
	return nil
}

// encodeRows appends DataRows for rows [from, to) of rec.
func (c *conn) encodeRows(encs []*colEncoder, rec arrow.Record, from, to int) error {
	if err := c.encodeColumns(encs, rec, from, to); err != nil {
		return err
	}
	c.wbuf = appendDataRows(c.wbuf, c.cols[:len(encs)], to-from)
	return nil
}

// rowDescription describes cols with the given result formats (nil: text).
func rowDescription(cols exec.Schema, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		t := col.Type
		if t == nil {
			t = types.Text
		}
		f := int16(0)
		if formats != nil {
			f = formats[i]
		}
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.Attnum),
			DataTypeOID:          t.OID,
			DataTypeSize:         int16(t.Width),
			TypeModifier:         t.Mod,
			Format:               f,
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}
