package server

// pg_catalog and information_schema: the virtual tables clients read
// before they show a row (psql's \d family, pgx, pgjdbc, Npgsql, Grafana,
// DBeaver). This file holds what every catalog file shares: the column
// spec parser, the relation model that pg_class, pg_attribute and
// information_schema all derive from, namespaces, and the three lookups
// the expression evaluator needs (procName, procOID, description).
//
// Conventions, kept by every pgcatalog*.go and infoschema*.go file:
//   - Column names and types are PostgreSQL 15's. Types lambdasql lacks
//     are spelled by what they carry: aclitem[] is text[] (always NULL),
//     inet and pg_lsn are text, anyarray is text[].
//   - OIDs are stable across restarts: catalogs and fixed objects use
//     PostgreSQL's own OIDs; sources and views use their catalog OIDs;
//     functions without a PostgreSQL OID get one derived from their
//     signature (see procs in pgcatalog_proc.go).
//   - Rows are computed from one catalog snapshot (r.snap) per scan, so a
//     join of pg_class with pg_attribute sees one state.
//   - Hidden columns (_layer) are never listed.

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

// PostgreSQL's OIDs of the catalogs lambdasql uses as classoid values
// (pg_description.classoid, pg_depend.classid …).
const (
	pgClassRelOID     = 1259
	pgProcRelOID      = 1255
	pgTypeRelOID      = 1247
	pgNamespaceRelOID = 2615
	pgDatabaseRelOID  = 1262
	pgAuthidRelOID    = 1260
)

// pgDatabaseOID is the OID of the one database lambdasql serves under
// whatever name the session connected with. It is PostgreSQL 15's fixed
// OID of the "postgres" database: it cannot collide with a source or
// view, whose OIDs start at catalog.FirstUserOID.
const pgDatabaseOID = 5

// PostgreSQL's fixed OIDs of other shared objects.
const (
	pgToastNamespace     = 99
	pgDatabaseOwnerRole  = 6171 // owns schema public since PostgreSQL 15
	defaultCollationOID  = 100
	cCollationOID        = 950
	posixCollationOID    = 951
	heapAmOID            = 2
	btreeAmOID           = 403
	defaultTablespaceOID = 1663
	globalTablespaceOID  = 1664
	internalLanguageOID  = 12
	cLanguageOID         = 13
	sqlLanguageOID       = 14
)

// sysKind records the relkind of the catalog tables registered here:
// 'r' for PostgreSQL's catalog tables, 'v' for its system views. A system
// table registered elsewhere (lambda_*) is shown as a view.
var sysKind = map[string]byte{}

// regCatalog registers a virtual catalog table whose columns are given
// as PostgreSQL's documentation lists them: "oid oid, relname name, …".
func regCatalog(schema, name string, oid uint32, kind byte, spec string, rows func(r *relations) ([][]any, error)) {
	sysKind[schema+"."+name] = kind
	registerSystemTable(schema, name, oid, mustCols(spec), rows)
}

// emptyRows is the row function of catalogs lambdasql has nothing in.
func emptyRows(*relations) ([][]any, error) { return nil, nil }

// catalogTypeAliases are the column types of catalog specs that
// sql/types does not spell the same way.
var catalogTypeAliases = map[string]*types.T{
	`"char"`:          types.Char,
	`"char"[]`:        types.ArrayOf(types.Char),
	"aclitem[]":       types.ArrayOf(types.Text),
	"anyarray":        types.ArrayOf(types.Text),
	"inet":            types.Text,
	"pg_lsn":          types.Text,
	"sql_identifier":  types.Name,
	"cardinal_number": types.Int4,
	"character_data":  types.Text,
	"yes_or_no":       types.Text,
	"time_stamp":      types.TimestampTZ,
}

// mustCols parses a column spec "name type, name type, …". It panics on
// an unknown type: specs are constants, checked by the tests.
func mustCols(spec string) exec.Schema {
	var out exec.Schema
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, typ, ok := strings.Cut(part, " ")
		if !ok {
			panic(fmt.Sprintf("BUG: catalog column spec %q has no type", part))
		}
		typ = strings.TrimSpace(typ)
		t, ok := catalogTypeAliases[typ]
		if !ok {
			t, ok = types.ByName(typ)
		}
		if !ok {
			panic(fmt.Sprintf("BUG: catalog column %s has unknown type %q", name, typ))
		}
		out = append(out, exec.Column{Name: name, Type: t})
	}
	return out
}

// oidD wraps a uint32 as an oid-family datum.
func oidD(v uint32) any { return types.OidD(v) }

// intD wraps an integer as an integer datum.
func intD[N ~int | ~int16 | ~int32 | ~int64 | ~uint32](v N) any { return int64(v) }

// charD is a "char" datum.
func charD(c byte) any { return string([]byte{c}) }

// nullIfEmpty is NULL for "", else the string.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// yesNo renders a yes_or_no value.
func yesNo(b bool) any {
	if b {
		return "YES"
	}
	return "NO"
}

// pgNamespace is one row of pg_namespace.
type pgNamespace struct {
	oid   uint32
	name  string
	owner uint32
}

// namespaces returns the schemas: PostgreSQL's plus any other schema a
// system table was registered under. lambdasql owns them all, public
// included (PostgreSQL 15 gives public to pg_database_owner; lambdasql
// has one owner for everything, and pg_get_userbyid names it).
func namespaces() []pgNamespace {
	out := []pgNamespace{
		{pgToastNamespace, "pg_toast", BootstrapUserOID},
		{catalog.PgCatalogNamespace, "pg_catalog", BootstrapUserOID},
		{catalog.PublicNamespace, "public", BootstrapUserOID},
		{catalog.InformationSchemaNamespace, "information_schema", BootstrapUserOID},
	}
	seen := map[string]bool{"pg_toast": true, "pg_catalog": true, "public": true, "information_schema": true}
	for _, t := range systemTableList() {
		if !seen[t.schema] {
			seen[t.schema] = true
			out = append(out, pgNamespace{namespaceOID(t.schema), t.schema, BootstrapUserOID})
		}
	}
	return out
}

// namespaceOID returns the OID of a schema. Schemas other than
// PostgreSQL's get an OID derived from their name in 14000–15999, below
// the user range, so it is the same after every restart.
func namespaceOID(schema string) uint32 {
	switch schema {
	case "pg_catalog":
		return catalog.PgCatalogNamespace
	case "public", "":
		return catalog.PublicNamespace
	case "information_schema":
		return catalog.InformationSchemaNamespace
	case "pg_toast":
		return pgToastNamespace
	}
	h := fnv.New32a()
	h.Write([]byte(schema))
	return 14000 + h.Sum32()%2000
}

// pgAttr is one visible column of a relation.
type pgAttr struct {
	name    string
	typ     *types.T
	num     int16
	notNull bool
}

// pgRel is one relation as clients see it: a source (relkind 'r'), a view
// or lambda view ('v'), or a system table.
type pgRel struct {
	oid    uint32
	schema string
	name   string
	kind   byte
	cols   []pgAttr
	src    *catalog.Source
	view   *catalog.View
	sys    *sysTable
}

func (p *pgRel) nsp() uint32 { return namespaceOID(p.schema) }

// relKindOf returns the relkind of a system table.
func relKindOf(t *sysTable) byte {
	if k, ok := sysKind[t.schema+"."+t.name]; ok {
		return k
	}
	return 'v'
}

// pgRels lists every relation of the snapshot: sources and views by OID,
// then the system tables by schema and name. Hidden columns are left out.
func (r *relations) pgRels() []pgRel {
	var out []pgRel
	for _, name := range r.snap.SourceNames() {
		src := r.snap.Sources[name]
		rel := pgRel{oid: src.OID, schema: "public", name: src.Name, kind: 'r', src: src}
		for i, c := range sourceColumns(src) {
			if c.Hidden {
				continue
			}
			rel.cols = append(rel.cols, pgAttr{name: c.Name, typ: c.Type, num: int16(i + 1), notNull: src.Columns[i].NotNull})
		}
		out = append(out, rel)
	}
	for _, name := range r.snap.ViewNames() {
		v := r.snap.Views[name]
		rel := pgRel{oid: v.OID, schema: "public", name: v.Name, kind: 'v', view: v}
		for i, c := range viewColumns(v) {
			if c.Hidden {
				continue
			}
			rel.cols = append(rel.cols, pgAttr{name: c.Name, typ: c.Type, num: int16(i + 1), notNull: v.Columns[i].NotNull})
		}
		out = append(out, rel)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].oid < out[j].oid })
	for _, t := range systemTableList() {
		rel := pgRel{oid: t.oid, schema: t.schema, name: t.name, kind: relKindOf(t), sys: t}
		for i, c := range t.cols {
			if c.Hidden {
				continue
			}
			rel.cols = append(rel.cols, pgAttr{name: c.Name, typ: c.Type, num: int16(i + 1)})
		}
		out = append(out, rel)
	}
	return out
}

// sourceRows estimates a source's row count from its master dataset
// manifest (the captured part; the uncaptured tail is not counted).
func (r *relations) sourceRows(src *catalog.Source) int64 {
	m := r.snap.Manifests[src.Name]
	if m == nil {
		return 0
	}
	var n int64
	for _, f := range m.Files {
		n += f.Rows
	}
	return n
}

// procName returns the name of a pg_proc OID (regproc output).
func procName(oid uint32) (string, bool) {
	p, ok := procTable().byOID[oid]
	if !ok {
		return "", false
	}
	return p.name, true
}

// procOID resolves a function name as regproc input does: an optional
// pg_catalog qualifier and double quotes are accepted. When the name is
// overloaded, the lowest OID is returned (PostgreSQL raises 42725 there;
// the CatalogInfo interface has no room for that error).
func procOID(name string) (uint32, bool) {
	schema, n := splitQualified(name)
	if schema != "" && schema != "pg_catalog" {
		return 0, false
	}
	oids := procTable().byName[n]
	if len(oids) == 0 {
		return 0, false
	}
	return oids[0], true
}

// description returns the comment of an object (pg_description,
// obj_description, col_description). Sources and lambda views are
// described by their options, so \dt+ and \dv+ show how each one is
// fed and windowed; columns (subID > 0) have no comments.
func description(snap *catalog.Snapshot, objOID uint32, subID int32) (string, bool) {
	if subID != 0 || snap == nil {
		return "", false
	}
	for _, src := range snap.Sources {
		if src.OID == objOID {
			return describeOptions("source", src.Options), true
		}
	}
	for _, v := range snap.Views {
		if v.OID == objOID && v.Lambda {
			what := "lambda view"
			if v.Source != "" {
				what += " over " + v.Source
			}
			return describeOptions(what, v.Options), true
		}
	}
	return "", false
}

// describeOptions renders "what: k=v, k=v" with the options sorted.
func describeOptions(what string, opts map[string]string) string {
	if len(opts) == 0 {
		return what
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + opts[k]
	}
	return what + ": " + strings.Join(parts, ", ")
}
