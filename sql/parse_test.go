package sql

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/sql/sqlstate"
)

func TestParseSplitsStatements(t *testing.T) {
	q := "SELECT 1; /* a; b */ SELECT $$x;y$$ ;; -- c;\n INSERT INTO t VALUES (';', E'\\';') ;"
	stmts, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text string
		pos  int
	}{
		{"SELECT 1", 0},
		{"SELECT $$x;y$$", 21},
		{`INSERT INTO t VALUES (';', E'\';')`, 46},
	}
	if len(stmts) != len(want) {
		t.Fatalf("got %d statements, want %d", len(stmts), len(want))
	}
	for i, w := range want {
		if stmts[i].Text() != w.text || stmts[i].Pos() != w.pos {
			t.Errorf("statement %d = %q at %d, want %q at %d", i, stmts[i].Text(), stmts[i].Pos(), w.text, w.pos)
		}
	}
	if _, ok := stmts[2].(*Insert); !ok {
		t.Errorf("statement 2 is %T, want *Insert", stmts[2])
	}
	for _, empty := range []string{"", "  ", ";", "-- only a comment", "/* c */ ; ; -- x\n"} {
		stmts, err := Parse(empty)
		if err != nil || len(stmts) != 0 {
			t.Errorf("Parse(%q) = %d statements, %v; want none", empty, len(stmts), err)
		}
	}
}

func TestSyntaxErrorPositions(t *testing.T) {
	cases := []struct {
		in, msg string
		pos     int
	}{
		{"SELECT 1 + * 2", `syntax error at or near "*"`, 12},
		// After a::text the rewritten text is longer than the original;
		// the position is still the user's.
		{"SELECT a::text, 1 + * 2", `syntax error at or near "*"`, 21},
		{"SELECT\n  a::text,\n  b FROM t WHERE c = = 1", `syntax error at or near "="`, 40},
		// Errors TiDB finds, mapped back through the rewritten text.
		{"SELECT a::text, b.c.d.e FROM t", `syntax error at or near "."`, 22},
		{"SELECT 'é', a::text FROM (t JOIN u ON true) AS j", `syntax error at or near "AS"`, 45},
		{"SELECT FROM t", `syntax error at or near "FROM"`, 8},
		{"SELECT 1; SELECT x::int FROM (t JOIN u ON true) j", `syntax error at or near "j"`, 49},
		// Ends of input and statements.
		{"SELECT (1", "syntax error at end of input", 10},
		{"SELECT (1; SELECT 2", `syntax error at or near ";"`, 10},
		{"SELECT a FROM t WHERE", "syntax error at end of input", 22},
		{"SELECT 1)", `syntax error at or near ")"`, 9},
		{"SELECT [1]", `syntax error at or near "["`, 8},
		// PostgreSQL-specific refusals of syntax TiDB would accept.
		{"SELECT 1 2", `syntax error at or near "2"`, 10},
		{"SELECT 'a' 'b'", `syntax error at or near "'b'"`, 12},
		{"SELECT a < b < c", `syntax error at or near "<"`, 14},
		{"SELECT a LIKE b LIKE c", `syntax error at or near "LIKE"`, 17},
		{"SELECT 1 UNION SELECT 2 LIMIT 1 UNION SELECT 3", `syntax error at or near "UNION"`, 33},
		{"SELECT ?", "syntax error at end of input", 9}, // ? is a prefix operator to PostgreSQL too
		{"SELECT ? FROM t", `syntax error at or near "FROM"`, 10},
		{"SELECT a FROM t LIMIT 1, 2", "LIMIT #,# syntax is not supported", 17},
		{"SELECT a FROM t LIMIT 1 FETCH FIRST 2 ROWS ONLY", "multiple LIMIT clauses not allowed", 25},
		{"SELECT a FROM t OFFSET 1 OFFSET 2", "multiple OFFSET clauses not allowed", 26},
		{"FOO BAR", `syntax error at or near "FOO"`, 1},
		{"SELECT 1; BOGUS", `syntax error at or near "BOGUS"`, 11},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			e := sqlstate.As(err)
			if e == nil || e.Code != sqlstate.SyntaxError || e.Message != c.msg || e.Position != c.pos {
				t.Errorf("Parse(%q) = %s, want 42601 %q at %d", c.in, describe(err), c.msg, c.pos)
			}
		})
	}
}

func TestUnsupportedStatements(t *testing.T) {
	cases := []struct{ in, msg string }{
		{"CREATE TABLE t (a int)", "CREATE TABLE is not supported: lambdasql tables are sources (CREATE SOURCE) and views"},
		{"CREATE TEMPORARY TABLE t (a int)", "CREATE TABLE is not supported: lambdasql tables are sources (CREATE SOURCE) and views"},
		{"CREATE UNIQUE INDEX i ON t (a)", "CREATE INDEX is not supported"},
		{"CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", "CREATE FUNCTION is not supported"},
		{"CREATE MATERIALIZED VIEW mv AS SELECT 1", "CREATE MATERIALIZED VIEW is not supported"},
		{"CREATE SCHEMA s", "CREATE SCHEMA is not supported"},
		{"UPDATE t SET a = 1", "UPDATE is not supported"},
		{"DELETE FROM t", "DELETE is not supported"},
		{"TRUNCATE t", "TRUNCATE is not supported"},
		{"MERGE INTO t USING u ON true WHEN MATCHED THEN DO NOTHING", "MERGE is not supported"},
		{"GRANT SELECT ON t TO u", "GRANT is not supported"},
		{"REVOKE ALL ON t FROM u", "REVOKE is not supported"},
		{"ALTER TABLE t ADD COLUMN b int", "ALTER TABLE is not supported"},
		{"DROP INDEX i", "DROP INDEX is not supported"},
		{"DROP MATERIALIZED VIEW v", "DROP MATERIALIZED VIEW is not supported"},
		{"COMMENT ON TABLE t IS 'x'", "COMMENT is not supported"},
		{"LOCK TABLE t", "LOCK is not supported"},
		{"DO $$ BEGIN END $$", "DO is not supported"},
		{"CALL p()", "CALL is not supported"},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "WITH … INSERT is not supported"},
		{"WITH x AS (SELECT 1) DELETE FROM t", "DELETE is not supported"},
		{"REFRESH MATERIALIZED VIEW v", "REFRESH MATERIALIZED VIEW is not supported"},
		{"PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION is not supported"},
		{"COMMIT PREPARED 'x'", "COMMIT PREPARED is not supported"},
		{"CREATE TEMP VIEW v AS SELECT 1", "CREATE TEMPORARY VIEW is not supported"},
		{"CREATE VIEW v AS SELECT 1 WITH CHECK OPTION", "WITH CHECK OPTION is not supported"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			e := sqlstate.As(err)
			if e == nil || e.Code != sqlstate.FeatureNotSupported || e.Message != c.msg || e.Position < 1 {
				t.Errorf("Parse(%q) = %s, want 0A000 %q", c.in, describe(err), c.msg)
			}
		})
	}
}

// exprPositions maps the rewritten-text form of each column reference,
// value and function call to the position Parsed.Position reports.
type posCollector struct {
	p   *Parsed
	out map[string]int
}

func (v *posCollector) Enter(n ast.Node) (ast.Node, bool) {
	var key string
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		key = "col " + x.Name.Name.O
	case *ast.FuncCallExpr:
		key = "func " + x.FnName.L
	case *ast.BinaryOperationExpr:
		key = "op " + x.Op.String()
	default:
		return n, false
	}
	if _, dup := v.out[key]; !dup {
		v.out[key] = v.p.Position(n)
	}
	return n, false
}

func (v *posCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func TestNodePositions(t *testing.T) {
	// Positions are 1-based characters of the whole query; 'é' is two bytes.
	q := "SELECT 1; SELECT 'é', a::text, x ~ 'y', f(b) FROM t\nWHERE c = $1 AND d::int > 2 LIMIT $2 OFFSET e + 1"
	stmts, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	p := parsedOf(t, stmts[1])
	v := &posCollector{p: p, out: map[string]int{}}
	p.Node.Accept(v)
	at := func(sub string) int { return utf8.RuneCountInString(q[:strings.Index(q, sub)]) + 1 }
	want := map[string]int{
		"col a":       at("a::text"),
		"func __cast": at("a::text"), // a cast is reported at its operand, as PostgreSQL does
		"func __op":   at("~ 'y'"),   // an operator at the operator
		"col x":       at("x ~"),
		"func f":      at("f(b)"),
		"col b":       at("b)"),
		"op eq":       at("c = $1"),
		"col c":       at("c = $1"),
		"col $1":      at("$1"),
		"col d":       at("d::int"),
		"col $2":      at("$2"),
		"col e":       at("e + 1"),
		"op plus":     at("e + 1"),
	}
	if at("a::text") != 23 || at("$2") != 87 {
		t.Fatalf("test setup: positions %d %d", at("a::text"), at("$2"))
	}
	for k, w := range want {
		if got, ok := v.out[k]; !ok || got != w {
			t.Errorf("position of %s = %d (found %v), want %d", k, got, ok, w)
		}
	}
	// The select fields report where each starts.
	sel := p.Node.(*ast.SelectStmt)
	if got := p.Position(sel.Fields.Fields[1]); got != 23 {
		t.Errorf("position of the second field = %d, want 23", got)
	}
}

// The statements of DESIGN.md, verbatim.
const designSource = `-- A source: where events come from, and which column is event time.
CREATE SOURCE telemetry (
  device_id        TEXT NOT NULL,
  event_timestamp  TIMESTAMPTZ NOT NULL,
  temperature      DOUBLE PRECISION,
  energy_consumed  DOUBLE PRECISION,
  user_id          TEXT,
  event_type       TEXT
) WITH (
  connector  = 'kafka',            -- or 'embedded' (default): INSERT / COPY
  topic      = 'telemetry',
  brokers    = 'localhost:9092',
  format     = 'json',
  event_time = 'event_timestamp',
  lateness   = '2m'                -- allowed out-of-orderness
);`

const designView = `-- A lambda view: window='1m' makes it a tumbling-window view with
-- window_start / window_end columns added in front of the select list.
CREATE VIEW device_metrics WITH (window = '1m', batch_interval = '5m') AS
SELECT device_id,
       count(*)                AS event_count,
       avg(temperature)        AS avg_temperature,
       max(temperature)        AS max_temperature,
       min(temperature)        AS min_temperature,
       sum(energy_consumed)    AS total_energy,
       count(DISTINCT user_id) AS unique_users
FROM telemetry
GROUP BY device_id;`

const designQuery = `-- Clients just query it.
SELECT * FROM device_metrics
WHERE device_id = 'device-00042' AND window_start >= now() - interval '1 hour'
ORDER BY window_start;`

func TestDesignExamples(t *testing.T) {
	stmts, err := Parse(designSource + "\n\n" + designView + "\n\n" + designQuery)
	if err != nil {
		t.Fatal(describe(err))
	}
	if len(stmts) != 3 {
		t.Fatalf("%d statements, want 3", len(stmts))
	}
	src := stmts[0].(*CreateSource)
	if src.Name.Name != "telemetry" || len(src.Columns) != 6 || len(src.Options) != 6 {
		t.Fatalf("source = %+v", src)
	}
	if c := src.Columns[1]; c.Name != "event_timestamp" || c.TypeName != "timestamptz" || !c.NotNull || c.Type.Name != "timestamp with time zone" {
		t.Errorf("column 1 = %+v", c)
	}
	if c := src.Columns[2]; c.TypeName != "double precision" || c.NotNull || c.Type.Name != "double precision" {
		t.Errorf("column 2 = %+v", c)
	}
	if d, ok, err := src.Options.Duration("lateness"); !ok || err != nil || d.String() != "2m0s" {
		t.Errorf("lateness = %v %v %v", d, ok, err)
	}
	if v, _ := src.Options.String("connector"); v != "kafka" {
		t.Errorf("connector = %q", v)
	}

	view := stmts[1].(*CreateView)
	if view.Name.Name != "device_metrics" || len(view.Options) != 2 || view.Options[0].Key != "window" {
		t.Fatalf("view = %+v", view)
	}
	wantText := designView[strings.Index(designView, "SELECT device_id") : len(designView)-1]
	if view.QueryText != wantText {
		t.Errorf("view query text = %q, want %q", view.QueryText, wantText)
	}
	sel := view.Query.Node.(*ast.SelectStmt)
	if len(sel.Fields.Fields) != 7 || sel.GroupBy == nil {
		t.Errorf("view query = %s", view.Query.Rewritten)
	}
	agg, ok := sel.Fields.Fields[6].Expr.(*ast.AggregateFuncExpr)
	if !ok || !agg.Distinct || agg.F != "count" {
		t.Errorf("count(DISTINCT user_id) = %#v", sel.Fields.Fields[6].Expr)
	}

	q := stmts[2].(*Query)
	if !strings.Contains(q.Rewritten, "now() - __cast('1 hour', 'interval')") {
		t.Errorf("query rewritten as %q", q.Rewritten)
	}
}

// TestClientQueries parses what psql, pgjdbc, Npgsql, pgx and BI tools send
// on connect and for catalog introspection.
func TestClientQueries(t *testing.T) {
	b, err := os.ReadFile("testdata/client_queries.sql")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "\n----\n")
	if len(blocks) < 30 {
		t.Fatalf("only %d client queries", len(blocks))
	}
	for _, q := range blocks {
		name := strings.SplitN(strings.TrimSpace(q), "\n", 2)[0]
		t.Run(name, func(t *testing.T) {
			stmts, err := Parse(q)
			if err != nil {
				t.Fatalf("%s\n%s", describe(err), q)
			}
			if len(stmts) != 1 {
				t.Fatalf("%d statements", len(stmts))
			}
			checkParse(t, q)
		})
	}
}

func TestLimitSubstitution(t *testing.T) {
	p := parsedOf(t, parseOne(t, "SELECT a FROM t LIMIT $1 OFFSET (SELECT 2)"))
	lim := p.Node.(*ast.SelectStmt).Limit
	c, ok := lim.Count.(*ast.ColumnNameExpr)
	if !ok || c.Name.Name.O != "$1" {
		t.Fatalf("LIMIT = %T", lim.Count)
	}
	if got := p.Position(c); got != 23 {
		t.Errorf("LIMIT $1 position = %d, want 23", got)
	}
	if _, ok := lim.Offset.(*ast.SubqueryExpr); !ok {
		t.Errorf("OFFSET = %T, want a subquery", lim.Offset)
	}
	// Nested levels are substituted too.
	p = parsedOf(t, parseOne(t, "SELECT * FROM (SELECT a FROM t LIMIT $1) s UNION SELECT 1 LIMIT $2"))
	if got := restore(t, p.Node); got != "SELECT * FROM (SELECT `a` FROM `t` LIMIT `$1`) AS `s` UNION SELECT 1 LIMIT `$2`" {
		t.Errorf("Restore = %s", got)
	}
}

// Parse is called from many sessions at once; the TiDB parsers are pooled.
func TestParseConcurrently(t *testing.T) {
	queries := []string{designSource, designView, designQuery, "SELECT a::int FROM t LIMIT $1", "SELECT 1 + * 2"}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func(g int) {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				q := queries[(g+i)%len(queries)]
				_, perr := Parse(q)
				if (perr != nil) != strings.Contains(q, "+ *") {
					err = perr
				}
			}
			done <- err
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TiDB truncates the text of its error after 2048 bytes and reports the
// total length instead; the position must still come out right.
func TestSyntaxErrorPositionInLongStatement(t *testing.T) {
	q := "SELECT é::text, b.c.d.e" + strings.Repeat(", x::int", 400) + " FROM t"
	_, err := Parse(q)
	e := sqlstate.As(err)
	want := utf8.RuneCountInString(q[:strings.Index(q, ".e")]) + 1
	if e == nil || e.Code != sqlstate.SyntaxError || e.Message != `syntax error at or near "."` || e.Position != want {
		t.Errorf("Parse(long) = %s, want the third dot at %d", describe(err), want)
	}
}
