package exec

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// fxSession is a SessionInfo with settings that set_config can change.
type fxSession struct {
	settings map[string]string
	sets     []string
}

func (s *fxSession) User() string         { return "alice" }
func (s *fxSession) Database() string     { return "telemetry" }
func (s *fxSession) BackendPID() int32    { return 4242 }
func (s *fxSession) SearchPath() []string { return []string{"$user", "public", "lambda"} }
func (s *fxSession) Setting(name string) (string, bool) {
	v, ok := s.settings[name]
	return v, ok
}
func (s *fxSession) SetConfig(name, value string, local bool) error {
	if name == "bad" {
		return sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter %q", name)
	}
	s.settings[name] = value
	s.sets = append(s.sets, name)
	return nil
}

// fxCatalog is a CatalogInfo over a few objects.
type fxCatalog struct{}

var fxRelations = map[string]uint32{"device_metrics": 16400, "public.device_metrics": 16400, "telemetry": 16401}

func (fxCatalog) RelationOID(name string) (uint32, bool) { o, ok := fxRelations[name]; return o, ok }
func (fxCatalog) RelationName(oid uint32) (string, bool) {
	for n, o := range fxRelations {
		if o == oid && !strings.Contains(n, ".") {
			return n, true
		}
	}
	return "", false
}
func (fxCatalog) TypeOID(name string) (uint32, bool) {
	if t, ok := types.ByName(name); ok {
		return t.OID, true
	}
	return 0, false
}
func (fxCatalog) TypeName(oid uint32) (string, bool) {
	if t := types.ByOID(oid); t != nil {
		return t.Name, true
	}
	return "", false
}
func (fxCatalog) ProcName(oid uint32) (string, bool) {
	if oid == 870 {
		return "lower", true
	}
	return "", false
}
func (fxCatalog) ProcOID(name string) (uint32, bool) {
	if name == "lower" {
		return 870, true
	}
	return 0, false
}
func (fxCatalog) NamespaceName(oid uint32) (string, bool) {
	switch oid {
	case 11:
		return "pg_catalog", true
	case 2200:
		return "public", true
	}
	return "", false
}
func (fxCatalog) NamespaceOID(name string) (uint32, bool) {
	switch name {
	case "pg_catalog":
		return 11, true
	case "public":
		return 2200, true
	}
	return 0, false
}
func (fxCatalog) ViewDefinition(oid uint32) (string, bool) {
	if oid == 16400 {
		return " SELECT device_id, count(*) AS event_count FROM telemetry GROUP BY device_id;", true
	}
	return "", false
}
func (fxCatalog) Description(obj, class uint32, sub int32) (string, bool) {
	switch {
	case obj == 16400 && class == 1259 && sub == 0:
		return "per-device metrics", true
	case obj == 16400 && class == 1259 && sub == 2:
		return "events in the window", true
	case obj == 16384 && class == 1262:
		return "the database", true
	}
	return "", false
}
func (fxCatalog) UserName(oid uint32) (string, bool) {
	if oid == 10 {
		return "alice", true
	}
	return "", false
}
func (fxCatalog) RelationSize(oid uint32) (int64, bool) { return 123456, oid == 16400 }

func sysCtx(t *testing.T) (*Ctx, *fxSession) {
	ctx := fxCtx(t, "Europe/Paris")
	s := &fxSession{settings: map[string]string{"application_name": "psql", "TimeZone": "Europe/Paris"}}
	ctx.Session = s
	ctx.Catalog = fxCatalog{}
	return ctx, s
}

func TestSessionFunctions(t *testing.T) {
	ctx, sess := sysCtx(t)
	Oid := types.Oid
	for _, c := range []struct {
		fn   string
		args []fxArg
		want string
	}{
		{"current_user", nil, "alice"},
		{"session_user", nil, "alice"},
		{"current_role", nil, "alice"},
		{"current_database", nil, "telemetry"},
		{"current_schema", nil, "public"},
		{"current_schemas", []fxArg{fconst(types.Bool, true)}, "{pg_catalog,public}"},
		{"current_schemas", []fxArg{fconst(types.Bool, false)}, "{public}"},
		{"pg_backend_pid", nil, "4242"},
		{"current_setting", []fxArg{fstr("application_name")}, "psql"},
		{"current_setting", []fxArg{fstr("server_version_num")}, "150000"},
		{"current_setting", []fxArg{fstr("nope"), fconst(types.Bool, true)}, "NULL"},
		{"set_config", []fxArg{fstr("application_name"), fstr("grafana"), fconst(types.Bool, false)}, "grafana"},
		{"version", nil, ServerVersionString},
		{"pg_table_is_visible", []fxArg{fconst(Oid, types.OidD(16400))}, "t"},
		{"pg_table_is_visible", []fxArg{fconst(Oid, types.OidD(1))}, "NULL"},
		{"pg_type_is_visible", []fxArg{fconst(Oid, types.OidD(23))}, "t"},
		{"format_type", []fxArg{fconst(Oid, types.OidD(1043)), fint(24)}, "character varying(20)"},
		{"format_type", []fxArg{fconst(Oid, types.OidD(1700)), fint(655366)}, "numeric(10,2)"},
		{"format_type", []fxArg{fconst(Oid, types.OidD(1184)), fnull(types.Int4)}, "timestamp with time zone"},
		{"format_type", []fxArg{fconst(Oid, types.OidD(1007)), fnull(types.Int4)}, "integer[]"},
		{"format_type", []fxArg{fconst(Oid, types.OidD(999999)), fnull(types.Int4)}, "???"},
		{"format_type", []fxArg{fnull(Oid), fint(1)}, "NULL"},
		{"pg_get_viewdef", []fxArg{fconst(Oid, types.OidD(16400))}, " SELECT device_id, count(*) AS event_count FROM telemetry GROUP BY device_id;"},
		{"pg_get_viewdef", []fxArg{fstr("device_metrics"), fconst(types.Bool, true)}, " SELECT device_id, count(*) AS event_count FROM telemetry GROUP BY device_id;"},
		{"pg_get_viewdef", []fxArg{fconst(Oid, types.OidD(16401))}, "NULL"},
		{"pg_get_expr", []fxArg{fstr("(a > 1)"), fconst(Oid, types.OidD(16400))}, "(a > 1)"},
		{"pg_get_userbyid", []fxArg{fconst(Oid, types.OidD(10))}, "alice"},
		{"pg_get_userbyid", []fxArg{fconst(Oid, types.OidD(77))}, "unknown (OID=77)"},
		{"pg_get_indexdef", []fxArg{fconst(Oid, types.OidD(1))}, "NULL"},
		{"pg_get_constraintdef", []fxArg{fconst(Oid, types.OidD(1)), fconst(types.Bool, true)}, "NULL"},
		{"pg_get_function_result", []fxArg{fconst(Oid, types.OidD(870))}, "text"},
		{"pg_get_function_arguments", []fxArg{fconst(Oid, types.OidD(870))}, "text"},
		{"pg_get_function_identity_arguments", []fxArg{fconst(Oid, types.OidD(1))}, "NULL"},
		{"obj_description", []fxArg{fconst(Oid, types.OidD(16400)), fconst(types.Name, "pg_class")}, "per-device metrics"},
		{"obj_description", []fxArg{fconst(Oid, types.OidD(16400))}, "per-device metrics"},
		{"col_description", []fxArg{fconst(Oid, types.OidD(16400)), fint(2)}, "events in the window"},
		{"col_description", []fxArg{fconst(Oid, types.OidD(16400)), fint(3)}, "NULL"},
		{"shobj_description", []fxArg{fconst(Oid, types.OidD(16384)), fconst(types.Name, "pg_database")}, "the database"},
		{"has_table_privilege", []fxArg{fstr("device_metrics"), fstr("SELECT")}, "t"},
		{"has_table_privilege", []fxArg{fconst(types.Name, "alice"), fstr("public.device_metrics"), fstr("select, insert WITH GRANT OPTION")}, "t"},
		{"has_table_privilege", []fxArg{fconst(Oid, types.OidD(16400)), fstr("select")}, "t"},
		{"has_table_privilege", []fxArg{fconst(Oid, types.OidD(99)), fstr("select")}, "NULL"},
		{"has_schema_privilege", []fxArg{fstr("public"), fstr("USAGE")}, "t"},
		{"has_database_privilege", []fxArg{fstr("telemetry"), fstr("CONNECT")}, "t"},
		{"has_column_privilege", []fxArg{fstr("device_metrics"), fstr("device_id"), fstr("SELECT")}, "t"},
		{"has_column_privilege", []fxArg{fconst(types.Name, "alice"), fconst(Oid, types.OidD(16400)), fconst(types.Int2, int64(1)), fstr("SELECT")}, "t"},
		{"has_any_column_privilege", []fxArg{fstr("device_metrics"), fstr("INSERT")}, "t"},
		{"has_function_privilege", []fxArg{fstr("lower(text)"), fstr("EXECUTE")}, "t"},
		{"pg_has_role", []fxArg{fconst(types.Name, "alice"), fstr("MEMBER")}, "t"},
		{"pg_encoding_to_char", []fxArg{fint(6)}, "UTF8"},
		{"pg_encoding_to_char", []fxArg{fint(0)}, "SQL_ASCII"},
		{"pg_char_to_encoding", []fxArg{fconst(types.Name, "utf-8")}, "6"},
		{"pg_char_to_encoding", []fxArg{fconst(types.Name, "klingon")}, "-1"},
		{"getdatabaseencoding", nil, "UTF8"},
		{"to_regclass", []fxArg{fstr("device_metrics")}, "device_metrics"},
		{"to_regclass", []fxArg{fstr("nope")}, "NULL"},
		{"to_regtype", []fxArg{fstr("int4")}, "integer"},
		{"to_regnamespace", []fxArg{fstr("public")}, "public"},
		{"pg_is_in_recovery", nil, "f"},
		{"pg_typeof", []fxArg{fconst(types.Int4, int64(1))}, "integer"},
		{"pg_typeof", []fxArg{fconst(types.TimestampTZ, types.TimestampD(0))}, "timestamp with time zone"},
		{"pg_column_size", []fxArg{fconst(types.Int8, int64(1))}, "8"},
		{"pg_column_size", []fxArg{fstr("abc")}, "4"},
		{"pg_relation_size", []fxArg{fconst(types.RegClass, types.OidD(16400))}, "123456"},
		{"pg_total_relation_size", []fxArg{fconst(types.RegClass, types.OidD(16401))}, "0"},
		{"pg_tablespace_location", []fxArg{fconst(Oid, types.OidD(1663))}, ""},
		{"pg_collation_for", []fxArg{fstr("x")}, `"default"`},
		{"pg_get_serial_sequence", []fxArg{fstr("t"), fstr("c")}, "NULL"},
		{"inet_server_addr", nil, "NULL"},
	} {
		if got := fxOne(t, ctx, c.fn, c.args...); got != c.want {
			t.Errorf("%s%s = %q, want %q", c.fn, fxSig(c.args), got, c.want)
		}
	}
	if sess.settings["application_name"] != "grafana" {
		t.Errorf("set_config did not reach the session: %v", sess.settings)
	}
	if got := fxOne(t, ctx, "pg_postmaster_start_time"); got == "NULL" {
		t.Error("pg_postmaster_start_time() is NULL")
	}
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"current_setting", []fxArg{fstr("nope")}, "42704"},
		{"set_config", []fxArg{fstr("bad"), fstr("x"), fconst(types.Bool, false)}, "22023"},
		{"has_table_privilege", []fxArg{fstr("nope"), fstr("select")}, "42P01"},
		{"has_table_privilege", []fxArg{fstr("device_metrics"), fstr("fly")}, "22023"},
		{"has_schema_privilege", []fxArg{fstr("nope"), fstr("usage")}, "3F000"},
		{"has_schema_privilege", []fxArg{fstr("public"), fstr("select")}, "22023"},
		{"has_database_privilege", []fxArg{fstr("other"), fstr("connect")}, "3D000"},
		{"has_function_privilege", []fxArg{fstr("nope()"), fstr("execute")}, "42883"},
		{"pg_get_viewdef", []fxArg{fstr("nope")}, "42P01"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

// TestSystemFunctionsWithoutSession checks the defaults used when no
// session or catalog is attached (tests, internal jobs).
func TestSystemFunctionsWithoutSession(t *testing.T) {
	ctx := fxCtx(t, "")
	for _, c := range []struct {
		fn   string
		args []fxArg
		want string
	}{
		{"current_user", nil, "lambdasql"},
		{"current_database", nil, "lambdasql"},
		{"current_schema", nil, "public"},
		{"current_setting", []fxArg{fstr("TimeZone")}, "UTC"},
		{"pg_table_is_visible", []fxArg{fconst(types.Oid, types.OidD(1))}, "t"},
		{"has_table_privilege", []fxArg{fstr("anything"), fstr("select")}, "t"},
		{"to_regclass", []fxArg{fstr("t")}, "NULL"},
		{"pg_get_viewdef", []fxArg{fconst(types.Oid, types.OidD(1))}, "NULL"},
		{"set_config", []fxArg{fstr("a.b"), fstr("x"), fconst(types.Bool, true)}, "x"},
	} {
		if got := fxOne(t, ctx, c.fn, c.args...); got != c.want {
			t.Errorf("%s%s = %q, want %q", c.fn, fxSig(c.args), got, c.want)
		}
	}
	var nilCtx *Ctx
	if got := fxOne(t, nilCtx, "current_user"); got != "lambdasql" {
		t.Errorf("current_user() with a nil Ctx = %q", got)
	}
}

func TestSizePretty(t *testing.T) {
	ctx := fxCtx(t, "")
	// From PostgreSQL 15.
	for in, want := range map[int64]string{
		0: "0 bytes", 10239: "10239 bytes", 10240: "10 kB", 10752: "11 kB", -10240: "-10 kB",
		1048576: "1024 kB", 20971520: "20 MB", 1 << 40: "1024 GB", 1 << 50: "1024 TB", 1 << 60: "1024 PB",
	} {
		if got := fxOne(t, ctx, "pg_size_pretty", fconst(types.Int8, in)); got != want {
			t.Errorf("pg_size_pretty(%d) = %q, want %q", in, got, want)
		}
	}
	if got := fxOne(t, ctx, "pg_size_pretty", fconst(types.Numeric, fxNum("123456789012345678901234567890"))); got != "109651655766237 PB" {
		t.Errorf("pg_size_pretty(numeric) = %q", got)
	}
}

// TestPgSleepCancel checks that pg_sleep returns the context's error
// promptly when the statement is cancelled.
func TestPgSleepCancel(t *testing.T) {
	ctx := fxCtx(t, "")
	c, cancel := context.WithCancel(context.Background())
	ctx.Context = c
	fn, _, err := Resolve("pg_sleep", []*types.T{types.Float8})
	if err != nil {
		t.Fatal(err)
	}
	if !fn.Volatile {
		t.Error("pg_sleep must be volatile")
	}
	done := make(chan error, 1)
	go func() {
		_, err := fn.Kernel(&KernelCtx{Ctx: ctx, Args: []Expr{&Const{T: types.Float8}}, Ret: types.Void}, []Vec{{Scalar: 60.0}}, 1)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("pg_sleep after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pg_sleep did not stop after cancellation")
	}
	// A short sleep completes without error.
	ctx.Context = context.Background()
	if _, err := fxEval(ctx, "pg_sleep", ffloat(0.001)); err != nil {
		t.Errorf("pg_sleep(0.001) = %v", err)
	}
}
