package server

// information_schema (PostgreSQL 15's views, SQL standard spelling),
// derived from the same relation model as pg_class and pg_attribute.
// Domain types are spelled as what they carry: sql_identifier is name,
// cardinal_number int4, character_data and yes_or_no text, time_stamp
// timestamptz.

import (
	"fmt"
	"strconv"

	"lambdasql/sql/types"
)

// colType is how information_schema describes a column's type.
type colType struct {
	dataType                            string
	charMax, charOctet                  any
	numPrec, numRadix, numScale, dtPrec any
	udtName                             string
	isArray                             bool
	elem                                *types.T
}

// describeType renders a type and typmod as information_schema's
// _pg_* helper functions do.
func describeType(t *types.T, mod int32) colType {
	ct := colType{udtName: t.TypName}
	if ct.udtName == "" {
		ct.udtName = pgTypeName(t.OID)
	}
	if t.Family == types.FamArray && t.Elem != nil {
		ct.dataType, ct.isArray, ct.elem = "ARRAY", true, t.Elem
		if t.TypName == "" {
			ct.udtName = "_" + t.Elem.TypName
		}
		return ct
	}
	ct.dataType = types.FormatType(t, -1)
	switch t.OID {
	case types.Varchar.OID, types.BPChar.OID, types.Text.OID:
		ct.charOctet = intD(1073741824)
		if mod >= 4 && t.OID != types.Text.OID {
			ct.charMax, ct.charOctet = intD(mod-4), intD((mod-4)*4)
		}
	case types.Int2.OID:
		ct.numPrec, ct.numRadix, ct.numScale = intD(16), intD(2), intD(0)
	case types.Int4.OID:
		ct.numPrec, ct.numRadix, ct.numScale = intD(32), intD(2), intD(0)
	case types.Int8.OID:
		ct.numPrec, ct.numRadix, ct.numScale = intD(64), intD(2), intD(0)
	case types.Float4.OID:
		ct.numPrec, ct.numRadix = intD(24), intD(2)
	case types.Float8.OID:
		ct.numPrec, ct.numRadix = intD(53), intD(2)
	case types.Numeric.OID:
		ct.numRadix = intD(10)
		if mod >= 4 {
			ct.numPrec, ct.numScale = intD(((mod-4)>>16)&0xffff), intD((mod-4)&0xffff)
		}
	case types.Date.OID:
		ct.dtPrec = intD(0)
	case types.Time.OID, types.Timestamp.OID, types.TimestampTZ.OID:
		ct.dtPrec = intD(6)
		if mod >= 0 {
			ct.dtPrec = intD(mod)
		}
	case types.Interval.OID:
		ct.dtPrec = intD(6)
		if mod >= 0 {
			ct.dtPrec = intD(mod & 0xffff)
		}
	}
	return ct
}

const isSchemataCols = `catalog_name sql_identifier, schema_name sql_identifier, schema_owner sql_identifier,
	default_character_set_catalog sql_identifier, default_character_set_schema sql_identifier,
	default_character_set_name sql_identifier, sql_path character_data`

func isSchemataRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, n := range namespaces() {
		out = append(out, []any{r.sess.database, n.name, "lambdasql", nil, nil, nil, nil})
	}
	return out, nil
}

const isTablesCols = `table_catalog sql_identifier, table_schema sql_identifier, table_name sql_identifier,
	table_type character_data, self_referencing_column_name sql_identifier,
	reference_generation character_data, user_defined_type_catalog sql_identifier,
	user_defined_type_schema sql_identifier, user_defined_type_name sql_identifier,
	is_insertable_into yes_or_no, is_typed yes_or_no, commit_action character_data`

// isTablesRows lists sources as BASE TABLE (insertable: INSERT and COPY
// feed them), views and lambda views as VIEW, and the system tables.
func isTablesRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		typ := "VIEW"
		if rel.kind == 'r' {
			typ = "BASE TABLE"
		}
		out = append(out, []any{r.sess.database, rel.schema, rel.name, typ, nil,
			nil, nil, nil, nil, yesNo(rel.src != nil), "NO", nil})
	}
	return out, nil
}

const isColumnsCols = `table_catalog sql_identifier, table_schema sql_identifier, table_name sql_identifier,
	column_name sql_identifier, ordinal_position cardinal_number, column_default character_data,
	is_nullable yes_or_no, data_type character_data, character_maximum_length cardinal_number,
	character_octet_length cardinal_number, numeric_precision cardinal_number,
	numeric_precision_radix cardinal_number, numeric_scale cardinal_number,
	datetime_precision cardinal_number, interval_type character_data,
	interval_precision cardinal_number, character_set_catalog sql_identifier,
	character_set_schema sql_identifier, character_set_name sql_identifier,
	collation_catalog sql_identifier, collation_schema sql_identifier, collation_name sql_identifier,
	domain_catalog sql_identifier, domain_schema sql_identifier, domain_name sql_identifier,
	udt_catalog sql_identifier, udt_schema sql_identifier, udt_name sql_identifier,
	scope_catalog sql_identifier, scope_schema sql_identifier, scope_name sql_identifier,
	maximum_cardinality cardinal_number, dtd_identifier sql_identifier,
	is_self_referencing yes_or_no, is_identity yes_or_no, identity_generation character_data,
	identity_start character_data, identity_increment character_data,
	identity_maximum character_data, identity_minimum character_data, identity_cycle yes_or_no,
	is_generated character_data, generation_expression character_data, is_updatable yes_or_no`

func isColumnsRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, rel := range r.pgRels() {
		for _, c := range rel.cols {
			ct := describeType(c.typ, c.typ.Mod)
			out = append(out, []any{db, rel.schema, rel.name,
				c.name, intD(c.num), nil,
				yesNo(!c.notNull), ct.dataType, ct.charMax,
				ct.charOctet, ct.numPrec,
				ct.numRadix, ct.numScale,
				ct.dtPrec, nil,
				nil, nil,
				nil, nil,
				nil, nil, nil,
				nil, nil, nil,
				db, "pg_catalog", ct.udtName,
				nil, nil, nil,
				nil, strconv.Itoa(int(c.num)),
				"NO", "NO", nil,
				nil, nil,
				nil, nil, "NO",
				"NEVER", nil, "NO"})
		}
	}
	return out, nil
}

const isViewsCols = `table_catalog sql_identifier, table_schema sql_identifier, table_name sql_identifier,
	view_definition character_data, check_option character_data, is_updatable yes_or_no,
	is_insertable_into yes_or_no, is_trigger_updatable yes_or_no, is_trigger_deletable yes_or_no,
	is_trigger_insertable_into yes_or_no`

func isViewsRows(r *relations) ([][]any, error) {
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.kind != 'v' {
			continue
		}
		var def any
		if rel.view != nil {
			def = viewDefinition(rel.view)
		}
		out = append(out, []any{r.sess.database, rel.schema, rel.name, def, "NONE", "NO", "NO", "NO", "NO", "NO"})
	}
	return out, nil
}

// notNullConstraint names a NOT NULL column's constraint as PostgreSQL
// 15's information_schema does: "<nsp oid>_<rel oid>_<attnum>_not_null".
func notNullConstraint(rel *pgRel, c pgAttr) string {
	return fmt.Sprintf("%d_%d_%d_not_null", rel.nsp(), rel.oid, c.num)
}

const isTableConstraintsCols = `constraint_catalog sql_identifier, constraint_schema sql_identifier,
	constraint_name sql_identifier, table_catalog sql_identifier, table_schema sql_identifier,
	table_name sql_identifier, constraint_type character_data, is_deferrable yes_or_no,
	initially_deferred yes_or_no, enforced yes_or_no, nulls_distinct yes_or_no`

// isTableConstraintsRows lists the NOT NULL columns of sources as CHECK
// constraints, as PostgreSQL 15 does for tables; lambdasql has no keys.
func isTableConstraintsRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src == nil {
			continue
		}
		for _, c := range rel.cols {
			if c.notNull {
				out = append(out, []any{db, rel.schema, notNullConstraint(&rel, c), db, rel.schema, rel.name,
					"CHECK", "NO", "NO", "YES", nil})
			}
		}
	}
	return out, nil
}

const isCheckConstraintsCols = `constraint_catalog sql_identifier, constraint_schema sql_identifier,
	constraint_name sql_identifier, check_clause character_data`

func isCheckConstraintsRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src == nil {
			continue
		}
		for _, c := range rel.cols {
			if c.notNull {
				out = append(out, []any{db, rel.schema, notNullConstraint(&rel, c), c.name + " IS NOT NULL"})
			}
		}
	}
	return out, nil
}

const isPrivilegeCols = `grantor sql_identifier, grantee sql_identifier, table_catalog sql_identifier,
	table_schema sql_identifier, table_name sql_identifier, privilege_type character_data,
	is_grantable yes_or_no, with_hierarchy yes_or_no`

// tablePrivileges are the owner's privileges on user relations: SELECT
// on everything, INSERT on sources.
func (r *relations) tablePrivileges() [][]any {
	db := r.sess.database
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src == nil && rel.view == nil {
			continue
		}
		if rel.src != nil {
			out = append(out, []any{"lambdasql", "lambdasql", db, rel.schema, rel.name, "INSERT", "YES", "NO"})
		}
		out = append(out, []any{"lambdasql", "lambdasql", db, rel.schema, rel.name, "SELECT", "YES", "YES"})
	}
	return out
}

const isColumnPrivilegesCols = `grantor sql_identifier, grantee sql_identifier, table_catalog sql_identifier,
	table_schema sql_identifier, table_name sql_identifier, column_name sql_identifier,
	privilege_type character_data, is_grantable yes_or_no`

func isColumnPrivilegesRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, rel := range r.pgRels() {
		if rel.src == nil && rel.view == nil {
			continue
		}
		for _, c := range rel.cols {
			if rel.src != nil {
				out = append(out, []any{"lambdasql", "lambdasql", db, rel.schema, rel.name, c.name, "INSERT", "YES"})
			}
			out = append(out, []any{"lambdasql", "lambdasql", db, rel.schema, rel.name, c.name, "SELECT", "YES"})
		}
	}
	return out, nil
}

const isRoutinesCols = `specific_catalog sql_identifier, specific_schema sql_identifier,
	specific_name sql_identifier, routine_catalog sql_identifier, routine_schema sql_identifier,
	routine_name sql_identifier, routine_type character_data, module_catalog sql_identifier,
	module_schema sql_identifier, module_name sql_identifier, udt_catalog sql_identifier,
	udt_schema sql_identifier, udt_name sql_identifier, data_type character_data,
	character_maximum_length cardinal_number, character_octet_length cardinal_number,
	character_set_catalog sql_identifier, character_set_schema sql_identifier,
	character_set_name sql_identifier, collation_catalog sql_identifier,
	collation_schema sql_identifier, collation_name sql_identifier,
	numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
	numeric_scale cardinal_number, datetime_precision cardinal_number,
	interval_type character_data, interval_precision cardinal_number,
	type_udt_catalog sql_identifier, type_udt_schema sql_identifier, type_udt_name sql_identifier,
	scope_catalog sql_identifier, scope_schema sql_identifier, scope_name sql_identifier,
	maximum_cardinality cardinal_number, dtd_identifier sql_identifier,
	routine_body character_data, routine_definition character_data, external_name character_data,
	external_language character_data, parameter_style character_data, is_deterministic yes_or_no,
	sql_data_access character_data, is_null_call yes_or_no, sql_path character_data,
	schema_level_routine yes_or_no, max_dynamic_result_sets cardinal_number,
	is_user_defined_cast yes_or_no, is_implicitly_invocable yes_or_no, security_type character_data,
	to_sql_specific_catalog sql_identifier, to_sql_specific_schema sql_identifier,
	to_sql_specific_name sql_identifier, as_locator yes_or_no, created time_stamp,
	last_altered time_stamp, new_savepoint_level yes_or_no, is_udt_dependent yes_or_no,
	result_cast_from_data_type character_data, result_cast_as_locator yes_or_no,
	result_cast_char_max_length cardinal_number, result_cast_char_octet_length cardinal_number,
	result_cast_char_set_catalog sql_identifier, result_cast_char_set_schema sql_identifier,
	result_cast_char_set_name sql_identifier, result_cast_collation_catalog sql_identifier,
	result_cast_collation_schema sql_identifier, result_cast_collation_name sql_identifier,
	result_cast_numeric_precision cardinal_number, result_cast_numeric_precision_radix cardinal_number,
	result_cast_numeric_scale cardinal_number, result_cast_datetime_precision cardinal_number,
	result_cast_interval_type character_data, result_cast_interval_precision cardinal_number,
	result_cast_type_udt_catalog sql_identifier, result_cast_type_udt_schema sql_identifier,
	result_cast_type_udt_name sql_identifier, result_cast_scope_catalog sql_identifier,
	result_cast_scope_schema sql_identifier, result_cast_scope_name sql_identifier,
	result_cast_maximum_cardinality cardinal_number, result_cast_dtd_identifier sql_identifier`

// routineType describes a function's result type in information_schema
// terms: ARRAY for arrays, USER-DEFINED for pseudo types.
func routineType(oid uint32) colType {
	if t := types.ByOID(oid); t != nil && t.Family != types.FamRecord && t.Family != types.FamVoid {
		return describeType(t, -1)
	}
	if oid == types.Void.OID {
		return colType{dataType: "void", udtName: "void"}
	}
	name := pgTypeName(oid)
	if oid == anyArrayOID {
		return colType{dataType: "ARRAY", udtName: name}
	}
	return colType{dataType: name, udtName: name}
}

// isRoutinesRows lists pg_proc's functions (not aggregates), named
// "<name>_<oid>" as PostgreSQL's specific_name.
func isRoutinesRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, p := range procTable().procs {
		if p.kind != 'f' {
			continue
		}
		ct := routineType(p.ret)
		row := []any{db, "pg_catalog", fmt.Sprintf("%s_%d", p.name, p.oid), db, "pg_catalog",
			p.name, "FUNCTION", nil, nil, nil, nil,
			nil, nil, ct.dataType,
			ct.charMax, ct.charOctet,
			nil, nil, nil, nil, nil, nil,
			ct.numPrec, ct.numRadix, ct.numScale, ct.dtPrec,
			nil, nil,
			db, "pg_catalog", ct.udtName,
			nil, nil, nil,
			nil, "0",
			"EXTERNAL", p.name, nil,
			"INTERNAL", "GENERAL", yesNo(p.volatile == 'i'),
			"MODIFIES", yesNo(p.strict), nil,
			"YES", intD(0),
			"NO", nil, "INVOKER",
			nil, nil,
			nil, "NO", nil,
			nil, nil, "NO",
			nil, nil,
		}
		for len(row) < 82 {
			row = append(row, nil)
		}
		out = append(out, row)
	}
	return out, nil
}

const isParametersCols = `specific_catalog sql_identifier, specific_schema sql_identifier,
	specific_name sql_identifier, ordinal_position cardinal_number, parameter_mode character_data,
	is_result yes_or_no, as_locator yes_or_no, parameter_name sql_identifier,
	data_type character_data, character_maximum_length cardinal_number,
	character_octet_length cardinal_number, character_set_catalog sql_identifier,
	character_set_schema sql_identifier, character_set_name sql_identifier,
	collation_catalog sql_identifier, collation_schema sql_identifier,
	collation_name sql_identifier, numeric_precision cardinal_number,
	numeric_precision_radix cardinal_number, numeric_scale cardinal_number,
	datetime_precision cardinal_number, interval_type character_data,
	interval_precision cardinal_number, udt_catalog sql_identifier, udt_schema sql_identifier,
	udt_name sql_identifier, scope_catalog sql_identifier, scope_schema sql_identifier,
	scope_name sql_identifier, maximum_cardinality cardinal_number, dtd_identifier sql_identifier,
	parameter_default character_data`

func isParametersRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, p := range procTable().procs {
		if p.kind != 'f' {
			continue
		}
		for i, a := range p.args {
			ct := routineType(a)
			out = append(out, []any{db, "pg_catalog", fmt.Sprintf("%s_%d", p.name, p.oid), intD(i + 1), "IN",
				"NO", "NO", nil,
				ct.dataType, ct.charMax,
				ct.charOctet, nil,
				nil, nil,
				nil, nil,
				nil, ct.numPrec,
				ct.numRadix, ct.numScale,
				ct.dtPrec, nil,
				nil, db, "pg_catalog",
				ct.udtName, nil, nil,
				nil, nil, strconv.Itoa(i + 1),
				nil})
		}
	}
	return out, nil
}

const isElementTypesCols = `object_catalog sql_identifier, object_schema sql_identifier,
	object_name sql_identifier, object_type character_data, collection_type_identifier sql_identifier,
	data_type character_data, character_maximum_length cardinal_number,
	character_octet_length cardinal_number, character_set_catalog sql_identifier,
	character_set_schema sql_identifier, character_set_name sql_identifier,
	collation_catalog sql_identifier, collation_schema sql_identifier, collation_name sql_identifier,
	numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
	numeric_scale cardinal_number, datetime_precision cardinal_number, interval_type character_data,
	interval_precision cardinal_number, domain_default character_data, udt_catalog sql_identifier,
	udt_schema sql_identifier, udt_name sql_identifier, scope_catalog sql_identifier,
	scope_schema sql_identifier, scope_name sql_identifier, maximum_cardinality cardinal_number,
	dtd_identifier sql_identifier`

// isElementTypesRows describes the element type of every array column;
// collection_type_identifier matches the column's dtd_identifier.
func isElementTypesRows(r *relations) ([][]any, error) {
	db := r.sess.database
	var out [][]any
	for _, rel := range r.pgRels() {
		for _, c := range rel.cols {
			ct := describeType(c.typ, c.typ.Mod)
			if !ct.isArray || ct.elem == nil {
				continue
			}
			et := describeType(ct.elem, -1)
			dtd := strconv.Itoa(int(c.num))
			out = append(out, []any{db, rel.schema, rel.name, "TABLE", dtd,
				et.dataType, et.charMax,
				et.charOctet, nil,
				nil, nil,
				nil, nil, nil,
				et.numPrec, et.numRadix,
				et.numScale, et.dtPrec, nil,
				nil, nil, db,
				"pg_catalog", et.udtName, nil,
				nil, nil, nil,
				dtd + "a"})
		}
	}
	return out, nil
}

func init() {
	const is = "information_schema"
	regCatalog(is, "information_schema_catalog_name", 13207, 'v', `catalog_name sql_identifier`,
		func(r *relations) ([][]any, error) { return [][]any{{r.sess.database}}, nil })
	regCatalog(is, "schemata", 13208, 'v', isSchemataCols, isSchemataRows)
	regCatalog(is, "tables", 13209, 'v', isTablesCols, isTablesRows)
	regCatalog(is, "columns", 13210, 'v', isColumnsCols, isColumnsRows)
	regCatalog(is, "views", 13211, 'v', isViewsCols, isViewsRows)
	regCatalog(is, "table_constraints", 13212, 'v', isTableConstraintsCols, isTableConstraintsRows)
	regCatalog(is, "check_constraints", 13213, 'v', isCheckConstraintsCols, isCheckConstraintsRows)
	regCatalog(is, "key_column_usage", 13214, 'v', `constraint_catalog sql_identifier,
		constraint_schema sql_identifier, constraint_name sql_identifier, table_catalog sql_identifier,
		table_schema sql_identifier, table_name sql_identifier, column_name sql_identifier,
		ordinal_position cardinal_number, position_in_unique_constraint cardinal_number`, emptyRows)
	regCatalog(is, "referential_constraints", 13215, 'v', `constraint_catalog sql_identifier,
		constraint_schema sql_identifier, constraint_name sql_identifier,
		unique_constraint_catalog sql_identifier, unique_constraint_schema sql_identifier,
		unique_constraint_name sql_identifier, match_option character_data,
		update_rule character_data, delete_rule character_data`, emptyRows)
	regCatalog(is, "constraint_column_usage", 13216, 'v', `table_catalog sql_identifier,
		table_schema sql_identifier, table_name sql_identifier, column_name sql_identifier,
		constraint_catalog sql_identifier, constraint_schema sql_identifier,
		constraint_name sql_identifier`, emptyRows)
	regCatalog(is, "constraint_table_usage", 13217, 'v', `table_catalog sql_identifier,
		table_schema sql_identifier, table_name sql_identifier, constraint_catalog sql_identifier,
		constraint_schema sql_identifier, constraint_name sql_identifier`, emptyRows)
	regCatalog(is, "routines", 13218, 'v', isRoutinesCols, isRoutinesRows)
	regCatalog(is, "parameters", 13219, 'v', isParametersCols, isParametersRows)
	regCatalog(is, "character_sets", 13220, 'v', `character_set_catalog sql_identifier,
		character_set_schema sql_identifier, character_set_name sql_identifier,
		character_repertoire sql_identifier, form_of_use sql_identifier,
		default_collate_catalog sql_identifier, default_collate_schema sql_identifier,
		default_collate_name sql_identifier`, func(r *relations) ([][]any, error) {
		return [][]any{{nil, nil, "UTF8", "UCS", "UTF8", r.sess.database, "pg_catalog", "C"}}, nil
	})
	regCatalog(is, "triggers", 13221, 'v', `trigger_catalog sql_identifier, trigger_schema sql_identifier,
		trigger_name sql_identifier, event_manipulation character_data,
		event_object_catalog sql_identifier, event_object_schema sql_identifier,
		event_object_table sql_identifier, action_order cardinal_number,
		action_condition character_data, action_statement character_data,
		action_orientation character_data, action_timing character_data,
		action_reference_old_table sql_identifier, action_reference_new_table sql_identifier,
		action_reference_old_row sql_identifier, action_reference_new_row sql_identifier,
		created time_stamp`, emptyRows)
	regCatalog(is, "sequences", 13222, 'v', `sequence_catalog sql_identifier, sequence_schema sql_identifier,
		sequence_name sql_identifier, data_type character_data, numeric_precision cardinal_number,
		numeric_precision_radix cardinal_number, numeric_scale cardinal_number,
		start_value character_data, minimum_value character_data, maximum_value character_data,
		increment character_data, cycle_option yes_or_no`, emptyRows)
	regCatalog(is, "enabled_roles", 13223, 'v', `role_name sql_identifier`, func(r *relations) ([][]any, error) {
		return [][]any{{r.sess.user}}, nil
	})
	regCatalog(is, "applicable_roles", 13224, 'v', `grantee sql_identifier, role_name sql_identifier,
		is_grantable yes_or_no`, emptyRows)
	regCatalog(is, "table_privileges", 13225, 'v', isPrivilegeCols, func(r *relations) ([][]any, error) {
		return r.tablePrivileges(), nil
	})
	regCatalog(is, "role_table_grants", 13226, 'v', isPrivilegeCols, func(r *relations) ([][]any, error) {
		return r.tablePrivileges(), nil
	})
	regCatalog(is, "column_privileges", 13227, 'v', isColumnPrivilegesCols, isColumnPrivilegesRows)
	regCatalog(is, "domains", 13228, 'v', `domain_catalog sql_identifier, domain_schema sql_identifier,
		domain_name sql_identifier, data_type character_data, character_maximum_length cardinal_number,
		character_octet_length cardinal_number, character_set_catalog sql_identifier,
		character_set_schema sql_identifier, character_set_name sql_identifier,
		collation_catalog sql_identifier, collation_schema sql_identifier, collation_name sql_identifier,
		numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
		numeric_scale cardinal_number, datetime_precision cardinal_number,
		interval_type character_data, interval_precision cardinal_number,
		domain_default character_data, udt_catalog sql_identifier, udt_schema sql_identifier,
		udt_name sql_identifier, scope_catalog sql_identifier, scope_schema sql_identifier,
		scope_name sql_identifier, maximum_cardinality cardinal_number,
		dtd_identifier sql_identifier`, emptyRows)
	regCatalog(is, "element_types", 13229, 'v', isElementTypesCols, isElementTypesRows)
}
