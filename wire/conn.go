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

	"github.com/jackc/pgproto3/v2"

	"lambdasql/sql/sqlstate"
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
	defer func() {
		// A panic here is a bug in wire itself (Handler calls and
		// encoders recover their own): log it and drop only this
		// connection.
		if r := recover(); r != nil {
			c.srv.stats.crashes.Add(1)
			c.srv.log.Error("wire: BUG: connection panicked", "pid", c.pid, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
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
	// A client that stopped reading must not hold the goroutine.
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.flush()
	if c.rconn != c.nc {
		_ = c.rconn.Close() // sends TLS close_notify
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
