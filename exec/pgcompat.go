package exec

import "lambdasql/sql/types"

// Catalog functions psql calls about objects lambdasql never has
// (extended statistics, SQL-body functions): they answer NULL, as
// PostgreSQL does for an OID that is not such an object.
func init() {
	null := func(_ *KernelCtx, _ []any) (any, error) { return nil, nil }
	Register(
		&Func{Name: "pg_get_statisticsobjdef_columns", Args: []*types.T{types.Oid}, Ret: types.Text, Kernel: rowKernel(true, null)},
		&Func{Name: "pg_get_statisticsobjdef_expressions", Args: []*types.T{types.Oid}, Ret: types.ArrayOf(types.Text), Kernel: rowKernel(true, null)},
		&Func{Name: "pg_get_function_sqlbody", Args: []*types.T{types.Oid}, Ret: types.Text, Kernel: rowKernel(true, null)},
	)
	// Visibility of object kinds lambdasql lists empty: visible.
	yes := func(_ *KernelCtx, _ []any) (any, error) { return true, nil }
	for _, name := range []string{"pg_opclass_is_visible", "pg_opfamily_is_visible", "pg_operator_is_visible",
		"pg_collation_is_visible", "pg_conversion_is_visible", "pg_statistics_obj_is_visible",
		"pg_ts_config_is_visible", "pg_ts_dict_is_visible", "pg_ts_parser_is_visible", "pg_ts_template_is_visible"} {
		Register(&Func{Name: name, Args: []*types.T{types.Oid}, Ret: types.Bool, Kernel: rowKernel(true, yes)})
	}
	// No relation is published (no logical replication).
	Register(&Func{Name: "pg_relation_is_publishable", Args: []*types.T{types.RegClass}, Ret: types.Bool,
		Kernel: rowKernel(true, func(_ *KernelCtx, _ []any) (any, error) { return false, nil })})
}
