package sql

import (
	"reflect"
	"testing"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func TestCreateSource(t *testing.T) {
	q := `CREATE SOURCE IF NOT EXISTS public.events (
		ts timestamp(3) with time zone NOT NULL,
		"Key" varchar(20) NULL,
		v numeric(10, 2),
		tags text[],
		WATERMARK FOR ts AS ts - INTERVAL '2 minutes'
	) WITH ("sasl.mechanism" = plain, sasl.user = 'x', partitions = 4, skew = -1.5, strict)`
	st := parseOne(t, q).(*CreateSource)
	if !st.IfNotExists || st.Name.Schema != "public" || st.Name.Name != "events" || st.Name.Pos != 29 {
		t.Errorf("name = %+v, if not exists %v", st.Name, st.IfNotExists)
	}
	wantCols := []struct {
		name, typ string
		t         *types.T
		notNull   bool
	}{
		{"ts", "timestamp(3) with time zone", types.TimestampTZ, true},
		{"Key", "varchar(20)", types.Varchar, false},
		{"v", "numeric(10,2)", types.Numeric, false},
		{"tags", "text[]", types.ArrayOf(types.Text), false},
	}
	if len(st.Columns) != len(wantCols) {
		t.Fatalf("columns = %+v", st.Columns)
	}
	for i, w := range wantCols {
		c := st.Columns[i]
		if c.Name != w.name || c.TypeName != w.typ || !types.Equal(c.Type, w.t) || c.NotNull != w.notNull {
			t.Errorf("column %d = %+v (type %v), want %+v", i, c, c.Type, w)
		}
	}
	if w := st.Watermark; w == nil || w.Column != "ts" || w.Lateness != 2*time.Minute {
		t.Errorf("watermark = %+v", st.Watermark)
	}
	wantOpts := Options{
		{Key: "sasl.mechanism", Value: "plain", Kind: OptIdent},
		{Key: "sasl.user", Value: "x", Kind: OptString},
		{Key: "partitions", Value: "4", Kind: OptNumber},
		{Key: "skew", Value: "-1.5", Kind: OptNumber},
		{Key: "strict", Value: "true", Kind: OptIdent},
	}
	if len(st.Options) != len(wantOpts) {
		t.Fatalf("options = %+v", st.Options)
	}
	for i, w := range wantOpts {
		o := st.Options[i]
		if o.Key != w.Key || o.Value != w.Value || o.Kind != w.Kind || o.KeyPos == 0 || o.Pos == 0 {
			t.Errorf("option %d = %+v, want %+v", i, o, w)
		}
	}
}

func TestCreateSourceWatermarkForms(t *testing.T) {
	cases := []struct {
		clause string
		want   time.Duration
	}{
		{"WATERMARK FOR ts AS ts", 0},
		{"WATERMARK FOR ts AS ts - INTERVAL '5' SECOND", 5 * time.Second},
		{"WATERMARK FOR ts AS ts - INTERVAL '1m'", time.Minute},
		{"WATERMARK FOR ts AS ts - interval 'PT1H'", time.Hour},
	}
	for _, c := range cases {
		st := parseOne(t, "CREATE SOURCE s (ts timestamptz, "+c.clause+")").(*CreateSource)
		if st.Watermark == nil || st.Watermark.Lateness != c.want {
			t.Errorf("%s: watermark %+v, want lateness %v", c.clause, st.Watermark, c.want)
		}
	}
}

func TestDDLErrors(t *testing.T) {
	cases := []struct {
		in, code, msg string
		pos           int
	}{
		{"CREATE SOURCE s (ts timestamptz, v foo)", sqlstate.UndefinedObject, `type "foo" does not exist`, 36},
		{"CREATE SOURCE s (v double precison)", sqlstate.SyntaxError, `syntax error at or near "precison"`, 27},
		{"CREATE SOURCE s (v serial)", sqlstate.UndefinedObject, `type "serial" does not exist`, 20},
		{"CREATE SOURCE s (a int, a text)", sqlstate.DuplicateColumn, `column "a" specified more than once`, 25},
		{"CREATE SOURCE s (ts timestamptz, WATERMARK FOR x AS x)", sqlstate.UndefinedColumn, `column "x" does not exist`, 48},
		{"CREATE SOURCE s (ts timestamptz, WATERMARK FOR ts AS now())", sqlstate.FeatureNotSupported, `watermark expression must be "ts" - INTERVAL '…'`, 54},
		{"CREATE SOURCE s (ts timestamptz, WATERMARK FOR ts AS ts - INTERVAL '1 month')", sqlstate.InvalidParameterValue, `invalid watermark lateness: "1 month"`, 68},
		{"CREATE SOURCE s (ts timestamptz PRIMARY KEY)", sqlstate.FeatureNotSupported, "PRIMARY KEY is not supported on source columns", 33},
		{"CREATE SOURCE s (ts timestamptz DEFAULT now())", sqlstate.FeatureNotSupported, "DEFAULT is not supported on source columns", 33},
		{"CREATE SOURCE s (a int,)", sqlstate.SyntaxError, `syntax error at or near ")"`, 24},
		{"CREATE SOURCE s (a int) WITH (k = )", sqlstate.SyntaxError, `syntax error at or near ")"`, 35},
		{"CREATE SOURCE s (a int) WITH (k = 'v'", sqlstate.SyntaxError, "syntax error at end of input", 38},
		{"CREATE OR REPLACE SOURCE s (a int)", sqlstate.FeatureNotSupported, "CREATE SOURCE is not supported", 1},
		{"ALTER VIEW v RENAME TO w", sqlstate.FeatureNotSupported, "ALTER VIEW RENAME is not supported", 14},
		{"ALTER VIEW v RESET ()", sqlstate.SyntaxError, `syntax error at or near ")"`, 21},
		{"DROP VIEW", sqlstate.SyntaxError, "syntax error at end of input", 10},
		{"SHOW CREATE VIEW", sqlstate.SyntaxError, "syntax error at end of input", 17},
		{"REFRESH VIEW v PARTIAL", sqlstate.SyntaxError, `syntax error at or near "PARTIAL"`, 16},
		{"CREATE VIEW v AS", sqlstate.SyntaxError, "syntax error at end of input", 17},
		{"CREATE VIEW v AS SELECT 1 +", sqlstate.SyntaxError, "syntax error at end of input", 28},
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

func TestCreateView(t *testing.T) {
	q := "CREATE OR REPLACE VIEW s.v (a, \"B\") WITH (window = '1m', hop = '30s') AS\n  SELECT k, count(*) FROM src GROUP BY k -- trailing\n;"
	st := parseOne(t, q).(*CreateView)
	if !st.OrReplace || st.Name.String() != "s.v" || !reflect.DeepEqual(st.Columns, []string{"a", "B"}) {
		t.Errorf("view = %+v", st)
	}
	if st.QueryText != "SELECT k, count(*) FROM src GROUP BY k" {
		t.Errorf("query text = %q", st.QueryText)
	}
	if st.Query.Rewritten != "select k, count(*) from src group by k" || st.Query.Pos() != 75 {
		t.Errorf("query = %q at %d", st.Query.Rewritten, st.Query.Pos())
	}
	if d, ok, err := st.Options.Duration("hop"); !ok || err != nil || d != 30*time.Second {
		t.Errorf("hop = %v %v %v", d, ok, err)
	}
}

func TestAlterDropShowRefresh(t *testing.T) {
	cases := []struct {
		in   string
		want Stmt
	}{
		{"ALTER VIEW v SET (retention = '7 days', emit = 'close')", &AlterOptions{Kind: KindView, Name: ObjectName{Name: "v", Pos: 12},
			Set: Options{{Key: "retention", Value: "7 days", KeyPos: 19, Pos: 31}, {Key: "emit", Value: "close", KeyPos: 41, Pos: 48}}}},
		{"ALTER VIEW IF EXISTS v RESET (retention, kafka.topic)", &AlterOptions{Kind: KindView, IfExists: true, Name: ObjectName{Name: "v", Pos: 22},
			Reset: []string{"retention", "kafka.topic"}}},
		{"ALTER SOURCE s SET (lateness = '5m')", &AlterOptions{Kind: KindSource, Name: ObjectName{Name: "s", Pos: 14},
			Set: Options{{Key: "lateness", Value: "5m", KeyPos: 21, Pos: 32}}}},
		{"DROP SOURCE IF EXISTS a, s.b CASCADE", &Drop{Kind: KindSource, IfExists: true, Cascade: true,
			Names: []ObjectName{{Name: "a", Pos: 23}, {Schema: "s", Name: "b", Pos: 26}}}},
		{"DROP VIEW v RESTRICT", &Drop{Kind: KindView, Names: []ObjectName{{Name: "v", Pos: 11}}}},
		{"DROP TABLE t", &Drop{Kind: KindTable, Names: []ObjectName{{Name: "t", Pos: 12}}}},
		{"SHOW SOURCES", &ShowObjects{Kind: KindSource}},
		{"SHOW VIEWS", &ShowObjects{Kind: KindView}},
		{"SHOW CREATE VIEW device_metrics", &ShowCreate{Kind: KindView, Name: ObjectName{Name: "device_metrics", Pos: 18}}},
		{"SHOW CREATE SOURCE telemetry", &ShowCreate{Kind: KindSource, Name: ObjectName{Name: "telemetry", Pos: 20}}},
		{"SHOW ALL", &ShowVar{Name: "all"}},
		{"SHOW TRANSACTION ISOLATION LEVEL", &ShowVar{Name: "transaction_isolation"}},
		{"SHOW TIME ZONE", &ShowVar{Name: "timezone"}},
		{"SHOW SESSION AUTHORIZATION", &ShowVar{Name: "session_authorization"}},
		{"SHOW lambda.read", &ShowVar{Name: "lambda.read"}},
		{"SHOW Server_Version", &ShowVar{Name: "server_version"}},
		{"REFRESH VIEW v", &Refresh{Name: ObjectName{Name: "v", Pos: 14}}},
		{"REFRESH VIEW v FULL", &Refresh{Name: ObjectName{Name: "v", Pos: 14}, Full: true}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := parseOne(t, c.in)
			clearBase(got)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", c.in, got, c.want)
			}
		})
	}
}

// clearBase zeroes the text and position so statements compare by fields.
func clearBase(st Stmt) { *st.(interface{ baseRef() *stmtBase }).baseRef() = stmtBase{} }

func (s *stmtBase) baseRef() *stmtBase { return s }

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"1m": time.Minute, "90s": 90 * time.Second, "5 minutes": 5 * time.Minute, "1 hour": time.Hour,
		"PT1M": time.Minute, "P1DT2H": 26 * time.Hour, "2 days": 48 * time.Hour, "00:05:00": 5 * time.Minute,
		"1 hour 30 minutes": 90 * time.Minute, "0": 0, "250ms": 250 * time.Millisecond,
	}
	for in, want := range good {
		if d, err := ParseDuration(in); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{"1x", "", "1 month", "1 year", "-5m", "5 minutes ago", "9999999999 days"} {
		d, err := ParseDuration(in)
		if sqlstate.CodeOf(err) != sqlstate.InvalidParameterValue {
			t.Errorf("ParseDuration(%q) = %v, %v; want 22023", in, d, err)
		}
	}
}

func TestValidateOptions(t *testing.T) {
	spec := map[string]OptionKind{
		"window":  DurationOption(time.Second),
		"emit":    EnumOption("update", "close"),
		"topic":   StringOption,
		"retries": IntOption,
		"strict":  BoolOption,
	}
	opts := func(q string) Options {
		return parseOne(t, "CREATE VIEW v WITH ("+q+") AS SELECT 1").(*CreateView).Options
	}
	if err := ValidateOptions(opts("window = '1m', emit = 'CLOSE', topic = t, retries = 3, strict = on"), spec); err != nil {
		t.Errorf("valid options: %v", err)
	}
	cases := []struct {
		in, msg, hint string
		pos           int
	}{
		{"window = '1x'", `invalid value for option "window": "1x"`, "", 30},
		{"window = '500ms'", `invalid value for option "window": "500ms"`, "", 30},
		{"window = '1 month'", `invalid value for option "window": "1 month"`, "", 30},
		{"emit = 'sometimes'", `invalid value for option "emit": "sometimes"`, "Valid values are: 'update', 'close'.", 28},
		{"retries = 'many'", `invalid value for option "retries": "many"`, "", 31},
		{"strict = maybe", `invalid value for option "strict": "maybe"`, "", 30},
		{"windw = '1m'", `unrecognized option "windw"`, "Valid options are: emit, retries, strict, topic, window.", 21},
		{"topic = a, topic = b", `option "topic" specified more than once`, "", 32},
	}
	for _, c := range cases {
		err := ValidateOptions(opts(c.in), spec)
		e := sqlstate.As(err)
		if e == nil || e.Code != sqlstate.InvalidParameterValue || e.Message != c.msg || e.Hint != c.hint || e.Position != c.pos {
			t.Errorf("ValidateOptions(%s) = %s hint %q, want %q hint %q at %d", c.in, describe(err), hintOf(e), c.msg, c.hint, c.pos)
		}
	}
	o := opts("window = '1x'")
	if _, _, err := o.Duration("window"); sqlstate.As(err) == nil || sqlstate.As(err).Detail == "" {
		t.Errorf("Duration error %v lacks a detail", err)
	}
	if n, ok, err := opts("retries = 7").Int("retries"); n != 7 || !ok || err != nil {
		t.Errorf("Int = %d %v %v", n, ok, err)
	}
	if b, ok, err := opts("strict = off").Bool("strict"); b || !ok || err != nil {
		t.Errorf("Bool = %v %v %v", b, ok, err)
	}
	if _, ok, _ := opts("strict = off").Duration("window"); ok {
		t.Errorf("absent option reported present")
	}
}

func hintOf(e *sqlstate.Error) string {
	if e == nil {
		return ""
	}
	return e.Hint
}
