package server

// Relations as PostgreSQL's catalogs describe them: pg_namespace,
// pg_class, pg_attribute, pg_description and the views over them
// (pg_tables, pg_views, pg_stat_user_tables …), plus the catalogs of
// objects lambdasql has none of (indexes, constraints, defaults,
// triggers, rules, inheritance), which exist and are empty.

import (
	"strings"

	"lambdasql/catalog"
	"lambdasql/sql/types"
)

const pgNamespaceCols = `oid oid, nspname name, nspowner oid, nspacl aclitem[]`

func pgNamespaceRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, n := range namespaces() {
		out = append(out, []any{oidD(n.oid), n.name, oidD(n.owner), nil})
	}
	return out, nil
}

const pgClassCols = `oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid,
	relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4, relallvisible int4,
	reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence "char", relkind "char",
	relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool,
	relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident "char",
	relispartition bool, relrewrite oid, relfrozenxid xid, relminmxid xid, relacl aclitem[],
	reloptions text[], relpartbound pg_node_tree`

// pgClassRows lists every relation. Sources are ordinary tables (heap
// access method, reltuples from the master dataset); views and lambda
// views are views. Relations have no row type of their own (reltype 0).
func pgClassRows(r *relations) ([][]any, error) {
	rels := r.pgRels()
	out := make([][]any, 0, len(rels))
	for _, rel := range rels {
		var am uint32
		var pages int64
		tuples := -1.0
		switch {
		case rel.src != nil:
			am = heapAmOID
			n := r.sourceRows(rel.src)
			tuples = float64(n)
			pages = r.sourceBytes(rel.src) / 8192
		case rel.kind == 'r':
			am = heapAmOID
		case rel.kind == 'v':
			tuples = 0
		}
		rewrites := rel.kind == 'v'
		out = append(out, []any{
			oidD(rel.oid), rel.name, oidD(rel.nsp()), oidD(0), oidD(0), oidD(BootstrapUserOID),
			oidD(am), oidD(0), oidD(0), pages, tuples, intD(0),
			oidD(0), false, rel.schema == "pg_catalog" && isSharedCatalog(rel.name), "p", charD(rel.kind),
			intD(len(rel.cols)), intD(0), rewrites, false, false,
			false, false, true, "d",
			false, oidD(0), oidD(0), oidD(0), nil,
			nil, nil,
		})
	}
	return out, nil
}

// isSharedCatalog reports the catalogs PostgreSQL shares across
// databases (relisshared).
func isSharedCatalog(name string) bool {
	switch name {
	case "pg_authid", "pg_database", "pg_tablespace", "pg_auth_members", "pg_shdescription",
		"pg_shdepend", "pg_db_role_setting", "pg_shseclabel", "pg_subscription":
		return true
	}
	return false
}

// sourceBytes is the size of a source's master dataset files.
func (r *relations) sourceBytes(src *catalog.Source) int64 {
	m := r.snap.Manifests[src.Name]
	if m == nil {
		return 0
	}
	var n int64
	for _, f := range m.Files {
		n += f.Bytes
	}
	return n
}

const pgAttributeCols = `attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2,
	attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign "char",
	attstorage "char", attcompression "char", attnotnull bool, atthasdef bool, atthasmissing bool,
	attidentity "char", attgenerated "char", attisdropped bool, attislocal bool, attinhcount int4,
	attcollation oid, attacl aclitem[], attoptions text[], attfdwoptions text[], attmissingval anyarray`

// pgAttributeRows lists the visible columns of every relation (no system
// columns, no hidden _layer).
func pgAttributeRows(r *relations) ([][]any, error) {
	_, byID := pgTypes()
	var out [][]any
	for _, rel := range r.pgRels() {
		for _, c := range rel.cols {
			length, byval, align, storage := -1, false, byte('i'), byte('x')
			if t, ok := byID[c.typ.OID]; ok {
				length, byval, align, storage = t.length, t.byval, t.align, t.storage
			}
			ndims := 0
			if c.typ.Family == types.FamArray && c.typ != types.Int2Vector && c.typ != types.OidVector {
				ndims = 1
			}
			out = append(out, []any{
				oidD(rel.oid), c.name, oidD(c.typ.OID), intD(-1), intD(length),
				intD(c.num), intD(ndims), intD(-1), intD(c.typ.Mod), byval, charD(align),
				charD(storage), "", c.notNull, false, false,
				"", "", false, true, intD(0),
				oidD(collationOf(c.typ)), nil, nil, nil, nil,
			})
		}
	}
	return out, nil
}

const pgDescriptionCols = `objoid oid, classoid oid, objsubid int4, description text`

// pgDescriptionRows lists the comments description() gives: one per
// source and lambda view.
func pgDescriptionRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src == nil && rel.view == nil {
			continue
		}
		if d, ok := description(r.snap, rel.oid, 0); ok {
			out = append(out, []any{oidD(rel.oid), oidD(pgClassRelOID), intD(0), d})
		}
	}
	return out, nil
}

const pgTablesCols = `schemaname name, tablename name, tableowner name, tablespace name,
	hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool`

func pgTablesRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.kind == 'r' {
			out = append(out, []any{rel.schema, rel.name, "lambdasql", nil, false, false, false, false})
		}
	}
	return out, nil
}

const pgViewsCols = `schemaname name, viewname name, viewowner name, definition text`

// pgViewsRows lists views with their definition as pg_get_viewdef gives
// it; system views have no SQL definition in lambdasql.
func pgViewsRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.kind != 'v' {
			continue
		}
		var def any
		if rel.view != nil {
			def = viewDefinition(rel.view)
		}
		out = append(out, []any{rel.schema, rel.name, "lambdasql", def})
	}
	return out, nil
}

// viewDefinition renders a view's query as pg_get_viewdef does: a
// leading space and a closing semicolon.
func viewDefinition(v *catalog.View) string {
	q := strings.TrimSpace(v.Query)
	if !strings.HasSuffix(q, ";") {
		q += ";"
	}
	return " " + q
}

const pgStatUserTablesCols = `relid oid, schemaname name, relname name, seq_scan int8, seq_tup_read int8,
	idx_scan int8, idx_tup_fetch int8, n_tup_ins int8, n_tup_upd int8, n_tup_del int8,
	n_tup_hot_upd int8, n_live_tup int8, n_dead_tup int8, n_mod_since_analyze int8,
	n_ins_since_vacuum int8, last_vacuum timestamptz, last_autovacuum timestamptz,
	last_analyze timestamptz, last_autoanalyze timestamptz, vacuum_count int8, autovacuum_count int8,
	analyze_count int8, autoanalyze_count int8`

// pgStatUserTablesRows reports each source's captured rows as inserted
// and live tuples; sources are append-only, so nothing is updated,
// deleted or dead.
func pgStatUserTablesRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src == nil {
			continue
		}
		n := r.sourceRows(rel.src)
		out = append(out, []any{
			oidD(rel.oid), rel.schema, rel.name, intD(0), intD(0),
			nil, nil, n, intD(0), intD(0),
			intD(0), n, intD(0), intD(0),
			n, nil, nil,
			nil, nil, intD(0), intD(0),
			intD(0), intD(0),
		})
	}
	return out, nil
}

const pgStatioUserTablesCols = `relid oid, schemaname name, relname name, heap_blks_read int8,
	heap_blks_hit int8, idx_blks_read int8, idx_blks_hit int8, toast_blks_read int8,
	toast_blks_hit int8, tidx_blks_read int8, tidx_blks_hit int8`

func pgStatioUserTablesRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src != nil {
			out = append(out, []any{oidD(rel.oid), rel.schema, rel.name, intD(0), intD(0), nil, nil, nil, nil, nil, nil})
		}
	}
	return out, nil
}

func init() {
	regCatalog("pg_catalog", "pg_namespace", pgNamespaceRelOID, 'r', pgNamespaceCols, pgNamespaceRows)
	regCatalog("pg_catalog", "pg_class", pgClassRelOID, 'r', pgClassCols, pgClassRows)
	regCatalog("pg_catalog", "pg_attribute", 1249, 'r', pgAttributeCols, pgAttributeRows)
	regCatalog("pg_catalog", "pg_description", 2609, 'r', pgDescriptionCols, pgDescriptionRows)
	regCatalog("pg_catalog", "pg_tables", 12001, 'v', pgTablesCols, pgTablesRows)
	regCatalog("pg_catalog", "pg_views", 12002, 'v', pgViewsCols, pgViewsRows)
	regCatalog("pg_catalog", "pg_stat_user_tables", 12003, 'v', pgStatUserTablesCols, pgStatUserTablesRows)
	regCatalog("pg_catalog", "pg_statio_user_tables", 12004, 'v', pgStatioUserTablesCols, pgStatioUserTablesRows)

	// Catalogs of objects lambdasql has none of: present and empty.
	regCatalog("pg_catalog", "pg_matviews", 12005, 'v', `schemaname name, matviewname name,
		matviewowner name, tablespace name, hasindexes bool, ispopulated bool, definition text`, emptyRows)
	regCatalog("pg_catalog", "pg_indexes", 12006, 'v', `schemaname name, tablename name, indexname name,
		tablespace name, indexdef text`, emptyRows)
	regCatalog("pg_catalog", "pg_index", 2610, 'r', `indexrelid oid, indrelid oid, indnatts int2,
		indnkeyatts int2, indisunique bool, indnullsnotdistinct bool, indisprimary bool,
		indisexclusion bool, indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool,
		indisready bool, indislive bool, indisreplident bool, indkey int2vector, indcollation oidvector,
		indclass oidvector, indoption int2vector, indexprs pg_node_tree, indpred pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_constraint", 2606, 'r', `oid oid, conname name, connamespace oid,
		contype "char", condeferrable bool, condeferred bool, convalidated bool, conrelid oid,
		contypid oid, conindid oid, conparentid oid, confrelid oid, confupdtype "char",
		confdeltype "char", confmatchtype "char", conislocal bool, coninhcount int4, connoinherit bool,
		conkey int2[], confkey int2[], conpfeqop oid[], conppeqop oid[], conffeqop oid[],
		confdelsetcols int2[], conexclop oid[], conbin pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_attrdef", 2604, 'r', `oid oid, adrelid oid, adnum int2, adbin pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_inherits", 2611, 'r', `inhrelid oid, inhparent oid, inhseqno int4,
		inhdetachpending bool`, emptyRows)
	regCatalog("pg_catalog", "pg_rewrite", 2618, 'r', `oid oid, rulename name, ev_class oid, ev_type "char",
		ev_enabled "char", is_instead bool, ev_qual pg_node_tree, ev_action pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_trigger", 2620, 'r', `oid oid, tgrelid oid, tgparentid oid, tgname name,
		tgfoid oid, tgtype int2, tgenabled "char", tgisinternal bool, tgconstrrelid oid,
		tgconstrindid oid, tgconstraint oid, tgdeferrable bool, tginitdeferred bool, tgnargs int2,
		tgattr int2vector, tgargs bytea, tgqual pg_node_tree, tgoldtable name, tgnewtable name`, emptyRows)
	regCatalog("pg_catalog", "pg_depend", 2608, 'r', `classid oid, objid oid, objsubid int4, refclassid oid,
		refobjid oid, refobjsubid int4, deptype "char"`, emptyRows)
	regCatalog("pg_catalog", "pg_sequence", 2224, 'r', `seqrelid oid, seqtypid oid, seqstart int8,
		seqincrement int8, seqmax int8, seqmin int8, seqcache int8, seqcycle bool`, emptyRows)
	regCatalog("pg_catalog", "pg_sequences", 12007, 'v', `schemaname name, sequencename name,
		sequenceowner name, data_type regtype, start_value int8, min_value int8, max_value int8,
		increment_by int8, cycle bool, cache_size int8, last_value int8`, emptyRows)
	regCatalog("pg_catalog", "pg_partitioned_table", 3350, 'r', `partrelid oid, partstrat "char",
		partnatts int2, partdefid oid, partattrs int2vector, partclass oidvector, partcollation oidvector,
		partexprs pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_policy", 3256, 'r', `oid oid, polname name, polrelid oid, polcmd "char",
		polpermissive bool, polroles oid[], polqual pg_node_tree, polwithcheck pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_statistic_ext", 3381, 'r', `oid oid, stxrelid oid, stxname name,
		stxnamespace oid, stxowner oid, stxstattarget int4, stxkeys int2vector, stxkind "char"[],
		stxexprs pg_node_tree`, emptyRows)
	regCatalog("pg_catalog", "pg_foreign_table", 3118, 'r', `ftrelid oid, ftserver oid, ftoptions text[]`, emptyRows)
}
