package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"lambdasql/batch"
	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// sysTable is a virtual table (pg_catalog, information_schema, lambda_*).
type sysTable struct {
	schema string
	name   string
	oid    uint32
	cols   exec.Schema
	rows   func(r *relations) ([][]any, error)
}

var (
	sysMu     sync.RWMutex
	sysTables = map[string]*sysTable{} // "schema.name"
)

// registerSystemTable adds a virtual table. cols are name/type pairs.
func registerSystemTable(schema, name string, oid uint32, cols exec.Schema, rows func(r *relations) ([][]any, error)) {
	sysMu.Lock()
	defer sysMu.Unlock()
	for i := range cols {
		cols[i].TableOID = oid
		cols[i].Attnum = int16(i + 1)
	}
	sysTables[schema+"."+name] = &sysTable{schema: schema, name: name, oid: oid, cols: cols, rows: rows}
}

// systemTableList returns the registered system tables sorted by name.
func systemTableList() []*sysTable {
	sysMu.RLock()
	defer sysMu.RUnlock()
	out := make([]*sysTable, 0, len(sysTables))
	for _, t := range sysTables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].schema+"."+out[i].name < out[j].schema+"."+out[j].name })
	return out
}

func lookupSystemTable(schema, name string) *sysTable {
	sysMu.RLock()
	defer sysMu.RUnlock()
	return sysTables[schema+"."+name]
}

// relations resolves names for one statement against one catalog
// snapshot. It implements planner.Catalog.
type relations struct {
	srv  *Server
	sess *Session
	snap *catalog.Snapshot
}

func (s *Server) relations(sess *Session) *relations {
	return &relations{srv: s, sess: sess, snap: s.cat.Snapshot()}
}

// layerColumn is the hidden column naming the layer a row came from.
var layerColumn = exec.Column{Name: "_layer", Type: types.Text, Hidden: true}

// Relation implements planner.Catalog.
func (r *relations) Relation(schema, name string) (*planner.Relation, bool, error) {
	switch schema {
	case "", "public":
		if schema == "" {
			// pg_catalog is searched first, as in PostgreSQL.
			if t := lookupSystemTable("pg_catalog", name); t != nil {
				return r.system(t), true, nil
			}
		}
		if src, ok := r.snap.Sources[name]; ok {
			return r.sourceRelation(src), true, nil
		}
		if v, ok := r.snap.Views[name]; ok {
			return r.viewRelation(v), true, nil
		}
		if schema == "" {
			for _, sp := range r.sess.SearchPath() {
				if sp == "public" || sp == "pg_catalog" {
					continue
				}
				if t := lookupSystemTable(sp, name); t != nil {
					return r.system(t), true, nil
				}
			}
		}
		return nil, false, nil
	case "pg_catalog", "information_schema":
		if t := lookupSystemTable(schema, name); t != nil {
			return r.system(t), true, nil
		}
		return nil, false, nil
	}
	if schema == r.sess.database || schema == "lambdasql" {
		return r.Relation("", name)
	}
	return nil, false, sqlstate.New(sqlstate.InvalidSchemaName, "schema %q does not exist", schema)
}

func (r *relations) system(t *sysTable) *planner.Relation {
	cols := t.cols
	return &planner.Relation{OID: t.oid, Schema: t.schema, Name: t.name, Kind: planner.RelSystem, Columns: cols,
		Table: func(ctx context.Context) (exec.TableSource, error) {
			return &memTable{name: t.schema + "." + t.name, schema: cols, rows: func(context.Context) ([][]any, error) {
				return t.rows(r)
			}}, nil
		}}
}

func sourceColumns(src *catalog.Source) exec.Schema {
	cols := make(exec.Schema, 0, len(src.Columns)+1)
	for i, c := range src.Columns {
		cols = append(cols, exec.Column{Name: c.Name, Type: c.Type(), TableOID: src.OID, Attnum: int16(i + 1)})
	}
	return append(cols, layerColumn)
}

func viewColumns(v *catalog.View) exec.Schema {
	cols := make(exec.Schema, 0, len(v.Columns)+1)
	for i, c := range v.Columns {
		cols = append(cols, exec.Column{Name: c.Name, Type: c.Type(), TableOID: v.OID, Attnum: int16(i + 1)})
	}
	if v.Lambda {
		cols = append(cols, layerColumn)
	}
	return cols
}

func (r *relations) sourceRelation(src *catalog.Source) *planner.Relation {
	cols := sourceColumns(src)
	return &planner.Relation{OID: src.OID, Schema: "public", Name: src.Name, Kind: planner.RelSource, Columns: cols,
		Table: func(ctx context.Context) (exec.TableSource, error) {
			return r.srv.sourceTable(src, cols)
		}}
}

func (r *relations) viewRelation(v *catalog.View) *planner.Relation {
	cols := viewColumns(v)
	rel := &planner.Relation{OID: v.OID, Schema: "public", Name: v.Name, Columns: cols}
	if !v.Lambda {
		rel.Kind = planner.RelView
		rel.ViewSQL = v.Query
		return rel
	}
	rel.Kind = planner.RelLambdaView
	rel.Lambda = r.srv.lambdaView(v, cols)
	return rel
}

// TableFunction implements planner.Catalog.
func (r *relations) TableFunction(ctx context.Context, name string, args []any, argTypes []*types.T) (*planner.Relation, error) {
	switch name {
	case "read_parquet":
		if len(args) != 1 {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "function read_parquet takes one argument: a file path or glob")
		}
		glob, ok := args[0].(string)
		if !ok {
			return nil, sqlstate.New(sqlstate.DatatypeMismatch, "read_parquet expects a text argument")
		}
		tbl, err := batch.OpenParquetGlob(glob)
		if err != nil {
			return nil, err
		}
		return &planner.Relation{Schema: "", Name: "read_parquet", Kind: planner.RelFunction, Columns: tbl.Schema(),
			Table: func(context.Context) (exec.TableSource, error) { return tbl, nil }}, nil
	case "generate_series":
		loc := exec.ExecCtx(ctx).Loc
		if loc == nil {
			loc = time.UTC
		}
		return generateSeries(args, argTypes, loc)
	case "_pg_expandarray":
		return expandArray(args, argTypes)
	case "regexp_matches":
		return regexpMatches(args, argTypes)
	case "unnest":
		if len(args) != 1 || len(argTypes) != 1 {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "function unnest takes one array argument")
		}
		at := argTypes[0]
		if at.Family == types.FamUnknown {
			at = types.ArrayOf(types.Text)
			if s, ok := args[0].(string); ok {
				v, err := types.ParseArray(types.Text, s, nil)
				if err != nil {
					return nil, err
				}
				args[0] = v
			}
		}
		if at.Family != types.FamArray {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "function unnest(%s) does not exist", at.Name)
		}
		elems, _ := args[0].([]any)
		cols := exec.Schema{{Name: "unnest", Type: at.Elem}}
		return memRelation("unnest", cols, func() [][]any {
			rows := make([][]any, len(elems))
			for i, e := range elems {
				rows[i] = []any{e}
			}
			return rows
		}), nil
	}
	return nil, sqlstate.New(sqlstate.UndefinedFunction, "function %s(%s) does not exist", name, typeNames(argTypes)).
		WithHint("Table functions in FROM: read_parquet, generate_series, unnest, regexp_matches.")
}

// regexpMatches implements regexp_matches(text, text[, text]): one text[]
// row per match (exec.RegexpMatches), none when an argument is NULL.
func regexpMatches(args []any, argTypes []*types.T) (*planner.Relation, error) {
	ok := len(args) == 2 || len(args) == 3
	for _, t := range argTypes {
		ok = ok && (t.Family == types.FamString || t.Family == types.FamUnknown || t.Family == types.FamNull)
	}
	if !ok {
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "function regexp_matches(%s) does not exist", typeNames(argTypes)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	cols := exec.Schema{{Name: "regexp_matches", Type: types.ArrayOf(types.Text)}}
	strs := make([]string, 3)
	for i, a := range args {
		s, isStr := a.(string)
		if !isStr {
			return memRelation("regexp_matches", cols, func() [][]any { return nil }), nil
		}
		strs[i] = s
	}
	ms, err := exec.RegexpMatches(strs[0], strs[1], strs[2])
	if err != nil {
		return nil, err
	}
	return memRelation("regexp_matches", cols, func() [][]any {
		rows := make([][]any, len(ms))
		for i, m := range ms {
			rows[i] = []any{m}
		}
		return rows
	}), nil
}

// expandArray implements information_schema._pg_expandarray(anyarray):
// one row (x, n) per element of the first dimension, x the element and n
// its 1-based position (an int2vector's elements count from 1 too).
func expandArray(args []any, argTypes []*types.T) (*planner.Relation, error) {
	if len(args) != 1 || len(argTypes) != 1 {
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "function _pg_expandarray(%s) does not exist", typeNames(argTypes))
	}
	at := argTypes[0]
	switch at.Family {
	case types.FamUnknown:
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	case types.FamArray:
	default:
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "function _pg_expandarray(%s) does not exist", at.Name).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	elems, _ := args[0].([]any)
	cols := exec.Schema{{Name: "x", Type: at.Elem}, {Name: "n", Type: types.Int4}}
	return memRelation("_pg_expandarray", cols, func() [][]any {
		rows := make([][]any, len(elems))
		for i, e := range elems {
			if _, nested := e.([]any); nested {
				e = nil // $1[s] of a multidimensional array is NULL
			}
			rows[i] = []any{e, int64(i + 1)}
		}
		return rows
	}), nil
}

func memRelation(name string, cols exec.Schema, rows func() [][]any) *planner.Relation {
	return &planner.Relation{Name: name, Kind: planner.RelFunction, Columns: cols,
		Table: func(context.Context) (exec.TableSource, error) {
			return &memTable{name: name, schema: cols, rows: func(context.Context) ([][]any, error) { return rows(), nil }}, nil
		}}
}

func typeNames(ts []*types.T) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Name
	}
	return strings.Join(parts, ", ")
}

// generateSeries implements generate_series(start, stop[, step]) over
// integers and timestamps.
func generateSeries(args []any, ts []*types.T, loc *time.Location) (*planner.Relation, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "function generate_series(%s) does not exist", typeNames(ts))
	}
	typed := false
	for _, t := range ts {
		typed = typed || t.Family != types.FamUnknown && t.Family != types.FamNull
	}
	if !typed {
		// Only literals and NULLs: integer, bigint, numeric and the
		// timestamps all fit, and none is preferred.
		return nil, sqlstate.New(sqlstate.AmbiguousFunction, "function generate_series(%s) is not unique", typeNames(ts)).
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
	}
	for _, a := range args {
		if a == nil {
			// A NULL argument gives no rows, in the type the arguments
			// call for.
			t := types.Int4
			switch {
			case ts[0].Family == types.FamTimestamp:
				t = types.Timestamp
			case ts[0].IsTime() || ts[0].Family == types.FamUnknown && len(ts) == 3 && ts[2].Family == types.FamInterval:
				t = types.TimestampTZ
			default:
				for _, x := range ts {
					if x.Family == types.FamInt && x.Width == 8 {
						t = types.Int8
					}
				}
			}
			return memRelation("generate_series", exec.Schema{{Name: "generate_series", Type: t}}, func() [][]any { return nil }), nil
		}
	}
	if ts[0].IsTime() || ts[0].Family == types.FamUnknown && len(args) == 3 && (ts[2].Family == types.FamInterval || ts[2].Family == types.FamUnknown) && isTimestampText(args[0]) {
		start, err := toTimestamp(args[0], ts[0], loc)
		if err != nil {
			return nil, err
		}
		stop, err := toTimestamp(args[1], ts[1], loc)
		if err != nil {
			return nil, err
		}
		if len(args) != 3 {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "generate_series over timestamps needs a step interval")
		}
		var step types.IntervalD
		switch v := args[2].(type) {
		case types.IntervalD:
			step = v
		case string:
			if step, err = types.ParseInterval(v); err != nil {
				return nil, err
			}
		}
		if step.TotalMicros() == 0 {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "step size cannot equal zero")
		}
		t := types.TimestampTZ
		if ts[0].Family == types.FamTimestamp {
			t = types.Timestamp
		}
		return seriesRelation(newTimestampSeries(t, start, stop, step, loc)), nil
	}
	toInt := func(v any) (int64, error) {
		switch x := v.(type) {
		case int64:
			return x, nil
		case string:
			var n int64
			_, err := fmt.Sscan(x, &n)
			if err != nil {
				return 0, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type integer: %q", x)
			}
			return n, nil
		}
		return 0, sqlstate.New(sqlstate.UndefinedFunction, "function generate_series(%s) does not exist", typeNames(ts))
	}
	start, err := toInt(args[0])
	if err != nil {
		return nil, err
	}
	stop, err := toInt(args[1])
	if err != nil {
		return nil, err
	}
	step := int64(1)
	if len(args) == 3 {
		if step, err = toInt(args[2]); err != nil {
			return nil, err
		}
	}
	if step == 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "step size cannot equal zero")
	}
	t := types.Int4
	for _, x := range ts {
		if x.Family == types.FamInt && x.Width == 8 {
			t = types.Int8
		}
	}
	return seriesRelation(newIntSeries(t, start, stop, step)), nil
}

func isTimestampText(v any) bool {
	s, ok := v.(string)
	return ok && strings.Count(s, "-") >= 2
}

func toTimestamp(v any, t *types.T, loc *time.Location) (types.TimestampD, error) {
	switch x := v.(type) {
	case types.TimestampD:
		return x, nil
	case types.DateD:
		return types.TimestampD(int64(x) * 86400_000000), nil
	case string:
		// Text without an offset reads in the session time zone.
		return types.ParseTimestamp(x, loc, true)
	}
	return 0, sqlstate.New(sqlstate.DatatypeMismatch, "generate_series expects timestamps, not %s", t.Name)
}
