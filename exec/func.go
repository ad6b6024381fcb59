package exec

import (
	"sort"
	"strings"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// KernelCtx is what a kernel sees besides its argument values.
type KernelCtx struct {
	*Ctx
	Args []Expr   // the argument expressions (for their types and constness)
	Ret  *types.T // the call's result type
}

// ArgType returns the type of argument i.
func (k *KernelCtx) ArgType(i int) *types.T { return k.Args[i].Type() }

// Kernel evaluates a function over n rows. Args may be scalars. The result
// belongs to the caller.
type Kernel func(k *KernelCtx, args []Vec, n int) (Vec, error)

// Any matches an argument of any type in Func.Args.
var Any = &types.T{Name: "any", TypName: "any", OID: 2276, Family: types.FamRecord, Mod: -1}

// AnyArray matches an argument of any array type.
var AnyArray = &types.T{Name: "anyarray", TypName: "anyarray", OID: 2277, Family: types.FamArray, Mod: -1}

// Func is one overload of a scalar function or operator.
type Func struct {
	Name     string
	Args     []*types.T // parameter types; Any matches anything
	Variadic bool       // the last parameter repeats (zero or more times)
	Ret      *types.T   // result type, unless RetFn is set
	// RetFn computes the result type from the argument types (for
	// polymorphic functions such as coalesce and greatest).
	RetFn  func(args []*types.T) *types.T
	Kernel Kernel
	Infix  bool // prints as "a op b" in EXPLAIN
	// OID is the pg_proc OID this overload is listed under (0: none).
	OID uint32
	// Volatile functions are never constant-folded (random, clock_timestamp,
	// pg_sleep).
	Volatile bool
}

// ResultType returns the result type for the given argument types.
func (f *Func) ResultType(args []*types.T) *types.T {
	if f.RetFn != nil {
		return f.RetFn(args)
	}
	return f.Ret
}

var funcs = map[string][]*Func{}

// Register adds overloads to the function registry. Called from init.
func Register(fs ...*Func) {
	for _, f := range fs {
		funcs[f.Name] = append(funcs[f.Name], f)
	}
}

// FuncNames returns the registered function names, sorted.
func FuncNames() []string {
	out := make([]string, 0, len(funcs))
	for n := range funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Overloads returns the overloads of name.
func Overloads(name string) []*Func { return funcs[strings.ToLower(name)] }

// NumericRank orders numeric types for promotion (PostgreSQL's implicit
// cast chain int2 → int4 → int8 → numeric → float4 → float8).
func NumericRank(t *types.T) int {
	switch t.OID {
	case types.Int2.OID:
		return 1
	case types.Int4.OID:
		return 2
	case types.Int8.OID:
		return 3
	case types.Numeric.OID:
		return 4
	case types.Float4.OID:
		return 5
	case types.Float8.OID:
		return 6
	}
	return 0
}

// ImplicitCast reports whether PostgreSQL converts from to to implicitly
// (in function and operator argument positions).
func ImplicitCast(from, to *types.T) bool {
	if types.Equal(from, to) || to == Any {
		return true
	}
	if from.Family == types.FamUnknown || from.Family == types.FamNull {
		return true
	}
	if to == AnyArray {
		return from.Family == types.FamArray
	}
	if rf, rt := NumericRank(from), NumericRank(to); rf > 0 && rt > 0 {
		return rf <= rt
	}
	switch {
	case from.Family == types.FamString && to.Family == types.FamString:
		return to.OID == types.Text.OID || to.OID == types.Varchar.OID || to.OID == types.BPChar.OID || to.OID == types.Name.OID
	case from.Family == types.FamDate && (to.Family == types.FamTimestamp || to.Family == types.FamTimestampTZ):
		return true
	case from.Family == types.FamTimestamp && to.Family == types.FamTimestampTZ:
		return true
	case from.Family == types.FamOid && to.Family == types.FamOid:
		return true
	case from.Family == types.FamInt && to.Family == types.FamOid:
		return true
	case from.Family == types.FamOid && to.Family == types.FamInt && to.Width == 8:
		return true
	case from.Family == types.FamJSON && to.Family == types.FamJSON:
		return true
	case from.Family == types.FamArray && to.Family == types.FamArray:
		return from.Elem != nil && to.Elem != nil && ImplicitCast(from.Elem, to.Elem)
	}
	return false
}

// castCost scores a conversion for overload resolution: 0 exact, higher
// worse, -1 impossible.
func castCost(from, to *types.T) int {
	if types.Equal(from, to) {
		return 0
	}
	if to == Any {
		return 1
	}
	if from.Family == types.FamUnknown || from.Family == types.FamNull {
		// An unknown literal prefers the string category, then anything.
		if to.Family == types.FamString && to.OID == types.Text.OID {
			return 1
		}
		return 2
	}
	if !ImplicitCast(from, to) {
		return -1
	}
	if rf, rt := NumericRank(from), NumericRank(to); rf > 0 && rt > 0 {
		return 2 + (rt - rf)
	}
	if from.Family == types.FamOid && to.Family == types.FamOid {
		// regproc, regclass, … are binary-coercible to oid: comparing
		// them with an oid uses oid's operators.
		if to.OID == types.Oid.OID {
			return 2
		}
		return 4
	}
	return 3
}

// Resolve picks the overload of name for the argument types, as
// PostgreSQL's function resolution does (exact match first, then the
// candidate needing the fewest and cheapest implicit conversions; unknown
// literals take the type of the other arguments). It returns the overload
// and the type each argument must be cast to.
func Resolve(name string, args []*types.T) (*Func, []*types.T, error) {
	cands := funcs[strings.ToLower(name)]
	if len(cands) == 0 {
		return nil, nil, undefinedFunction(name, args, false)
	}
	// Unknown arguments next to known ones of one type: prefer that type.
	var known *types.T
	mixed := false
	for _, a := range args {
		if a.Family == types.FamUnknown || a.Family == types.FamNull {
			continue
		}
		if known == nil {
			known = a
		} else if !types.Equal(known, a) {
			mixed = true
		}
	}
	var best *Func
	var bestTargets []*types.T
	bestCost, ties := -1, 0
	for _, f := range cands {
		targets, cost := matchCost(f, args, known, mixed)
		if cost < 0 {
			continue
		}
		switch {
		case bestCost < 0 || cost < bestCost:
			best, bestTargets, bestCost, ties = f, targets, cost, 0
		case cost == bestCost:
			ties++
		}
	}
	if best == nil {
		return nil, nil, undefinedFunction(name, args, true)
	}
	if ties > 0 && bestCost > 0 {
		// Break ties towards preferred types (float8, text) like PostgreSQL.
		var pref *Func
		var prefTargets []*types.T
		n := 0
		for _, f := range cands {
			targets, cost := matchCost(f, args, known, mixed)
			if cost != bestCost {
				continue
			}
			if preferred(targets) {
				pref, prefTargets = f, targets
				n++
			}
		}
		if n == 1 {
			return pref, prefTargets, nil
		}
		if n == 0 {
			return nil, nil, sqlstate.New(sqlstate.AmbiguousFunction, "function %s is not unique", signature(name, args)).
				WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
		}
		return pref, prefTargets, nil
	}
	return best, bestTargets, nil
}

func preferred(ts []*types.T) bool {
	for _, t := range ts {
		if t.OID == types.Float8.OID || t.OID == types.Text.OID || t.Family == types.FamTimestampTZ || t.Family == types.FamBool {
			return true
		}
	}
	return false
}

func matchCost(f *Func, args []*types.T, known *types.T, mixed bool) ([]*types.T, int) {
	n := len(f.Args)
	if f.Variadic {
		if len(args) < n-1 {
			return nil, -1
		}
	} else if len(args) != n {
		return nil, -1
	}
	targets := make([]*types.T, len(args))
	cost := 0
	for i, a := range args {
		p := f.Args[min(i, n-1)]
		if p == Any {
			// PostgreSQL's "any" does not unify its arguments (unlike
			// anyelement): an unknown literal is text (format('%s', 'a', 1)),
			// a bare NULL takes the type of known arguments.
			t := a
			switch {
			case a.Family == types.FamUnknown:
				t = types.Text
			case a.Family == types.FamNull && known != nil && !mixed:
				t = known
			}
			targets[i] = t
			cost++ // an exact overload beats a polymorphic one
			continue
		}
		if p == AnyArray {
			if a.Family != types.FamArray && a.Family != types.FamNull && a.Family != types.FamUnknown {
				return nil, -1
			}
			targets[i] = a
			cost++
			continue
		}
		c := castCost(a, p)
		if c < 0 {
			return nil, -1
		}
		if (a.Family == types.FamUnknown || a.Family == types.FamNull) && known != nil && !mixed && types.Equal(p, known) {
			c = 0 // unknown takes the other operand's type: as good as exact
		}
		targets[i] = p
		cost += c
	}
	return targets, cost
}

func signature(name string, args []*types.T) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.Name
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

func undefinedFunction(name string, args []*types.T, exists bool) error {
	if isOperator(name) && len(args) == 2 {
		return sqlstate.New(sqlstate.UndefinedFunction, "operator does not exist: %s %s %s", args[0].Name, name, args[1].Name).
			WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	if isOperator(name) && len(args) == 1 {
		return sqlstate.New(sqlstate.UndefinedFunction, "operator does not exist: %s %s", name, args[0].Name).
			WithHint("No operator matches the given name and argument type. You might need to add an explicit type cast.")
	}
	e := sqlstate.New(sqlstate.UndefinedFunction, "function %s does not exist", signature(name, args))
	if exists {
		return e.WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	return e
}

func isOperator(name string) bool {
	if name == "" {
		return false
	}
	c := name[0]
	return !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '_'
}
