package lambdatest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lambdasql/server"
)

// testServer is an in-process lambdasql over one data directory.
type testServer struct {
	t   *testing.T
	dir string
	srv *server.Server
}

// quietLogger drops the server's logs unless LAMBDATEST_VERBOSE is set.
func quietLogger() *slog.Logger {
	if verbose {
		return slog.New(slog.NewTextHandler(logWriter{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) { fmt.Print(string(p)); return len(p), nil }

// openServer opens and starts a server on dir, listening on loopback.
func openServer(t *testing.T, dir string) *testServer {
	t.Helper()
	srv, err := server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", HTTP: "", Logger: quietLogger()})
	if err != nil {
		t.Fatalf("open server on %s: %v", dir, err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatalf("start server: %v", err)
	}
	ts := &testServer{t: t, dir: dir, srv: srv}
	t.Cleanup(func() { ts.close() })
	return ts
}

func (s *testServer) addr() string { return s.srv.Addr() }

// close shuts the server down cleanly (idempotent).
func (s *testServer) close() {
	if s.srv != nil {
		if err := s.srv.Close(); err != nil {
			s.t.Logf("server close: %v", err)
		}
		s.srv = nil
	}
}

// connect opens a pgx connection to addr; it is closed at cleanup.
func connect(t *testing.T, addr string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable&connect_timeout=10", addr))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
	})
	return conn
}

// stmtTimeout bounds every statement a test sends.
const stmtTimeout = 60 * time.Second

func qctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), stmtTimeout)
}

// mustExec runs statements and fails the test on error.
func mustExec(t *testing.T, conn *pgx.Conn, sql string, args ...any) pgconn.CommandTag {
	t.Helper()
	ctx, cancel := qctx()
	defer cancel()
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", abbreviate(sql), err)
	}
	return tag
}

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// sqlState returns the SQLSTATE of a server error ("" otherwise).
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// viewStatus is a row of lambda_views.
type viewStatus struct {
	B         *time.Time
	StreamWM  *time.Time
	Late      int64
	Version   int64
	Status    string
	SpeedWins int64
}

func readStatus(t *testing.T, conn *pgx.Conn, view string) viewStatus {
	t.Helper()
	ctx, cancel := qctx()
	defer cancel()
	var st viewStatus
	err := conn.QueryRow(ctx, `SELECT batch_watermark, stream_watermark, late_events, batch_version, status, speed_windows
		FROM lambda_views WHERE name = $1`, view).Scan(&st.B, &st.StreamWM, &st.Late, &st.Version, &st.Status, &st.SpeedWins)
	if err != nil {
		t.Fatalf("read lambda_views for %s: %v", view, err)
	}
	return st
}

// waitFor polls cond until it reports true or the deadline passes; then
// it fails with cond's last explanation.
func waitFor(t *testing.T, what string, deadline time.Duration, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(deadline)
	delay := 10 * time.Millisecond
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("waiting for %s: gave up after %s: %s", what, deadline, why)
		}
		time.Sleep(delay)
		delay = min(delay*2, 200*time.Millisecond)
	}
}

var verbose = os.Getenv("LAMBDATEST_VERBOSE") != ""

// statusErr reads B and the stream watermark of a view (µs; nil when
// NULL) without failing the test, for goroutines.
func statusErr(conn *pgx.Conn, view string) (b, wm *int64, err error) {
	ctx, cancel := qctx()
	defer cancel()
	var bt, wt *time.Time
	if err := conn.QueryRow(ctx, `SELECT batch_watermark, stream_watermark FROM lambda_views WHERE name = $1`, view).Scan(&bt, &wt); err != nil {
		return nil, nil, err
	}
	if bt != nil {
		v := bt.UnixMicro()
		b = &v
	}
	if wt != nil {
		v := wt.UnixMicro()
		wm = &v
	}
	return b, wm, nil
}
