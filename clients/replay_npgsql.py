#!/usr/bin/env python3
"""Npgsql and Power BI, replayed: the statements Npgsql sends when it opens
a connection (type loading), when a pooled connection is reused, and the
statements Power BI Desktop's PostgreSQL connector (Power Query, with
Npgsql 4.0.x inside) sends while its navigator lists schemas, tables,
columns, keys and sizes, then a data preview and a parameterized query.

Statement texts come from public sources: Npgsql's PostgresDatabaseInfo
(GenerateLoadTypesQuery and friends, for PostgreSQL 15: ranges and
multiranges supported, table composites not loaded) in its 8.x form (one
simple-protocol batch led by SELECT version()) and its 4.0.x form (three
statements through the extended protocol, one Sync, text results), and the
PostgreSQL metadata provider of Power Query (LoadSchemas, LoadTables,
LoadColumns, LoadIndexes, LoadForeignKeysParent/Child,
LoadResourceInformation, the character-set probe), with CRLF line ends as
it sends them. Power BI binds schema and table as literals.

Run by scripts/test-clients.sh with LAMBDASQL_HOST/LAMBDASQL_PORT set.
"""

import datetime

import psycopg

from harness import (DB, DEMO_COLUMNS, DEMO_SOURCE, DEMO_VIEWS, DEVICE, HOST, PORT, USER, Suite,
                     expect, expect_eq, now_utc)

conn = None
suite = Suite("npgsql", reset=lambda: conn.rollback())


def connect():
    # Npgsql's startup packet: user, database, client_encoding UTF8 and
    # application name (Power BI sets none; Npgsql adds none by default).
    return psycopg.connect(host=HOST, port=PORT, user=USER, dbname=DB, connect_timeout=10, autocommit=True,
                           client_encoding="UTF8")


conn = suite.check("connect", connect)
if conn is None:
    suite.finish()

# --- Npgsql 8.x (any .NET application) -----------------------------------

NPGSQL8_LOAD_TYPES = """SELECT version();

SELECT ns.nspname, t.oid, t.typname, t.typtype, t.typnotnull, t.elemtypoid
FROM (
    -- Arrays have typtype=b - this subquery identifies them by their typreceive and converts their typtype to a
    -- We first do this for the type (innerest-most subquery), and then for its element type
    -- This also returns the array element, range subtype and domain base type as elemtypoid
    SELECT
        typ.oid, typ.typnamespace, typ.typname, typ.typtype, typ.typrelid, typ.typnotnull, typ.relkind,
        elemtyp.oid AS elemtypoid, elemtyp.typname AS elemtypname, elemcls.relkind AS elemrelkind,
        CASE WHEN elemproc.proname='array_recv' THEN 'a' ELSE elemtyp.typtype END AS elemtyptype
    FROM (
        SELECT typ.oid, typnamespace, typname, typrelid, typnotnull, relkind, typelem AS elemoid,
            CASE WHEN proc.proname='array_recv' THEN 'a' ELSE typ.typtype END AS typtype,
            CASE
                WHEN proc.proname='array_recv' THEN typ.typelem
                WHEN typ.typtype='r' THEN rngsubtype
                WHEN typ.typtype='m' THEN (SELECT rngtypid FROM pg_range WHERE rngmultitypid = typ.oid)
                WHEN typ.typtype='d' THEN typ.typbasetype
            END AS elemtypoid
        FROM pg_type AS typ
        LEFT JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
        LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive
        LEFT JOIN pg_range ON (pg_range.rngtypid = typ.oid)
    ) AS typ
    LEFT JOIN pg_type AS elemtyp ON elemtyp.oid = elemtypoid
    LEFT JOIN pg_class AS elemcls ON (elemcls.oid = elemtyp.typrelid)
    LEFT JOIN pg_proc AS elemproc ON elemproc.oid = elemtyp.typreceive
) AS t
JOIN pg_namespace AS ns ON (ns.oid = typnamespace)
WHERE
    typtype IN ('b', 'r', 'm', 'e', 'd') OR -- Base, range, multirange, enum, domain
    (typtype = 'c' AND relkind='c') OR -- User-defined free-standing composites (not table composites) by default
    (typtype = 'p' AND typname IN ('record', 'void')) OR -- Some special supported pseudo-types
    (typtype = 'a' AND (  -- Array of...
        elemtyptype IN ('b', 'r', 'm', 'e', 'd') OR -- Array of base, range, multirange, enum, domain
        (elemtyptype = 'p' AND elemtypname IN ('record', 'void')) OR -- Arrays of special supported pseudo-types
        (elemtyptype = 'c' AND elemrelkind='c') -- Array of user-defined free-standing composites (not table composites) by default
    ))
ORDER BY CASE
       WHEN typtype IN ('b', 'e', 'p') THEN 0           -- First base types, enums, pseudo-types
       WHEN typtype = 'r' THEN 1                        -- Ranges after
       WHEN typtype = 'm' THEN 2                        -- Multiranges after
       WHEN typtype = 'c' THEN 3                        -- Composites after
       WHEN typtype = 'd' AND elemtyptype <> 'a' THEN 4 -- Domains over non-arrays after
       WHEN typtype = 'a' THEN 5                        -- Arrays after
       WHEN typtype = 'd' AND elemtyptype = 'a' THEN 6  -- Domains over arrays last
END;

-- Load field definitions for (free-standing) composite types
SELECT typ.oid, att.attname, att.atttypid
FROM pg_type AS typ
JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
WHERE
  (typ.typtype = 'c' AND cls.relkind='c') AND
  attnum > 0 AND     -- Don't load system attributes
  NOT attisdropped
ORDER BY typ.oid, att.attnum;

-- Load enum fields
SELECT pg_type.oid, enumlabel
FROM pg_enum
JOIN pg_type ON pg_type.oid=enumtypid
ORDER BY oid, enumsortorder;
"""


def results_of(cur):
    """Every result set of a multi-statement simple query."""
    out = [cur.fetchall()]
    while cur.nextset():
        out.append(cur.fetchall())
    return out


def check_types(rows, cols, skip_unknown_elements=False):
    """Checks a type-loading result the way Npgsql reads it: no NULL in the
    non-nullable columns, the types Npgsql needs present, array elements
    and range subtypes known before the types that use them. Npgsql 4
    skips an array whose element it did not load (PostgreSQL returns
    _cstring, an array of a pseudo-type, to that query):
    skip_unknown_elements does the same."""
    byoid = {}
    seen_kinds = []
    for r in rows:
        rec = dict(zip(cols, r))
        for c in cols:
            if c != cols[-1]:
                expect(rec[c] is not None, "NULL %s in %r" % (c, rec))
        kind = rec["typtype"]
        expect(kind in ("b", "a", "r", "m", "e", "c", "d", "p"), "unknown typtype %r" % kind)
        elem = rec["elem"]
        if kind in ("a", "r", "m", "d"):
            if skip_unknown_elements and (not elem or int(elem) not in byoid):
                continue
            expect(elem and int(elem) in byoid, "%s %s refers to unknown type %r" % (kind, rec["typname"], elem))
        byoid[int(rec["oid"])] = (rec["typname"], kind, elem and int(elem))
        seen_kinds.append(kind)
    for oid, name, kind, elem in [(16, "bool", "b", None), (20, "int8", "b", None), (23, "int4", "b", None),
                                  (25, "text", "b", None), (701, "float8", "b", None),
                                  (1184, "timestamptz", "b", None), (1700, "numeric", "b", None),
                                  (1186, "interval", "b", None), (2249, "record", "p", None),
                                  (1007, "_int4", "a", 23), (1009, "_text", "a", 25), (1185, "_timestamptz", "a", 1184)]:
        got = byoid.get(oid)
        expect(got is not None, "type %s (%d) not loaded" % (name, oid))
        expect_eq(got[0], name, "typname of %d" % oid)
        expect_eq(got[1], kind, "typtype of %s" % name)
        if elem is not None:
            expect_eq(got[2], elem, "element of %s" % name)
    return byoid


def check_npgsql8_load_types():
    cur = conn.cursor()
    cur.execute(NPGSQL8_LOAD_TYPES)
    sets = results_of(cur)
    expect_eq(len(sets), 4, "result sets of the type-loading batch")
    expect(sets[0][0][0].startswith("PostgreSQL "), "version() = %r" % sets[0][0][0])
    rows = [(ns, str(oid), name, kind, nn, None if e is None else str(e)) for ns, oid, name, kind, nn, e in sets[1]]
    check_types(rows, ["nspname", "oid", "typname", "typtype", "typnotnull", "elem"])
    order = {"b": 0, "e": 0, "p": 0, "r": 1, "m": 2, "c": 3, "d": 4, "a": 5}
    keys = [order[r[3]] for r in rows]
    expect_eq(keys, sorted(keys), "ORDER BY CASE typtype")
    expect_eq(sets[2], [], "free-standing composite fields")
    expect_eq(sets[3], [], "enum labels")


# --- Npgsql 4.0.x (inside Power BI Desktop) -------------------------------

NPGSQL4_LOAD_TYPES = """
/*** Load all supported types ***/
SELECT ns.nspname, a.typname, a.oid, a.typrelid, a.typbasetype,
CASE WHEN pg_proc.proname='array_recv' THEN 'a' ELSE a.typtype END AS type,
CASE
  WHEN pg_proc.proname='array_recv' THEN a.typelem
  WHEN a.typtype='r' THEN rngsubtype
  ELSE 0
END AS elemoid,
CASE
  WHEN pg_proc.proname IN ('array_recv','oidvectorrecv') THEN 3    /* Arrays last */
  WHEN a.typtype='r' THEN 2                                        /* Ranges before */
  WHEN a.typtype='d' THEN 1                                        /* Domains before */
  ELSE 0                                                           /* Base types first */
END AS ord
FROM pg_type AS a
JOIN pg_namespace AS ns ON (ns.oid = a.typnamespace)
JOIN pg_proc ON pg_proc.oid = a.typreceive
LEFT OUTER JOIN pg_class AS cls ON (cls.oid = a.typrelid)
LEFT OUTER JOIN pg_type AS b ON (b.oid = a.typelem)
LEFT OUTER JOIN pg_class AS elemcls ON (elemcls.oid = b.typrelid)
LEFT OUTER JOIN pg_range ON (pg_range.rngtypid = a.oid) 
WHERE
  a.typtype IN ('b', 'r', 'e', 'd') OR         /* Base, range, enum, domain */
  (a.typtype = 'c' AND cls.relkind='c') OR /* User-defined free-standing composites (not table composites) by default */
  (pg_proc.proname='array_recv' AND (
    b.typtype IN ('b', 'r', 'e', 'd') OR       /* Array of base, range, enum, domain */
    (b.typtype = 'p' AND b.typname IN ('record', 'void')) OR /* Arrays of special supported pseudo-types */
    (b.typtype = 'c' AND elemcls.relkind='c')  /* Array of user-defined free-standing composites (not table composites) */
  )) OR
  (a.typtype = 'p' AND a.typname IN ('record', 'void'))  /* Some special supported pseudo-types */
ORDER BY ord""".replace("\n", "\r\n")

NPGSQL4_COMPOSITES = """/*** Load field definitions for (free-standing) composite types ***/
SELECT typ.oid, att.attname, att.atttypid
FROM pg_type AS typ
JOIN pg_namespace AS ns ON (ns.oid = typ.typnamespace)
JOIN pg_class AS cls ON (cls.oid = typ.typrelid)
JOIN pg_attribute AS att ON (att.attrelid = typ.typrelid)
WHERE
  (typ.typtype = 'c' AND cls.relkind='c') AND
  attnum > 0 AND     /* Don't load system attributes */
  NOT attisdropped
ORDER BY typ.typname, att.attnum""".replace("\n", "\r\n")

NPGSQL4_ENUMS = """/*** Load enum fields ***/
SELECT pg_type.oid, enumlabel
FROM pg_enum
JOIN pg_type ON pg_type.oid=enumtypid
ORDER BY oid, enumsortorder""".replace("\n", "\r\n")


def check_npgsql4_load_types():
    # Npgsql 4 splits the command into its statements and sends each as
    # Parse/Bind/Describe/Execute, then a single Sync: a pipeline.
    with conn.pipeline():
        c1 = conn.cursor().execute(NPGSQL4_LOAD_TYPES, prepare=False)
        c2 = conn.cursor().execute(NPGSQL4_COMPOSITES, prepare=False)
        c3 = conn.cursor().execute(NPGSQL4_ENUMS, prepare=False)
    cols = [d.name for d in c1.description]
    expect_eq(cols, ["nspname", "typname", "oid", "typrelid", "typbasetype", "type", "elemoid", "ord"],
              "columns of the type query")
    rows = c1.fetchall()
    norm = [(ns, str(oid), name, kind, str(elem) if str(elem) != "0" else None) for
            ns, name, oid, relid, base, kind, elem, ord_ in rows]
    check_types(norm, ["nspname", "oid", "typname", "typtype", "elem"], skip_unknown_elements=True)
    ords = [r[7] for r in rows]
    expect_eq(ords, sorted(ords), "ORDER BY ord")
    expect_eq(c2.fetchall(), [], "composite fields")
    expect_eq(c3.fetchall(), [], "enum labels")


def check_discard_all():
    # A pooled Npgsql connection is reset with DISCARD ALL before reuse.
    conn.execute("SET lambda.read = 'batch'")
    conn.execute("PREPARE clients_npgsql_p AS SELECT 1")
    conn.execute("DISCARD ALL")
    expect_eq(conn.execute("SHOW lambda.read").fetchone()[0], "merged", "lambda.read after DISCARD ALL")
    got = conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'clients_npgsql_p'").fetchone()[0]
    expect_eq(got, 0, "prepared statements after DISCARD ALL")


# --- Power BI Desktop navigator (Power Query's PostgreSQL provider) -------

def crlf(s):
    return s.replace("\n", "\r\n")


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def check_pbi_server_metadata():
    rows = conn.execute("select character_set_name from INFORMATION_SCHEMA.character_sets").fetchall()
    expect_eq(rows, [("UTF8",)], "character sets")
    expect(conn.info.parameter_status("server_version").startswith("15"), "server_version %r" %
           conn.info.parameter_status("server_version"))


def check_pbi_schemas():
    rows = conn.execute("select SCHEMA_NAME from INFORMATION_SCHEMA.SCHEMATA order by SCHEMA_NAME").fetchall()
    names = [r[0] for r in rows]
    for s in ("information_schema", "pg_catalog", "public"):
        expect(s in names, "schemas %r lack %s" % (names, s))
    expect_eq(names, sorted(names), "schema order")


def check_pbi_tables():
    rows = conn.execute(crlf("""select TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE
from INFORMATION_SCHEMA.tables
where TABLE_SCHEMA not in ('information_schema', 'pg_catalog')
order by TABLE_SCHEMA, TABLE_NAME""")).fetchall()
    got = {(s, n): t for s, n, t in rows}
    expect_eq(got.get(("public", DEMO_SOURCE)), "BASE TABLE", "TABLE_TYPE of " + DEMO_SOURCE)
    for v in DEMO_VIEWS:
        expect_eq(got.get(("public", v)), "VIEW", "TABLE_TYPE of " + v)
    keys = [(s, n) for s, n, _ in rows]
    expect_eq(keys, sorted(keys), "order by TABLE_SCHEMA, TABLE_NAME")


def check_pbi_columns():
    for rel, want in DEMO_COLUMNS.items():
        rows = conn.execute(crlf("""select COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, case when (data_type like '%%unsigned%%') then DATA_TYPE || ' unsigned' else DATA_TYPE end as DATA_TYPE
from INFORMATION_SCHEMA.columns
where TABLE_SCHEMA = %s and TABLE_NAME = %s
order by TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION""" % (lit("public"), lit(rel)))).fetchall()
        expect_eq([(r[0], r[3]) for r in rows], want, "columns of " + rel)
        expect_eq([r[1] for r in rows], list(range(1, len(want) + 1)), "ORDINAL_POSITION of " + rel)
        nullable = {r[0]: r[2] for r in rows}
        if rel == DEMO_SOURCE:
            expect_eq((nullable["device_id"], nullable["temperature"]), ("NO", "YES"), "IS_NULLABLE")


def check_pbi_keys():
    for rel in (DEMO_SOURCE, "device_metrics"):
        rows = conn.execute(crlf("""select i.CONSTRAINT_SCHEMA || '_' || i.CONSTRAINT_NAME as INDEX_NAME, ii.COLUMN_NAME, ii.ORDINAL_POSITION, case when i.CONSTRAINT_TYPE = 'PRIMARY KEY' then 'Y' else 'N' end as PRIMARY_KEY
from INFORMATION_SCHEMA.table_constraints i inner join INFORMATION_SCHEMA.key_column_usage ii on i.CONSTRAINT_SCHEMA = ii.CONSTRAINT_SCHEMA and i.CONSTRAINT_NAME = ii.CONSTRAINT_NAME and i.TABLE_SCHEMA = ii.TABLE_SCHEMA and i.TABLE_NAME = ii.TABLE_NAME
where i.TABLE_SCHEMA = %s and i.TABLE_NAME = %s
and i.CONSTRAINT_TYPE in ('PRIMARY KEY', 'UNIQUE')
order by i.CONSTRAINT_SCHEMA || '_' || i.CONSTRAINT_NAME, ii.TABLE_SCHEMA, ii.TABLE_NAME, ii.ORDINAL_POSITION""" % (lit("public"), lit(rel)))).fetchall()
        expect_eq(rows, [], "keys of " + rel)


FK_FROM = """from
    (select distinct constraint_catalog, constraint_schema, unique_constraint_schema, constraint_name, unique_constraint_name
        from INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS) fkcon
        inner join
    INFORMATION_SCHEMA.KEY_COLUMN_USAGE fkcol
        on fkcon.CONSTRAINT_SCHEMA = fkcol.CONSTRAINT_SCHEMA
        and fkcon.CONSTRAINT_NAME = fkcol.CONSTRAINT_NAME
        inner join
    INFORMATION_SCHEMA.KEY_COLUMN_USAGE pkcol
        on fkcon.UNIQUE_CONSTRAINT_SCHEMA = pkcol.CONSTRAINT_SCHEMA
        and fkcon.UNIQUE_CONSTRAINT_NAME = pkcol.CONSTRAINT_NAME
"""


def check_pbi_foreign_keys():
    for rel in (DEMO_SOURCE, "device_metrics"):
        parent = crlf("""select
    pkcol.COLUMN_NAME as PK_COLUMN_NAME,
    fkcol.TABLE_SCHEMA AS FK_TABLE_SCHEMA,
    fkcol.TABLE_NAME AS FK_TABLE_NAME,
    fkcol.COLUMN_NAME as FK_COLUMN_NAME,
    fkcol.ORDINAL_POSITION as ORDINAL,
    fkcon.CONSTRAINT_SCHEMA || '_' || fkcol.TABLE_NAME || '_' || %s || '_' || fkcon.CONSTRAINT_NAME as FK_NAME
""" % lit(rel) + FK_FROM + """where pkcol.TABLE_SCHEMA = %s and pkcol.TABLE_NAME = %s
        and pkcol.ORDINAL_POSITION = fkcol.ORDINAL_POSITION
order by FK_NAME, fkcol.ORDINAL_POSITION""" % (lit("public"), lit(rel)))
        expect_eq(conn.execute(parent).fetchall(), [], "foreign keys referencing " + rel)
        child = crlf("""select
    pkcol.TABLE_SCHEMA AS PK_TABLE_SCHEMA,
    pkcol.TABLE_NAME AS PK_TABLE_NAME,
    pkcol.COLUMN_NAME as PK_COLUMN_NAME,
    fkcol.COLUMN_NAME as FK_COLUMN_NAME,
    fkcol.ORDINAL_POSITION as ORDINAL,
    fkcon.CONSTRAINT_SCHEMA || '_' || %s || '_' || pkcol.TABLE_NAME || '_' || fkcon.CONSTRAINT_NAME as FK_NAME
""" % lit(rel) + FK_FROM + """where fkcol.TABLE_SCHEMA = %s and fkcol.TABLE_NAME = %s
        and pkcol.ORDINAL_POSITION = fkcol.ORDINAL_POSITION
order by FK_NAME, fkcol.ORDINAL_POSITION""" % (lit("public"), lit(rel)))
        expect_eq(conn.execute(child).fetchall(), [], "foreign keys of " + rel)


def check_pbi_resource_information():
    for rel in (DEMO_SOURCE,) + DEMO_VIEWS:
        rows = conn.execute(crlf("""
SELECT PG_TOTAL_RELATION_SIZE(C.OID) AS TOTAL_BYTES
FROM PG_CLASS C JOIN PG_NAMESPACE N
    ON (N.OID = C.RELNAMESPACE)
WHERE N.NSPNAME = %s AND C.RELNAME = %s""" % (lit("public"), lit(rel)))).fetchall()
        expect_eq(len(rows), 1, "rows for " + rel)
        expect(isinstance(rows[0][0], int) and rows[0][0] >= 0, "TOTAL_BYTES of %s = %r" % (rel, rows[0][0]))


def check_pbi_preview():
    # The navigator preview and a folded DirectQuery aggregate: quoted
    # identifiers, a table alias, LIMIT paging, timestamp literals.
    cols = ", ".join('"$Table"."%s" as "%s"' % (c, c) for c, _ in DEMO_COLUMNS["device_metrics"])
    rows = conn.execute('select %s\r\nfrom "public"."device_metrics" "$Table"\r\nlimit 1000' % cols).fetchall()
    expect_eq(len(rows), 1000, "preview rows")


def check_pbi_fold():
    since = (now_utc() - datetime.timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S")
    rows = conn.execute('select "rows"."device_id" as "device_id",\r\n    sum("rows"."event_count") as "a0",\r\n'
                        '    avg("rows"."avg_temperature") as "a1"\r\nfrom\r\n(\r\n    select "_"."device_id",\r\n'
                        '        "_"."event_count",\r\n        "_"."avg_temperature"\r\n'
                        '    from "public"."device_metrics" "_"\r\n'
                        '    where "_"."window_start" >= timestamp \'%s\' and "_"."device_id" = \'%s\'\r\n) "rows"\r\n'
                        'group by "device_id"\r\nlimit 1000001' % (since, DEVICE)).fetchall()
    expect_eq(len(rows), 1, "aggregate rows")
    expect_eq(rows[0][0], DEVICE, "device_id")
    expect(int(rows[0][1]) > 0 and isinstance(rows[0][2], float), "aggregates %r" % (rows[0],))


def check_parameterized():
    # Npgsql binds @p parameters with explicit types (text, timestamptz,
    # double precision) through the extended protocol.
    since = now_utc() - datetime.timedelta(minutes=20)
    rows = conn.execute("SELECT window_start, event_count, avg_temperature FROM device_metrics "
                        "WHERE device_id = $1 AND window_start >= $2 AND avg_temperature > $3 ORDER BY window_start"
                        .replace("$1", "%s").replace("$2", "%s").replace("$3", "%s"),
                        (DEVICE, since, -100.0), prepare=True, binary=True).fetchall()
    expect(len(rows) >= 10, "%d windows of %s since %s" % (len(rows), DEVICE, since))
    for ws, n, avg in rows:
        expect(ws.tzinfo is not None and ws >= since, "window_start %r" % (ws,))
        expect(isinstance(n, int) and n > 0 and isinstance(avg, float), "row %r" % ((ws, n, avg),))


suite.check("npgsql8_load_types_batch", check_npgsql8_load_types)
suite.check("npgsql4_load_types_extended", check_npgsql4_load_types)
suite.check("discard_all", check_discard_all)
suite.check("powerbi_server_metadata", check_pbi_server_metadata)
suite.check("powerbi_schemas", check_pbi_schemas)
suite.check("powerbi_tables", check_pbi_tables)
suite.check("powerbi_columns", check_pbi_columns)
suite.check("powerbi_indexes", check_pbi_keys)
suite.check("powerbi_foreign_keys", check_pbi_foreign_keys)
suite.check("powerbi_resource_information", check_pbi_resource_information)
suite.check("powerbi_preview", check_pbi_preview)
suite.check("powerbi_folded_timestamp_literal", check_pbi_fold)
suite.check("parameterized_query", check_parameterized)
conn.close()
suite.finish()
