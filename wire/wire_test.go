package wire

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/lib/pq"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// testServer is a Server on 127.0.0.1:0 serving a testHandler. Cleanup
// shuts it down and checks that every Arrow record was released.
type testServer struct {
	srv  *Server
	h    *testHandler
	addr string
}

func testLogger() *slog.Logger {
	if os.Getenv("WIRE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	return startServerOn(t, cfg, nil)
}

// startServerOn serves on ln (a new loopback listener when nil).
func startServerOn(t testing.TB, cfg Config, ln net.Listener) *testServer {
	t.Helper()
	h := newTestHandler()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	srv, err := NewServer(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if n := srv.ConnectionCount(); n != 0 {
			t.Errorf("%d connections left after Shutdown", n)
		}
		if n := srv.stats.crashes.Load(); n != 0 {
			t.Errorf("%d connections panicked", n)
		}
		h.mem.AssertSize(t, 0)
	})
	return &testServer{srv: srv, h: h, addr: ln.Addr().String()}
}

func (ts *testServer) dsn(params ...string) string {
	q := "sslmode=disable"
	if len(params) > 0 {
		q = strings.Join(params, "&")
	}
	return fmt.Sprintf("postgres://tester@%s/testdb?%s", ts.addr, q)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (ts *testServer) pgx(t testing.TB, params ...string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(testCtx(t), ts.dsn(params...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func (ts *testServer) pq(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", fmt.Sprintf("host=%s port=%s user=tester dbname=testdb sslmode=disable",
		strings.Split(ts.addr, ":")[0], strings.Split(ts.addr, ":")[1]))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// wantCode fails unless err carries SQLSTATE code (from pgx or lib/pq).
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %s", err, got, code)
	}
}

func errCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	var qe *pq.Error
	if errors.As(err, &qe) {
		return string(qe.Code)
	}
	return ""
}

// mustSelect1 checks that conn still answers queries.
func mustSelect1(t testing.TB, conn *pgx.Conn) {
	t.Helper()
	var v int32
	if err := conn.QueryRow(testCtx(t), "SELECT 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("SELECT 1 after the error: %v, %v", v, err)
	}
}

func TestSelect1(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	mustSelect1(t, conn)
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeDescribeExec} {
		var v int32
		var s string
		if err := conn.QueryRow(testCtx(t), "SELECT 1, 'x' AS letter", mode).Scan(&v, &s); err != nil || v != 1 || s != "x" {
			t.Errorf("mode %v: %v %q %v", mode, v, s, err)
		}
	}
	// The handler saw the startup parameters.
	ts.h.mu.Lock()
	st := ts.h.starts[0]
	ts.h.mu.Unlock()
	if st.User != "tester" || st.Database != "testdb" || st.BackendPID == 0 || !strings.HasPrefix(st.RemoteAddr, "127.0.0.1:") {
		t.Errorf("SessionStart = %+v", st)
	}
	if got := conn.PgConn().ParameterStatus("server_version"); got != "15.4 (lambdasql)" {
		t.Errorf("server_version = %q", got)
	}
	if conn.PgConn().PID() != uint32(st.BackendPID) {
		t.Errorf("BackendKeyData pid %d, session pid %d", conn.PgConn().PID(), st.BackendPID)
	}
	stats := ts.srv.Stats()
	if stats.ConnectionsActive != 1 || stats.ConnectionsAccepted < 1 || stats.BytesIn == 0 || stats.BytesOut == 0 || stats.Statements < 4 {
		t.Errorf("stats = %+v", stats)
	}
}

// TestAllTypesText checks every type's text output byte for byte.
func TestAllTypesText(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	rows, err := conn.Query(testCtx(t), "SELECT * FROM alltypes", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	fds := rows.FieldDescriptions()
	for i, c := range allTypesCols {
		fd := fds[i]
		if fd.Name != c.Name || fd.DataTypeOID != c.Type.OID || fd.DataTypeSize != int16(c.Type.Width) || fd.TypeModifier != c.Type.Mod || fd.Format != 0 {
			t.Errorf("column %d described as %+v, want %s %s", i, fd, c.Name, c.Type)
		}
	}
	r := 0
	for rows.Next() {
		for j, raw := range rows.RawValues() {
			want := allTypesText[r][j]
			switch {
			case want == nil && raw != nil:
				t.Errorf("row %d %s = %q, want NULL", r, allTypesCols[j].Name, raw)
			case want != nil && raw == nil:
				t.Errorf("row %d %s = NULL, want %q", r, allTypesCols[j].Name, *want)
			case want != nil && string(raw) != *want:
				t.Errorf("row %d %s = %q, want %q", r, allTypesCols[j].Name, raw, *want)
			}
		}
		r++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if r != len(allTypesText) {
		t.Fatalf("%d rows, want %d", r, len(allTypesText))
	}
	if tag := rows.CommandTag().String(); tag != "SELECT 3" {
		t.Errorf("tag %q", tag)
	}
}

// TestAllTypesBinary asks for every column in binary and checks, with
// pgx's own codecs, that each binary value decodes to what its text form
// decodes to.
func TestAllTypesBinary(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	text := conn.PgConn().ExecParams(ctx, "SELECT * FROM alltypes", nil, nil, nil, nil).Read()
	if text.Err != nil {
		t.Fatal(text.Err)
	}
	bin := conn.PgConn().ExecParams(ctx, "SELECT * FROM alltypes", nil, nil, nil, []int16{1}).Read()
	if bin.Err != nil {
		t.Fatal(bin.Err)
	}
	m := pgtype.NewMap()
	for j, c := range allTypesCols {
		if bin.FieldDescriptions[j].Format != 1 {
			t.Errorf("%s: format %d, want binary", c.Name, bin.FieldDescriptions[j].Format)
		}
		typ, known := m.TypeForOID(c.Type.OID)
		for r := range text.Rows {
			tv, bv := text.Rows[r][j], bin.Rows[r][j]
			if (tv == nil) != (bv == nil) {
				t.Errorf("%s row %d: text %q, binary %x", c.Name, r, tv, bv)
				continue
			}
			if tv == nil {
				continue
			}
			if !known {
				// regclass: pgx has no codec; binary is a big-endian uint32.
				if want := mustParse(types.Oid, string(tv)).(types.OidD); len(bv) != 4 || uint32(bv[0])<<24|uint32(bv[1])<<16|uint32(bv[2])<<8|uint32(bv[3]) != uint32(want) {
					t.Errorf("%s row %d: binary %x, text %q", c.Name, r, bv, tv)
				}
				continue
			}
			want, err := typ.Codec.DecodeValue(m, c.Type.OID, 0, tv)
			if err != nil {
				t.Errorf("%s row %d: decode text %q: %v", c.Name, r, tv, err)
				continue
			}
			got, err := typ.Codec.DecodeValue(m, c.Type.OID, 1, bv)
			if err != nil {
				t.Errorf("%s row %d: decode binary %x: %v", c.Name, r, bv, err)
				continue
			}
			if a, b := normalize(want), normalize(got); a != b {
				t.Errorf("%s row %d: binary decodes to %s, text to %s", c.Name, r, b, a)
			}
		}
	}
	// pgx's default mode picks binary on its own for the types it knows.
	var (
		i8  int64
		n   pgtype.Numeric
		tz  time.Time
		iv  pgtype.Interval
		ai  []pgtype.Int4
		by  []byte
		at  []pgtype.Text
		f8  float64
		tm  pgtype.Time
		dte time.Time
	)
	rows, err := conn.Query(ctx, "SELECT * FROM alltypes")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	vals, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	_ = vals
	binCols := 0
	for _, fd := range rows.FieldDescriptions() {
		if fd.Format == 1 {
			binCols++
		}
	}
	rows.Close()
	if binCols < 20 {
		t.Errorf("pgx chose binary for only %d columns", binCols)
	}
	err = conn.QueryRow(ctx, "SELECT * FROM alltypes").Scan(nil, nil, nil, &i8, nil, &f8, &n, nil, nil, nil, nil, nil, nil, nil, &by, &dte, &tm, nil, &tz, &iv, nil, nil, &ai, &at, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	nv, _ := n.Value()
	if i8 != math.MaxInt64 || f8 != math.Pi || nv != "12345.6789" || !tz.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) ||
		iv.Months != 14 || iv.Days != 3 || iv.Microseconds != 14706500000 || len(ai) != 3 || ai[1].Valid || ai[2].Int32 != 3 ||
		string(by) != "\xde\xad\xbe\xef" || len(at) != 6 || at[0].String != "a b" || at[1].Valid || at[2].String != "" ||
		tm.Microseconds != 49530123456 || !dte.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("scanned %v %v %v %v %+v %v %q %v %+v %v", i8, f8, nv, tz, iv, ai, by, at, tm, dte)
	}
}

// normalize renders a decoded value comparably: times in UTC, numerics
// reduced, NaN equal to NaN.
func normalize(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = normalize(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case pgtype.Numeric:
		switch {
		case x.NaN:
			return "NaN"
		case x.InfinityModifier != pgtype.Finite:
			return fmt.Sprint(x.InfinityModifier)
		}
		d := apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(x.Int), x.Exp)
		d.Reduce(d)
		return "numeric " + d.String()
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
	case float32:
		if math.IsNaN(float64(x)) {
			return "NaN"
		}
	case *big.Int:
		return x.String()
	}
	return fmt.Sprintf("%T %#v", v, v)
}

// TestBinaryParams round-trips parameters of every type through pgx,
// which sends them in binary when it knows the type, and reads them back.
func TestBinaryParams(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	tz := time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC)
	num := pgtype.Numeric{}
	if err := num.Scan("-12345.678900"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cast string
		in   any
		out  any // pointer to scan into
		want any
	}{
		{"bool", true, new(bool), true},
		{"int2", int16(-32768), new(int16), int16(-32768)},
		{"int4", int32(2147483647), new(int32), int32(2147483647)},
		{"int8", int64(-9223372036854775808), new(int64), int64(-9223372036854775808)},
		{"float4", float32(1.25), new(float32), float32(1.25)},
		{"float8", 2.5e-300, new(float64), 2.5e-300},
		{"numeric", num, new(string), "-12345.678900"},
		{"text", "héllo", new(string), "héllo"},
		{"varchar", "v", new(string), "v"},
		{"name", "nm", new(string), "nm"},
		{"\"char\"", byte('q'), new(string), "q"},
		{"json", map[string]any{"k": 1.0}, new(map[string]any), map[string]any{"k": 1.0}},
		{"jsonb", map[string]any{"k": "v"}, new(map[string]any), map[string]any{"k": "v"}},
		{"bytea", []byte{0, 1, 254, 255}, new([]byte), []byte{0, 1, 254, 255}},
		{"date", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), new(time.Time), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"time", pgtype.Time{Microseconds: 3723000001, Valid: true}, new(pgtype.Time), pgtype.Time{Microseconds: 3723000001, Valid: true}},
		{"timestamp", time.Date(1960, 1, 2, 3, 4, 5, 6000, time.UTC), new(time.Time), time.Date(1960, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{"timestamptz", tz, new(time.Time), tz},
		{"interval", pgtype.Interval{Months: -3, Days: 4, Microseconds: -5, Valid: true}, new(pgtype.Interval), pgtype.Interval{Months: -3, Days: 4, Microseconds: -5, Valid: true}},
		{"oid", uint32(4294967295), new(uint32), uint32(4294967295)},
		{"int4[]", []int32{1, 2, 3}, new([]int32), []int32{1, 2, 3}},
		{"int8[]", []*int64{nil, ptr(int64(7))}, new([]*int64), []*int64{nil, ptr(int64(7))}},
		{"text[]", []string{"a b", "", "NULL", `q"\`}, new([]string), []string{"a b", "", "NULL", `q"\`}},
		{"float8[]", []float64{}, new([]float64), []float64{}},
		{"bool[]", []bool{true, false}, new([]bool), []bool{true, false}},
		{"timestamptz[]", []time.Time{tz}, new([]time.Time), []time.Time{tz}},
		{"bytea[]", [][]byte{{1}, {}}, new([][]byte), [][]byte{{1}, {}}},
		{"numeric[]", []pgtype.Numeric{num}, new([]string), []string{"-12345.678900"}},
	}
	for _, c := range cases {
		t.Run(c.cast, func(t *testing.T) {
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeDescribeExec} {
				if err := conn.QueryRow(ctx, "SELECT $1::"+c.cast, mode, c.in).Scan(c.out); err != nil {
					t.Fatalf("mode %v: %v", mode, err)
				}
				got := reflect.ValueOf(c.out).Elem().Interface()
				if tv, ok := got.(time.Time); ok {
					if !tv.Equal(c.want.(time.Time)) {
						t.Fatalf("got %v, want %v", tv, c.want)
					}
				} else if tvs, ok := got.([]time.Time); ok {
					if len(tvs) != 1 || !tvs[0].Equal(tz) {
						t.Fatalf("got %v", tvs)
					}
				} else if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("mode %v: got %#v, want %#v", mode, got, c.want)
				}
			}
		})
	}
	// NULL parameters of any type.
	var s *string
	if err := conn.QueryRow(ctx, "SELECT $1::text", nil).Scan(&s); err != nil || s != nil {
		t.Fatalf("NULL param: %v %v", s, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSimpleProtocolParams(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	var (
		i  int64
		f  float64
		s  string
		b  []byte
		tz time.Time
	)
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	err := conn.QueryRow(ctx, "SELECT $1::int8, $2::float8, $3::text, $4::bytea, $5::timestamptz", pgx.QueryExecModeSimpleProtocol,
		int64(-42), 1.5, "it's", []byte{1, 2}, when).Scan(&i, &f, &s, &b, &tz)
	if err != nil {
		t.Fatal(err)
	}
	if i != -42 || f != 1.5 || s != "it's" || string(b) != "\x01\x02" || !tz.Equal(when) {
		t.Errorf("got %v %v %q %x %v", i, f, s, b, tz)
	}
}

func TestLibPQ(t *testing.T) {
	ts := startServer(t, Config{})
	db := ts.pq(t)
	ctx := testCtx(t)
	// Extended protocol with text parameters.
	var (
		n  int64
		s  string
		ok bool
		f  float64
	)
	if err := db.QueryRowContext(ctx, "SELECT $1::int8, $2::text, $3::bool, $4::float8", 7, "pq", true, 0.5).Scan(&n, &s, &ok, &f); err != nil {
		t.Fatal(err)
	}
	if n != 7 || s != "pq" || !ok || f != 0.5 {
		t.Errorf("got %v %q %v %v", n, s, ok, f)
	}
	// Simple protocol (no arguments) with several rows.
	rows, err := db.QueryContext(ctx, "SELECT * FROM series(7)")
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if rows.Err() != nil || len(got) != 7 || got[6] != 7 {
		t.Errorf("series: %v %v", got, rows.Err())
	}
	// Error fields: code, position, detail, hint.
	_, err = db.ExecContext(ctx, "SELECT 1 FROM")
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "42601" || pe.Position != "14" || pe.Severity != "ERROR" {
		t.Fatalf("syntax error: %#v", err)
	}
	_, err = db.ExecContext(ctx, "SELECT raise('22012', 'division by zero', 'the detail', 'the hint')")
	if !errors.As(err, &pe) || pe.Code != "22012" || pe.Message != "division by zero" || pe.Detail != "the detail" || pe.Hint != "the hint" {
		t.Fatalf("raise: %#v", err)
	}
	_, err = db.ExecContext(ctx, "SELECT $1::int4", "not a number")
	wantCode(t, err, "22P02")
	// Text output of every type, as lib/pq reads it.
	var tzs, ivs, bys string
	var by []byte
	if err := db.QueryRowContext(ctx, "SELECT $1::timestamptz::text, '1 day'::interval, '\\x0102'::bytea", "2024-01-02 03:04:05+02").Scan(&tzs, &ivs, &by); err != nil {
		t.Fatal(err)
	}
	_ = bys
	if tzs != "2024-01-02 01:04:05+00" || ivs != "1 day" || string(by) != "\x01\x02" {
		t.Errorf("got %q %q %x", tzs, ivs, by)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPreparedStatements(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	sd, err := conn.Prepare(ctx, "twice", "SELECT $1::int4 AS a, $2::text AS b")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 2 || sd.ParamOIDs[0] != 23 || sd.ParamOIDs[1] != 25 || len(sd.Fields) != 2 || sd.Fields[0].Name != "a" {
		t.Fatalf("description %+v", sd)
	}
	for i := range 3 {
		var a int32
		var b string
		if err := conn.QueryRow(ctx, "twice", int32(i), fmt.Sprint("v", i)).Scan(&a, &b); err != nil || a != int32(i) || b != fmt.Sprint("v", i) {
			t.Fatalf("run %d: %v %q %v", i, a, b, err)
		}
	}
	// Preparing the same name again is 42P05 (pgx caches, so go below it).
	_, err = conn.PgConn().Prepare(ctx, "twice", "SELECT 1", nil)
	wantCode(t, err, "42P05")
	if err := conn.Deallocate(ctx, "twice"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.PgConn().Prepare(ctx, "twice", "SELECT 2", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A Parse holding two statements is refused.
	_, err = conn.PgConn().Prepare(ctx, "two", "SELECT 1; SELECT 2", nil)
	wantCode(t, err, "42601")
	mustSelect1(t, conn)
	// Parameter types given by the client reach Prepare.
	sd, err = conn.PgConn().Prepare(ctx, "typed", "SELECT $1 AS x", []uint32{20})
	if err != nil || sd.ParamOIDs[0] != 20 || sd.Fields[0].DataTypeOID != 20 {
		t.Fatalf("typed: %+v %v", sd, err)
	}
}

func TestBatchPipelining(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	b := &pgx.Batch{}
	b.Queue("SELECT $1::int8", int64(1))
	b.Queue("SELECT * FROM series(4)")
	b.Queue("SET application_name = 'batch'")
	b.Queue("SELECT $1::text", "last")
	br := conn.SendBatch(ctx, b)
	var v int64
	if err := br.QueryRow().Scan(&v); err != nil || v != 1 {
		t.Fatalf("first: %v %v", v, err)
	}
	rows, err := br.Query()
	if err != nil {
		t.Fatal(err)
	}
	sum := int64(0)
	for rows.Next() {
		var x int64
		_ = rows.Scan(&x)
		sum += x
	}
	if rows.Err() != nil || sum != 10 {
		t.Fatalf("series sum %d %v", sum, rows.Err())
	}
	if _, err := br.Exec(); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := br.QueryRow().Scan(&s); err != nil || s != "last" {
		t.Fatalf("last: %q %v", s, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if got := conn.PgConn().ParameterStatus("application_name"); got != "batch" {
		t.Errorf("application_name = %q", got)
	}

	// An error in the middle of a pipeline: the rest is skipped up to Sync.
	b = &pgx.Batch{}
	b.Queue("SELECT 1")
	b.Queue("SELECT raise('22012', 'boom')")
	b.Queue("SELECT 3")
	br = conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		t.Fatal(err)
	}
	_, err = br.Exec()
	wantCode(t, err, "22012")
	_, err = br.Exec()
	if err == nil {
		t.Fatal("statement after the failed one ran")
	}
	_ = br.Close()
	mustSelect1(t, conn)
}

func TestMultiStatementQuery(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	results, err := conn.PgConn().Exec(ctx, "SELECT 1; SELECT * FROM series(2); SET TimeZone = 'Europe/Paris'; SHOW TimeZone").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("%d results", len(results))
	}
	tags := []string{results[0].CommandTag.String(), results[1].CommandTag.String(), results[2].CommandTag.String(), results[3].CommandTag.String()}
	if !reflect.DeepEqual(tags, []string{"SELECT 1", "SELECT 2", "SET", "SHOW"}) || len(results[1].Rows) != 2 || string(results[3].Rows[0][0]) != "Europe/Paris" {
		t.Errorf("tags %v rows %v", tags, results[3].Rows)
	}
	if got := conn.PgConn().ParameterStatus("TimeZone"); got != "Europe/Paris" {
		t.Errorf("TimeZone status %q", got)
	}
	// timestamptz text output now uses the session zone.
	rr := conn.PgConn().Exec(ctx, "SELECT * FROM alltypes")
	res, err := rr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res[0].Rows[0][18]); got != "2024-01-02 04:04:05+01" {
		t.Errorf("tz in Europe/Paris = %q", got)
	}
	// An error stops the statements after it.
	results, err = conn.PgConn().Exec(ctx, "SELECT 1; SELECT raise('XX001', 'stop'); SET application_name = 'never'").ReadAll()
	wantCode(t, err, "XX001")
	if len(results) != 1 || conn.PgConn().ParameterStatus("application_name") == "never" {
		t.Errorf("results after error: %d", len(results))
	}
	// Empty queries.
	for _, q := range []string{"", " ; ", "-- only a comment"} {
		results, err = conn.PgConn().Exec(ctx, q).ReadAll()
		if err != nil || len(results) != 1 || results[0].CommandTag.String() != "" || results[0].FieldDescriptions != nil {
			t.Errorf("empty query %q: %v %+v", q, err, results)
		}
	}
	mustSelect1(t, conn)
}

func TestErrors(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	for _, c := range []struct {
		sql, code, msg string
		pos            int32
	}{
		{"SELEC 1", "42601", `syntax error at or near "SELEC"`, 1},
		{"SELECT 1; SELECT 2 3", "42601", `syntax error at or near "3"`, 20},
		{"SELECT raise('23505', 'duplicate key')", "23505", "duplicate key", 0},
		{"SELECT plain_error()", "XX000", "internal error: plain failure without a code", 0},
		{"SELECT panic()", "XX000", "internal error: BUG: panic: test engine panic", 0},
		{"SELECT * FROM nope", "42P01", `relation "nope" does not exist`, 0},
		{"SELECT '\xff'", "22021", `invalid byte sequence for encoding "UTF8": 0xff`, 0},
	} {
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			_, err := conn.Exec(ctx, c.sql, mode)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != c.code || pe.Message != c.msg || pe.Position != c.pos || pe.Severity != "ERROR" {
				t.Errorf("%q (%v): %#v", c.sql, mode, err)
			}
			mustSelect1(t, conn)
		}
	}
	if ts.srv.Stats().Errors < 14 {
		t.Errorf("errors counted: %d", ts.srv.Stats().Errors)
	}
}

func TestNotice(t *testing.T) {
	ts := startServer(t, Config{})
	cfg, err := pgx.ParseConfig(ts.dsn())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []*pgconn.Notice
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		notices = append(notices, n)
		mu.Unlock()
	}
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	if err := conn.QueryRow(testCtx(t), "SELECT notice('hello')").Scan(&s); err != nil || s != "hello" {
		t.Fatal(s, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 1 || notices[0].Message != "hello" || notices[0].Severity != "NOTICE" || notices[0].Code != "00000" || notices[0].Detail != "from the test engine" {
		t.Fatalf("notices %+v", notices)
	}
}

func TestTransactionStatus(t *testing.T) {
	ts := startServer(t, Config{})
	conn := ts.pgx(t)
	ctx := testCtx(t)
	pc := conn.PgConn()
	if pc.TxStatus() != 'I' {
		t.Fatalf("initial status %c", pc.TxStatus())
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pc.TxStatus() != 'T' {
		t.Fatalf("after BEGIN %c", pc.TxStatus())
	}
	_, err = tx.Exec(ctx, "SELECT raise('22000', 'bad')")
	wantCode(t, err, "22000")
	if pc.TxStatus() != 'E' {
		t.Fatalf("after an error %c", pc.TxStatus())
	}
	_, err = tx.Exec(ctx, "SELECT 1")
	wantCode(t, err, "25P02")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if pc.TxStatus() != 'I' {
		t.Fatalf("after ROLLBACK %c", pc.TxStatus())
	}
	// A protocol-level error inside a block also fails the block.
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	_, err = pc.ExecPrepared(ctx, "no_such_statement", nil, nil, nil).Close()
	wantCode(t, err, "26000")
	if pc.TxStatus() != 'E' {
		t.Fatalf("after 26000 in a block: %c", pc.TxStatus())
	}
	res, err := pc.Exec(ctx, "COMMIT").ReadAll()
	if err != nil || res[0].CommandTag.String() != "ROLLBACK" {
		t.Fatalf("COMMIT of a failed block: %v %v", res, err)
	}
	mustSelect1(t, conn)
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []Config{
		{Auth: "kerberos"},
		{Auth: "scram"},
		{Auth: "password", UsersFile: "/nonexistent/users"},
		{TLSCertFile: "cert.pem"},
		{IdleTimeout: -time.Second},
	} {
		if _, err := NewServer(cfg, newTestHandler()); err == nil {
			t.Errorf("NewServer(%+v) accepted", cfg)
		}
	}
	if _, err := NewServer(Config{}, nil); err == nil {
		t.Error("nil handler accepted")
	}
	s, err := NewServer(Config{MaxMessageBytes: 10}, newTestHandler())
	if err != nil || s.cfg.MaxMessageBytes != minMaxMessageBytes || s.cfg.MaxConnections != DefaultMaxConnections || s.cfg.Listen != DefaultListen {
		t.Errorf("defaults: %+v %v", s.cfg, err)
	}
}

func TestUnknownDatabase(t *testing.T) {
	ts := startServer(t, Config{})
	_, err := pgx.Connect(testCtx(t), fmt.Sprintf("postgres://tester@%s/nosuchdb?sslmode=disable", ts.addr))
	wantCode(t, err, sqlstate.InvalidCatalogName)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Severity != "FATAL" {
		t.Errorf("severity %s", pe.Severity)
	}
}
