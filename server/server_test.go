package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	_ "github.com/lib/pq"
)

// startServer runs a server on a fresh (or the given) data directory.
func startServer(t *testing.T, dir string, mod ...func(*Config)) *Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", HTTP: "", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := s.Start(); err != nil {
		s.Close()
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func connect(t *testing.T, s *Server) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", s.Addr()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func codeOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestSelectWithoutFrom(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx := context.Background()
	var two int32
	var ab, user, db, version string
	var now time.Time
	err := c.QueryRow(ctx, "SELECT 1+1, 'a' || 'b', now(), current_user, current_database(), version()").Scan(&two, &ab, &now, &user, &db, &version)
	if err != nil {
		t.Fatal(err)
	}
	if two != 2 || ab != "ab" || user != "lambdasql" || db != "lambdasql" || !strings.Contains(version, "lambdasql") {
		t.Fatalf("got %d %q %q %q %q", two, ab, user, db, version)
	}
	if time.Since(now) > time.Minute || time.Until(now) > time.Minute {
		t.Fatalf("now() = %v", now)
	}
}

func TestErrorsKeepTheConnectionUsable(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx := context.Background()
	cases := []struct{ sql, code string }{
		{"SELECT 1 + * 2", "42601"},
		{"SELECT * FROM nosuch", "42P01"},
		{"SELECT nosuch FROM (SELECT 1 AS a) t", "42703"},
		{"SELECT 1 + 'x'", "22P02"},
		{"SELECT 1/0", "22012"},
		{"SELECT 'a' + 1::int", "22P02"},
		{"SELECT true AND 1", "42804"},
		{"CREATE TABLE t (a int)", "0A000"},
		{"CREATE VIEW v WITH (window = '1x') AS SELECT 1", "22023"},
	}
	for _, tc := range cases {
		_, err := c.Exec(ctx, tc.sql)
		if got := codeOf(err); got != tc.code {
			t.Errorf("%s: code %q (%v), want %s", tc.sql, got, err, tc.code)
		}
		var one int
		if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("connection unusable after %q: %v", tc.sql, err)
		}
	}
	var pe *pgconn.PgError
	_, err := c.Exec(ctx, "SELECT 1 + * 2")
	if !errors.As(err, &pe) || pe.Position != 12 {
		t.Fatalf("syntax error position: %+v", err)
	}
}

func TestExtendedProtocolAndBinaryFormats(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx := context.Background()
	var i8 int64
	var f8 float64
	var txt string
	var b bool
	var ts time.Time
	err := c.QueryRow(ctx, "SELECT $1::int8 * 2, $2::float8 / 2, $3::text || '!', $4::bool, $5::timestamptz + interval '1 hour'",
		int64(21), 3.0, "hi", true, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Scan(&i8, &f8, &txt, &b, &ts)
	if err != nil {
		t.Fatal(err)
	}
	if i8 != 42 || f8 != 1.5 || txt != "hi!" || !b || !ts.Equal(time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v %v %v %v %v", i8, f8, txt, b, ts)
	}
	// Parameter types inferred from context.
	rows, err := c.Query(ctx, "SELECT x FROM generate_series(1, 10) AS g(x) WHERE x > $1 ORDER BY x", 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || fmt.Sprint(got) != "[8 9 10]" {
		t.Fatalf("got %v %v", got, err)
	}
}

// TestRegParams: a reg* parameter in text form is a name, resolved as
// regclassin/regtypein do (psycopg's TypeInfo.fetch, pg_attribute lookups).
func TestRegParams(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx := context.Background()
	var name string
	var oid uint32
	err := c.QueryRow(ctx, "SELECT typname, oid FROM pg_type t WHERE t.oid = $1::regtype", "timestamptz").Scan(&name, &oid)
	if err != nil || name != "timestamptz" || oid != 1184 {
		t.Fatalf("regtype param: %q %d %v", name, oid, err)
	}
	err = c.QueryRow(ctx, "SELECT $1::regclass::text", "pg_type").Scan(&name)
	if err != nil || name != "pg_type" {
		t.Fatalf("regclass param: %q %v", name, err)
	}
	_, err = c.Exec(ctx, "SELECT $1::regclass", "no_such_table")
	if codeOf(err) != "42P01" {
		t.Fatalf("unknown relation: %v", err)
	}
}

func TestDDLPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := connect(t, s)
	ctx := context.Background()
	src := `CREATE SOURCE telemetry (
  device_id        TEXT NOT NULL,
  event_timestamp  TIMESTAMPTZ NOT NULL,
  temperature      DOUBLE PRECISION,
  energy_consumed  DOUBLE PRECISION,
  user_id          TEXT,
  event_type       TEXT
) WITH (event_time = 'event_timestamp', lateness = '2m')`
	view := `CREATE VIEW device_metrics WITH (window = '1m', batch_interval = '5m') AS
SELECT device_id,
       count(*)                AS event_count,
       avg(temperature)        AS avg_temperature,
       max(temperature)        AS max_temperature,
       min(temperature)        AS min_temperature,
       sum(energy_consumed)    AS total_energy,
       count(DISTINCT user_id) AS unique_users
FROM telemetry
GROUP BY device_id`
	for _, q := range []string{src, view} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := c.Exec(ctx, "INSERT INTO telemetry VALUES ('d1', '2024-01-01 00:00:10+00', 21.5, 1, 'u1', 'telemetry'), ('d1', '2024-01-01 00:00:20+00', 22.5, 2, 'u2', 'login')"); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	s.Close()
	s2 := startServer(t, dir)
	c2 := connect(t, s2)
	var name, def string
	if err := c2.QueryRow(ctx, "SHOW CREATE VIEW device_metrics").Scan(&name, &def); err != nil {
		t.Fatal(err)
	}
	if def != view {
		t.Fatalf("SHOW CREATE VIEW:\n%s\nwant\n%s", def, view)
	}
	var n int64
	var avg float64
	var users int64
	err := c2.QueryRow(ctx, "SELECT event_count, avg_temperature, unique_users FROM device_metrics WHERE device_id = 'd1'").Scan(&n, &avg, &users)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || avg != 22 || users != 2 {
		t.Fatalf("after restart: count %d avg %v users %d", n, avg, users)
	}
}

func TestCancelRunningStatement(t *testing.T) {
	s := startServer(t, "")
	cfg, err := pgx.ParseConfig(fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	// Cancel through a CancelRequest (pgx's default only breaks the socket).
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: 10 * time.Second}
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Exec(ctx, "SELECT pg_sleep(30)")
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("pg_sleep was not cancelled: %v after %v", err, time.Since(start))
	}
	var one int
	if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("connection unusable after cancel: %v", err)
	}
}

func TestStatementTimeoutAndTransactions(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "SET statement_timeout = '200ms'"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Exec(ctx, "SELECT pg_sleep(5)")
	if codeOf(err) != "57014" {
		t.Fatalf("statement timeout: %v", err)
	}
	if _, err := c.Exec(ctx, "RESET statement_timeout"); err != nil {
		t.Fatal(err)
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT * FROM nosuch"); codeOf(err) != "42P01" {
		t.Fatalf("want 42P01: %v", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); codeOf(err) != "25P02" {
		t.Fatalf("in failed transaction want 25P02: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
}

func TestLibPQSimpleProtocol(t *testing.T) {
	s := startServer(t, "")
	db, err := sql.Open("postgres", fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var x float64
	if err := db.QueryRow("SELECT avg(v) FROM (VALUES (1.0::float8), (2.0), (NULL)) t(v)").Scan(&x); err != nil || x != 1.5 {
		t.Fatalf("avg: %v %v", x, err)
	}
	if _, err := db.Exec("SELECT * FROM nosuch"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("want an error: %v", err)
	}
	if _, err := db.Exec("CREATE SOURCE s (k text not null, ts timestamptz not null) WITH (event_time = 'ts')"); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec("INSERT INTO s VALUES ($1, $2)", "a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("rows affected %d", n)
	}
}

func TestAuthScram(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(users, []byte("alice:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "", func(c *Config) { c.Auth = "scram"; c.UsersFile = users })
	ctx := context.Background()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://alice:s3cret@%s/lambdasql?sslmode=disable", s.Addr()))
	if err != nil {
		t.Fatalf("scram login: %v", err)
	}
	var u string
	if err := c.QueryRow(ctx, "SELECT current_user").Scan(&u); err != nil || u != "alice" {
		t.Fatalf("current_user %q %v", u, err)
	}
	c.Close(ctx)
	_, err = pgx.Connect(ctx, fmt.Sprintf("postgres://alice:wrong@%s/lambdasql?sslmode=disable", s.Addr()))
	if codeOf(err) != "28P01" {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestPsqlSmoke(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	s := startServer(t, "")
	host, port, _ := strings.Cut(s.Addr(), ":")
	cmd := exec.Command(psql, "-X", "-h", host, "-p", port, "-U", "lambdasql", "-d", "lambdasql", "-v", "ON_ERROR_STOP=0")
	cmd.Stdin = strings.NewReader("SELECT 1 AS one;\nSELECT 1 +* ;\nSELECT 'still alive' AS status;\n\\q\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{" one ", "ERROR:  syntax error", "still alive"} {
		if !strings.Contains(text, want) {
			t.Fatalf("psql output lacks %q:\n%s", want, text)
		}
	}
}

func TestQueryMemoryLimit(t *testing.T) {
	s := startServer(t, "", func(c *Config) { c.QueryMemory = 2 << 20 })
	c := connect(t, s)
	ctx := context.Background()
	_, err := c.Exec(ctx, "SELECT g, count(*) FROM generate_series(1, 300000) AS t(g) GROUP BY g")
	if codeOf(err) != "53200" {
		t.Fatalf("want 53200 out of memory, got %v", err)
	}
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM generate_series(1, 1000) t(g)").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("after OOM: %v %v", n, err)
	}
	_ = math.MaxInt
}
