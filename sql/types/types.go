// Package types is lambdasql's PostgreSQL type system: type descriptors with
// their OIDs, how each maps onto an Apache Arrow array type, the Go
// representation of a single value (a datum), and text input/output as
// PostgreSQL writes it.
//
// It is a leaf shared by sql (binding), exec (kernels), catalog and wire
// (encodings); it imports nothing of lambdasql but sql/sqlstate.
//
// Datum representation (a value of any, nil is SQL NULL):
//
//	bool                         bool
//	int2, int4, int8             int64
//	float4, float8               float64
//	numeric                      *apd.Decimal
//	text, varchar, bpchar, name,
//	"char", unknown, json        string
//	bytea                        []byte
//	date                         DateD (days since 1970-01-01)
//	time                         TimeOfDay (microseconds since midnight)
//	timestamp, timestamptz       TimestampD (microseconds since the Unix epoch, UTC)
//	interval                     IntervalD
//	oid, regclass, regtype, …    ObjectID
//	arrays                       []any
//
// Arrow representation of a column: see (*T).Arrow. numeric columns are
// Arrow strings holding the canonical decimal text: numeric is rare on the
// hot paths (telemetry is double precision) and text keeps each value's own
// scale exactly as PostgreSQL does.
package types

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// Family groups types that share a representation and behaviour.
type Family uint8

// Families.
const (
	FamUnknown Family = iota // an untyped literal, resolved by context
	FamBool
	FamInt
	FamFloat
	FamNumeric
	FamString
	FamBytes
	FamDate
	FamTime
	FamTimestamp
	FamTimestampTZ
	FamInterval
	FamOid
	FamArray
	FamJSON
	FamVoid
	FamRecord
	FamNull // the type of a bare NULL before resolution
)

// T describes one PostgreSQL type. Values of *T are compared by OID (use
// Equal); the package-level singletons are the canonical instances.
type T struct {
	Name     string // the name format_type prints, e.g. "integer", "double precision"
	TypName  string // pg_type.typname, e.g. "int4", "float8"
	OID      uint32
	ArrayOID uint32 // the OID of the array type whose element this is, 0 if none
	Family   Family
	Width    int   // byte width for fixed-size types (pg_type.typlen); -1 varlena
	Elem     *T    // element type of an array
	Category byte  // pg_type.typcategory
	Mod      int32 // type modifier (atttypmod), -1 when none
	// Fields are the fields of a composite value (record) whose shape the
	// binder knows: the result of _pg_expandarray, a ROW constructor.
	// Such a value is carried as its text form, "(1,a)".
	Fields []Field
}

// Field is one named field of a composite type.
type Field struct {
	Name string
	T    *T
}

// RecordOf returns an anonymous record type with the given fields.
func RecordOf(fields ...Field) *T {
	t := *Record
	t.Fields = fields
	return &t
}

// FieldIndex returns the index of the field called name, -1 if none.
func (t *T) FieldIndex(name string) int {
	for i, f := range t.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Canonical types.
var (
	Unknown      = &T{Name: "unknown", TypName: "unknown", OID: 705, Family: FamUnknown, Width: -2, Category: 'X', Mod: -1}
	Null         = &T{Name: "unknown", TypName: "unknown", OID: 705, Family: FamNull, Width: -2, Category: 'X', Mod: -1}
	Bool         = &T{Name: "boolean", TypName: "bool", OID: 16, ArrayOID: 1000, Family: FamBool, Width: 1, Category: 'B', Mod: -1}
	Bytea        = &T{Name: "bytea", TypName: "bytea", OID: 17, ArrayOID: 1001, Family: FamBytes, Width: -1, Category: 'U', Mod: -1}
	Char         = &T{Name: "\"char\"", TypName: "char", OID: 18, ArrayOID: 1002, Family: FamString, Width: 1, Category: 'Z', Mod: -1}
	Name         = &T{Name: "name", TypName: "name", OID: 19, ArrayOID: 1003, Family: FamString, Width: 64, Category: 'S', Mod: -1}
	Int8         = &T{Name: "bigint", TypName: "int8", OID: 20, ArrayOID: 1016, Family: FamInt, Width: 8, Category: 'N', Mod: -1}
	Int2         = &T{Name: "smallint", TypName: "int2", OID: 21, ArrayOID: 1005, Family: FamInt, Width: 2, Category: 'N', Mod: -1}
	Int4         = &T{Name: "integer", TypName: "int4", OID: 23, ArrayOID: 1007, Family: FamInt, Width: 4, Category: 'N', Mod: -1}
	RegProc      = &T{Name: "regproc", TypName: "regproc", OID: 24, ArrayOID: 1008, Family: FamOid, Width: 4, Category: 'N', Mod: -1}
	Text         = &T{Name: "text", TypName: "text", OID: 25, ArrayOID: 1009, Family: FamString, Width: -1, Category: 'S', Mod: -1}
	Oid          = &T{Name: "oid", TypName: "oid", OID: 26, ArrayOID: 1028, Family: FamOid, Width: 4, Category: 'N', Mod: -1}
	Xid          = &T{Name: "xid", TypName: "xid", OID: 28, ArrayOID: 1011, Family: FamOid, Width: 4, Category: 'U', Mod: -1}
	JSON         = &T{Name: "json", TypName: "json", OID: 114, ArrayOID: 199, Family: FamJSON, Width: -1, Category: 'U', Mod: -1}
	PgNodeTree   = &T{Name: "pg_node_tree", TypName: "pg_node_tree", OID: 194, Family: FamString, Width: -1, Category: 'S', Mod: -1}
	Float4       = &T{Name: "real", TypName: "float4", OID: 700, ArrayOID: 1021, Family: FamFloat, Width: 4, Category: 'N', Mod: -1}
	Float8       = &T{Name: "double precision", TypName: "float8", OID: 701, ArrayOID: 1022, Family: FamFloat, Width: 8, Category: 'N', Mod: -1}
	BPChar       = &T{Name: "character", TypName: "bpchar", OID: 1042, ArrayOID: 1014, Family: FamString, Width: -1, Category: 'S', Mod: -1}
	Varchar      = &T{Name: "character varying", TypName: "varchar", OID: 1043, ArrayOID: 1015, Family: FamString, Width: -1, Category: 'S', Mod: -1}
	Date         = &T{Name: "date", TypName: "date", OID: 1082, ArrayOID: 1182, Family: FamDate, Width: 4, Category: 'D', Mod: -1}
	Time         = &T{Name: "time without time zone", TypName: "time", OID: 1083, ArrayOID: 1183, Family: FamTime, Width: 8, Category: 'D', Mod: -1}
	Timestamp    = &T{Name: "timestamp without time zone", TypName: "timestamp", OID: 1114, ArrayOID: 1115, Family: FamTimestamp, Width: 8, Category: 'D', Mod: -1}
	TimestampTZ  = &T{Name: "timestamp with time zone", TypName: "timestamptz", OID: 1184, ArrayOID: 1185, Family: FamTimestampTZ, Width: 8, Category: 'D', Mod: -1}
	Interval     = &T{Name: "interval", TypName: "interval", OID: 1186, ArrayOID: 1187, Family: FamInterval, Width: 16, Category: 'T', Mod: -1}
	Numeric      = &T{Name: "numeric", TypName: "numeric", OID: 1700, ArrayOID: 1231, Family: FamNumeric, Width: -1, Category: 'N', Mod: -1}
	RegClass     = &T{Name: "regclass", TypName: "regclass", OID: 2205, ArrayOID: 2210, Family: FamOid, Width: 4, Category: 'N', Mod: -1}
	RegType      = &T{Name: "regtype", TypName: "regtype", OID: 2206, ArrayOID: 2211, Family: FamOid, Width: 4, Category: 'N', Mod: -1}
	RegNamespace = &T{Name: "regnamespace", TypName: "regnamespace", OID: 4089, ArrayOID: 4090, Family: FamOid, Width: 4, Category: 'N', Mod: -1}
	RegProcedure = &T{Name: "regprocedure", TypName: "regprocedure", OID: 2202, ArrayOID: 2207, Family: FamOid, Width: 4, Category: 'N', Mod: -1}
	Void         = &T{Name: "void", TypName: "void", OID: 2278, Family: FamVoid, Width: 4, Category: 'P', Mod: -1}
	Record       = &T{Name: "record", TypName: "record", OID: 2249, ArrayOID: 2287, Family: FamRecord, Width: -1, Category: 'P', Mod: -1}
	JSONB        = &T{Name: "jsonb", TypName: "jsonb", OID: 3802, ArrayOID: 3807, Family: FamJSON, Width: -1, Category: 'U', Mod: -1}
)

// Array types of the element types above, built once.
var (
	Int2Vector = &T{Name: "int2vector", TypName: "int2vector", OID: 22, ArrayOID: 1006, Family: FamArray, Width: -1, Elem: Int2, Category: 'A', Mod: -1}
	OidVector  = &T{Name: "oidvector", TypName: "oidvector", OID: 30, ArrayOID: 1013, Family: FamArray, Width: -1, Elem: Oid, Category: 'A', Mod: -1}
)

// Scalars lists every scalar type lambdasql knows, in OID order.
var Scalars = []*T{Bool, Bytea, Char, Name, Int8, Int2, Int4, RegProc, Text, Oid, Xid, JSON, PgNodeTree,
	Float4, Float8, BPChar, Varchar, Date, Time, Timestamp, TimestampTZ, Interval, Numeric,
	RegClass, RegType, RegNamespace, RegProcedure, Void, Record, JSONB}

var (
	byOID   = map[uint32]*T{}
	arrays  = map[uint32]*T{} // element OID → array type
	byName  = map[string]*T{}
	arrowOf = map[*T]arrow.DataType{}
)

func init() {
	for _, t := range Scalars {
		byOID[t.OID] = t
		if t.ArrayOID != 0 {
			a := &T{Name: t.Name + "[]", TypName: "_" + t.TypName, OID: t.ArrayOID, Family: FamArray, Width: -1, Elem: t, Category: 'A', Mod: -1}
			byOID[a.OID] = a
			arrays[t.OID] = a
		}
	}
	byOID[Int2Vector.OID] = Int2Vector
	byOID[OidVector.OID] = OidVector
	byOID[Unknown.OID] = Unknown
	names := map[string]*T{
		"bool": Bool, "boolean": Bool,
		"bytea": Bytea,
		"char":  BPChar, "character": BPChar, "bpchar": BPChar, "\"char\"": Char,
		"name": Name,
		"int8": Int8, "bigint": Int8,
		"int2": Int2, "smallint": Int2,
		"int4": Int4, "int": Int4, "integer": Int4,
		"regproc": RegProc,
		"text":    Text, "string": Text,
		"oid": Oid, "xid": Xid,
		"json": JSON, "jsonb": JSONB,
		"float4": Float4, "real": Float4, "float": Float8,
		"float8": Float8, "double precision": Float8, "double": Float8,
		"varchar": Varchar, "character varying": Varchar,
		"date": Date,
		"time": Time, "time without time zone": Time,
		"timestamp": Timestamp, "timestamp without time zone": Timestamp, "datetime": Timestamp,
		"timestamptz": TimestampTZ, "timestamp with time zone": TimestampTZ,
		"interval": Interval,
		"numeric":  Numeric, "decimal": Numeric,
		"regclass": RegClass, "regtype": RegType, "regnamespace": RegNamespace, "regprocedure": RegProcedure,
		"void": Void, "record": Record, "unknown": Unknown,
		"int2vector": Int2Vector, "oidvector": OidVector,
		"pg_node_tree": PgNodeTree,
	}
	for k, v := range names {
		byName[k] = v
	}
}

// ByOID returns the type with the given OID, or nil.
func ByOID(oid uint32) *T { return byOID[oid] }

// ArrayOf returns the array type whose elements are elem.
func ArrayOf(elem *T) *T {
	if a, ok := arrays[elem.OID]; ok {
		return a
	}
	return &T{Name: elem.Name + "[]", TypName: "_" + elem.TypName, Family: FamArray, Width: -1, Elem: elem, Category: 'A', Mod: -1}
}

// ByName resolves a type name as written in SQL ("double precision",
// "varchar(20)", "text[]", "pg_catalog.int4", "timestamp(3) with time zone").
// The second result is false when the name is unknown.
func ByName(name string) (*T, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "pg_catalog.")
	n = strings.Trim(n, "\"")
	if n == "char" && strings.Contains(name, "\"") {
		return Char, true
	}
	array := false
	for strings.HasSuffix(n, "[]") {
		array = true
		n = strings.TrimSpace(strings.TrimSuffix(n, "[]"))
	}
	if strings.HasPrefix(n, "_") && len(n) > 1 {
		if t, ok := byName[n[1:]]; ok {
			return ArrayOf(t), true
		}
	}
	mod := int32(-1)
	// Strip a type modifier "(…)" wherever it stands: varchar(20),
	// numeric(10,2), timestamp(3) with time zone.
	if i := strings.IndexByte(n, '('); i >= 0 {
		j := strings.IndexByte(n[i:], ')')
		if j < 0 {
			return nil, false
		}
		args := n[i+1 : i+j]
		n = strings.TrimSpace(n[:i]) + " " + strings.TrimSpace(n[i+j+1:])
		n = strings.TrimSpace(n)
		var a, b int32
		if c, _ := fmt.Sscanf(args, "%d,%d", &a, &b); c == 2 {
			mod = (a<<16 | b) + 4
		} else if c, _ := fmt.Sscanf(args, "%d", &a); c == 1 {
			mod = a
		}
	}
	n = strings.Join(strings.Fields(n), " ")
	t, ok := byName[n]
	if !ok {
		return nil, false
	}
	if mod >= 0 {
		switch t.Family {
		case FamString:
			if t.OID == BPChar.OID || t.OID == Varchar.OID {
				c := *t
				c.Mod = mod + 4 // VARHDRSZ, as atttypmod stores it
				t = &c
			}
		case FamNumeric:
			c := *t
			if mod < 65536 {
				mod = (mod<<16 | 0) + 4
			}
			c.Mod = mod
			t = &c
		}
	}
	if array {
		return ArrayOf(t), true
	}
	return t, true
}

// Equal reports whether a and b are the same type (ignoring modifiers).
func Equal(a, b *T) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.Family == FamArray && b.Family == FamArray {
		return Equal(a.Elem, b.Elem)
	}
	return a.OID == b.OID && a.Family == b.Family
}

func (t *T) String() string { return t.Name }

// IsNumeric reports whether t is an integer, float or numeric type.
func (t *T) IsNumeric() bool {
	return t.Family == FamInt || t.Family == FamFloat || t.Family == FamNumeric
}

// IsString reports whether t is a character type.
func (t *T) IsString() bool { return t.Family == FamString || t.Family == FamUnknown }

// IsTime reports whether t is date, timestamp or timestamptz.
func (t *T) IsTime() bool {
	return t.Family == FamDate || t.Family == FamTimestamp || t.Family == FamTimestampTZ
}

// FormatType renders t as PostgreSQL's format_type(oid, typmod) does.
func FormatType(t *T, mod int32) string {
	if t.Family == FamArray && t.Elem != nil && t != Int2Vector && t != OidVector {
		return FormatType(t.Elem, mod) + "[]"
	}
	switch {
	case t.OID == Varchar.OID && mod >= 4:
		return fmt.Sprintf("character varying(%d)", mod-4)
	case t.OID == BPChar.OID && mod >= 4:
		return fmt.Sprintf("character(%d)", mod-4)
	case t.Family == FamNumeric && mod >= 4:
		m := mod - 4
		return fmt.Sprintf("numeric(%d,%d)", m>>16, m&0xffff)
	}
	return t.Name
}

var (
	tsType   = &arrow.TimestampType{Unit: arrow.Microsecond}
	tstzType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

// Arrow returns the Arrow type that holds a column of t.
func (t *T) Arrow() arrow.DataType {
	switch t.Family {
	case FamBool:
		return arrow.FixedWidthTypes.Boolean
	case FamInt:
		switch t.Width {
		case 2:
			return arrow.PrimitiveTypes.Int16
		case 4:
			return arrow.PrimitiveTypes.Int32
		default:
			return arrow.PrimitiveTypes.Int64
		}
	case FamFloat:
		if t.Width == 4 {
			return arrow.PrimitiveTypes.Float32
		}
		return arrow.PrimitiveTypes.Float64
	case FamNumeric, FamString, FamUnknown, FamJSON, FamRecord:
		return arrow.BinaryTypes.String
	case FamBytes:
		return arrow.BinaryTypes.Binary
	case FamDate:
		return arrow.FixedWidthTypes.Date32
	case FamTime:
		return arrow.FixedWidthTypes.Time64us
	case FamTimestamp:
		return tsType
	case FamTimestampTZ:
		return tstzType
	case FamInterval:
		return arrow.FixedWidthTypes.MonthDayNanoInterval
	case FamOid:
		return arrow.PrimitiveTypes.Uint32
	case FamArray:
		return arrow.ListOf(t.Elem.Arrow())
	case FamVoid, FamNull:
		return arrow.Null
	}
	panic(fmt.Sprintf("BUG: no arrow type for %s", t.Name))
}
