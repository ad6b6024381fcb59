package wire

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// waitSleeping waits until a pg_sleep_forever() statement is running.
func waitSleeping(t *testing.T, h *testHandler) {
	t.Helper()
	select {
	case <-h.sleeping:
	case <-time.After(10 * time.Second):
		t.Fatal("the statement never started")
	}
}

// eventually polls cond (state that settles asynchronously) for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return ""
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
		errc := make(chan error, 1)
		go func() {
			_, err := conn.Exec(context.Background(), "SELECT pg_sleep_forever()", mode)
			errc <- err
		}()
		waitSleeping(t, ts.h)
		// A cancel request with the wrong key is ignored...
		nc := ts.dial(t)
		nc.Write([]byte{0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, byte(conn.PgConn().PID() >> 24), byte(conn.PgConn().PID() >> 16),
			byte(conn.PgConn().PID() >> 8), byte(conn.PgConn().PID()), 1, 2, 3, 4})
		// ...the right one cancels the statement.
		if err := conn.PgConn().CancelRequest(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		err := <-errc
		wantCode(t, err, "57014")
		if msg := pgMessage(err); msg != "canceling statement due to user request" {
			t.Errorf("message %q", msg)
		}
		mustSelect1(t, conn)
	}
	if n := ts.srv.Stats().CancelRequests; n != 4 {
		t.Errorf("cancel requests counted: %d", n)
	}

	// pgx cancelling through the context.
	cfg, err := pgx.ParseConfig(ts.dsn())
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 30 * time.Second}
	}
	conn2, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		waitSleeping(t, ts.h)
		cancel()
	}()
	_, err = conn2.Exec(ctx, "SELECT pg_sleep_forever()")
	wantCode(t, err, "57014")
	mustSelect1(t, conn2)
}

func TestStatementTimeout(t *testing.T) {
	t.Run("server default", func(t *testing.T) {
		ts := startServer(t, Config{StatementTimeout: 30 * time.Millisecond})
		conn := ts.pgx(t)
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			_, err := conn.Exec(testCtx(t), "SELECT pg_sleep_forever()", mode)
			wantCode(t, err, "57014")
			if msg := pgMessage(err); msg != "canceling statement due to statement timeout" {
				t.Errorf("message %q", msg)
			}
			mustSelect1(t, conn)
		}
	})
	t.Run("session setting", func(t *testing.T) {
		ts := startServer(t, Config{StatementTimeout: time.Hour})
		conn := ts.pgx(t)
		if _, err := conn.Exec(testCtx(t), "SET statement_timeout = '30ms'"); err != nil {
			t.Fatal(err)
		}
		_, err := conn.Exec(testCtx(t), "SELECT pg_sleep_forever()")
		wantCode(t, err, "57014")
		if msg := pgMessage(err); msg != "canceling statement due to statement timeout" {
			t.Errorf("message %q", msg)
		}
		mustSelect1(t, conn)
	})
}

// pipeClient serves one connection over net.Pipe and completes its
// startup; inside a synctest bubble its timers run on the fake clock.
func pipeClient(t *testing.T, srv *Server) *rawConn {
	t.Helper()
	client, server := net.Pipe()
	srv.serveConn(server)
	t.Cleanup(func() { client.Close() })
	rc := &rawConn{t: t, nc: client, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(client), client)}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "tester"}})
	if got := rc.untilReady(); got[len(got)-1] != "ReadyForQuery(I)" {
		t.Fatalf("startup: %v", got)
	}
	return rc
}

func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTestHandler()
		srv, err := NewServer(Config{IdleTimeout: time.Hour, StatementTimeout: 3 * time.Hour}, h)
		if err != nil {
			t.Fatal(err)
		}
		rc := pipeClient(t, srv)
		start := time.Now()
		if m := rc.recv(); m != "ErrorResponse(FATAL 57P05 terminating connection due to idle-session timeout)" {
			t.Fatalf("got %s", m)
		}
		if d := time.Since(start); d != time.Hour {
			t.Errorf("closed after %v of idleness", d)
		}
		rc.expectClosed()

		// Inside a transaction block the timeout says so.
		rc = pipeClient(t, srv)
		rc.send(&pgproto3.Query{String: "BEGIN"})
		rc.expect("CommandComplete(BEGIN)", "ReadyForQuery(T)")
		if m := rc.recv(); m != "ErrorResponse(FATAL 25P03 terminating connection due to idle-in-transaction timeout)" {
			t.Fatalf("got %s", m)
		}
		rc.expectClosed()

		// A statement running longer than the idle timeout is not idle;
		// the statement timeout ends it.
		rc = pipeClient(t, srv)
		start = time.Now()
		rc.send(&pgproto3.Query{String: "SELECT pg_sleep_forever()"})
		rc.expect("RowDescription(pg_sleep_forever:2278:0)", "ErrorResponse(ERROR 57014 canceling statement due to statement timeout)", "ReadyForQuery(I)")
		if d := time.Since(start); d != 3*time.Hour {
			t.Errorf("statement timed out after %v", d)
		}
		// Activity before the timeout keeps the connection.
		time.Sleep(59 * time.Minute)
		rc.send(&pgproto3.Query{String: "SELECT 1"})
		rc.expect("RowDescription(?column?:23:0)", "DataRow(1)", "CommandComplete(SELECT 1)", "ReadyForQuery(I)")
		rc.send(&pgproto3.Terminate{})
		rc.expectClosed()
		synctest.Wait()
		if n := srv.ConnectionCount(); n != 0 {
			t.Errorf("%d connections left", n)
		}
		h.mem.AssertSize(t, 0)
	})
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t, Config{MaxConnections: 2})
	c1 := ts.pgx(t)
	c2 := ts.pgx(t)
	_, err := pgx.Connect(testCtx(t), ts.dsn())
	wantCode(t, err, "53300")
	if msg := pgMessage(err); msg != "sorry, too many clients already" {
		t.Errorf("message %q", msg)
	}
	// Cancel requests are served at the limit.
	errc := make(chan error, 1)
	go func() {
		_, err := c1.Exec(context.Background(), "SELECT pg_sleep_forever()")
		errc <- err
	}()
	waitSleeping(t, ts.h)
	if err := c1.PgConn().CancelRequest(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-errc, "57014")
	mustSelect1(t, c1)
	c2.Close(testCtx(t))
	eventually(t, "a free connection slot", func() bool {
		c, err := pgx.Connect(testCtx(t), ts.dsn())
		if err != nil {
			return false
		}
		c.Close(testCtx(t))
		return true
	})
	if s := ts.srv.Stats(); s.ConnectionsRejected < 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestShutdown(t *testing.T) {
	ts := startServer(t, Config{})
	idle := ts.raw(t)
	busy := ts.pgx(t)
	errc := make(chan error, 1)
	go func() {
		_, err := busy.Exec(context.Background(), "SELECT pg_sleep_forever()")
		errc <- err
	}()
	waitSleeping(t, ts.h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if m := idle.recv(); m != "ErrorResponse(FATAL 57P01 terminating connection due to administrator command)" {
		t.Fatalf("idle connection got %s", m)
	}
	idle.expectClosed()
	err := <-errc
	wantCode(t, err, "57P01")
	if n := ts.srv.ConnectionCount(); n != 0 {
		t.Errorf("%d connections after Shutdown", n)
	}
	ts.h.mu.Lock()
	closed := ts.h.closed
	ts.h.mu.Unlock()
	if closed != 2 {
		t.Errorf("%d sessions closed, want 2", closed)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Error("still accepting after Shutdown")
	}
	if err := ts.srv.Serve(newClosedListener(t)); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown: %v", err)
	}
	if err := ts.srv.ListenAndServe(); !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe after Shutdown: %v", err)
	}
}

func newClosedListener(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestListenAndServe(t *testing.T) {
	h := newTestHandler()
	srv, err := NewServer(Config{Listen: "127.0.0.1:0"}, h)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe() }()
	eventually(t, "the listener", func() bool { return srv.Addr() != nil })
	conn, err := pgx.Connect(testCtx(t), "postgres://u@"+srv.Addr().String()+"/d?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	mustSelect1(t, conn)
	if srv.ConnectionCount() != 1 {
		t.Errorf("ConnectionCount %d", srv.ConnectionCount())
	}
	conn.Close(testCtx(t))
	if err := srv.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.Addr().String(), "127.0.0.1:") {
		t.Error(srv.Addr())
	}
	h.mem.AssertSize(t, 0)
}
