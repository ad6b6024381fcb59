package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/jackc/pgproto3/v2"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

const (
	// writeBufBytes is the output buffer a connection starts with and
	// shrinks back to after a large result.
	writeBufBytes = 16 << 10
	// keepWriteBufBytes is the largest output buffer kept after a
	// statement; beyond it the buffer is dropped so that one large result
	// does not pin memory for the connection's lifetime.
	keepWriteBufBytes = 1 << 20
	// flushAt flushes buffered messages once they reach this size.
	flushAt = 64 << 10
)

// conn is one client connection. Everything but the fields under mu and
// noticeMu belongs to the connection's goroutine.
type conn struct {
	srv    *Server
	nc     net.Conn // the socket
	rconn  net.Conn // nc, or the TLS connection over it
	rd     *msgReader
	be     *pgproto3.Backend
	wbuf   []byte
	remote net.Addr

	ctx       context.Context // cancelled with errShutdown by Shutdown
	cancelCtx context.CancelCauseFunc

	pid    int32
	secret uint32
	user   string
	sess   Session

	idle        bool // waiting for a command after ReadyForQuery
	deadlineSet bool // a read deadline is armed
	dead        bool // the connection must close: stop processing
	broken      bool // a write failed: the client is gone
	skipping    bool // after an extended-protocol error: discard until Sync

	stmts    map[string]*prepared
	portals  map[string]*portal
	reported map[string]string // ParameterStatus values the client has
	cols     []cells           // per-column scratch of the result being sent
	noticeFn func(Notice)

	mu      sync.Mutex
	running context.CancelCauseFunc // cancels the running statement

	noticeMu  sync.Mutex
	inHandler bool // a Handler call is running (notices may be written)
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		srv:      s,
		nc:       nc,
		rconn:    nc,
		remote:   nc.RemoteAddr(),
		wbuf:     make([]byte, 0, writeBufBytes),
		stmts:    map[string]*prepared{},
		portals:  map[string]*portal{},
		reported: map[string]string{},
	}
	c.ctx, c.cancelCtx = context.WithCancelCause(context.Background())
	c.rd = newMsgReader(netReader{c}, s.cfg.MaxMessageBytes-5, c.flushBeforeBlock)
	c.be = pgproto3.NewBackend(c.rd, nil)
	c.noticeFn = c.notice
	return c
}

// serve runs the connection to its end.
func (c *conn) serve() {
	defer c.close()
	if !c.startup() {
		return
	}
	c.loop()
}

// close releases everything the connection holds.
func (c *conn) close() {
	c.cancelCtx(errConnDone)
	for _, p := range c.portals {
		c.closePortal(p)
	}
	for name, ps := range c.stmts {
		delete(c.stmts, name)
		c.releaseStmt(ps)
	}
	if c.sess != nil {
		_ = c.safely(func() error { c.sess.Close(); return nil })
	}
	_ = c.flush()
	if c.rconn != c.nc {
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = c.rconn.Close()
	}
	_ = c.nc.Close()
}

// shutdown is Server.Shutdown's request to end the connection; it may be
// called from any goroutine.
func (c *conn) shutdown() {
	c.cancelCtx(errShutdown)
	_ = c.nc.SetReadDeadline(time.Now())
}

// cancelRunning cancels the running statement, if any; any goroutine.
func (c *conn) cancelRunning(cause error) {
	c.mu.Lock()
	if c.running != nil {
		c.running(cause)
	}
	c.mu.Unlock()
}

func (c *conn) setRunning(cancel context.CancelCauseFunc) {
	c.mu.Lock()
	c.running = cancel
	c.mu.Unlock()
}

// loop reads and answers commands until Terminate or the connection ends.
func (c *conn) loop() {
	for !c.dead {
		msg, err := c.receive()
		if err != nil {
			c.readFailed(err)
			return
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			if !c.skipping {
				c.simpleQuery(m.String)
			}
		case *pgproto3.Parse:
			if !c.skipping {
				c.parse(m)
			}
		case *pgproto3.Bind:
			if !c.skipping {
				c.bind(m)
			}
		case *pgproto3.Describe:
			if !c.skipping {
				c.describe(m)
			}
		case *pgproto3.Execute:
			if !c.skipping {
				c.execute(m)
			}
		case *pgproto3.Close:
			if !c.skipping {
				c.closeMsg(m)
			}
		case *pgproto3.Sync:
			c.skipping = false
			c.readyForQuery()
		case *pgproto3.Flush:
			if err := c.flush(); err != nil {
				return
			}
		case *pgproto3.Terminate:
			return
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Left over from a COPY that failed: the client may still be
			// sending. PostgreSQL ignores them too.
		case *pgproto3.FunctionCall:
			if !c.skipping {
				c.sendError(nil, sqlstate.New(sqlstate.FeatureNotSupported, "fastpath function calls are not supported"))
				c.readyForQuery()
			}
		default:
			c.fatal(protocolError("unexpected message type %q", messageType(msg)))
			return
		}
	}
}

// receive reads the next message. A malformed message (one pgproto3 fails
// to decode, or panics on) is returned as an error.
func (c *conn) receive() (msg pgproto3.FrontendMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, &malformedError{fmt.Sprint(r)}
		}
	}()
	msg, err = c.be.Receive()
	if c.deadlineSet {
		_ = c.rconn.SetReadDeadline(time.Time{})
		c.deadlineSet = false
	}
	if err == nil {
		c.idle = false
	} else if !isIOError(err) {
		var tooLarge *errMessageTooLarge
		if !errors.As(err, &tooLarge) {
			err = &malformedError{err.Error()}
		}
	}
	return msg, err
}

// malformedError is a message the server cannot decode.
type malformedError struct{ msg string }

func (e *malformedError) Error() string { return "invalid frontend message: " + e.msg }

func isIOError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, errShutdown) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne)
}

// readFailed ends the connection after a failed read, telling the client
// why when it can still listen.
func (c *conn) readFailed(err error) {
	c.dead = true
	var tooLarge *errMessageTooLarge
	var bad *malformedError
	switch {
	case errors.Is(err, errShutdown):
		c.fatal(fatalError(sqlstate.AdminShutdown, "terminating connection due to administrator command"))
	case errors.Is(err, os.ErrDeadlineExceeded) && c.idle && c.srv.cfg.IdleTimeout > 0:
		if c.sess != nil && c.txStatus() != 'I' {
			c.fatal(fatalError(codeIdleInTransactionTimeout, "terminating connection due to idle-in-transaction timeout"))
		} else {
			c.fatal(fatalError(sqlstate.IdleSessionTimeout, "terminating connection due to idle-session timeout"))
		}
	case errors.As(err, &tooLarge):
		e := tooLarge.sqlError()
		e.Severity = "FATAL"
		c.fatal(e)
	case errors.As(err, &bad):
		c.fatal(fatalError(sqlstate.ProtocolViolation, "%s", bad.Error()))
	default:
		c.srv.log.Debug("wire: connection read ended", "pid", c.pid, "err", err)
	}
}

// fatal sends a FATAL error and marks the connection for closing.
func (c *conn) fatal(e *sqlstate.Error) {
	c.dead = true
	if e.Severity == "" {
		e.Severity = "FATAL"
	}
	c.srv.stats.errors.Add(1)
	c.send(errorResponse(e))
	_ = c.flush()
}

// send buffers a message.
func (c *conn) send(m pgproto3.BackendMessage) {
	b, err := m.Encode(c.wbuf)
	if err != nil {
		// Only a message past pgproto3's own size limits fails here.
		c.srv.log.Error("wire: encode message", "pid", c.pid, "err", err)
		return
	}
	c.wbuf = b
	if len(c.wbuf) >= flushAt {
		_ = c.flush()
	}
}

// flush writes the buffered messages. A write error marks the connection
// dead: the client is gone.
func (c *conn) flush() error {
	if len(c.wbuf) == 0 {
		return nil
	}
	if c.broken {
		c.wbuf = c.wbuf[:0]
		return errConnDone
	}
	n, err := c.rconn.Write(c.wbuf)
	c.srv.stats.bytesOut.Add(uint64(n))
	c.wbuf = c.wbuf[:0]
	if err != nil {
		c.dead, c.broken = true, true
		return errConnDone
	}
	return nil
}

// flushBeforeBlock is the msgReader hook: output is flushed whenever the
// connection is about to wait for input, so pipelined commands share
// writes and a client never waits for a response still in the buffer.
func (c *conn) flushBeforeBlock() { _ = c.flush() }

// safely runs a Handler call: a panic becomes an error, and notices may be
// written while it runs.
func (c *conn) safely(fn func() error) (err error) {
	c.noticeMu.Lock()
	c.inHandler = true
	c.noticeMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{val: r, stack: debug.Stack()}
		}
		c.noticeMu.Lock()
		c.inHandler = false
		c.noticeMu.Unlock()
	}()
	return fn()
}

// notice is the callback given to Statement.Execute. It may be called from
// any goroutine while a Handler call of this connection runs (the
// connection goroutine does not touch the output buffer then); notices
// arriving at any other time are dropped.
func (c *conn) notice(n Notice) {
	c.noticeMu.Lock()
	defer c.noticeMu.Unlock()
	if !c.inHandler || c.dead {
		c.srv.log.Debug("wire: notice outside a statement dropped", "pid", c.pid, "message", n.Message)
		return
	}
	c.send(noticeResponse(n))
	_ = c.flush()
}

// sendError reports err (from work under ctx, which may be nil) to the
// client and tells the session the statement failed. Errors that end the
// connection are sent as FATAL.
func (c *conn) sendError(ctx context.Context, err error) {
	if errors.Is(err, errConnDone) || c.dead {
		c.dead = true
		return
	}
	e, fatal := c.toSQLError(ctx, err)
	if fatal {
		c.fatal(e)
		return
	}
	c.srv.stats.errors.Add(1)
	c.send(errorResponse(e))
	if c.sess != nil {
		if err := c.safely(func() error { c.sess.Fail(); return nil }); err != nil {
			c.srv.log.Error("wire: Session.Fail", "pid", c.pid, "err", err)
		}
	}
}

// extError reports an error of an extended-protocol message and discards
// messages until Sync.
func (c *conn) extError(ctx context.Context, err error) {
	c.sendError(ctx, err)
	c.skipping = true
}

// txStatus asks the session for the ReadyForQuery status.
func (c *conn) txStatus() byte {
	st := byte('I')
	if err := c.safely(func() error { st = c.sess.TxStatus(); return nil }); err != nil {
		c.srv.log.Error("wire: Session.TxStatus", "pid", c.pid, "err", err)
		return 'I'
	}
	switch st {
	case 'I', 'T', 'E':
		return st
	}
	return 'I'
}

// readyForQuery ends a command cycle: it reports changed parameters,
// drops the portals when no transaction block is open (PostgreSQL drops
// them at transaction end), trims buffers and sends ReadyForQuery.
func (c *conn) readyForQuery() {
	if c.dead {
		return
	}
	c.reportParams()
	st := c.txStatus()
	if st == 'I' {
		for _, p := range c.portals {
			c.closePortal(p)
		}
	}
	if cap(c.wbuf) > keepWriteBufBytes {
		_ = c.flush()
		c.wbuf = make([]byte, 0, writeBufBytes)
	}
	for i := range c.cols {
		c.cols[i].shrink(keepWriteBufBytes)
	}
	c.rd.shrink()
	c.send(&pgproto3.ReadyForQuery{TxStatus: st})
	c.idle = true
}

// reportParams sends ParameterStatus for every reportable parameter whose
// value changed since the client last heard of it.
func (c *conn) reportParams() {
	var cur map[string]string
	if err := c.safely(func() error { cur = c.sess.ParameterStatus(); return nil }); err != nil {
		c.srv.log.Error("wire: Session.ParameterStatus", "pid", c.pid, "err", err)
		return
	}
	var changed []string
	for k, v := range cur {
		if old, ok := c.reported[k]; !ok || old != v {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	for _, k := range changed {
		c.reported[k] = cur[k]
		c.send(&pgproto3.ParameterStatus{Name: k, Value: cur[k]})
	}
}

// stmtContext returns the context of one statement: cancelled by a
// CancelRequest (through the returned function, registered with
// setRunning), by the statement timeout and by shutdown.
func (c *conn) stmtContext() (context.Context, context.CancelCauseFunc) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	d := c.srv.cfg.StatementTimeout
	var st time.Duration
	if err := c.safely(func() error { st = c.sess.StatementTimeout(); return nil }); err == nil && st > 0 && (d == 0 || st < d) {
		d = st
	}
	if d <= 0 {
		return ctx, cancel
	}
	tctx, tcancel := context.WithTimeoutCause(ctx, d, errStatementTimeout)
	return tctx, func(cause error) {
		cancel(cause)
		tcancel()
	}
}

// location is the session time zone.
func (c *conn) location() *time.Location {
	var loc *time.Location
	if err := c.safely(func() error { loc = c.sess.Location(); return nil }); err != nil || loc == nil {
		return time.UTC
	}
	return loc
}

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

// messageType names a frontend message by its type byte, for errors.
func messageType(m pgproto3.FrontendMessage) byte {
	switch m.(type) {
	case *pgproto3.Bind:
		return 'B'
	case *pgproto3.Close:
		return 'C'
	case *pgproto3.Describe:
		return 'D'
	case *pgproto3.Execute:
		return 'E'
	case *pgproto3.FunctionCall:
		return 'F'
	case *pgproto3.Flush:
		return 'H'
	case *pgproto3.Parse:
		return 'P'
	case *pgproto3.Query:
		return 'Q'
	case *pgproto3.Sync:
		return 'S'
	case *pgproto3.Terminate:
		return 'X'
	case *pgproto3.CopyData:
		return 'd'
	case *pgproto3.CopyDone:
		return 'c'
	case *pgproto3.CopyFail:
		return 'f'
	}
	return 'p'
}
