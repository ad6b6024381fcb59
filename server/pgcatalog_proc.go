package server

// pg_proc, pg_aggregate, pg_operator and pg_language, derived from what
// lambdasql implements: the type I/O functions pg_type names, every
// scalar function of the exec registry, every aggregate sql/types
// resolves, and the registry's operators.

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

// pgProcRow is one row of pg_proc.
type pgProcRow struct {
	oid      uint32
	name     string
	kind     byte // 'f' function, 'a' aggregate
	args     []uint32
	ret      uint32
	variadic uint32
	volatile byte
	strict   bool
	lang     uint32
	// aggregates: 'n' normal or 'o' ordered-set, and the number of
	// direct arguments of an ordered-set aggregate
	aggKind    byte
	aggDirect  int
	aggSortOpr string // "<" for min, ">" for max
}

// pgOperatorRow is one row of pg_operator.
type pgOperatorRow struct {
	oid                 uint32
	name                string
	kind                byte // 'b' infix, 'l' prefix
	left, right, result uint32
	com, negate         uint32
}

// procIndex is pg_proc and pg_operator, built once: the function
// registry and the aggregates are fixed after package initialization.
type procIndex struct {
	procs  []pgProcRow
	byOID  map[uint32]*pgProcRow
	byName map[string][]uint32 // sorted OIDs
	ops    []pgOperatorRow
}

var (
	procOnce sync.Once
	procIdx  *procIndex
)

// procTable returns the pg_proc index.
func procTable() *procIndex {
	procOnce.Do(func() { procIdx = buildProcs() })
	return procIdx
}

// Functions without a PostgreSQL OID are given one in
// [allocBase, allocBase+allocSpan): PostgreSQL's range for OIDs assigned
// at bootstrap, below the system views (12000+) and user objects
// (16384+). The OID is a hash of the signature, probing past taken
// slots in signature order, so it stays the same across restarts as long
// as the set of functions does not change.
const (
	allocBase = 10000
	allocSpan = 2000
)

// oidAllocator hands out signature-derived OIDs.
type oidAllocator struct {
	used map[uint32]bool
}

func (a *oidAllocator) alloc(key string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	start := h.Sum32() % allocSpan
	for i := uint32(0); i < allocSpan; i++ {
		o := allocBase + (start+i)%allocSpan
		if !a.used[o] {
			a.used[o] = true
			return o
		}
	}
	// The range is full: continue above the system views, below 16384.
	for o := uint32(14000); o < catalog.FirstUserOID; o++ {
		if !a.used[o] {
			a.used[o] = true
			return o
		}
	}
	panic("BUG: no OID left for " + key)
}

// stableFuncs are functions whose result depends on the statement's
// time or the session (provolatile 's'); Func.Volatile marks 'v'.
var stableFuncs = map[string]bool{
	"now": true, "current_date": true, "current_time": true, "current_timestamp": true,
	"localtime": true, "localtimestamp": true, "statement_timestamp": true, "transaction_timestamp": true,
	"age": true, "to_timestamp": true, "timezone": true,
}

// aggregateCandidates are the aggregate names PostgreSQL and lambdasql
// know; pg_proc lists those types.IsAggregate accepts.
var aggregateCandidates = []string{
	"any_value", "approx_count_distinct", "array_agg", "avg", "bit_and", "bit_or", "bit_xor",
	"bool_and", "bool_or", "corr", "count", "covar_pop", "covar_samp", "every", "json_agg",
	"json_object_agg", "jsonb_agg", "jsonb_object_agg", "max", "median", "min", "mode",
	"percentile_approx", "percentile_cont", "percentile_disc", "regr_avgx", "regr_avgy",
	"regr_count", "regr_intercept", "regr_r2", "regr_slope", "regr_sxx", "regr_sxy", "regr_syy",
	"stddev", "stddev_pop", "stddev_samp", "string_agg", "sum", "var_pop", "var_samp", "variance",
}

// aggregateArgTypes are the argument types tried when deriving the
// signatures of aggregates.
var aggregateArgTypes = []*types.T{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric,
	types.Interval, types.Text, types.Bytea, types.Date, types.Time, types.Timestamp, types.TimestampTZ,
}

// sigOID maps a parameter or result type to the OID pg_proc shows.
func sigOID(t *types.T) uint32 {
	switch {
	case t == nil:
		return anyElementOID
	case t == exec.Any || t.OID == anyOID && t.Family == types.FamRecord:
		return anyOID
	case t == exec.AnyArray:
		return anyArrayOID
	case t.Family == types.FamArray && t.OID == 0:
		if t.Elem != nil && t.Elem.ArrayOID != 0 {
			return t.Elem.ArrayOID
		}
		return anyArrayOID
	case t.Family == types.FamUnknown || t.Family == types.FamNull:
		return anyElementOID
	}
	return t.OID
}

// isOperatorName reports whether a registry name is an operator symbol.
func isOperatorName(name string) bool {
	return name != "" && strings.Trim(name, "+-*/<>=~!@#%^&|`?") == ""
}

// isFunctionName reports whether a registry name is a plain function
// name (not an operator, not a keyword form such as "at time zone").
func isFunctionName(name string) bool {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return name != ""
}

func buildProcs() *procIndex {
	idx := &procIndex{byOID: map[uint32]*pgProcRow{}, byName: map[string][]uint32{}}
	alloc := &oidAllocator{used: map[uint32]bool{}}
	var procs []pgProcRow
	addFixed := func(p fixedProc, args []uint32, ret uint32) {
		if p.oid == 0 || alloc.used[p.oid] {
			return
		}
		alloc.used[p.oid] = true
		procs = append(procs, pgProcRow{oid: p.oid, name: p.name, kind: 'f', args: args, ret: ret,
			volatile: 'i', strict: true, lang: internalLanguageOID})
	}

	// The I/O functions of every pg_type row.
	typeRows, _ := pgTypes()
	for _, t := range typeRows {
		self := t.oid
		if t.io.in == arrayIO.in {
			self = anyArrayOID
		}
		inArgs := []uint32{cstringOID}
		recvArgs := []uint32{internalOID}
		if t.io.modin.oid != 0 || self == anyArrayOID || self == types.Record.OID {
			inArgs = []uint32{cstringOID, types.Oid.OID, types.Int4.OID}
			recvArgs = []uint32{internalOID, types.Oid.OID, types.Int4.OID}
		}
		addFixed(t.io.in, inArgs, self)
		addFixed(t.io.out, []uint32{self}, cstringOID)
		addFixed(t.io.recv, recvArgs, self)
		addFixed(t.io.send, []uint32{self}, types.Bytea.OID)
		addFixed(t.io.modin, []uint32{cstringArrOID}, types.Int4.OID)
		addFixed(t.io.modout, []uint32{types.Int4.OID}, cstringOID)
		addFixed(t.analyze, []uint32{internalOID}, types.Bool.OID)
		addFixed(t.subscript, []uint32{internalOID}, internalOID)
	}
	// Access method handlers and language validators named by pg_am and
	// pg_language.
	addFixed(fixedProc{3, "heap_tableam_handler"}, []uint32{internalOID}, tableAmHandler)
	addFixed(fixedProc{330, "bthandler"}, []uint32{internalOID}, indexAmHandler)
	addFixed(fixedProc{2246, "fmgr_internal_validator"}, []uint32{types.Oid.OID}, types.Void.OID)
	addFixed(fixedProc{2247, "fmgr_c_validator"}, []uint32{types.Oid.OID}, types.Void.OID)
	addFixed(fixedProc{2248, "fmgr_sql_validator"}, []uint32{types.Oid.OID}, types.Void.OID)

	// Registry functions and operators. OIDs given in the registry are
	// reserved before any is derived.
	type pending struct {
		key string
		row pgProcRow
		op  *pgOperatorRow
	}
	var todo []pending
	for _, name := range exec.FuncNames() {
		for _, f := range exec.Overloads(name) {
			args := make([]uint32, len(f.Args))
			for i, a := range f.Args {
				args[i] = sigOID(a)
			}
			ret := sigOID(procResultType(f))
			switch {
			case isOperatorName(name) && len(f.Args) >= 1 && len(f.Args) <= 2:
				op := pgOperatorRow{name: name, kind: 'b', result: ret}
				if len(args) == 1 {
					op.kind, op.right = 'l', args[0]
				} else {
					op.left, op.right = args[0], args[1]
				}
				todo = append(todo, pending{key: fmt.Sprintf("operator %s(%v)", name, args), op: &op})
			case isFunctionName(name):
				p := pgProcRow{oid: f.OID, name: name, kind: 'f', args: args, ret: ret, volatile: 'i',
					strict: !f.Variadic, lang: internalLanguageOID}
				if f.Variadic && len(args) > 0 {
					last := f.Args[len(f.Args)-1]
					p.variadic = sigOID(last)
					if p.variadic != anyOID {
						args[len(args)-1] = sigOID(types.ArrayOf(last))
					}
				}
				switch {
				case f.Volatile:
					p.volatile = 'v'
				case stableFuncs[name]:
					p.volatile = 's'
				}
				if f.OID != 0 && !alloc.used[f.OID] {
					alloc.used[f.OID] = true
					procs = append(procs, p)
					continue
				}
				p.oid = 0
				todo = append(todo, pending{key: fmt.Sprintf("%s(%v)", name, args), row: p})
			}
		}
	}
	// Aggregates, with the signatures sql/types resolves without
	// coercing an argument.
	for _, name := range aggregateCandidates {
		if !types.IsAggregate(name) {
			continue
		}
		for _, sig := range aggregateSignatures(name) {
			p := pgProcRow{name: name, kind: 'a', args: sig.args, ret: sig.ret, volatile: 'i',
				lang: internalLanguageOID, aggKind: 'n'}
			if types.IsOrderedSetAggregate(name) {
				p.aggKind, p.aggDirect = 'o', len(types.AggregateConstArgs(name))
			}
			switch name {
			case "min":
				p.aggSortOpr = "<"
			case "max":
				p.aggSortOpr = ">"
			}
			todo = append(todo, pending{key: fmt.Sprintf("aggregate %s(%v)", name, sig.args), row: p})
		}
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].key < todo[j].key })
	for _, p := range todo {
		o := alloc.alloc(p.key)
		if p.op != nil {
			p.op.oid = o
			idx.ops = append(idx.ops, *p.op)
			continue
		}
		p.row.oid = o
		procs = append(procs, p.row)
	}

	sort.Slice(procs, func(i, j int) bool { return procs[i].oid < procs[j].oid })
	idx.procs = procs
	for i := range idx.procs {
		p := &idx.procs[i]
		idx.byOID[p.oid] = p
		idx.byName[p.name] = append(idx.byName[p.name], p.oid)
	}
	linkOperators(idx.ops)
	sort.Slice(idx.ops, func(i, j int) bool { return idx.ops[i].oid < idx.ops[j].oid })
	return idx
}

// procResultType returns an overload's declared result type; polymorphic
// overloads (RetFn) are asked with their declared parameters, and show
// as anyelement when that does not give a concrete type.
func procResultType(f *exec.Func) (t *types.T) {
	if f.RetFn == nil {
		return f.Ret
	}
	defer func() {
		if recover() != nil {
			t = nil
		}
	}()
	t = f.RetFn(f.Args)
	if t == exec.Any {
		return nil
	}
	return t
}

type aggSig struct {
	args []uint32
	ret  uint32
}

// aggregateSignatures derives the signatures of an aggregate from
// sql/types' resolution: zero, one and two arguments of the candidate
// types, kept when accepted as given. A one-argument aggregate that
// accepts every candidate with one result type is listed once, over
// "any" (count(x) is count("any") in PostgreSQL too).
func aggregateSignatures(name string) []aggSig {
	resolve := func(args []*types.T) (ret *types.T, ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		res, err := types.AggregateResult(name, args, false)
		if err != nil || res == nil {
			return nil, false
		}
		params, err := types.AggregateArgs(name, args)
		if err != nil || len(params) != len(args) {
			return nil, false
		}
		for i := range params {
			if params[i] == nil || params[i].OID != args[i].OID {
				return nil, false
			}
		}
		return res, true
	}
	var out []aggSig
	if ret, ok := resolve(nil); ok {
		out = append(out, aggSig{nil, sigOID(ret)})
	}
	var one []aggSig
	sameRet := true
	for _, a := range aggregateArgTypes {
		if ret, ok := resolve([]*types.T{a}); ok {
			s := aggSig{[]uint32{a.OID}, sigOID(ret)}
			if len(one) > 0 && one[0].ret != s.ret {
				sameRet = false
			}
			one = append(one, s)
		}
	}
	if len(one) == len(aggregateArgTypes) && sameRet {
		one = []aggSig{{[]uint32{anyOID}, one[0].ret}}
	}
	out = append(out, one...)
	for _, a := range aggregateArgTypes {
		for _, b := range aggregateArgTypes {
			if ret, ok := resolve([]*types.T{a, b}); ok {
				out = append(out, aggSig{[]uint32{a.OID, b.OID}, sigOID(ret)})
			}
		}
	}
	return out
}

// linkOperators fills oprcom and oprnegate for the comparison operators.
func linkOperators(ops []pgOperatorRow) {
	find := func(name string, left, right uint32) uint32 {
		for _, o := range ops {
			if o.name == name && o.left == left && o.right == right {
				return o.oid
			}
		}
		return 0
	}
	commutator := map[string]string{"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
	negator := map[string]string{"=": "<>", "<>": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
	for i := range ops {
		o := &ops[i]
		if o.kind != 'b' {
			continue
		}
		if c, ok := commutator[o.name]; ok {
			o.com = find(c, o.right, o.left)
		}
		if n, ok := negator[o.name]; ok {
			o.negate = find(n, o.left, o.right)
		}
	}
}

// oidVectorD renders OIDs as an oidvector datum.
func oidVectorD(oids []uint32) []any {
	out := make([]any, len(oids))
	for i, o := range oids {
		out[i] = oidD(o)
	}
	return out
}

const pgProcCols = `oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4,
	prorows float4, provariadic oid, prosupport regproc, prokind "char", prosecdef bool, proleakproof bool,
	proisstrict bool, proretset bool, provolatile "char", proparallel "char", pronargs int2,
	pronargdefaults int2, prorettype oid, proargtypes oidvector, proallargtypes oid[], proargmodes "char"[],
	proargnames text[], proargdefaults pg_node_tree, protrftypes oid[], prosrc text, probin text,
	prosqlbody pg_node_tree, proconfig text[], proacl aclitem[]`

func pgProcRows(r *relations) ([][]any, error) {
	procs := procTable().procs
	out := make([][]any, 0, len(procs))
	for _, p := range procs {
		var modes any
		if p.variadic != 0 {
			m := make([]any, len(p.args))
			for i := range m {
				m[i] = "i"
			}
			m[len(m)-1] = "v"
			modes = m
		}
		src := any(p.name)
		if p.kind == 'a' {
			src = "aggregate_dummy"
		}
		out = append(out, []any{
			oidD(p.oid), p.name, oidD(catalog.PgCatalogNamespace), oidD(BootstrapUserOID), oidD(p.lang), 1.0,
			0.0, oidD(p.variadic), oidD(0), charD(p.kind), false, false,
			p.strict, false, charD(p.volatile), "s", intD(len(p.args)),
			intD(0), oidD(p.ret), oidVectorD(p.args), nil, modes,
			nil, nil, nil, src, nil,
			nil, nil, nil,
		})
	}
	return out, nil
}

const pgAggregateCols = `aggfnoid regproc, aggkind "char", aggnumdirectargs int2, aggtransfn regproc,
	aggfinalfn regproc, aggcombinefn regproc, aggserialfn regproc, aggdeserialfn regproc,
	aggmtransfn regproc, aggminvtransfn regproc, aggmfinalfn regproc, aggfinalextra bool,
	aggmfinalextra bool, aggfinalmodify "char", aggmfinalmodify "char", aggsortop oid,
	aggtranstype oid, aggtransspace int4, aggmtranstype oid, aggmtransspace int4, agginitval text,
	aggminitval text`

// pgAggregateRows lists the aggregates. Their transition functions are
// exec/agg accumulators, not SQL-callable functions, so aggtransfn is 0.
func pgAggregateRows(r *relations) ([][]any, error) {
	idx := procTable()
	var out [][]any
	for _, p := range idx.procs {
		if p.kind != 'a' {
			continue
		}
		var sortOp uint32
		if p.aggSortOpr != "" && len(p.args) == 1 {
			for _, o := range idx.ops {
				if o.name == p.aggSortOpr && o.left == p.args[0] && o.right == p.args[0] {
					sortOp = o.oid
				}
			}
		}
		out = append(out, []any{
			oidD(p.oid), charD(p.aggKind), intD(p.aggDirect), oidD(0),
			oidD(0), oidD(0), oidD(0), oidD(0),
			oidD(0), oidD(0), oidD(0), false,
			false, "r", "r", oidD(sortOp),
			oidD(internalOID), intD(0), oidD(0), intD(0), nil,
			nil,
		})
	}
	return out, nil
}

const pgOperatorCols = `oid oid, oprname name, oprnamespace oid, oprowner oid, oprkind "char",
	oprcanmerge bool, oprcanhash bool, oprleft oid, oprright oid, oprresult oid, oprcom oid,
	oprnegate oid, oprcode regproc, oprrest regproc, oprjoin regproc`

// pgOperatorRows lists the registry's operators. Their kernels are not
// SQL-callable functions, so oprcode is 0.
func pgOperatorRows(r *relations) ([][]any, error) {
	ops := procTable().ops
	out := make([][]any, 0, len(ops))
	for _, o := range ops {
		eq := o.name == "=" && o.left == o.right
		out = append(out, []any{
			oidD(o.oid), o.name, oidD(catalog.PgCatalogNamespace), oidD(BootstrapUserOID), charD(o.kind),
			eq, eq, oidD(o.left), oidD(o.right), oidD(o.result), oidD(o.com),
			oidD(o.negate), oidD(0), oidD(0), oidD(0),
		})
	}
	return out, nil
}

const pgLanguageCols = `oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool,
	lanplcallfoid oid, laninline oid, lanvalidator oid, lanacl aclitem[]`

func pgLanguageRows(r *relations) ([][]any, error) {
	return [][]any{
		{oidD(internalLanguageOID), "internal", oidD(BootstrapUserOID), false, false, oidD(0), oidD(0), oidD(2246), nil},
		{oidD(cLanguageOID), "c", oidD(BootstrapUserOID), false, false, oidD(0), oidD(0), oidD(2247), nil},
		{oidD(sqlLanguageOID), "sql", oidD(BootstrapUserOID), false, true, oidD(0), oidD(0), oidD(2248), nil},
	}, nil
}

func init() {
	regCatalog("pg_catalog", "pg_proc", pgProcRelOID, 'r', pgProcCols, pgProcRows)
	regCatalog("pg_catalog", "pg_aggregate", 2600, 'r', pgAggregateCols, pgAggregateRows)
	regCatalog("pg_catalog", "pg_operator", 2617, 'r', pgOperatorCols, pgOperatorRows)
	regCatalog("pg_catalog", "pg_language", 2612, 'r', pgLanguageCols, pgLanguageRows)
}
