package types

import (
	"strings"

	"lambdasql/sql/sqlstate"
)

// This file resolves calls of the aggregates lambdasql implements (package
// exec/agg) the way PostgreSQL's function resolution does: which argument
// types are accepted, what unknown-typed literals become, and the result
// type. The accepted signatures are PostgreSQL's (pg_aggregate), plus
// approx_count_distinct and percentile_approx, which PostgreSQL lacks.
//
// Argument lists hold the per-row arguments, in the call's order; constant
// parameters may be left out (the binder passes them in Spec.Const) or
// included in their positions:
//
//	count()                          count(*)
//	string_agg(x) or (x, delimiter)
//	percentile_approx(x) or (x, fraction)
//	percentile_cont(x) or (fraction, x)   percentile_cont(fraction) WITHIN GROUP (ORDER BY x)
//	percentile_disc(x) or (fraction, x)
//
// AggregateConstArgs names the positions of the regular arguments that are
// constant parameters. The direct argument of percentile_cont and
// percentile_disc (the fraction) is not a regular argument: it precedes the
// WITHIN GROUP clause and its value goes to Spec.Const as well.

// aggregateNames lists every aggregate lambdasql implements.
var aggregateNames = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"stddev": true, "stddev_samp": true, "stddev_pop": true,
	"variance": true, "var_samp": true, "var_pop": true,
	"bool_and": true, "bool_or": true, "every": true,
	"approx_count_distinct": true, "percentile_approx": true,
	"percentile_cont": true, "percentile_disc": true,
	"string_agg": true, "array_agg": true,
	"mode": true, "bit_and": true, "bit_or": true, "bit_xor": true,
	"corr": true, "covar_pop": true, "covar_samp": true, "regr_count": true,
	"regr_sxx": true, "regr_syy": true, "regr_sxy": true, "regr_avgx": true,
	"regr_avgy": true, "regr_r2": true, "regr_slope": true, "regr_intercept": true,
}

// IsAggregate reports whether name (case-insensitive) is an aggregate
// function lambdasql implements.
func IsAggregate(name string) bool { return aggregateNames[strings.ToLower(name)] }

// IsOrderedSetAggregate reports whether name is called with WITHIN GROUP
// (ORDER BY x): percentile_cont, percentile_disc and mode.
func IsOrderedSetAggregate(name string) bool {
	switch strings.ToLower(name) {
	case "percentile_cont", "percentile_disc", "mode":
		return true
	}
	return false
}

// AggregateConstArgs returns the positions (0-based) of the regular
// arguments that are constant parameters rather than per-row inputs: the
// fraction of percentile_approx (1) and the delimiter of string_agg (1).
// nil for every other aggregate, percentile_cont and percentile_disc
// included (their fraction is the direct argument). The binder must reject
// a non-constant expression in these positions.
func AggregateConstArgs(name string) []int {
	switch strings.ToLower(name) {
	case "percentile_approx", "string_agg":
		return []int{1}
	}
	return nil
}

// AggregateConstCount returns how many constant parameters the aggregate
// takes in Spec.Const: the constant regular arguments plus the direct
// argument of an ordered-set aggregate.
func AggregateConstCount(name string) int {
	switch strings.ToLower(name) {
	case "percentile_approx", "string_agg", "percentile_cont", "percentile_disc":
		return 1
	}
	return 0
}

// AggregateResult returns the result type of the aggregate call
// name(args…), resolving unknown-typed literals as PostgreSQL does
// (min('a') is min(text); sum('1') is ambiguous). Errors carry SQLSTATE
// 42883 (no such function or argument types), 42725 (an unknown argument
// matches several signatures), 42601 (DISTINCT with WITHIN GROUP,
// count(DISTINCT *)) or 0A000 (a PostgreSQL form lambdasql lacks).
func AggregateResult(name string, args []*T, distinct bool) (*T, error) {
	_, res, err := resolveAggregate(name, args, distinct)
	return res, err
}

// AggregateArgs returns the types the arguments of name(args…) must have
// when they reach the accumulator, in the same positions as args: an
// unknown literal becomes the type resolution chose (text for min('a'),
// double precision for stddev('1'), boolean for bool_and('t')), constant
// parameters become their parameter type (double precision fractions, the
// delimiter's string type). Other arguments keep their own type: the
// accumulators read every accepted type natively, so no cast is needed.
func AggregateArgs(name string, args []*T) ([]*T, error) {
	params, _, err := resolveAggregate(name, args, false)
	return params, err
}

func isUnknown(t *T) bool { return t == nil || t.Family == FamUnknown || t.Family == FamNull }

// aggSignature renders name(type, …) as PostgreSQL's func_signature_string.
func aggSignature(name string, args []*T) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('(')
	for i, t := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		if isUnknown(t) {
			b.WriteString("unknown")
		} else {
			b.WriteString(FormatType(t, -1))
		}
	}
	b.WriteByte(')')
	return b.String()
}

func errNoAggregate(name string, args []*T) error {
	return sqlstate.New(sqlstate.UndefinedFunction, "function %s does not exist", aggSignature(name, args)).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

func errAmbiguousAggregate(name string, args []*T) error {
	return sqlstate.New(sqlstate.AmbiguousFunction, "function %s is not unique", aggSignature(name, args)).
		WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
}

// orderable reports whether min/max/percentile_disc accept t (PostgreSQL has
// a btree ordering for it that lambdasql implements).
func orderable(t *T) bool {
	switch t.Family {
	case FamInt, FamFloat, FamNumeric, FamString, FamDate, FamTime, FamTimestamp, FamTimestampTZ, FamInterval:
		return true
	case FamOid:
		return t != Xid
	}
	return false
}

// hashable reports whether count(DISTINCT x), approx_count_distinct and
// array_agg accept t.
func hashable(t *T) bool {
	switch t.Family {
	case FamBool, FamBytes:
		return true
	}
	return orderable(t)
}

// resolveAggregate returns the parameter types (see AggregateArgs) and the
// result type of name(args…).
func resolveAggregate(name string, args []*T, distinct bool) ([]*T, *T, error) {
	name = strings.ToLower(name)
	if !aggregateNames[name] {
		return nil, nil, errNoAggregate(name, args)
	}
	one := func() (*T, bool) {
		if len(args) != 1 {
			return nil, false
		}
		return args[0], true
	}
	switch name {
	case "count":
		switch len(args) {
		case 0:
			if distinct {
				return nil, nil, sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \"*\"")
			}
			return nil, Int8, nil
		case 1:
			p := args[0]
			if isUnknown(p) {
				p = Text
			}
			return []*T{p}, Int8, nil
		}
		return nil, nil, errNoAggregate(name, args)

	case "sum", "avg":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			// sum and avg accept numeric (N) and interval (T) categories:
			// PostgreSQL cannot pick one for an unknown literal.
			return nil, nil, errAmbiguousAggregate(name, args)
		}
		var res *T
		switch x.Family {
		case FamInt:
			switch {
			case name == "avg":
				res = Numeric
			case x.Width == 8:
				res = Numeric
			default:
				res = Int8
			}
		case FamNumeric:
			res = Numeric
		case FamFloat:
			if name == "avg" {
				res = Float8
			} else if x.Width == 4 {
				res = Float4
			} else {
				res = Float8
			}
		case FamInterval:
			res = Interval
		default:
			return nil, nil, errNoAggregate(name, args)
		}
		return []*T{x}, res, nil

	case "min", "max":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			// The string category wins for an unknown literal; text is its
			// preferred type.
			return []*T{Text}, Text, nil
		}
		if x.Family == FamArray {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "%s over arrays is not supported", name)
		}
		if !orderable(x) {
			return nil, nil, errNoAggregate(name, args)
		}
		res := canonical(x)
		switch {
		case x.Family == FamString && x.OID != BPChar.OID:
			// min(bpchar) exists; every other character type reaches
			// min(text) through its implicit cast.
			res = Text
		case x.Family == FamOid:
			// regclass, regtype, … reach min(oid) through their casts.
			res = Oid
		}
		return []*T{x}, res, nil

	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			// Every candidate is numeric-category; float8 is its preferred type.
			return []*T{Float8}, Float8, nil
		}
		switch x.Family {
		case FamInt, FamNumeric:
			return []*T{x}, Numeric, nil
		case FamFloat:
			return []*T{x}, Float8, nil
		}
		return nil, nil, errNoAggregate(name, args)

	case "bool_and", "bool_or", "every":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) || x.Family == FamBool {
			return []*T{Bool}, Bool, nil
		}
		return nil, nil, errNoAggregate(name, args)

	case "approx_count_distinct":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			return []*T{Text}, Int8, nil
		}
		if !hashable(x) {
			return nil, nil, errNoAggregate(name, args)
		}
		return []*T{x}, Int8, nil

	case "percentile_approx":
		if len(args) != 1 && len(args) != 2 {
			return nil, nil, errNoAggregate(name, args)
		}
		x := args[0]
		if len(args) == 2 && !isUnknown(args[1]) && !args[1].IsNumeric() {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			x = Float8
		} else if !x.IsNumeric() {
			return nil, nil, errNoAggregate(name, args)
		}
		if len(args) == 1 {
			return []*T{x}, Float8, nil
		}
		return []*T{x, Float8}, Float8, nil

	case "percentile_cont", "percentile_disc":
		if distinct {
			return nil, nil, sqlstate.New(sqlstate.SyntaxError, "cannot use DISTINCT with WITHIN GROUP")
		}
		var f, x *T
		switch len(args) {
		case 1:
			x = args[0]
		case 2:
			f, x = args[0], args[1]
		default:
			return nil, nil, errNoAggregate(name, args)
		}
		if f != nil && f.Family == FamArray {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "%s with an array of fractions is not supported", name).
				WithHint("Call %s once per fraction.", name)
		}
		if f != nil && !isUnknown(f) && !f.IsNumeric() {
			return nil, nil, errNoAggregate(name, args)
		}
		params := func(x *T) []*T {
			if f == nil {
				return []*T{x}
			}
			return []*T{Float8, x}
		}
		if name == "percentile_cont" {
			switch {
			case isUnknown(x):
				// Candidates take double precision (N) and interval (T).
				return nil, nil, errAmbiguousAggregate(name, args)
			case x.IsNumeric():
				return params(x), Float8, nil
			case x.Family == FamInterval:
				return params(x), Interval, nil
			}
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			return params(Text), Text, nil
		}
		if x.Family == FamBool || orderable(x) {
			return params(x), canonical(x), nil
		}
		return nil, nil, errNoAggregate(name, args)

	case "string_agg":
		if len(args) != 1 && len(args) != 2 {
			return nil, nil, errNoAggregate(name, args)
		}
		x := args[0]
		isStr := func(t *T) bool { return isUnknown(t) || t.Family == FamString }
		isBytes := func(t *T) bool { return isUnknown(t) || t.Family == FamBytes }
		if len(args) == 1 {
			switch {
			case isStr(x):
				if isUnknown(x) {
					x = Text
				}
				return []*T{x}, Text, nil
			case isBytes(x):
				return []*T{Bytea}, Bytea, nil
			}
			return nil, nil, errNoAggregate(name, args)
		}
		d := args[1]
		switch {
		case isStr(x) && isStr(d):
			if isUnknown(x) {
				x = Text
			}
			return []*T{x, Text}, Text, nil
		case isBytes(x) && isBytes(d) && !(isUnknown(x) && isUnknown(d)):
			return []*T{Bytea, Bytea}, Bytea, nil
		}
		return nil, nil, errNoAggregate(name, args)

	case "mode":
		// mode() WITHIN GROUP (ORDER BY x) is mode(anyelement): any
		// sortable type, text for an unknown literal.
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if distinct {
			return nil, nil, sqlstate.New(sqlstate.SyntaxError, "cannot use DISTINCT with WITHIN GROUP")
		}
		if isUnknown(x) {
			return []*T{Text}, Text, nil
		}
		if x.Family == FamBool || orderable(x) {
			return []*T{x}, canonical(x), nil
		}
		return nil, nil, errNoAggregate(name, args)

	case "bit_and", "bit_or", "bit_xor":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			// smallint, integer, bigint and bit candidates: no preference.
			return nil, nil, errAmbiguousAggregate(name, args)
		}
		if x.Family != FamInt {
			return nil, nil, errNoAggregate(name, args)
		}
		return []*T{x}, canonical(x), nil

	case "corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy", "regr_sxy",
		"regr_avgx", "regr_avgy", "regr_r2", "regr_slope", "regr_intercept":
		// (double precision, double precision): Y, then X.
		if len(args) != 2 {
			return nil, nil, errNoAggregate(name, args)
		}
		for _, a := range args {
			if !isUnknown(a) && !a.IsNumeric() {
				return nil, nil, errNoAggregate(name, args)
			}
		}
		res := Float8
		if name == "regr_count" {
			res = Int8
		}
		return []*T{Float8, Float8}, res, nil

	case "array_agg":
		x, ok := one()
		if !ok {
			return nil, nil, errNoAggregate(name, args)
		}
		if isUnknown(x) {
			return []*T{Text}, ArrayOf(Text), nil
		}
		if x.Family == FamArray {
			return nil, nil, sqlstate.New(sqlstate.FeatureNotSupported, "array_agg over arrays is not supported")
		}
		if !hashable(x) && x.Family != FamJSON {
			return nil, nil, errNoAggregate(name, args)
		}
		return []*T{x}, ArrayOf(canonical(x)), nil
	}
	return nil, nil, errNoAggregate(name, args)
}

// canonical returns the package-level singleton of t's OID (dropping any
// type modifier), or t itself when there is none.
func canonical(t *T) *T {
	if c := ByOID(t.OID); c != nil && c.Family == t.Family {
		return c
	}
	return t
}
