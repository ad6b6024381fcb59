package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lambdasql/exec"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// catalogServer starts a server on loopback with the source and views
// the catalog tests describe, and returns it with a connected client.
func catalogServer(t *testing.T) (*Server, *pgx.Conn) {
	t.Helper()
	srv, err := Open(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", HTTP: "",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	conn := catConnect(t, srv)
	for _, ddl := range []string{
		`CREATE SOURCE telemetry (device_id TEXT NOT NULL, event_timestamp TIMESTAMPTZ NOT NULL, temperature DOUBLE PRECISION) WITH (event_time = 'event_timestamp')`,
		`CREATE VIEW v AS SELECT device_id, temperature FROM telemetry`,
		`CREATE VIEW device_minutes WITH (window = '1m') AS SELECT device_id, max(temperature) AS max_temperature FROM telemetry GROUP BY device_id`,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := conn.Exec(ctx, ddl)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", ddl, err)
		}
	}
	return srv, conn
}

func catConnect(t *testing.T, srv *Server) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", srv.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// textRows runs sql and returns every value in text form ("NULL" for
// NULL). simple selects the simple query protocol (psql, Npgsql, Grafana);
// otherwise the extended protocol with text results (pgjdbc).
func catTextRows(conn *pgx.Conn, simple bool, sql string, args ...any) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := []any{pgx.QueryResultFormats{pgx.TextFormatCode}}
	if simple {
		opts = []any{pgx.QueryExecModeSimpleProtocol}
	}
	rows, err := conn.Query(ctx, sql, append(opts, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// clientQuery runs a client's catalog query in a subtest. A failure that
// names a missing catalog relation or column (42P01, 42703) fails the
// test: the catalogs must have them. Any other server error is a gap of
// the SQL engine (an unsupported syntax form or function): the subtest
// is skipped with the query and the error, so the gap stays visible.
func catClientQuery(t *testing.T, conn *pgx.Conn, simple bool, name, sql string, check func(t *testing.T, rows [][]string)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		rows, err := catTextRows(conn, simple, sql)
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code != "42P01" && pgErr.Code != "42703" {
				t.Skipf("SQL engine gap: SQLSTATE %s: %s (position %d)\nquery:\n%s", pgErr.Code, pgErr.Message, pgErr.Position, sql)
			}
			t.Fatalf("%v\nquery:\n%s", err, sql)
		}
		if check != nil {
			check(t, rows)
		}
	})
}

// hasRow reports whether rows holds a row whose leading values are want.
func catHasRow(rows [][]string, want ...string) bool {
	for _, r := range rows {
		if len(r) < len(want) {
			continue
		}
		match := true
		for i, w := range want {
			if r[i] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func catWantRow(t *testing.T, rows [][]string, want ...string) {
	t.Helper()
	if !catHasRow(rows, want...) {
		t.Errorf("no row starting with %q in:\n%s", want, catFormatRows(rows))
	}
}

func catFormatRows(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | "))
		b.WriteByte('\n')
	}
	return b.String()
}

func catMustRows(t *testing.T, conn *pgx.Conn, sql string, args ...any) [][]string {
	t.Helper()
	rows, err := catTextRows(conn, false, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rows
}

// TestCatalogTablesWellFormed checks every registered system table in
// process: its rows have one datum per column, each of the Go type the
// column's type takes (exec.RecordOf panics otherwise), and every table
// can be scanned over the wire.
func TestCatalogTablesWellFormed(t *testing.T) {
	srv, conn := catalogServer(t)
	sess := newSession(srv, wire.SessionStart{User: "lambdasql", Database: "lambdasql", BackendPID: 1})
	r := srv.relations(sess)
	oids := map[uint32]string{}
	for _, tbl := range systemTableList() {
		full := tbl.schema + "." + tbl.name
		if prev, dup := oids[tbl.oid]; dup {
			t.Errorf("%s and %s share OID %d", prev, full, tbl.oid)
		}
		oids[tbl.oid] = full
		if tbl.oid >= 16384 || tbl.oid == 0 {
			t.Errorf("%s: OID %d is not a system OID", full, tbl.oid)
		}
		rows, err := tbl.rows(r)
		if err != nil {
			t.Errorf("%s: %v", full, err)
			continue
		}
		for i, row := range rows {
			if len(row) != len(tbl.cols) {
				t.Fatalf("%s row %d has %d values for %d columns", full, i, len(row), len(tbl.cols))
			}
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: a datum does not fit its column type: %v", full, p)
				}
			}()
			exec.RecordOf(tbl.cols, rows).Release()
		}()
		if _, err := catTextRows(conn, false, "SELECT * FROM "+full); err != nil {
			t.Errorf("SELECT * FROM %s: %v", full, err)
		}
	}
	for _, want := range []string{"pg_class", "pg_attribute", "pg_type", "pg_proc", "pg_namespace", "pg_database",
		"pg_settings", "pg_roles", "pg_extension", "pg_stat_activity", "pg_description", "pg_index", "pg_am"} {
		if lookupSystemTable("pg_catalog", want) == nil {
			t.Errorf("pg_catalog.%s is not registered", want)
		}
	}
	for _, want := range []string{"tables", "columns", "schemata", "views", "routines", "table_privileges"} {
		if lookupSystemTable("information_schema", want) == nil {
			t.Errorf("information_schema.%s is not registered", want)
		}
	}
}

func TestProcLookups(t *testing.T) {
	if o, ok := procOID("pg_catalog.array_in"); !ok || o != 750 {
		t.Errorf("procOID(pg_catalog.array_in) = %d, %v; want 750", o, ok)
	}
	if o, ok := procOID(`"int4in"`); !ok || o != 42 {
		t.Errorf(`procOID("int4in") = %d, %v; want 42`, o, ok)
	}
	if _, ok := procOID("myschema.int4in"); ok {
		t.Error("procOID resolved a function in a schema that does not exist")
	}
	if _, ok := procOID("no_such_function"); ok {
		t.Error("procOID resolved an unknown function")
	}
	if n, ok := procName(2400); !ok || n != "array_recv" {
		t.Errorf("procName(2400) = %q, %v; want array_recv", n, ok)
	}
	// Every registry function and aggregate is listed, with its own OID.
	idx := procTable()
	seen := map[uint32]bool{}
	for _, p := range idx.procs {
		if seen[p.oid] {
			t.Errorf("pg_proc OID %d used twice", p.oid)
		}
		seen[p.oid] = true
	}
	for _, name := range exec.FuncNames() {
		if isFunctionName(name) && len(idx.byName[name]) == 0 {
			t.Errorf("registry function %s missing from pg_proc", name)
		}
	}
	for _, agg := range []string{"count", "sum", "avg", "min", "max"} {
		if types.IsAggregate(agg) && len(idx.byName[agg]) == 0 {
			t.Errorf("aggregate %s missing from pg_proc", agg)
		}
	}
	// Every I/O function pg_type names is a pg_proc row (Npgsql and
	// pgjdbc join them).
	all, _ := pgTypes()
	for _, ty := range all {
		for _, f := range []fixedProc{ty.io.in, ty.io.out, ty.io.recv, ty.io.send, ty.io.modin, ty.io.modout, ty.analyze, ty.subscript} {
			if f.oid != 0 && idx.byOID[f.oid] == nil {
				t.Errorf("type %s names function %s (%d), not in pg_proc", ty.name, f.name, f.oid)
			}
		}
	}
	// The derived OIDs are a function of the signatures: rebuilding
	// gives the same ones.
	again := buildProcs()
	for i := range idx.procs {
		if again.procs[i].oid != idx.procs[i].oid || again.procs[i].name != idx.procs[i].name {
			t.Fatalf("pg_proc OIDs are not stable: %s %d vs %s %d", idx.procs[i].name, idx.procs[i].oid, again.procs[i].name, again.procs[i].oid)
		}
	}
}

// TestCatalogContents reads the catalogs directly and checks they
// describe the source, the view and the lambda view.
func TestCatalogContents(t *testing.T) {
	_, conn := catalogServer(t)

	rels := catMustRows(t, conn, `SELECT relname, relkind, relnamespace, relnatts, relam, relowner FROM pg_catalog.pg_class WHERE relnamespace = 2200 ORDER BY relname`)
	want := [][]string{
		{"device_minutes", "v", "2200", "4", "0", "10"},
		{"telemetry", "r", "2200", "3", "2", "10"},
		{"v", "v", "2200", "2", "0", "10"},
	}
	if catFormatRows(rels) != catFormatRows(want) {
		t.Errorf("pg_class:\n%s\nwant:\n%s", catFormatRows(rels), catFormatRows(want))
	}

	atts := catMustRows(t, conn, `SELECT a.attname, a.atttypid, a.attnum, a.attnotnull, a.attlen
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE c.relname = 'telemetry' ORDER BY a.attnum`)
	want = [][]string{
		{"device_id", "25", "1", "t", "-1"},
		{"event_timestamp", "1184", "2", "t", "8"},
		{"temperature", "701", "3", "f", "8"},
	}
	if catFormatRows(atts) != catFormatRows(want) {
		t.Errorf("pg_attribute of telemetry (no _layer):\n%s\nwant:\n%s", catFormatRows(atts), catFormatRows(want))
	}
	atts = catMustRows(t, conn, `SELECT a.attname FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
		WHERE c.relname = 'device_minutes' ORDER BY a.attnum`)
	if got := catFormatRows(atts); got != "window_start\nwindow_end\ndevice_id\nmax_temperature\n" {
		t.Errorf("pg_attribute of the lambda view:\n%s", got)
	}

	// pg_type joins its I/O functions in pg_proc.
	typ := catMustRows(t, conn, `SELECT t.typname, t.typtype, t.typcategory, t.typlen, t.typbyval, t.typelem, t.typarray, pin.proname, precv.proname
		FROM pg_catalog.pg_type t
		JOIN pg_catalog.pg_proc pin ON pin.oid = t.typinput::oid
		JOIN pg_catalog.pg_proc precv ON precv.oid = t.typreceive::oid
		WHERE t.typname IN ('int4', '_int4', 'timestamptz', 'text', 'record')`)
	catWantRow(t, typ, "int4", "b", "N", "4", "t", "0", "1007", "int4in", "int4recv")
	catWantRow(t, typ, "_int4", "b", "A", "-1", "f", "23", "0", "array_in", "array_recv")
	catWantRow(t, typ, "timestamptz", "b", "D", "8", "t", "0", "1185", "timestamptz_in", "timestamptz_recv")
	catWantRow(t, typ, "text", "b", "S", "-1", "f", "0", "1009", "textin", "textrecv")
	catWantRow(t, typ, "record", "p", "P", "-1", "f", "0", "2287", "record_in", "record_recv")
	pseudo := catMustRows(t, conn, `SELECT typname, typtype FROM pg_catalog.pg_type WHERE typname IN ('anyelement', 'void', 'cstring', 'trigger', 'internal', 'anyarray')`)
	if len(pseudo) != 6 {
		t.Errorf("pseudo types: %s", catFormatRows(pseudo))
	}

	catWantRow(t, catMustRows(t, conn, `SELECT nspname, nspowner FROM pg_catalog.pg_namespace`), "public", "10")
	catWantRow(t, catMustRows(t, conn, `SELECT oid, datname, datdba, encoding, datcollate FROM pg_catalog.pg_database`), "5", "lambdasql", "10", "6", "C")
	catWantRow(t, catMustRows(t, conn, `SELECT rolname, rolsuper, rolcanlogin, oid FROM pg_catalog.pg_roles`), "lambdasql", "t", "t", "10")
	catWantRow(t, catMustRows(t, conn, `SELECT name, setting, context FROM pg_catalog.pg_settings WHERE name = 'server_version'`), "server_version", ServerVersion, "internal")
	catWantRow(t, catMustRows(t, conn, `SELECT usename, state, query FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()`),
		"lambdasql", "active", "SELECT usename, state, query FROM pg_catalog.pg_stat_activity WHERE pid = pg_backend_pid()")
	desc := catMustRows(t, conn, `SELECT c.relname, d.description FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid ORDER BY c.relname`)
	catWantRow(t, desc, "device_minutes", "lambda view over telemetry: window=1m")
	catWantRow(t, desc, "telemetry", "source: connector=embedded, event_time=event_timestamp")
	catWantRow(t, catMustRows(t, conn, `SELECT proname, prokind, prorettype FROM pg_catalog.pg_proc WHERE proname = 'count' AND pronargs = 0`), "count", "a", "20")
	catWantRow(t, catMustRows(t, conn, `SELECT oprname, oprkind, oprleft, oprright, oprresult FROM pg_catalog.pg_operator WHERE oprname = '=' AND oprleft = 23 AND oprright = 23`), "=", "b", "23", "23", "16")
	catWantRow(t, catMustRows(t, conn, `SELECT tablename, tableowner FROM pg_catalog.pg_tables WHERE schemaname = 'public'`), "telemetry", "lambdasql")
	catWantRow(t, catMustRows(t, conn, `SELECT viewname, definition FROM pg_catalog.pg_views WHERE schemaname = 'public' AND viewname = 'v'`),
		"v", " SELECT device_id, temperature FROM telemetry;")

	// information_schema
	tables := catMustRows(t, conn, `SELECT table_catalog, table_schema, table_name, table_type, is_insertable_into FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)
	want = [][]string{
		{"lambdasql", "public", "device_minutes", "VIEW", "NO"},
		{"lambdasql", "public", "telemetry", "BASE TABLE", "YES"},
		{"lambdasql", "public", "v", "VIEW", "NO"},
	}
	if catFormatRows(tables) != catFormatRows(want) {
		t.Errorf("information_schema.tables:\n%s\nwant:\n%s", catFormatRows(tables), catFormatRows(want))
	}
	cols := catMustRows(t, conn, `SELECT column_name, ordinal_position, is_nullable, data_type, udt_name, numeric_precision, datetime_precision, character_octet_length
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'telemetry' ORDER BY ordinal_position`)
	want = [][]string{
		{"device_id", "1", "NO", "text", "text", "NULL", "NULL", "1073741824"},
		{"event_timestamp", "2", "NO", "timestamp with time zone", "timestamptz", "NULL", "6", "NULL"},
		{"temperature", "3", "YES", "double precision", "float8", "53", "NULL", "NULL"},
	}
	if catFormatRows(cols) != catFormatRows(want) {
		t.Errorf("information_schema.columns:\n%s\nwant:\n%s", catFormatRows(cols), catFormatRows(want))
	}
	catWantRow(t, catMustRows(t, conn, `SELECT table_name, view_definition FROM information_schema.views WHERE table_schema = 'public'`),
		"v", " SELECT device_id, temperature FROM telemetry;")
	cons := catMustRows(t, conn, `SELECT table_name, constraint_type, constraint_name FROM information_schema.table_constraints WHERE table_schema = 'public' ORDER BY constraint_name`)
	if len(cons) != 2 || cons[0][1] != "CHECK" || !strings.HasSuffix(cons[0][2], "_1_not_null") {
		t.Errorf("information_schema.table_constraints: NOT NULL columns of telemetry as CHECK constraints, got:\n%s", catFormatRows(cons))
	}
	catWantRow(t, catMustRows(t, conn, `SELECT schema_name, schema_owner FROM information_schema.schemata WHERE schema_name = 'public'`), "public", "lambdasql")
	catWantRow(t, catMustRows(t, conn, `SELECT routine_name, data_type FROM information_schema.routines WHERE routine_name = 'upper'`), "upper", "text")
	catWantRow(t, catMustRows(t, conn, `SELECT table_name, privilege_type FROM information_schema.table_privileges WHERE table_name = 'v'`), "v", "SELECT")
	sys := catMustRows(t, conn, `SELECT table_schema, table_type FROM information_schema.tables WHERE table_name = 'pg_class'`)
	catWantRow(t, sys, "pg_catalog", "BASE TABLE")
}
