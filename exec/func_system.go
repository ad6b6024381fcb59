package exec

// System information and catalog functions that clients (psql, JDBC,
// Npgsql, Grafana, Power BI) call: version(), current_user and friends,
// current_setting/set_config, the *_is_visible and has_*_privilege
// checks, format_type, pg_get_viewdef and the other pg_get_* deparsers,
// descriptions, encodings, sizes, pg_typeof, pg_sleep. They read the
// session through KernelCtx.Session and the catalog through
// KernelCtx.Catalog; either may be nil (tests, internal jobs), and then
// the functions answer with defaults instead of failing.
//
// lambdasql has a single user with every privilege, so the privilege
// checks answer true for every object that exists, after validating the
// privilege names as PostgreSQL does.

import (
	"context"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// ConfigSetter is implemented by a SessionInfo that can change settings:
// set_config(name, value, is_local) calls it, so SELECT set_config(…)
// behaves like SET.
type ConfigSetter interface {
	SetConfig(name, value string, local bool) error
}

// TxIDSource is implemented by a SessionInfo that knows its transaction
// id; txid_current() uses it, a process-wide counter otherwise.
type TxIDSource interface {
	TxID() int64
}

// RelationSizer is implemented by a CatalogInfo that knows how many bytes
// a relation's data takes (batch view and master dataset files);
// pg_relation_size and friends answer 0 without it.
type RelationSizer interface {
	RelationSize(oid uint32) (int64, bool)
}

// Catalog table OIDs used by obj_description and friends.
var catalogClassOIDs = map[string]uint32{
	"pg_class": 1259, "pg_type": 1247, "pg_proc": 1255, "pg_namespace": 2615, "pg_database": 1262,
	"pg_authid": 1260, "pg_constraint": 2606, "pg_attribute": 1249, "pg_tablespace": 1213,
	"pg_am": 2601, "pg_trigger": 2620, "pg_rewrite": 2618, "pg_index": 2610, "pg_roles": 1260,
	"pg_operator": 2617, "pg_collation": 3456, "pg_extension": 3079,
}

var txCounter atomic.Int64

func init() { txCounter.Store(1000) }

func sessionOf(k *KernelCtx) SessionInfo {
	if k == nil || k.Ctx == nil {
		return nil
	}
	return k.Session
}

func catalogOf(k *KernelCtx) CatalogInfo {
	if k == nil || k.Ctx == nil {
		return nil
	}
	return k.Catalog
}

func currentUser(k *KernelCtx) string {
	if s := sessionOf(k); s != nil {
		return s.User()
	}
	return "lambdasql"
}

func currentDatabase(k *KernelCtx) string {
	if s := sessionOf(k); s != nil {
		return s.Database()
	}
	return "lambdasql"
}

// searchPath returns the session's schemas, "$user" resolved and schemas
// the catalog does not know dropped.
func searchPath(k *KernelCtx) []string {
	path := []string{"$user", "public"}
	if s := sessionOf(k); s != nil && s.SearchPath() != nil {
		path = s.SearchPath()
	}
	cat := catalogOf(k)
	var out []string
	for _, p := range path {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p == "$user" {
			p = currentUser(k)
		}
		if cat != nil {
			if _, ok := cat.NamespaceOID(p); !ok {
				continue
			}
		} else if p != "public" && p != "pg_catalog" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// settingDefaults answer current_setting for parameters the session does
// not report.
var settingDefaults = map[string]string{
	"server_version": "15.0", "server_version_num": "150000", "server_encoding": "UTF8",
	"client_encoding": "UTF8", "datestyle": "ISO, MDY", "intervalstyle": "postgres",
	"integer_datetimes": "on", "standard_conforming_strings": "on", "application_name": "",
	"search_path": `"$user", public`, "max_identifier_length": "63", "lc_collate": "C",
	"lc_ctype": "C", "lc_messages": "C", "lc_monetary": "C", "lc_numeric": "C", "lc_time": "C",
	"transaction_isolation": "read committed", "default_transaction_isolation": "read committed",
	"transaction_read_only": "off", "default_transaction_read_only": "off",
	"extra_float_digits": "1", "block_size": "8192", "max_index_keys": "32",
	"is_superuser": "on", "session_authorization": "lambdasql", "statement_timeout": "0",
	"lock_timeout": "0", "idle_in_transaction_session_timeout": "0", "bytea_output": "hex",
	"client_min_messages": "notice", "default_text_search_config": "pg_catalog.english",
	"max_connections": "100", "ssl": "off", "jit": "off", "lambda.read": "merged",
}

func currentSetting(k *KernelCtx, name string, missingOK bool) (any, error) {
	low := strings.ToLower(strings.TrimSpace(name))
	if s := sessionOf(k); s != nil {
		if v, ok := s.Setting(name); ok {
			return v, nil
		}
		if v, ok := s.Setting(low); ok {
			return v, nil
		}
	}
	switch low {
	case "timezone":
		return k.Location().String(), nil
	case "session_authorization":
		return currentUser(k), nil
	}
	if v, ok := settingDefaults[low]; ok {
		return v, nil
	}
	if missingOK {
		return nil, nil
	}
	return nil, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
}

// privileges valid per object kind, for has_*_privilege.
var privilegeKinds = map[string][]string{
	"table":      {"select", "insert", "update", "delete", "truncate", "references", "trigger"},
	"column":     {"select", "insert", "update", "references"},
	"database":   {"create", "connect", "temporary", "temp"},
	"schema":     {"create", "usage"},
	"function":   {"execute"},
	"sequence":   {"usage", "select", "update"},
	"tablespace": {"create"},
	"type":       {"usage"},
	"role":       {"member", "usage", "set"},
}

func checkPrivileges(kind, privs string) error {
	for _, p := range strings.Split(privs, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		p = strings.TrimSuffix(p, " with grant option")
		p = strings.TrimSuffix(p, " with admin option")
		ok := false
		for _, v := range privilegeKinds[kind] {
			if p == v {
				ok = true
			}
		}
		if !ok {
			return errInvalidParam("unrecognized privilege type: %q", p)
		}
	}
	return nil
}

// objectExists checks the object argument of a privilege function: a name
// that does not exist is an error, an OID that does not exist gives NULL.
func objectExists(k *KernelCtx, kind string, obj any) (bool, error) {
	cat := catalogOf(k)
	if cat == nil {
		return true, nil
	}
	switch kind {
	case "table", "column", "sequence":
		if name, ok := obj.(string); ok {
			if _, found := cat.RelationOID(name); !found {
				return false, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", name)
			}
			return true, nil
		}
		_, found := cat.RelationName(uint32(obj.(types.OidD)))
		return found, nil
	case "schema":
		if name, ok := obj.(string); ok {
			if _, found := cat.NamespaceOID(name); !found {
				return false, sqlstate.New(sqlstate.InvalidSchemaName, "schema %q does not exist", name)
			}
			return true, nil
		}
		_, found := cat.NamespaceName(uint32(obj.(types.OidD)))
		return found, nil
	case "function":
		if name, ok := obj.(string); ok {
			base := name
			if i := strings.IndexByte(base, '('); i >= 0 {
				base = base[:i]
			}
			base = strings.TrimPrefix(strings.TrimSpace(base), "pg_catalog.")
			if _, found := cat.ProcOID(base); !found && len(Overloads(base)) == 0 {
				return false, sqlstate.New(sqlstate.UndefinedFunction, "function %q does not exist", name)
			}
			return true, nil
		}
		_, found := cat.ProcName(uint32(obj.(types.OidD)))
		return found, nil
	case "type":
		if name, ok := obj.(string); ok {
			if _, found := cat.TypeOID(name); !found {
				if _, known := types.ByName(name); !known {
					return false, sqlstate.New(sqlstate.UndefinedObject, "type %q does not exist", name)
				}
			}
			return true, nil
		}
		oid := uint32(obj.(types.OidD))
		if _, found := cat.TypeName(oid); found || types.ByOID(oid) != nil {
			return true, nil
		}
		return false, nil
	case "database":
		if name, ok := obj.(string); ok && name != currentDatabase(k) {
			return false, sqlstate.New(sqlstate.InvalidCatalogName, "database %q does not exist", name)
		}
	}
	return true, nil
}

// privilegeKernel builds has_<kind>_privilege over args: [user,] object
// [, column], privilege. objArg is the index of the object argument.
func privilegeKernel(kind string, objArg int) Kernel {
	return rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		if err := checkPrivileges(kind, a[len(a)-1].(string)); err != nil {
			return nil, err
		}
		if objArg == 1 {
			if oid, ok := a[0].(types.OidD); ok {
				if cat := catalogOf(k); cat != nil {
					if _, found := cat.UserName(uint32(oid)); !found {
						return nil, sqlstate.New(sqlstate.UndefinedObject, "role with OID %d does not exist", oid)
					}
				}
			}
		}
		if kind == "role" {
			return true, nil
		}
		ok, err := objectExists(k, kind, a[objArg])
		if err != nil || !ok {
			return nil, err
		}
		return true, nil
	})
}

// funcByOID finds the registered overload listed under oid in pg_proc, or
// the first overload of the name the catalog gives that OID.
func funcByOID(k *KernelCtx, oid uint32) *Func {
	if oid == 0 {
		return nil
	}
	names := FuncNames()
	for _, n := range names {
		for _, f := range funcs[n] {
			if f.OID == oid {
				return f
			}
		}
	}
	if cat := catalogOf(k); cat != nil {
		if name, ok := cat.ProcName(oid); ok {
			if fs := Overloads(name); len(fs) > 0 {
				return fs[0]
			}
		}
	}
	return nil
}

func funcArgTypes(f *Func, withVariadic bool) string {
	parts := make([]string, len(f.Args))
	for i, t := range f.Args {
		name := types.FormatType(t, -1)
		switch t {
		case Any:
			name = `"any"`
		case AnyArray:
			name = "anyarray"
		}
		if f.Variadic && i == len(f.Args)-1 && withVariadic {
			name = "VARIADIC " + name
		}
		parts[i] = name
	}
	return strings.Join(parts, ", ")
}

func funcResultType(f *Func) string {
	if f.Ret != nil {
		return types.FormatType(f.Ret, -1)
	}
	return `"any"`
}

// sizePretty is pg_size_pretty over an integer byte count (PostgreSQL
// 15's unit table: bytes below 10 kB, then kB … PB with half rounding).
func sizePretty(size *big.Int) string {
	type unit struct {
		name  string
		limit int64
		round bool
		bits  uint
	}
	units := []unit{{"bytes", 10 * 1024, false, 0}, {"kB", 20*1024 - 1, true, 10}, {"MB", 20*1024 - 1, true, 20},
		{"GB", 20*1024 - 1, true, 30}, {"TB", 20*1024 - 1, true, 40}, {"PB", 20*1024 - 1, true, 50}}
	s := new(big.Int).Set(size)
	for i, u := range units {
		abs := new(big.Int).Abs(s)
		if i == len(units)-1 || abs.Cmp(big.NewInt(u.limit)) < 0 {
			if u.round {
				if s.Sign() < 0 {
					s.Sub(s, big.NewInt(1))
				} else {
					s.Add(s, big.NewInt(1))
				}
				s.Quo(s, big.NewInt(2))
			}
			return s.String() + " " + u.name
		}
		next := units[i+1]
		bits := next.bits - u.bits - uint(boolInt(next.round)) + uint(boolInt(u.round))
		s.Quo(s, new(big.Int).Lsh(big.NewInt(1), bits))
	}
	return ""
}

// columnSize approximates pg_column_size: the bytes a value of t takes
// stored in a row.
func columnSize(t *types.T, v any) int64 {
	switch x := v.(type) {
	case string:
		if len(x) < 127 {
			return int64(len(x)) + 1
		}
		return int64(len(x)) + 4
	case []byte:
		if len(x) < 127 {
			return int64(len(x)) + 1
		}
		return int64(len(x)) + 4
	case *apd.Decimal:
		return 3 + 2*int64((apd.NumDigits(&x.Coeff)+3)/4)
	case []any:
		n := int64(24)
		for _, e := range x {
			if e != nil {
				n += columnSize(t.Elem, e)
			}
		}
		return n
	case bool:
		return 1
	}
	if t != nil && t.Width > 0 {
		return int64(t.Width)
	}
	return 8
}

// sleep waits for secs seconds or until ctx is cancelled.
func sleep(k *KernelCtx, secs float64) error {
	if math.IsNaN(secs) || secs <= 0 {
		return nil
	}
	ctx := context.Background()
	if k != nil && k.Ctx != nil && k.Ctx.Context != nil {
		ctx = k.Ctx.Context
	}
	d := time.Duration(math.Min(secs, 1e9) * float64(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var encodingNames = []string{"SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8",
	"MULE_INTERNAL", "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9",
	"LATIN10", "WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252", "ISO_8859_5",
	"ISO_8859_6", "ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253", "WIN1254", "WIN1255", "WIN1257",
	"KOI8U", "SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004"}

func encodingID(name string) int64 {
	clean := strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(name))
	for i, n := range encodingNames {
		if strings.ReplaceAll(n, "_", "") == clean {
			return int64(i)
		}
	}
	switch clean {
	case "UNICODE":
		return 6
	case "LATIN1", "ISO88591":
		return 8
	}
	return -1
}

func constKernel(v any) Kernel {
	return func(*KernelCtx, []Vec, int) (Vec, error) { return Vec{Scalar: v}, nil }
}

func init() {
	Text, Name, Oid, I4, I8, Bool, TSTZ := types.Text, types.Name, types.Oid, types.Int4, types.Int8, types.Bool, types.TimestampTZ
	row := func(strict bool, f func(k *KernelCtx, a []any) (any, error)) Kernel { return rowKernel(strict, f) }
	ctxFn := func(f func(k *KernelCtx) any) Kernel {
		return func(k *KernelCtx, _ []Vec, _ int) (Vec, error) { return Vec{Scalar: f(k)}, nil }
	}
	regFn("version", nil, Text, ctxFn(func(*KernelCtx) any { return ServerVersionString }))
	regFn("current_database", nil, Name, ctxFn(func(k *KernelCtx) any { return currentDatabase(k) }))
	regFn("current_catalog", nil, Name, ctxFn(func(k *KernelCtx) any { return currentDatabase(k) }))
	for _, n := range []string{"current_user", "session_user", "user", "current_role"} {
		regFn(n, nil, Name, ctxFn(func(k *KernelCtx) any { return currentUser(k) }))
	}
	regFn("current_schema", nil, Name, ctxFn(func(k *KernelCtx) any {
		if p := searchPath(k); len(p) > 0 {
			return p[0]
		}
		return nil
	}))
	regFn("current_schemas", sig(Bool), types.ArrayOf(Name), row(true, func(k *KernelCtx, a []any) (any, error) {
		out := []any{}
		if a[0].(bool) {
			out = append(out, "pg_catalog")
		}
		for _, p := range searchPath(k) {
			if p != "pg_catalog" || !a[0].(bool) {
				out = append(out, p)
			}
		}
		return out, nil
	}))
	regFn("pg_backend_pid", nil, I4, ctxFn(func(k *KernelCtx) any {
		if s := sessionOf(k); s != nil {
			return int64(s.BackendPID())
		}
		return int64(0)
	}))
	regFn("current_setting", sig(Text), Text, row(true, func(k *KernelCtx, a []any) (any, error) {
		return currentSetting(k, a[0].(string), false)
	}))
	regFn("current_setting", sig(Text, Bool), Text, row(true, func(k *KernelCtx, a []any) (any, error) {
		return currentSetting(k, a[0].(string), a[1].(bool))
	}))
	Register(&Func{Name: "set_config", Args: sig(Text, Text, Bool), Ret: Text, Volatile: true,
		Kernel: row(false, func(k *KernelCtx, a []any) (any, error) {
			if a[0] == nil {
				return nil, errInvalidParam("SET requires parameter name")
			}
			val, _ := a[1].(string)
			local, _ := a[2].(bool)
			if cs, ok := sessionOf(k).(ConfigSetter); ok {
				if err := cs.SetConfig(a[0].(string), val, local); err != nil {
					return nil, err
				}
			}
			return val, nil
		})})
	visible := func(kind string) Kernel {
		return row(true, func(k *KernelCtx, a []any) (any, error) {
			cat := catalogOf(k)
			if cat == nil {
				return true, nil
			}
			oid := uint32(a[0].(types.OidD))
			var ok bool
			switch kind {
			case "table":
				_, ok = cat.RelationName(oid)
			case "type":
				_, ok = cat.TypeName(oid)
				ok = ok || types.ByOID(oid) != nil
			case "function":
				_, ok = cat.ProcName(oid)
			}
			if !ok {
				return nil, nil
			}
			return true, nil
		})
	}
	regFn("pg_table_is_visible", sig(Oid), Bool, visible("table"))
	regFn("pg_type_is_visible", sig(Oid), Bool, visible("type"))
	regFn("pg_function_is_visible", sig(Oid), Bool, visible("function"))
	regFn("pg_my_temp_schema", nil, Oid, constKernel(types.OidD(0)))
	regFn("pg_is_other_temp_schema", sig(Oid), Bool, row(true, func(*KernelCtx, []any) (any, error) { return false, nil }))
	regFn("format_type", sig(Oid, I4), Text, row(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		mod := int32(-1)
		if a[1] != nil {
			mod = int32(a[1].(int64))
		}
		oid := uint32(a[0].(types.OidD))
		if t := types.ByOID(oid); t != nil {
			return types.FormatType(t, mod), nil
		}
		if cat := catalogOf(k); cat != nil {
			if name, ok := cat.TypeName(oid); ok {
				return name, nil
			}
		}
		return "???", nil
	}))
	viewdef := row(true, func(k *KernelCtx, a []any) (any, error) {
		cat := catalogOf(k)
		if cat == nil {
			return nil, nil
		}
		var oid uint32
		switch x := a[0].(type) {
		case types.OidD:
			oid = uint32(x)
		case string:
			o, ok := cat.RelationOID(x)
			if !ok {
				return nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", x)
			}
			oid = o
		}
		if def, ok := cat.ViewDefinition(oid); ok {
			return def, nil
		}
		return nil, nil
	})
	regFn("pg_get_viewdef", sig(Oid), Text, viewdef)
	regFn("pg_get_viewdef", sig(Oid, Bool), Text, viewdef)
	regFn("pg_get_viewdef", sig(Oid, I4), Text, viewdef)
	regFn("pg_get_viewdef", sig(Text), Text, viewdef)
	regFn("pg_get_viewdef", sig(Text, Bool), Text, viewdef)
	getExpr := row(true, func(_ *KernelCtx, a []any) (any, error) { return a[0], nil })
	regFn("pg_get_expr", sig(Text, Oid), Text, getExpr)
	regFn("pg_get_expr", sig(Text, Oid, Bool), Text, getExpr)
	regFn("pg_get_userbyid", sig(Oid), Name, row(true, func(k *KernelCtx, a []any) (any, error) {
		oid := uint32(a[0].(types.OidD))
		if cat := catalogOf(k); cat != nil {
			if name, ok := cat.UserName(oid); ok {
				return name, nil
			}
		} else if oid == 10 {
			return currentUser(k), nil
		}
		return "unknown (OID=" + strconv.FormatUint(uint64(oid), 10) + ")", nil
	}))
	null := constKernel(nil)
	for _, s := range [][]*types.T{sig(Oid), sig(Oid, I4, Bool)} {
		regFn("pg_get_indexdef", s, Text, null)
	}
	for _, s := range [][]*types.T{sig(Oid), sig(Oid, Bool)} {
		regFn("pg_get_constraintdef", s, Text, null)
		regFn("pg_get_triggerdef", s, Text, null)
		regFn("pg_get_ruledef", s, Text, null)
	}
	regFn("pg_get_partkeydef", sig(Oid), Text, null)
	regFn("pg_get_partition_constraintdef", sig(Oid), Text, null)
	regFn("pg_get_statisticsobjdef", sig(Oid), Text, null)
	regFn("pg_get_serial_sequence", sig(Text, Text), Text, null)
	regFn("pg_tablespace_location", sig(Oid), Text, row(true, func(*KernelCtx, []any) (any, error) { return "", nil }))
	regFn("pg_collation_for", sig(Any), Text, row(false, func(k *KernelCtx, a []any) (any, error) {
		if k.ArgType(0).Family == types.FamString || k.ArgType(0).Family == types.FamUnknown {
			return `"default"`, nil
		}
		return nil, nil
	}))
	fnInfo := func(f func(fn *Func) any) Kernel {
		return row(true, func(k *KernelCtx, a []any) (any, error) {
			fn := funcByOID(k, uint32(a[0].(types.OidD)))
			if fn == nil {
				return nil, nil
			}
			return f(fn), nil
		})
	}
	regFn("pg_get_function_result", sig(Oid), Text, fnInfo(func(fn *Func) any { return funcResultType(fn) }))
	regFn("pg_get_function_arguments", sig(Oid), Text, fnInfo(func(fn *Func) any { return funcArgTypes(fn, true) }))
	regFn("pg_get_function_identity_arguments", sig(Oid), Text, fnInfo(func(fn *Func) any { return funcArgTypes(fn, true) }))
	regFn("pg_get_functiondef", sig(Oid), Text, fnInfo(func(fn *Func) any {
		vol := "IMMUTABLE"
		if fn.Volatile {
			vol = "VOLATILE"
		}
		return "CREATE OR REPLACE FUNCTION pg_catalog." + fn.Name + "(" + funcArgTypes(fn, true) + ")\n RETURNS " +
			funcResultType(fn) + "\n LANGUAGE internal\n " + vol + " PARALLEL SAFE\nAS $function$" + fn.Name + "$function$\n"
	}))
	describe := func(objArg, classArg, subArg int) Kernel {
		return row(true, func(k *KernelCtx, a []any) (any, error) {
			cat := catalogOf(k)
			if cat == nil {
				return nil, nil
			}
			oid := uint32(a[objArg].(types.OidD))
			sub := int32(0)
			if subArg >= 0 {
				sub = int32(a[subArg].(int64))
			}
			classes := []uint32{1259, 1255, 1247, 2615}
			if classArg >= 0 {
				c, ok := catalogClassOIDs[strings.TrimPrefix(strings.ToLower(a[classArg].(string)), "pg_catalog.")]
				if !ok {
					return nil, nil
				}
				classes = []uint32{c}
			} else if subArg >= 0 {
				classes = []uint32{1259}
			}
			for _, c := range classes {
				if d, ok := cat.Description(oid, c, sub); ok {
					return d, nil
				}
			}
			return nil, nil
		})
	}
	regFn("obj_description", sig(Oid), Text, describe(0, -1, -1))
	regFn("obj_description", sig(Oid, Name), Text, describe(0, 1, -1))
	regFn("col_description", sig(Oid, I4), Text, describe(0, -1, 1))
	regFn("shobj_description", sig(Oid, Name), Text, describe(0, 1, -1))

	// has_*_privilege: ([user,] object, privilege) with user and object as
	// names or OIDs.
	for _, kind := range []string{"table", "database", "schema", "function", "sequence", "tablespace", "type", "any_column"} {
		k := kind
		if kind == "any_column" {
			k = "column"
		}
		name := "has_" + kind + "_privilege"
		for _, obj := range []*types.T{Text, Oid} {
			regFn(name, sig(obj, Text), Bool, privilegeKernel(k, 0))
			for _, user := range []*types.T{Name, Oid} {
				regFn(name, sig(user, obj, Text), Bool, privilegeKernel(k, 1))
			}
		}
	}
	for _, obj := range []*types.T{Text, Oid} {
		for _, col := range []*types.T{Text, types.Int2} {
			regFn("has_column_privilege", sig(obj, col, Text), Bool, privilegeKernel("column", 0))
			for _, user := range []*types.T{Name, Oid} {
				regFn("has_column_privilege", sig(user, obj, col, Text), Bool, privilegeKernel("column", 1))
			}
		}
	}
	for _, role := range []*types.T{Name, Oid} {
		regFn("pg_has_role", sig(role, Text), Bool, privilegeKernel("role", 0))
		for _, user := range []*types.T{Name, Oid} {
			regFn("pg_has_role", sig(user, role, Text), Bool, privilegeKernel("role", 1))
		}
	}

	regFn("pg_encoding_to_char", sig(I4), Name, row(true, func(_ *KernelCtx, a []any) (any, error) {
		if i := a[0].(int64); i >= 0 && i < int64(len(encodingNames)) {
			return encodingNames[i], nil
		}
		return "", nil
	}))
	regFn("pg_char_to_encoding", sig(Name), I4, row(true, func(_ *KernelCtx, a []any) (any, error) {
		return encodingID(a[0].(string)), nil
	}))
	regFn("pg_encoding_max_length", sig(I4), I4, row(true, func(_ *KernelCtx, a []any) (any, error) {
		if a[0].(int64) == 6 {
			return int64(4), nil
		}
		return int64(1), nil
	}))
	regFn("getdatabaseencoding", nil, Name, constKernel("UTF8"))
	regFn("pg_client_encoding", nil, Name, constKernel("UTF8"))
	regFn("pg_postmaster_start_time", nil, TSTZ, ctxFn(func(*KernelCtx) any { return types.TimestampOf(ServerStartTime) }))
	regFn("pg_conf_load_time", nil, TSTZ, ctxFn(func(*KernelCtx) any { return types.TimestampOf(ServerStartTime) }))
	toReg := func(t *types.T) Kernel {
		return row(true, func(k *KernelCtx, a []any) (any, error) {
			if catalogOf(k) == nil {
				return nil, nil
			}
			v, err := regIn(k, t, a[0].(string))
			if err != nil {
				return nil, nil
			}
			return v, nil
		})
	}
	regFn("to_regclass", sig(Text), types.RegClass, toReg(types.RegClass))
	regFn("to_regtype", sig(Text), types.RegType, toReg(types.RegType))
	regFn("to_regproc", sig(Text), types.RegProc, toReg(types.RegProc))
	regFn("to_regprocedure", sig(Text), types.RegProcedure, toReg(types.RegProcedure))
	regFn("to_regnamespace", sig(Text), types.RegNamespace, toReg(types.RegNamespace))
	Register(&Func{Name: "pg_sleep", Args: sig(types.Float8), Ret: types.Void, Volatile: true,
		Kernel: func(k *KernelCtx, args []Vec, n int) (Vec, error) {
			if args[0].Arr == nil {
				if f, ok := args[0].Scalar.(float64); ok {
					return Vec{}, sleep(k, f)
				}
				return Vec{}, nil
			}
			secs := newFloatCol(args[0])
			for i := 0; i < n; i++ {
				if isValid(args[0].Arr, i) {
					if err := sleep(k, secs.at(i)); err != nil {
						return Vec{}, err
					}
				}
			}
			return Vec{}, nil
		}})
	regFn("pg_is_in_recovery", nil, Bool, constKernel(false))
	regFn("pg_jit_available", nil, Bool, constKernel(false))
	txid := ctxFn(func(k *KernelCtx) any {
		if s, ok := sessionOf(k).(TxIDSource); ok {
			return s.TxID()
		}
		return txCounter.Add(1)
	})
	Register(&Func{Name: "txid_current", Ret: I8, Volatile: true, Kernel: txid},
		&Func{Name: "pg_current_xact_id", Ret: I8, Volatile: true, Kernel: txid})
	regFn("pg_typeof", sig(Any), types.RegType, func(k *KernelCtx, _ []Vec, _ int) (Vec, error) {
		return Vec{Scalar: types.OidD(k.ArgType(0).OID)}, nil
	})
	regFn("pg_column_size", sig(Any), I4, row(true, func(k *KernelCtx, a []any) (any, error) {
		return columnSize(k.ArgType(0), a[0]), nil
	}))
	relSize := row(true, func(k *KernelCtx, a []any) (any, error) {
		if rs, ok := catalogOf(k).(RelationSizer); ok {
			if n, found := rs.RelationSize(uint32(a[0].(types.OidD))); found {
				return n, nil
			}
		}
		return int64(0), nil
	})
	regFn("pg_relation_size", sig(types.RegClass), I8, relSize)
	regFn("pg_relation_size", sig(types.RegClass, Text), I8, relSize)
	regFn("pg_total_relation_size", sig(types.RegClass), I8, relSize)
	regFn("pg_table_size", sig(types.RegClass), I8, relSize)
	regFn("pg_indexes_size", sig(types.RegClass), I8, row(true, func(*KernelCtx, []any) (any, error) { return int64(0), nil }))
	regFn("pg_database_size", sig(Name), I8, row(true, func(*KernelCtx, []any) (any, error) { return int64(0), nil }))
	regFn("pg_size_pretty", sig(I8), Text, row(true, func(_ *KernelCtx, a []any) (any, error) {
		return sizePretty(big.NewInt(a[0].(int64))), nil
	}))
	regFn("pg_size_pretty", sig(types.Numeric), Text, row(true, func(_ *KernelCtx, a []any) (any, error) {
		d, err := NumericRoundTo(a[0].(*apd.Decimal), 0, true)
		if err != nil {
			return nil, err
		}
		b, ok := new(big.Int).SetString(d.Text('f'), 10)
		if !ok {
			return nil, errInvalidParam("invalid size")
		}
		return sizePretty(b), nil
	}))
	for _, n := range []string{"inet_server_addr", "inet_client_addr"} {
		regFn(n, nil, Text, null)
	}
	for _, n := range []string{"inet_server_port", "inet_client_port"} {
		regFn(n, nil, I4, null)
	}
}
