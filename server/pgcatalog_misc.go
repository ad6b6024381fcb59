package server

// The rest of pg_catalog: the database, settings, roles, tablespaces,
// collations, access methods, session activity, and the catalogs of
// features lambdasql does not have (extensions, publications, foreign
// data …), which exist and are empty so client queries that join them
// still run.

import (
	"bufio"
	"hash/fnv"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"lambdasql/catalog"
	"lambdasql/sql/types"
)

const pgDatabaseCols = `oid oid, datname name, datdba oid, encoding int4, datlocprovider "char",
	datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid xid, datminmxid xid,
	dattablespace oid, datcollate text, datctype text, daticulocale text, datcollversion text,
	datacl aclitem[]`

// pgDatabaseRows is the one database, named as the session connected.
func pgDatabaseRows(r *relations) ([][]any, error) {
	return [][]any{{
		oidD(pgDatabaseOID), r.sess.database, oidD(BootstrapUserOID), intD(6), "c",
		false, true, intD(-1), oidD(0), oidD(1),
		oidD(defaultTablespaceOID), "C", "C", nil, nil,
		nil,
	}}, nil
}

// roleOID is the OID of a role: 10 for lambdasql (PostgreSQL's bootstrap
// superuser), else derived from the name so it is stable across restarts.
func roleOID(name string) uint32 {
	if name == "lambdasql" {
		return BootstrapUserOID
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return 1_000_000_000 + h.Sum32()%1_000_000_000
}

// loginRoles returns the users lambdasql accepts, sorted: lambdasql,
// the users of the --users file, and the users of live sessions.
func (r *relations) loginRoles() []string {
	set := map[string]bool{"lambdasql": true}
	if r.sess != nil && r.sess.user != "" {
		set[r.sess.user] = true
	}
	if path := r.srv.cfg.UsersFile; path != "" {
		if f, err := os.Open(path); err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 0, 4096), 1<<20)
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				if user, _, ok := strings.Cut(line, ":"); ok && user != "" {
					set[user] = true
				}
			}
			f.Close()
		}
	}
	for _, s := range r.srv.Sessions() {
		if s.user != "" {
			set[s.user] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// pgRole is one role. Every login role is a superuser: lambdasql has no
// privilege system, every user may do everything.
type pgRole struct {
	oid   uint32
	name  string
	login bool
}

func (r *relations) roles() []pgRole {
	var out []pgRole
	for _, n := range r.loginRoles() {
		out = append(out, pgRole{roleOID(n), n, true})
	}
	out = append(out, pgRole{pgDatabaseOwnerRole, "pg_database_owner", false})
	sort.Slice(out, func(i, j int) bool { return out[i].oid < out[j].oid })
	return out
}

const pgAuthidCols = `oid oid, rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool,
	rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolbypassrls bool, rolconnlimit int4,
	rolpassword text, rolvaliduntil timestamptz`

func pgAuthidRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, ro := range r.roles() {
		out = append(out, []any{oidD(ro.oid), ro.name, ro.login, true, ro.login, ro.login, ro.login, false, ro.login, intD(-1), nil, nil})
	}
	return out, nil
}

const pgRolesCols = `rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool,
	rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz,
	rolbypassrls bool, rolconfig text[], oid oid`

func pgRolesRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, ro := range r.roles() {
		out = append(out, []any{ro.name, ro.login, true, ro.login, ro.login, ro.login, false, intD(-1), "********", nil, ro.login, nil, oidD(ro.oid)})
	}
	return out, nil
}

const pgUserCols = `usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool,
	usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]`

func pgUserRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, ro := range r.roles() {
		if ro.login {
			out = append(out, []any{ro.name, oidD(ro.oid), true, true, false, true, "********", nil, nil})
		}
	}
	return out, nil
}

const pgSettingsCols = `name text, setting text, unit text, category text, short_desc text,
	extra_desc text, context text, vartype text, source text, min_val text, max_val text,
	enumvals text[], boot_val text, reset_val text, sourcefile text, sourceline int4,
	pending_restart bool`

// pgSettingsRows lists the session's settings with their current values,
// then any custom (dotted) setting the session defined.
func pgSettingsRows(r *relations) ([][]any, error) {
	s := r.sess
	var out [][]any
	known := map[string]bool{}
	for _, name := range settingNames() {
		st, _ := lookupSetting(name)
		key := strings.ToLower(st.name)
		known[key] = true
		val, _ := s.Setting(st.name)
		context := "user"
		if st.readOnly {
			context = "internal"
		}
		vartype, unit := "string", any(nil)
		switch {
		case strings.HasSuffix(key, "_timeout"):
			vartype, unit = "integer", "ms"
		case st.def == "on" || st.def == "off":
			vartype = "bool"
		default:
			if _, err := strconv.Atoi(st.def); err == nil {
				vartype = "integer"
			}
		}
		source := "default"
		if _, ok := s.local[key]; ok {
			source = "session"
		} else if _, ok := s.settings[key]; ok && key != "session_authorization" {
			source = "session"
		}
		out = append(out, []any{st.name, val, unit, st.category, st.desc,
			nil, context, vartype, source, nil, nil,
			nil, st.def, st.def, nil, nil,
			false})
	}
	var custom []string
	for k := range s.settings {
		if !known[k] && strings.Contains(k, ".") {
			custom = append(custom, k)
		}
	}
	sort.Strings(custom)
	for _, k := range custom {
		val, _ := s.Setting(k)
		out = append(out, []any{k, val, nil, "Customized Options", "", nil, "user", "string", "session",
			nil, nil, nil, nil, val, nil, nil, false})
	}
	return out, nil
}

const pgStatActivityCols = `datid oid, datname name, pid int4, leader_pid int4, usesysid oid,
	usename name, application_name text, client_addr inet, client_hostname text, client_port int4,
	backend_start timestamptz, xact_start timestamptz, query_start timestamptz,
	state_change timestamptz, wait_event_type text, wait_event text, state text, backend_xid xid,
	backend_xmin xid, query_id int8, query text, backend_type text`

// pgStatActivityRows lists the live sessions. application_name is shown
// for the querying session only: another session's settings belong to
// that session's goroutine.
func pgStatActivityRows(r *relations) ([][]any, error) {
	sessions := r.srv.Sessions()
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].pid < sessions[j].pid })
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return types.TimestampOf(t)
	}
	var out [][]any
	for _, s := range sessions {
		query, state, start, backendStart := s.Activity()
		app := any(nil)
		if s == r.sess {
			v, _ := s.Setting("application_name")
			app = v
		}
		var addr, port any = nil, intD(-1)
		if host, p, err := net.SplitHostPort(s.remote); err == nil {
			addr = host
			if n, err := strconv.Atoi(p); err == nil {
				port = intD(n)
			}
		}
		out = append(out, []any{
			oidD(pgDatabaseOID), s.database, intD(s.pid), nil, oidD(roleOID(s.user)),
			s.user, app, addr, nil, port,
			ts(backendStart), nil, ts(start),
			ts(start), nil, nil, nullIfEmpty(state), nil,
			nil, nil, query, "client backend",
		})
	}
	return out, nil
}

const pgPreparedStatementsCols = `name text, statement text, prepare_time timestamptz,
	parameter_types regtype[], from_sql bool, generic_plans int8, custom_plans int8`

// pgPreparedStatementsRows lists the session's SQL-level prepared
// statements (PREPARE); lambdasql does not record when they were made.
func pgPreparedStatementsRows(r *relations) ([][]any, error) {
	names := make([]string, 0, len(r.sess.prepared))
	for n := range r.sess.prepared {
		names = append(names, n)
	}
	sort.Strings(names)
	var out [][]any
	for _, n := range names {
		p := r.sess.prepared[n]
		params := make([]any, len(p.params))
		for i, t := range p.params {
			params[i] = oidD(t.OID)
		}
		out = append(out, []any{p.name, p.text, nil, params, true, intD(0), intD(0)})
	}
	return out, nil
}

const pgCursorsCols = `name text, statement text, is_holdable bool, is_binary bool,
	is_scrollable bool, creation_time timestamptz`

// pgCursorsRows lists the session's open cursors (DECLARE).
func pgCursorsRows(r *relations) ([][]any, error) {
	names := make([]string, 0, len(r.sess.cursors))
	for n := range r.sess.cursors {
		names = append(names, n)
	}
	sort.Strings(names)
	var out [][]any
	for _, n := range names {
		c := r.sess.cursors[n]
		out = append(out, []any{c.name, nil, c.hold, false, c.scroll, nil})
	}
	return out, nil
}

// timezoneNames are the zones pg_timezone_names lists: UTC and the
// zones of the larger markets.
var timezoneNames = []string{
	"UTC", "Etc/UTC", "GMT", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Madrid", "Europe/Moscow", "America/New_York", "America/Chicago", "America/Denver",
	"America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore",
	"Asia/Kolkata", "Asia/Dubai", "Australia/Sydney", "Pacific/Auckland", "Africa/Johannesburg",
}

// pgTimezoneNamesRows gives each zone's current abbreviation and offset.
func pgTimezoneNamesRows(r *relations) ([][]any, error) {
	now := time.Now()
	var out [][]any
	for _, name := range timezoneNames {
		loc, err := types.LoadLocation(name)
		if err != nil {
			continue
		}
		t := now.In(loc)
		abbrev, off := t.Zone()
		out = append(out, []any{name, abbrev, types.IntervalD{Micros: int64(off) * 1_000_000}, t.IsDST()})
	}
	return out, nil
}

func init() {
	regCatalog("pg_catalog", "pg_database", pgDatabaseRelOID, 'r', pgDatabaseCols, pgDatabaseRows)
	regCatalog("pg_catalog", "pg_authid", pgAuthidRelOID, 'r', pgAuthidCols, pgAuthidRows)
	regCatalog("pg_catalog", "pg_roles", 12010, 'v', pgRolesCols, pgRolesRows)
	regCatalog("pg_catalog", "pg_user", 12011, 'v', pgUserCols, pgUserRows)
	regCatalog("pg_catalog", "pg_auth_members", 1261, 'r', `roleid oid, member oid, grantor oid, admin_option bool`, emptyRows)
	regCatalog("pg_catalog", "pg_settings", 12012, 'v', pgSettingsCols, pgSettingsRows)
	regCatalog("pg_catalog", "pg_stat_activity", 12013, 'v', pgStatActivityCols, pgStatActivityRows)
	regCatalog("pg_catalog", "pg_prepared_statements", 12014, 'v', pgPreparedStatementsCols, pgPreparedStatementsRows)
	regCatalog("pg_catalog", "pg_cursors", 12015, 'v', pgCursorsCols, pgCursorsRows)
	regCatalog("pg_catalog", "pg_timezone_names", 12016, 'v', `name text, abbrev text, utc_offset interval, is_dst bool`, pgTimezoneNamesRows)
	regCatalog("pg_catalog", "pg_locks", 12017, 'v', `locktype text, database oid, relation oid, page int4,
		tuple int2, virtualxid text, transactionid xid, classid oid, objid oid, objsubid int2,
		virtualtransaction text, pid int4, mode text, granted bool, fastpath bool, waitstart timestamptz`, emptyRows)

	regCatalog("pg_catalog", "pg_tablespace", 1213, 'r', `oid oid, spcname name, spcowner oid, spcacl aclitem[],
		spcoptions text[]`, func(*relations) ([][]any, error) {
		return [][]any{
			{oidD(defaultTablespaceOID), "pg_default", oidD(BootstrapUserOID), nil, nil},
			{oidD(globalTablespaceOID), "pg_global", oidD(BootstrapUserOID), nil, nil},
		}, nil
	})
	regCatalog("pg_catalog", "pg_collation", 3456, 'r', `oid oid, collname name, collnamespace oid,
		collowner oid, collprovider "char", collisdeterministic bool, collencoding int4, collcollate text,
		collctype text, colliculocale text, collversion text`, func(*relations) ([][]any, error) {
		nsp := oidD(catalog.PgCatalogNamespace)
		return [][]any{
			{oidD(defaultCollationOID), "default", nsp, oidD(BootstrapUserOID), "d", true, intD(-1), nil, nil, nil, nil},
			{oidD(cCollationOID), "C", nsp, oidD(BootstrapUserOID), "c", true, intD(-1), "C", "C", nil, nil},
			{oidD(posixCollationOID), "POSIX", nsp, oidD(BootstrapUserOID), "c", true, intD(-1), "POSIX", "POSIX", nil, nil},
		}, nil
	})
	regCatalog("pg_catalog", "pg_am", 2601, 'r', `oid oid, amname name, amhandler regproc, amtype "char"`,
		func(*relations) ([][]any, error) {
			return [][]any{
				{oidD(heapAmOID), "heap", oidD(3), "t"},
				{oidD(btreeAmOID), "btree", oidD(330), "i"},
			}, nil
		})

	// Features lambdasql does not have: present and empty.
	regCatalog("pg_catalog", "pg_extension", 3079, 'r', `oid oid, extname name, extowner oid,
		extnamespace oid, extrelocatable bool, extversion text, extconfig oid[], extcondition text[]`, emptyRows)
	regCatalog("pg_catalog", "pg_shdescription", 2396, 'r', `objoid oid, classoid oid, description text`, emptyRows)
	regCatalog("pg_catalog", "pg_enum", 3501, 'r', `oid oid, enumtypid oid, enumsortorder float4, enumlabel name`, emptyRows)
	regCatalog("pg_catalog", "pg_range", 3541, 'r', `rngtypid oid, rngsubtype oid, rngmultitypid oid,
		rngcollation oid, rngsubopc oid, rngcanonical regproc, rngsubdiff regproc`, emptyRows)
	regCatalog("pg_catalog", "pg_foreign_server", 1417, 'r', `oid oid, srvname name, srvowner oid, srvfdw oid,
		srvtype text, srvversion text, srvacl aclitem[], srvoptions text[]`, emptyRows)
	regCatalog("pg_catalog", "pg_foreign_data_wrapper", 2328, 'r', `oid oid, fdwname name, fdwowner oid,
		fdwhandler oid, fdwvalidator oid, fdwacl aclitem[], fdwoptions text[]`, emptyRows)
	regCatalog("pg_catalog", "pg_event_trigger", 3466, 'r', `oid oid, evtname name, evtevent name,
		evtowner oid, evtfoid oid, evtenabled "char", evttags text[]`, emptyRows)
	regCatalog("pg_catalog", "pg_publication", 6104, 'r', `oid oid, pubname name, pubowner oid,
		puballtables bool, pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool,
		pubviaroot bool`, emptyRows)
	regCatalog("pg_catalog", "pg_publication_namespace", 6237, 'r', `oid oid, pnpubid oid, pnnspid oid`, emptyRows)
	regCatalog("pg_catalog", "pg_publication_rel", 6106, 'r', `oid oid, prpubid oid, prrelid oid,
		prqual pg_node_tree, prattrs int2vector`, emptyRows)
	regCatalog("pg_catalog", "pg_subscription", 6100, 'r', `oid oid, subdbid oid, subskiplsn pg_lsn,
		subname name, subowner oid, subenabled bool, subbinary bool, substream bool,
		subtwophasestate "char", subdisableonerr bool, subconninfo text, subslotname name,
		subsynccommit text, subpublications text[]`, emptyRows)
	regCatalog("pg_catalog", "pg_opclass", 2616, 'r', `oid oid, opcmethod oid, opcname name,
		opcnamespace oid, opcowner oid, opcfamily oid, opcintype oid, opcdefault bool, opckeytype oid`, emptyRows)
	regCatalog("pg_catalog", "pg_opfamily", 2753, 'r', `oid oid, opfmethod oid, opfname name,
		opfnamespace oid, opfowner oid`, emptyRows)
	regCatalog("pg_catalog", "pg_cast", 2605, 'r', `oid oid, castsource oid, casttarget oid, castfunc oid,
		castcontext "char", castmethod "char"`, emptyRows)
	regCatalog("pg_catalog", "pg_seclabel", 3596, 'r', `objoid oid, classoid oid, objsubid int4,
		provider text, label text`, emptyRows)
	regCatalog("pg_catalog", "pg_init_privs", 3394, 'r', `objoid oid, classoid oid, objsubid int4,
		privtype "char", initprivs aclitem[]`, emptyRows)
	regCatalog("pg_catalog", "pg_largeobject_metadata", 2995, 'r', `oid oid, lomowner oid, lomacl aclitem[]`, emptyRows)
	regCatalog("pg_catalog", "pg_conversion", 2607, 'r', `oid oid, conname name, connamespace oid,
		conowner oid, conforencoding int4, contoencoding int4, conproc regproc, condefault bool`, emptyRows)
	regCatalog("pg_catalog", "pg_ts_config", 3602, 'r', `oid oid, cfgname name, cfgnamespace oid,
		cfgowner oid, cfgparser oid`, emptyRows)
	regCatalog("pg_catalog", "pg_db_role_setting", 2964, 'r', `setdatabase oid, setrole oid, setconfig text[]`, emptyRows)
	regCatalog("pg_catalog", "pg_shdepend", 1214, 'r', `dbid oid, classid oid, objid oid, objsubid int4,
		refclassid oid, refobjid oid, deptype "char"`, emptyRows)
	regCatalog("pg_catalog", "pg_default_acl", 826, 'r', `oid oid, defaclrole oid, defaclnamespace oid,
		defaclobjtype "char", defaclacl aclitem[]`, emptyRows)
}

// roleName returns the name of a role OID among the roles pg_authid
// lists (for pg_get_userbyid: CatalogInfo.UserName can call it).
func (s *Server) roleName(oid uint32) (string, bool) {
	r := &relations{srv: s}
	for _, ro := range r.roles() {
		if ro.oid == oid {
			return ro.name, true
		}
	}
	return "", false
}
