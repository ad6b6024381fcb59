package batch

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Key-value metadata written by WriteParquet and honoured by the reader.
//
// metaTypePrefix+column holds the column's PostgreSQL type as format_type
// prints it ("smallint", "character varying(20)", "jsonb", "interval"). It
// round-trips types that have no exact Parquet logical type. The reader
// uses it only when the column's physical layout can hold that type, so a
// foreign or stale entry never breaks a scan.
//
// metaNaNPrefix+column is "none" when the writer saw no NaN in a float
// column. Parquet min/max statistics exclude NaN (parquet-format
// LogicalTypes.md, "Sort order"), while PostgreSQL sorts NaN above every
// number, so "col > x" can only be pruned from max when NaN is known absent.
const (
	metaTypePrefix = "lambdasql.type."
	metaNaNPrefix  = "lambdasql.nan."
)

// conv says how the values of one Parquet leaf column become the Arrow
// column of its PostgreSQL type.
type conv uint8

const (
	convBool         conv = iota // BOOLEAN → bool
	convI32                      // INT32 → int32 (int4, date)
	convI32toI16                 // INT32 → int16 (int2)
	convI32toU32                 // INT32 → uint32 (oid family)
	convU32toI64                 // INT32 holding UINT32 → int64
	convI32MilliToUs             // INT32 TIME(MILLIS) → int64 µs
	convI64                      // INT64 → int64 (int8, TIMESTAMP/TIME µs)
	convI64MilliToUs             // INT64 ms → int64 µs
	convI64NanoToUs              // INT64 ns → int64 µs (floor)
	convI96ToUs                  // INT96 Impala timestamp → int64 µs
	convF32                      // FLOAT → float32
	convF64                      // DOUBLE → float64
	convF16                      // FIXED_LEN_BYTE_ARRAY(2) FLOAT16 → float32
	convIntervalUs               // FIXED_LEN_BYTE_ARRAY(16) lambdasql interval → month_day_nano
	convIntervalMs               // FIXED_LEN_BYTE_ARRAY(12) Parquet INTERVAL → month_day_nano
	convBytes                    // BYTE_ARRAY → utf8/binary as stored
	convFixed                    // FIXED_LEN_BYTE_ARRAY → utf8/binary as stored
	convUUID                     // FIXED_LEN_BYTE_ARRAY(16) UUID → canonical text
	convDecI32                   // DECIMAL on INT32 → numeric text
	convDecI64                   // DECIMAL on INT64 → numeric text
	convDecBytes                 // DECIMAL on BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY → numeric text
	convU64ToNumeric             // INT64 holding UINT64 → numeric text
)

// leafInfo is what the reader knows of one top-level Parquet leaf column.
type leafInfo struct {
	name     string
	leaf     int // index of the column chunk in each row group
	physical format.Type
	typeLen  int32
	optional bool
	elem     *format.SchemaElement
}

// colPlan is the decoding plan of one column of one file.
type colPlan struct {
	leafInfo
	typ   *types.T
	conv  conv
	scale int32 // DECIMAL scale
	// nanFree is true when the writer recorded that the float column holds
	// no NaN (see metaNaNPrefix).
	nanFree bool
}

// SkippedColumn names a Parquet column the reader leaves out of the table
// schema because lambdasql cannot represent it, and says why.
type SkippedColumn struct {
	Name   string
	Reason string
}

func (s SkippedColumn) String() string { return fmt.Sprintf("%q: %s", s.Name, s.Reason) }

// fileSchema maps the Parquet schema of one file (its flattened
// SchemaElement list, parquet-format's depth-first encoding) onto
// PostgreSQL types. Top-level non-repeated leaf columns with a mappable
// type become columns; groups, repeated fields and unknown logical types
// are skipped with a reason.
func fileSchema(md *format.FileMetaData) ([]colPlan, []SkippedColumn, error) {
	elems := md.Schema
	if len(elems) == 0 {
		return nil, nil, fmt.Errorf("missing root schema element")
	}
	kv := map[string]string{}
	for _, e := range md.KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	root := &elems[0]
	nchild, _ := root.NumChildren.Get()
	var plans []colPlan
	var skipped []SkippedColumn
	pos, leaf := 1, 0
	for range int(nchild) {
		if pos >= len(elems) {
			return nil, nil, fmt.Errorf("schema has fewer elements than its root declares")
		}
		e := &elems[pos]
		if n, _ := e.NumChildren.Get(); n > 0 {
			// A group: count its leaves so later leaf indexes stay right.
			end, leaves, err := skipSubtree(elems, pos)
			if err != nil {
				return nil, nil, err
			}
			skipped = append(skipped, SkippedColumn{e.Name, nestedReason(e)})
			pos, leaf = end, leaf+leaves
			continue
		}
		rep, _ := e.RepetitionType.Get()
		phys, ok := e.Type.Get()
		switch {
		case !ok:
			skipped = append(skipped, SkippedColumn{e.Name, "empty group"})
		case rep == format.Repeated:
			skipped = append(skipped, SkippedColumn{e.Name, "repeated columns are not supported"})
		default:
			tl, _ := e.TypeLength.Get()
			li := leafInfo{name: e.Name, leaf: leaf, physical: phys, typeLen: tl, optional: rep == format.Optional, elem: e}
			p, reason := planLeaf(li)
			if reason != "" {
				skipped = append(skipped, SkippedColumn{e.Name, reason})
				break
			}
			if name, ok := kv[metaTypePrefix+e.Name]; ok {
				if t, ok := types.ByName(name); ok {
					if q, ok := planFor(t, p); ok {
						p = q
					}
				}
			}
			p.nanFree = kv[metaNaNPrefix+e.Name] == "none"
			plans = append(plans, p)
		}
		if ok {
			leaf++
		}
		pos++
	}
	seen := map[string]bool{}
	for _, p := range plans {
		if seen[p.name] {
			return nil, nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", p.name)
		}
		seen[p.name] = true
	}
	return plans, skipped, nil
}

func nestedReason(e *format.SchemaElement) string {
	switch e.LogicalType.Value.(type) {
	case *format.ListType:
		return "LIST columns are not supported"
	case *format.MapType:
		return "MAP columns are not supported"
	case *format.VariantType:
		return "VARIANT columns are not supported"
	}
	if ct, ok := e.ConvertedType.Get(); ok {
		switch ct {
		case deprecated.List:
			return "LIST columns are not supported"
		case deprecated.Map, deprecated.MapKeyValue:
			return "MAP columns are not supported"
		}
	}
	return "nested groups are not supported"
}

// skipSubtree returns the position after the subtree rooted at pos and the
// number of leaves in it.
func skipSubtree(elems []format.SchemaElement, pos int) (end, leaves int, err error) {
	// Iterative walk: remaining children to visit.
	todo := 1
	for todo > 0 {
		if pos >= len(elems) {
			return 0, 0, fmt.Errorf("schema has fewer elements than its groups declare")
		}
		todo--
		if n, _ := elems[pos].NumChildren.Get(); n > 0 {
			todo += int(n)
		} else if _, ok := elems[pos].Type.Get(); ok {
			leaves++
		}
		pos++
	}
	return pos, leaves, nil
}

// planLeaf infers the PostgreSQL type of a leaf from its physical and
// logical (or legacy converted) type. A non-empty reason means the column
// cannot be read.
func planLeaf(li leafInfo) (colPlan, string) {
	p := colPlan{leafInfo: li}
	e := li.elem
	set := func(t *types.T, c conv) (colPlan, string) {
		p.typ, p.conv = t, c
		return p, ""
	}
	lt := e.LogicalType.Value
	ct, hasCT := e.ConvertedType.Get()
	if !hasCT {
		ct = -1
	}
	// Decimal first: it applies to four physical types.
	if d, ok := lt.(*format.DecimalType); ok || ct == deprecated.Decimal {
		if ok {
			p.scale = d.Scale
		} else {
			p.scale, _ = e.Scale.Get()
		}
		if p.scale < 0 {
			return p, fmt.Sprintf("invalid DECIMAL scale %d", p.scale)
		}
		switch li.physical {
		case format.Int32:
			return set(types.Numeric, convDecI32)
		case format.Int64:
			return set(types.Numeric, convDecI64)
		case format.ByteArray, format.FixedLenByteArray:
			return set(types.Numeric, convDecBytes)
		}
		return p, "DECIMAL on " + li.physical.String() + " is not supported"
	}
	switch li.physical {
	case format.Boolean:
		return set(types.Bool, convBool)
	case format.Int32:
		switch t := lt.(type) {
		case *format.IntType:
			return intPlan(p, int(t.BitWidth), t.IsSigned)
		case *format.DateType:
			return set(types.Date, convI32)
		case *format.TimeType:
			if _, ok := t.Unit.Value.(*format.MilliSeconds); ok {
				return set(types.Time, convI32MilliToUs)
			}
			return p, "TIME " + t.Unit.String() + " on INT32 is not supported"
		case nil:
		default:
			return p, "logical type " + lt.String() + " on INT32 is not supported"
		}
		switch ct {
		case deprecated.Int8:
			return intPlan(p, 8, true)
		case deprecated.Int16:
			return intPlan(p, 16, true)
		case deprecated.Uint8:
			return intPlan(p, 8, false)
		case deprecated.Uint16:
			return intPlan(p, 16, false)
		case deprecated.Uint32:
			return intPlan(p, 32, false)
		case deprecated.Date:
			return set(types.Date, convI32)
		case deprecated.TimeMillis:
			return set(types.Time, convI32MilliToUs)
		}
		return set(types.Int4, convI32)
	case format.Int64:
		switch t := lt.(type) {
		case *format.IntType:
			return intPlan(p, int(t.BitWidth), t.IsSigned)
		case *format.TimestampType:
			typ := types.Timestamp
			if t.IsAdjustedToUTC {
				typ = types.TimestampTZ
			}
			return set(typ, unitConv(t.Unit))
		case *format.TimeType:
			return set(types.Time, unitConv(t.Unit))
		case nil:
		default:
			return p, "logical type " + lt.String() + " on INT64 is not supported"
		}
		switch ct {
		case deprecated.Uint64:
			return intPlan(p, 64, false)
		case deprecated.Uint32:
			return intPlan(p, 32, false)
		case deprecated.TimestampMillis:
			return set(types.TimestampTZ, convI64MilliToUs)
		case deprecated.TimestampMicros:
			return set(types.TimestampTZ, convI64)
		case deprecated.TimeMicros:
			return set(types.Time, convI64)
		}
		return set(types.Int8, convI64)
	case format.Int96:
		return set(types.Timestamp, convI96ToUs)
	case format.Float:
		return set(types.Float4, convF32)
	case format.Double:
		return set(types.Float8, convF64)
	case format.ByteArray, format.FixedLenByteArray:
		c := convBytes
		if li.physical == format.FixedLenByteArray {
			if li.typeLen <= 0 {
				return p, "invalid FIXED_LEN_BYTE_ARRAY length"
			}
			c = convFixed
		}
		switch lt.(type) {
		case *format.StringType, *format.EnumType:
			return set(types.Text, c)
		case *format.JsonType:
			return set(types.JSON, c)
		case *format.BsonType, *format.GeometryType, *format.GeographyType:
			return set(types.Bytea, c)
		case *format.UUIDType:
			if li.physical == format.FixedLenByteArray && li.typeLen == 16 {
				return set(types.Text, convUUID)
			}
			return p, "UUID must be FIXED_LEN_BYTE_ARRAY(16)"
		case *format.Float16Type:
			if li.physical == format.FixedLenByteArray && li.typeLen == 2 {
				return set(types.Float4, convF16)
			}
			return p, "FLOAT16 must be FIXED_LEN_BYTE_ARRAY(2)"
		case nil:
		default:
			return p, "logical type " + lt.String() + " is not supported"
		}
		switch ct {
		case deprecated.UTF8, deprecated.Enum:
			return set(types.Text, c)
		case deprecated.Json:
			return set(types.JSON, c)
		case deprecated.Bson:
			return set(types.Bytea, c)
		case deprecated.Interval:
			if li.physical == format.FixedLenByteArray && li.typeLen == 12 {
				return set(types.Interval, convIntervalMs)
			}
			return p, "INTERVAL must be FIXED_LEN_BYTE_ARRAY(12)"
		}
		return set(types.Bytea, c)
	}
	return p, "physical type " + li.physical.String() + " is not supported"
}

func unitConv(u format.TimeUnit) conv {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return convI64MilliToUs
	case *format.NanoSeconds:
		return convI64NanoToUs
	}
	return convI64
}

func intPlan(p colPlan, bits int, signed bool) (colPlan, string) {
	switch {
	case p.physical == format.Int32 && signed && bits <= 16:
		p.typ, p.conv = types.Int2, convI32toI16
	case p.physical == format.Int32 && (signed || bits <= 16):
		p.typ, p.conv = types.Int4, convI32
	case p.physical == format.Int32:
		p.typ, p.conv = types.Int8, convU32toI64
	case p.physical == format.Int64 && signed:
		p.typ, p.conv = types.Int8, convI64
	case p.physical == format.Int64:
		p.typ, p.conv = types.Numeric, convU64ToNumeric
	default:
		return p, fmt.Sprintf("INT(%d) on %s is not supported", bits, p.physical)
	}
	return p, ""
}

// planFor returns the plan reading inferred's column as type t, when t
// (from lambdasql.type metadata) can be read from that physical layout:
// the same Arrow type as inferred, or one of the narrowings lambdasql's
// writer produces (int2 and the oid family on INT32, interval on
// FIXED_LEN_BYTE_ARRAY(16), string-backed numeric).
func planFor(t *types.T, inferred colPlan) (colPlan, bool) {
	p := inferred
	p.typ = t
	switch {
	case !flatType(t):
		return inferred, false
	case t.Family == types.FamInt && t.Width == 2 && inferred.physical == format.Int32:
		p.conv = convI32toI16
	case t.Family == types.FamOid && inferred.physical == format.Int32:
		p.conv = convI32toU32
	case t.Family == types.FamInterval && inferred.physical == format.FixedLenByteArray && inferred.typeLen == 16 && inferred.conv == convFixed:
		p.conv = convIntervalUs
	case t.Family == types.FamNumeric && inferred.conv == convBytes && inferred.typ.Family == types.FamString:
		p.conv = convBytes
	case (t.Family == types.FamString || t.Family == types.FamJSON) && (inferred.conv == convBytes || inferred.conv == convFixed) &&
		(inferred.typ.Family == types.FamString || inferred.typ.Family == types.FamJSON):
		// text, varchar(n), bpchar, name, "char", json and jsonb share UTF-8 BYTE_ARRAY.
	case types.Equal(t, inferred.typ):
		// Same type (keeps a type modifier such as numeric(10,2)).
	default:
		return inferred, false
	}
	return p, true
}

// flatType reports whether a column of t fits one flat Parquet leaf.
func flatType(t *types.T) bool {
	switch t.Family {
	case types.FamArray, types.FamRecord, types.FamVoid, types.FamNull, types.FamUnknown:
		return false
	}
	return true
}

// schemaOf converts plans to an exec.Schema.
func schemaOf(plans []colPlan) exec.Schema {
	s := make(exec.Schema, len(plans))
	for i, p := range plans {
		s[i] = exec.Column{Name: p.name, Type: p.typ}
	}
	return s
}

// describeType renders a PostgreSQL type with its modifier
// ("character varying(20)"). types.FormatType recognises varchar and
// bpchar by pointer, and ByName returns copies for modified types, so it
// is given the canonical instance.
func describeType(t *types.T) string {
	if c := types.ByOID(t.OID); c != nil && t.Family != types.FamArray {
		return types.FormatType(c, t.Mod)
	}
	return types.FormatType(t, t.Mod)
}

// quoteList renders paths for String().
func quoteList(paths []string) string {
	const show = 3
	q := make([]string, 0, show+1)
	for i, p := range paths {
		if i == show {
			q = append(q, fmt.Sprintf("… %d more", len(paths)-show))
			break
		}
		q = append(q, "'"+strings.ReplaceAll(p, "'", "''")+"'")
	}
	return strings.Join(q, ", ")
}
