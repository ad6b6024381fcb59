package sql

import (
	"reflect"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func ptr[T any](v T) *T { return &v }

func TestUtilityStatements(t *testing.T) {
	cases := []struct {
		in   string
		want Stmt
	}{
		// SET / RESET.
		{"SET lambda.read = 'batch'", &SetVar{Name: "lambda.read", Values: []string{"batch"}}},
		{"SET SESSION lambda.read TO merged", &SetVar{Name: "lambda.read", Values: []string{"merged"}}},
		{`SET LOCAL search_path TO "$user", public`, &SetVar{Local: true, Name: "search_path", Values: []string{"$user", "public"}}},
		{"SET extra_float_digits = 3", &SetVar{Name: "extra_float_digits", Values: []string{"3"}}},
		{"SET extra_float_digits = -3", &SetVar{Name: "extra_float_digits", Values: []string{"-3"}}},
		{"SET application_name = 'PostgreSQL JDBC Driver'", &SetVar{Name: "application_name", Values: []string{"PostgreSQL JDBC Driver"}}},
		{"SET datestyle = ISO, MDY", &SetVar{Name: "datestyle", Values: []string{"iso", "mdy"}}},
		{"SET enable_seqscan = on", &SetVar{Name: "enable_seqscan", Values: []string{"on"}}},
		{"SET statement_timeout TO DEFAULT", &SetVar{Name: "statement_timeout", Default: true}},
		{"SET TIME ZONE 'UTC'", &SetVar{Name: "timezone", Values: []string{"UTC"}}},
		{"SET TIME ZONE -7", &SetVar{Name: "timezone", Values: []string{"-7"}}},
		{"SET TIME ZONE LOCAL", &SetVar{Name: "timezone", Default: true}},
		{"SET NAMES 'UTF8'", &SetVar{Name: "client_encoding", Values: []string{"UTF8"}}},
		{"SET SCHEMA 'public'", &SetVar{Name: "search_path", Values: []string{"public"}}},
		{"SET ROLE admin", &SetVar{Name: "role", Values: []string{"admin"}}},
		{"SET SESSION AUTHORIZATION DEFAULT", &SetVar{Name: "session_authorization", Default: true}},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED", &SetTransaction{Session: true, Modes: TxnModes{Isolation: "read committed"}}},
		{"SET TRANSACTION READ ONLY, NOT DEFERRABLE", &SetTransaction{Modes: TxnModes{ReadOnly: ptr(true), Deferrable: ptr(false)}}},
		{"RESET ALL", &ResetVar{Name: "all"}},
		{"RESET lambda.read", &ResetVar{Name: "lambda.read"}},
		{"RESET TIME ZONE", &ResetVar{Name: "timezone"}},
		// Transactions.
		{"BEGIN", &Transaction{Kind: TxnBegin}},
		{"BEGIN WORK ISOLATION LEVEL SERIALIZABLE, READ ONLY DEFERRABLE", &Transaction{Kind: TxnBegin,
			Modes: TxnModes{Isolation: "serializable", ReadOnly: ptr(true), Deferrable: ptr(true)}}},
		{"START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ WRITE", &Transaction{Kind: TxnBegin,
			Modes: TxnModes{Isolation: "repeatable read", ReadOnly: ptr(false)}}},
		{"COMMIT", &Transaction{Kind: TxnCommit}},
		{"COMMIT TRANSACTION AND CHAIN", &Transaction{Kind: TxnCommit, Chain: true}},
		{"END WORK", &Transaction{Kind: TxnCommit}},
		{"ROLLBACK AND NO CHAIN", &Transaction{Kind: TxnRollback}},
		{"ABORT", &Transaction{Kind: TxnRollback}},
		{"SAVEPOINT sp1", &Transaction{Kind: TxnSavepoint, Savepoint: "sp1"}},
		{"RELEASE SAVEPOINT sp1", &Transaction{Kind: TxnRelease, Savepoint: "sp1"}},
		{"RELEASE sp1", &Transaction{Kind: TxnRelease, Savepoint: "sp1"}},
		{"ROLLBACK TO SAVEPOINT sp1", &Transaction{Kind: TxnRollbackTo, Savepoint: "sp1"}},
		{"ROLLBACK WORK TO sp1", &Transaction{Kind: TxnRollbackTo, Savepoint: "sp1"}},
		// Cursors and prepared statements.
		{"FETCH c", &Fetch{Count: 1, Cursor: "c"}},
		{"FETCH 10 FROM c", &Fetch{Count: 10, Cursor: "c"}},
		{"FETCH -3 c", &Fetch{Direction: FetchBackward, Count: 3, Cursor: "c"}},
		{"FETCH ALL IN c", &Fetch{All: true, Cursor: "c"}},
		{"FETCH FORWARD ALL FROM c", &Fetch{All: true, Cursor: "c"}},
		{"FETCH BACKWARD 2 c", &Fetch{Direction: FetchBackward, Count: 2, Cursor: "c"}},
		{"FETCH PRIOR FROM c", &Fetch{Direction: FetchBackward, Count: 1, Cursor: "c"}},
		{"FETCH FIRST c", &Fetch{Direction: FetchAbsolute, Count: 1, Cursor: "c"}},
		{"FETCH LAST c", &Fetch{Direction: FetchAbsolute, Count: -1, Cursor: "c"}},
		{"FETCH ABSOLUTE -1 FROM c", &Fetch{Direction: FetchAbsolute, Count: -1, Cursor: "c"}},
		{"FETCH RELATIVE 5 c", &Fetch{Direction: FetchRelative, Count: 5, Cursor: "c"}},
		{"MOVE NEXT c", &Fetch{Move: true, Count: 1, Cursor: "c"}},
		{"CLOSE c", &CloseCursor{Name: "c"}},
		{"CLOSE ALL", &CloseCursor{All: true}},
		{"DEALLOCATE PREPARE q", &Deallocate{Name: "q"}},
		{"DEALLOCATE ALL", &Deallocate{All: true}},
		{"DISCARD ALL", &Discard{What: "all"}},
		{"DISCARD TEMPORARY", &Discard{What: "temp"}},
		{"EXECUTE q", &Execute{Name: "q"}},
		// Acknowledged without effect.
		{"LISTEN ch", &IgnoredUtility{Name: "LISTEN"}},
		{"UNLISTEN *", &IgnoredUtility{Name: "UNLISTEN"}},
		{"NOTIFY ch, 'payload'", &IgnoredUtility{Name: "NOTIFY"}},
		{"CHECKPOINT", &IgnoredUtility{Name: "CHECKPOINT"}},
		{"VACUUM (VERBOSE, ANALYZE) t", &IgnoredUtility{Name: "VACUUM"}},
		{"ANALYSE t (a)", &IgnoredUtility{Name: "ANALYZE"}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := parseOne(t, c.in)
			if got.Text() != c.in {
				t.Errorf("Text() = %q", got.Text())
			}
			clearBase(got)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", c.in, got, c.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	cases := []struct {
		in               string
		analyze, verbose bool
		format           string
		options          map[string]string
		inner            string
	}{
		{"EXPLAIN SELECT 1", false, false, "text", map[string]string{}, "*sql.Query"},
		{"EXPLAIN ANALYZE VERBOSE SELECT * FROM t", true, true, "text", map[string]string{"analyze": "true", "verbose": "true"}, "*sql.Query"},
		{"EXPLAIN (ANALYZE, VERBOSE, FORMAT text) SELECT 1", true, true, "text", map[string]string{"analyze": "true", "verbose": "true", "format": "text"}, "*sql.Query"},
		{"EXPLAIN (FORMAT json, COSTS off, ANALYZE false) VALUES (1)", false, false, "json", map[string]string{"format": "json", "costs": "off", "analyze": "false"}, "*sql.Query"},
		{"EXPLAIN INSERT INTO t VALUES (1)", false, false, "text", map[string]string{}, "*sql.Insert"},
		{"EXPLAIN (SELECT 1) UNION (SELECT 2)", false, false, "text", map[string]string{}, "*sql.Query"},
		{"EXPLAIN CREATE VIEW v WITH (window = '1m') AS SELECT 1", false, false, "text", map[string]string{}, "*sql.CreateView"},
		{"EXPLAIN EXECUTE q (1)", false, false, "text", map[string]string{}, "*sql.Execute"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			st := parseOne(t, c.in).(*Explain)
			if st.Analyze != c.analyze || st.Verbose != c.verbose || st.Format != c.format || !reflect.DeepEqual(st.Options, c.options) {
				t.Errorf("EXPLAIN = %+v", st)
			}
			if got := reflect.TypeOf(st.Stmt).String(); got != c.inner {
				t.Errorf("inner statement %s, want %s", got, c.inner)
			}
		})
	}
	st := parseOne(t, "EXPLAIN ANALYZE SELECT x::int FROM t").(*Explain)
	q := st.Stmt.(*Query)
	if q.Text() != "SELECT x::int FROM t" || q.Pos() != 16 {
		t.Errorf("inner query = %q at %d", q.Text(), q.Pos())
	}
}

func TestCursorsAndPrepare(t *testing.T) {
	d := parseOne(t, "DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t ORDER BY 1").(*DeclareCursor)
	if d.Name != "c" || !d.Binary || d.Scroll || !d.Hold || d.Query.Text() != "SELECT * FROM t ORDER BY 1" {
		t.Errorf("DECLARE = %+v", d)
	}
	d = parseOne(t, "DECLARE c SCROLL CURSOR FOR VALUES (1)").(*DeclareCursor)
	if !d.Scroll || d.Hold {
		t.Errorf("DECLARE SCROLL = %+v", d)
	}

	p := parseOne(t, "PREPARE q (int, text, timestamp with time zone) AS SELECT $1, $2 WHERE $3 > now()").(*Prepare)
	if p.Name != "q" || len(p.ParamTypes) != 3 || p.ParamTypes[0] != types.Int4 || p.ParamTypes[2] != types.TimestampTZ {
		t.Errorf("PREPARE = %+v", p)
	}
	if _, ok := p.Stmt.(*Query); !ok {
		t.Errorf("prepared statement is %T", p.Stmt)
	}
	if _, ok := parseOne(t, "PREPARE ins AS INSERT INTO t VALUES ($1)").(*Prepare).Stmt.(*Insert); !ok {
		t.Errorf("prepared INSERT not parsed as *Insert")
	}

	e := parseOne(t, "EXECUTE q (1, 'x', $1::int)").(*Execute)
	if e.Name != "q" || e.Args == nil {
		t.Fatalf("EXECUTE = %+v", e)
	}
	fields := e.Args.Node.(*ast.SelectStmt).Fields.Fields
	if len(fields) != 3 || e.Args.Position(fields[2].Expr) != 20 {
		t.Errorf("EXECUTE args = %s, third at %d", e.Args.Rewritten, e.Args.Position(fields[2].Expr))
	}
}

func TestCopy(t *testing.T) {
	cases := []struct {
		in   string
		want Copy
	}{
		{"COPY telemetry FROM STDIN", Copy{Table: &ObjectName{Name: "telemetry", Pos: 6}, From: true, Stdio: true,
			Format: CopyText, Delimiter: "\t", Null: `\N`}},
		{"COPY telemetry (a, b) FROM STDIN WITH CSV HEADER DELIMITER ',' NULL 'x'", Copy{Table: &ObjectName{Name: "telemetry", Pos: 6},
			Columns: []string{"a", "b"}, From: true, Stdio: true, Format: CopyCSV, Header: true, Delimiter: ",", Null: "x", Quote: `"`, Escape: `"`}},
		{"COPY t FROM STDIN CSV QUOTE AS '''' ESCAPE '\\' FORCE NOT NULL a, b", Copy{Table: &ObjectName{Name: "t", Pos: 6}, From: true, Stdio: true,
			Format: CopyCSV, Delimiter: ",", Quote: "'", Escape: `\`, ForceNotNull: []string{"a", "b"}}},
		{"COPY telemetry FROM '/data/backfill.parquet'", Copy{Table: &ObjectName{Name: "telemetry", Pos: 6}, From: true,
			File: "/data/backfill.parquet", Format: CopyText, Delimiter: "\t", Null: `\N`}},
		{"COPY t TO STDOUT (FORMAT binary)", Copy{Table: &ObjectName{Name: "t", Pos: 6}, Stdio: true, Format: CopyBinary}},
		{"COPY BINARY t TO STDOUT", Copy{Table: &ObjectName{Name: "t", Pos: 13}, Stdio: true, Format: CopyBinary}},
		{"COPY t TO STDOUT WITH (FORMAT csv, HEADER true, FORCE_QUOTE (a), ENCODING 'UTF8')", Copy{Table: &ObjectName{Name: "t", Pos: 6},
			Stdio: true, Format: CopyCSV, Header: true, Delimiter: ",", Quote: `"`, Escape: `"`, ForceQuote: []string{"a"}, Encoding: "UTF8"}},
		{"COPY t FROM STDIN (FORMAT csv, HEADER match, FORCE_NULL (a), DEFAULT '\\D', FREEZE)", Copy{Table: &ObjectName{Name: "t", Pos: 6},
			From: true, Stdio: true, Format: CopyCSV, Header: true, HeaderMatch: true, Delimiter: ",", Quote: `"`, Escape: `"`,
			ForceNull: []string{"a"}, Default: ptr(`\D`), Freeze: true}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := parseOne(t, c.in).(*Copy)
			clearBase(got)
			if !reflect.DeepEqual(*got, c.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.in, *got, c.want)
			}
		})
	}
	st := parseOne(t, "COPY (SELECT * FROM t WHERE x ~ 'a') TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';', FORCE_QUOTE *)").(*Copy)
	if st.Table != nil || st.Query == nil || !st.ForceQuoteAll || st.Delimiter != ";" || st.Query.Text() != "SELECT * FROM t WHERE x ~ 'a'" {
		t.Errorf("COPY (query) = %+v", st)
	}
}

func TestUtilityErrors(t *testing.T) {
	cases := []struct {
		in, code, msg string
		pos           int
	}{
		{"SET x", sqlstate.SyntaxError, "syntax error at end of input", 6},
		{"SET x =", sqlstate.SyntaxError, "syntax error at end of input", 8},
		{"SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE", sqlstate.FeatureNotSupported, "SET TIME ZONE INTERVAL is not supported", 15},
		{"BEGIN ISOLATION LEVEL SOMETIMES", sqlstate.SyntaxError, `syntax error at or near "SOMETIMES"`, 23},
		{"FETCH ABSOLUTE c", sqlstate.SyntaxError, `syntax error at or near "c"`, 16},
		{"FETCH 99999999999999999999 c", sqlstate.NumericValueOutOfRange, `value "99999999999999999999" is out of range for type bigint`, 7},
		{"DECLARE c CURSOR FOR INSERT INTO t VALUES (1)", sqlstate.SyntaxError, `syntax error at or near "INSERT"`, 22},
		{"PREPARE q (nosuchtype) AS SELECT 1", sqlstate.UndefinedObject, `type "nosuchtype" does not exist`, 12},
		{"PREPARE q AS SHOW ALL", sqlstate.SyntaxError, `syntax error at or near "SHOW"`, 14},
		{"EXPLAIN (bogus) SELECT 1", sqlstate.SyntaxError, `unrecognized EXPLAIN option "bogus"`, 10},
		{"EXPLAIN (FORMAT csv) SELECT 1", sqlstate.InvalidParameterValue, `unrecognized value for EXPLAIN option "format": "csv"`, 17},
		{"EXPLAIN SHOW ALL", sqlstate.SyntaxError, `syntax error at or near "SHOW"`, 9},
		{"DISCARD EVERYTHING", sqlstate.SyntaxError, `syntax error at or near "EVERYTHING"`, 9},
		{"COPY t FROM STDOUT", sqlstate.SyntaxError, `syntax error at or near "STDOUT"`, 13},
		{"COPY (SELECT 1) FROM STDIN", sqlstate.SyntaxError, `syntax error at or near "FROM"`, 17},
		{"COPY t FROM PROGRAM 'ls'", sqlstate.FeatureNotSupported, "COPY PROGRAM is not supported", 13},
		{"COPY t FROM STDIN (bogus 1)", sqlstate.SyntaxError, `option "bogus" not recognized`, 20},
		{"COPY t FROM STDIN (FORMAT xml)", sqlstate.InvalidParameterValue, `COPY format "xml" not recognized`, 20},
		{"COPY t FROM STDIN (DELIMITER ',', DELIMITER ';')", sqlstate.SyntaxError, "conflicting or redundant options", 35},
		{"COPY t FROM STDIN (DELIMITER ',,')", sqlstate.FeatureNotSupported, "COPY delimiter must be a single one-byte character", 20},
		{"COPY t FROM STDIN (DELIMITER 'a')", sqlstate.InvalidParameterValue, `COPY delimiter cannot be "a"`, 20},
		{"COPY t FROM STDIN (FORMAT text, QUOTE '\"')", sqlstate.FeatureNotSupported, "COPY quote available only in CSV mode", 33},
		{"COPY t FROM STDIN (FORMAT csv, QUOTE ',')", sqlstate.InvalidParameterValue, "COPY delimiter and quote must be different", 32},
		{"COPY t FROM STDIN (FORMAT binary, NULL 'x')", sqlstate.SyntaxError, "cannot specify NULL in BINARY mode", 35},
		{"COPY t FROM STDIN (FORMAT csv, FORCE_QUOTE *)", sqlstate.FeatureNotSupported, "COPY force quote only available using COPY TO", 32},
		{"COPY t TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))", sqlstate.FeatureNotSupported, "COPY force not null only available using COPY FROM", 31},
		{"COPY t TO STDOUT (HEADER match)", sqlstate.FeatureNotSupported, `cannot use "match" with HEADER in COPY TO`, 19},
		{"COPY t FROM STDIN (NULL ',', FORMAT csv)", sqlstate.InvalidParameterValue, "COPY delimiter must not appear in the NULL specification", 20},
		{"COPY t FROM STDIN WHERE a > 1", sqlstate.FeatureNotSupported, "COPY FROM … WHERE is not supported", 19},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			e := sqlstate.As(err)
			if e == nil || e.Code != c.code || e.Message != c.msg || e.Position != c.pos {
				t.Errorf("Parse(%q) = %s, want %s %q at %d", c.in, describe(err), c.code, c.msg, c.pos)
			}
		})
	}
}
