package server

// pg_type: every scalar and array type of sql/types, plus the pseudo
// types clients look up by name, with the I/O functions pg_proc lists
// for them (Npgsql tells arrays apart by typreceive = array_recv, pgjdbc
// by typinput = array_in, so these must join).

import (
	"sort"
	"sync"

	"lambdasql/catalog"
	"lambdasql/sql/types"
)

// fixedProc is a pg_proc row with PostgreSQL's own OID.
type fixedProc struct {
	oid  uint32
	name string
}

// typeIO names a type's I/O functions with PostgreSQL's OIDs; zero
// entries have no such function.
type typeIO struct {
	in, out, recv, send, modin, modout fixedProc
}

func io4(in string, inOID uint32, out string, outOID uint32, recv string, recvOID uint32, send string, sendOID uint32) typeIO {
	return typeIO{in: fixedProc{inOID, in}, out: fixedProc{outOID, out}, recv: fixedProc{recvOID, recv}, send: fixedProc{sendOID, send}}
}

func (t typeIO) withMod(modin string, modinOID uint32, modout string, modoutOID uint32) typeIO {
	t.modin, t.modout = fixedProc{modinOID, modin}, fixedProc{modoutOID, modout}
	return t
}

// typeIOs maps a type OID to its I/O functions (PostgreSQL's pg_type and
// pg_proc entries).
var typeIOs = map[uint32]typeIO{
	16:   io4("boolin", 1242, "boolout", 1243, "boolrecv", 2436, "boolsend", 2437),
	17:   io4("byteain", 1244, "byteaout", 31, "bytearecv", 2412, "byteasend", 2413),
	18:   io4("charin", 1245, "charout", 33, "charrecv", 2434, "charsend", 2435),
	19:   io4("namein", 34, "nameout", 35, "namerecv", 2422, "namesend", 2423),
	20:   io4("int8in", 460, "int8out", 461, "int8recv", 2408, "int8send", 2409),
	21:   io4("int2in", 38, "int2out", 39, "int2recv", 2404, "int2send", 2405),
	22:   io4("int2vectorin", 40, "int2vectorout", 41, "int2vectorrecv", 2410, "int2vectorsend", 2411),
	23:   io4("int4in", 42, "int4out", 43, "int4recv", 2406, "int4send", 2407),
	24:   io4("regprocin", 44, "regprocout", 45, "regprocrecv", 2444, "regprocsend", 2445),
	25:   io4("textin", 46, "textout", 47, "textrecv", 2414, "textsend", 2415),
	26:   io4("oidin", 1798, "oidout", 1799, "oidrecv", 2418, "oidsend", 2419),
	28:   io4("xidin", 50, "xidout", 51, "xidrecv", 2440, "xidsend", 2441),
	30:   io4("oidvectorin", 54, "oidvectorout", 55, "oidvectorrecv", 2420, "oidvectorsend", 2421),
	32:   io4("pg_ddl_command_in", 86, "pg_ddl_command_out", 87, "pg_ddl_command_recv", 88, "pg_ddl_command_send", 90),
	114:  io4("json_in", 321, "json_out", 322, "json_recv", 323, "json_send", 324),
	194:  io4("pg_node_tree_in", 195, "pg_node_tree_out", 196, "pg_node_tree_recv", 197, "pg_node_tree_send", 198),
	700:  io4("float4in", 200, "float4out", 201, "float4recv", 2424, "float4send", 2425),
	701:  io4("float8in", 214, "float8out", 215, "float8recv", 2426, "float8send", 2427),
	705:  io4("unknownin", 109, "unknownout", 110, "unknownrecv", 2416, "unknownsend", 2417),
	1042: io4("bpcharin", 1044, "bpcharout", 1045, "bpcharrecv", 2430, "bpcharsend", 2431).withMod("bpchartypmodin", 2913, "bpchartypmodout", 2914),
	1043: io4("varcharin", 1046, "varcharout", 1047, "varcharrecv", 2432, "varcharsend", 2433).withMod("varchartypmodin", 2915, "varchartypmodout", 2916),
	1082: io4("date_in", 1084, "date_out", 1085, "date_recv", 2468, "date_send", 2469),
	1083: io4("time_in", 1143, "time_out", 1144, "time_recv", 2470, "time_send", 2471).withMod("timetypmodin", 2909, "timetypmodout", 2910),
	1114: io4("timestamp_in", 1312, "timestamp_out", 1313, "timestamp_recv", 2474, "timestamp_send", 2475).withMod("timestamptypmodin", 2905, "timestamptypmodout", 2906),
	1184: io4("timestamptz_in", 1150, "timestamptz_out", 1151, "timestamptz_recv", 2476, "timestamptz_send", 2477).withMod("timestamptztypmodin", 2907, "timestamptztypmodout", 2908),
	1186: io4("interval_in", 1160, "interval_out", 1161, "interval_recv", 2478, "interval_send", 2479).withMod("intervaltypmodin", 2903, "intervaltypmodout", 2904),
	1700: io4("numeric_in", 1701, "numeric_out", 1702, "numeric_recv", 2460, "numeric_send", 2461).withMod("numerictypmodin", 2917, "numerictypmodout", 2918),
	2202: io4("regprocedurein", 2212, "regprocedureout", 2213, "regprocedurerecv", 2446, "regproceduresend", 2447),
	2205: io4("regclassin", 2218, "regclassout", 2219, "regclassrecv", 2452, "regclasssend", 2453),
	2206: io4("regtypein", 2220, "regtypeout", 2221, "regtyperecv", 2454, "regtypesend", 2455),
	4089: io4("regnamespacein", 4084, "regnamespaceout", 4085, "regnamespacerecv", 4086, "regnamespacesend", 4087),
	2249: io4("record_in", 2290, "record_out", 2291, "record_recv", 2402, "record_send", 2403),
	2275: io4("cstring_in", 2292, "cstring_out", 2293, "cstring_recv", 2500, "cstring_send", 2501),
	2277: io4("anyarray_in", 2296, "anyarray_out", 2297, "anyarray_recv", 2502, "anyarray_send", 2503),
	2278: io4("void_in", 2298, "void_out", 2299, "void_recv", 3120, "void_send", 3121),
	3802: io4("jsonb_in", 3806, "jsonb_out", 3804, "jsonb_recv", 3805, "jsonb_send", 3803),
	5078: io4("anycompatiblearray_in", 5088, "anycompatiblearray_out", 5089, "anycompatiblearray_recv", 5090, "anycompatiblearray_send", 5091),
	// Pseudo types with input and output functions only.
	2276: {in: fixedProc{2294, "any_in"}, out: fixedProc{2295, "any_out"}},
	2279: {in: fixedProc{2300, "trigger_in"}, out: fixedProc{2301, "trigger_out"}},
	2280: {in: fixedProc{2302, "language_handler_in"}, out: fixedProc{2303, "language_handler_out"}},
	2281: {in: fixedProc{2304, "internal_in"}, out: fixedProc{2305, "internal_out"}},
	2283: {in: fixedProc{2312, "anyelement_in"}, out: fixedProc{2313, "anyelement_out"}},
	2776: {in: fixedProc{2777, "anynonarray_in"}, out: fixedProc{2778, "anynonarray_out"}},
	3500: {in: fixedProc{3504, "anyenum_in"}, out: fixedProc{3505, "anyenum_out"}},
	3831: {in: fixedProc{3832, "anyrange_in"}, out: fixedProc{3833, "anyrange_out"}},
	4537: {in: fixedProc{4229, "anymultirange_in"}, out: fixedProc{4230, "anymultirange_out"}},
	4538: {in: fixedProc{4226, "anycompatiblemultirange_in"}, out: fixedProc{4227, "anycompatiblemultirange_out"}},
	5077: {in: fixedProc{5086, "anycompatible_in"}, out: fixedProc{5087, "anycompatible_out"}},
	5079: {in: fixedProc{5092, "anycompatiblenonarray_in"}, out: fixedProc{5093, "anycompatiblenonarray_out"}},
	5080: {in: fixedProc{5094, "anycompatiblerange_in"}, out: fixedProc{5095, "anycompatiblerange_out"}},
	3838: {in: fixedProc{3594, "event_trigger_in"}, out: fixedProc{3595, "event_trigger_out"}},
	3115: {in: fixedProc{3116, "fdw_handler_in"}, out: fixedProc{3117, "fdw_handler_out"}},
	325:  {in: fixedProc{326, "index_am_handler_in"}, out: fixedProc{327, "index_am_handler_out"}},
	3310: {in: fixedProc{3311, "tsm_handler_in"}, out: fixedProc{3312, "tsm_handler_out"}},
	269:  {in: fixedProc{267, "table_am_handler_in"}, out: fixedProc{268, "table_am_handler_out"}},
}

// Array and subscripting support functions (PostgreSQL's OIDs).
var (
	arrayIO = io4("array_in", 750, "array_out", 751, "array_recv", 2400, "array_send", 2401)

	arrayTypanalyze          = fixedProc{3816, "array_typanalyze"}
	arraySubscriptHandler    = fixedProc{6179, "array_subscript_handler"}
	rawArraySubscriptHandler = fixedProc{6180, "raw_array_subscript_handler"}
	jsonbSubscriptHandler    = fixedProc{6098, "jsonb_subscript_handler"}
)

// Pseudo type OIDs used in function signatures.
const (
	cstringOID     = 2275
	cstringArrOID  = 1263
	anyOID         = 2276
	anyArrayOID    = 2277
	anyElementOID  = 2283
	internalOID    = 2281
	tableAmHandler = 269
	indexAmHandler = 325
)

// pgTypeRow is one row of pg_type.
type pgTypeRow struct {
	oid       uint32
	name      string
	length    int
	byval     bool
	typtype   byte
	category  byte
	preferred bool
	elem      uint32
	array     uint32
	io        typeIO
	subscript fixedProc
	analyze   fixedProc
	align     byte
	storage   byte
	collation uint32
	// t is the sql/types descriptor, nil for pseudo types lambdasql
	// only names in signatures.
	t *types.T
}

// pseudoTypes are the pseudo types sql/types does not describe, as
// PostgreSQL defines them: OID, name, typlen, array type OID.
var pseudoTypes = []struct {
	oid    uint32
	name   string
	length int
	array  uint32
}{
	{32, "pg_ddl_command", 8, 0},
	{269, "table_am_handler", 4, 0},
	{325, "index_am_handler", 4, 0},
	{2275, "cstring", -2, cstringArrOID},
	{2276, "any", 4, 0},
	{2277, "anyarray", -1, 0},
	{2279, "trigger", 4, 0},
	{2280, "language_handler", 4, 0},
	{2281, "internal", 8, 0},
	{2283, "anyelement", 4, 0},
	{2776, "anynonarray", 4, 0},
	{3115, "fdw_handler", 4, 0},
	{3310, "tsm_handler", 4, 0},
	{3500, "anyenum", 4, 0},
	{3831, "anyrange", -1, 0},
	{3838, "event_trigger", 4, 0},
	{4537, "anymultirange", -1, 0},
	{4538, "anycompatiblemultirange", -1, 0},
	{5077, "anycompatible", 4, 0},
	{5078, "anycompatiblearray", -1, 0},
	{5079, "anycompatiblenonarray", 4, 0},
	{5080, "anycompatiblerange", -1, 0},
}

// preferredTypes are the preferred type of their category (PostgreSQL's
// typispreferred).
var preferredTypes = map[uint32]bool{16: true, 25: true, 701: true, 1184: true, 1186: true}

// typeLayout derives typbyval, typalign and typstorage from a type's width, as
// PostgreSQL lays the types out.
func typeLayout(length int, oid uint32) (byval bool, align, storage byte) {
	switch {
	case length == -2:
		return false, 'c', 'p'
	case length == -1:
		switch oid {
		case 1700:
			return false, 'i', 'm' // numeric
		case 22, 30:
			return false, 'i', 'p' // int2vector, oidvector
		case 2249, 2277, 3831, 4537, 4538, 5078, 5080:
			return false, 'd', 'x'
		}
		return false, 'i', 'x'
	case length == 1:
		return true, 'c', 'p'
	case length == 2:
		return true, 's', 'p'
	case length == 4:
		return true, 'i', 'p'
	case length == 8:
		return true, 'd', 'p'
	case length == 16:
		return false, 'd', 'p' // interval
	case length == 64:
		return false, 'c', 'p' // name
	}
	return false, 'i', 'p'
}

// collationOf is a type's typcollation: the default collation for the
// collatable string types, C for name.
func collationOf(t *types.T) uint32 {
	if t.Family == types.FamArray && t.Elem != nil && t != types.Int2Vector && t != types.OidVector {
		return collationOf(t.Elem)
	}
	switch t.OID {
	case types.Text.OID, types.Varchar.OID, types.BPChar.OID:
		return defaultCollationOID
	case types.Name.OID:
		return cCollationOID
	}
	return 0
}

var (
	pgTypesOnce sync.Once
	pgTypesAll  []pgTypeRow
	pgTypesByID map[uint32]*pgTypeRow
)

// pgTypes returns pg_type's rows in OID order, built once.
func pgTypes() ([]pgTypeRow, map[uint32]*pgTypeRow) {
	pgTypesOnce.Do(func() {
		var rows []pgTypeRow
		seen := map[uint32]bool{}
		add := func(row pgTypeRow) {
			if !seen[row.oid] {
				seen[row.oid] = true
				rows = append(rows, row)
			}
		}
		scalar := func(t *types.T) pgTypeRow {
			byval, align, storage := typeLayout(t.Width, t.OID)
			row := pgTypeRow{oid: t.OID, name: t.TypName, length: t.Width, byval: byval, typtype: 'b',
				category: t.Category, preferred: preferredTypes[t.OID], array: t.ArrayOID,
				io: typeIOs[t.OID], align: align, storage: storage, collation: collationOf(t), t: t}
			if t.Category == 'P' || t.Category == 'X' {
				row.typtype = 'p'
			}
			switch t.OID {
			case types.Name.OID:
				row.elem, row.subscript = types.Char.OID, rawArraySubscriptHandler
			case types.Int2Vector.OID, types.OidVector.OID:
				row.elem, row.subscript = t.Elem.OID, arraySubscriptHandler
			case types.JSONB.OID:
				row.subscript = jsonbSubscriptHandler
			}
			return row
		}
		array := func(elem pgTypeRow, arr *types.T) pgTypeRow {
			align := byte('i')
			if elem.align == 'd' {
				align = 'd'
			}
			io := arrayIO
			io.modin, io.modout = elem.io.modin, elem.io.modout
			return pgTypeRow{oid: elem.array, name: "_" + elem.name, length: -1, typtype: 'b', category: 'A',
				elem: elem.oid, io: io, subscript: arraySubscriptHandler, analyze: arrayTypanalyze,
				align: align, storage: 'x', collation: elem.collation, t: arr}
		}
		scalars := append([]*types.T{types.Unknown, types.Int2Vector, types.OidVector}, types.Scalars...)
		for _, t := range scalars {
			row := scalar(t)
			add(row)
			if t.ArrayOID != 0 {
				add(array(row, types.ByOID(t.ArrayOID)))
			}
		}
		for _, p := range pseudoTypes {
			byval, align, storage := typeLayout(p.length, p.oid)
			row := pgTypeRow{oid: p.oid, name: p.name, length: p.length, byval: byval, typtype: 'p', category: 'P',
				array: p.array, io: typeIOs[p.oid], align: align, storage: storage}
			add(row)
			if p.array != 0 {
				add(array(row, nil))
			}
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].oid < rows[j].oid })
		byID := make(map[uint32]*pgTypeRow, len(rows))
		for i := range rows {
			byID[rows[i].oid] = &rows[i]
		}
		pgTypesAll, pgTypesByID = rows, byID
	})
	return pgTypesAll, pgTypesByID
}

// pgTypeName returns typname of a type OID ("" if unknown).
func pgTypeName(oid uint32) string {
	_, byID := pgTypes()
	if t, ok := byID[oid]; ok {
		return t.name
	}
	return ""
}

const pgTypeCols = `oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool,
	typtype "char", typcategory "char", typispreferred bool, typisdefined bool, typdelim "char",
	typrelid oid, typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc,
	typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc,
	typalign "char", typstorage "char", typnotnull bool, typbasetype oid, typtypmod int4, typndims int4,
	typcollation oid, typdefaultbin pg_node_tree, typdefault text, typacl aclitem[]`

func pgTypeRows(r *relations) ([][]any, error) {
	all, _ := pgTypes()
	out := make([][]any, 0, len(all))
	for _, t := range all {
		out = append(out, []any{
			oidD(t.oid), t.name, oidD(catalog.PgCatalogNamespace), oidD(BootstrapUserOID), intD(t.length), t.byval,
			charD(t.typtype), charD(t.category), t.preferred, true, ",",
			oidD(0), oidD(t.subscript.oid), oidD(t.elem), oidD(t.array), oidD(t.io.in.oid), oidD(t.io.out.oid),
			oidD(t.io.recv.oid), oidD(t.io.send.oid), oidD(t.io.modin.oid), oidD(t.io.modout.oid), oidD(t.analyze.oid),
			charD(t.align), charD(t.storage), false, oidD(0), intD(-1), intD(0),
			oidD(t.collation), nil, nil, nil,
		})
	}
	return out, nil
}

func init() {
	regCatalog("pg_catalog", "pg_type", pgTypeRelOID, 'r', pgTypeCols, pgTypeRows)
}
