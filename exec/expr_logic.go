package exec

import (
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// boolVec is a boolean Vec unpacked into value and validity bitmaps that
// start at bit 0 (valid nil: no NULLs).
type boolVec struct {
	vals, valid []byte
}

func unpackBool(v Vec, n int) boolVec {
	nb := (n + 7) / 8
	if v.Arr == nil {
		if v.Scalar == nil {
			return boolVec{vals: make([]byte, nb), valid: make([]byte, nb)}
		}
		vals := make([]byte, nb)
		if v.Scalar.(bool) {
			for i := range vals {
				vals[i] = 0xff
			}
		}
		return boolVec{vals: vals}
	}
	return boolVec{vals: boolBits(v.Arr), valid: validBits(v.Arr)}
}

func (b boolVec) pack(n int) Vec {
	var valid *memory.Buffer
	if b.valid != nil {
		valid = memory.NewBufferBytes(b.valid)
	}
	return Vec{Arr: newBoolArray(b.vals, valid, n)}
}

// BoolOp is AND or OR over two or more boolean arguments with SQL's
// three-valued logic.
type BoolOp struct {
	And  bool
	Args []Expr
}

// Type implements Expr.
func (b *BoolOp) Type() *types.T { return types.Bool }

// Eval implements Expr.
func (b *BoolOp) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	n := int(rec.NumRows())
	var acc *boolVec
	for _, a := range b.Args {
		v, err := a.Eval(ctx, rec)
		if err != nil {
			return Vec{}, err
		}
		if v.Arr == nil && v.Scalar != nil && v.Scalar.(bool) != b.And {
			// FALSE for AND, TRUE for OR decides every row.
			return Vec{Scalar: !b.And}, nil
		}
		u := unpackBool(v, n)
		v.Release()
		if acc == nil {
			acc = &u
			continue
		}
		combineBool(acc, u, b.And)
	}
	if acc == nil {
		return Vec{Scalar: b.And}, nil
	}
	return acc.pack(n), nil
}

// combineBool folds u into acc: AND or OR in three-valued logic.
func combineBool(acc *boolVec, u boolVec, and bool) {
	if acc.valid == nil && u.valid == nil {
		for i := range acc.vals {
			if and {
				acc.vals[i] &= u.vals[i]
			} else {
				acc.vals[i] |= u.vals[i]
			}
		}
		return
	}
	nb := len(acc.vals)
	av, bv := acc.valid, u.valid
	all := func(m []byte, i int) byte {
		if m == nil {
			return 0xff
		}
		return m[i]
	}
	valid := make([]byte, nb)
	for i := 0; i < nb; i++ {
		ma, mb := all(av, i), all(bv, i)
		va, vb := acc.vals[i], u.vals[i]
		if and {
			kfa, kfb := ma&^va, mb&^vb // known false
			valid[i] = (ma & mb) | kfa | kfb
			acc.vals[i] = ma & va & mb & vb
		} else {
			kta, ktb := ma&va, mb&vb // known true
			valid[i] = (ma & mb) | kta | ktb
			acc.vals[i] = kta | ktb
		}
	}
	acc.valid = valid
}

func (b *BoolOp) String() string {
	op := " OR "
	if b.And {
		op = " AND "
	}
	parts := make([]string, len(b.Args))
	for i, a := range b.Args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, op) + ")"
}

// Not negates a boolean (NULL stays NULL).
type Not struct{ Arg Expr }

// Type implements Expr.
func (*Not) Type() *types.T { return types.Bool }

// Eval implements Expr.
func (e *Not) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	v, err := e.Arg.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	if v.Arr == nil {
		if v.Scalar == nil {
			return v, nil
		}
		return Vec{Scalar: !v.Scalar.(bool)}, nil
	}
	n := int(rec.NumRows())
	u := unpackBool(v, n)
	v.Release()
	for i := range u.vals {
		u.vals[i] = ^u.vals[i]
	}
	return u.pack(n), nil
}

func (e *Not) String() string { return "NOT " + e.Arg.String() }

// IsNull is "x IS NULL" (or IS NOT NULL when Negate).
type IsNull struct {
	Arg    Expr
	Negate bool
}

// Type implements Expr.
func (*IsNull) Type() *types.T { return types.Bool }

// Eval implements Expr.
func (e *IsNull) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	v, err := e.Arg.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	defer v.Release()
	if v.Arr == nil {
		return Vec{Scalar: (v.Scalar == nil) != e.Negate}, nil
	}
	n := int(rec.NumRows())
	vals := validBits(v.Arr)
	if vals == nil {
		return Vec{Scalar: e.Negate}, nil
	}
	if !e.Negate {
		for i := range vals {
			vals[i] = ^vals[i]
		}
	}
	return Vec{Arr: newBoolArray(vals, nil, n)}, nil
}

func (e *IsNull) String() string {
	if e.Negate {
		return e.Arg.String() + " IS NOT NULL"
	}
	return e.Arg.String() + " IS NULL"
}

// IsBool is "x IS [NOT] TRUE|FALSE|UNKNOWN": never NULL.
type IsBool struct {
	Arg    Expr
	Want   any // true, false, or nil for UNKNOWN
	Negate bool
}

// Type implements Expr.
func (*IsBool) Type() *types.T { return types.Bool }

// Eval implements Expr.
func (e *IsBool) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	v, err := e.Arg.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	defer v.Release()
	n := int(rec.NumRows())
	test := func(val any) bool { return (val == e.Want) != e.Negate }
	if v.Arr == nil {
		return Vec{Scalar: test(v.Scalar)}, nil
	}
	a := v.Arr.(*array.Boolean)
	return Vec{Arr: boolArrayOf(n, nil, func(i int) bool {
		if a.IsNull(i) {
			return test(nil)
		}
		return test(a.Value(i))
	})}, nil
}

func (e *IsBool) String() string {
	w := "UNKNOWN"
	if e.Want != nil {
		w = strings.ToUpper(types.FormatText(types.Bool, e.Want, nil))
		if w == "T" {
			w = "TRUE"
		} else {
			w = "FALSE"
		}
	}
	if e.Negate {
		return e.Arg.String() + " IS NOT " + w
	}
	return e.Arg.String() + " IS " + w
}

// Case is CASE WHEN c1 THEN r1 … ELSE e END. Each result expression is
// evaluated only over the rows that take it, so a guarded division never
// fails on the rows its WHEN excludes.
type Case struct {
	Whens []Expr // boolean conditions
	Thens []Expr
	Else  Expr // nil: NULL
	T     *types.T
}

// Type implements Expr.
func (c *Case) Type() *types.T { return c.T }

// Eval implements Expr.
func (c *Case) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	n := int(rec.NumRows())
	branch := make([]int32, n) // index into Thens, len(Thens) = ELSE
	for i := range branch {
		branch[i] = -1
	}
	undecided := n
	for w, cond := range c.Whens {
		if undecided == 0 {
			break
		}
		v, err := cond.Eval(ctx, rec)
		if err != nil {
			return Vec{}, err
		}
		u := unpackBool(v, n)
		v.Release()
		for i := 0; i < n; i++ {
			if branch[i] >= 0 {
				continue
			}
			if bitutil.BitIsSet(u.vals, i) && (u.valid == nil || bitutil.BitIsSet(u.valid, i)) {
				branch[i] = int32(w)
				undecided--
			}
		}
	}
	elseIdx := int32(len(c.Thens))
	for i := range branch {
		if branch[i] < 0 {
			branch[i] = elseIdx
		}
	}
	results := make([]arrow.Array, len(c.Thens)+1)
	defer func() {
		for _, r := range results {
			if r != nil {
				r.Release()
			}
		}
	}()
	// Fast path: every row takes the same branch.
	first := branch[0]
	same := true
	for _, b := range branch {
		if b != first {
			same = false
			break
		}
	}
	evalBranch := func(b int32, sub arrow.Record) (Vec, error) {
		if b == elseIdx {
			if c.Else == nil {
				return Vec{}, nil
			}
			return c.Else.Eval(ctx, sub)
		}
		return c.Thens[b].Eval(ctx, sub)
	}
	if n == 0 || same {
		b := elseIdx
		if n > 0 {
			b = first
		}
		return evalBranch(b, rec)
	}
	pos := make([]int, len(results))
	for b := range results {
		var idx []int
		for i, bi := range branch {
			if bi == int32(b) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		sub := TakeRecord(rec, idx)
		v, err := evalBranch(int32(b), sub)
		sub.Release()
		if err != nil {
			return Vec{}, err
		}
		results[b] = Materialize(v, c.T, len(idx))
		v.Release()
	}
	bld := NewBuilder(c.T)
	defer bld.Release()
	bld.Reserve(n)
	for _, b := range branch {
		appendFrom(bld, c.T, results[b], pos[b])
		pos[b]++
	}
	return Vec{Arr: bld.NewArray()}, nil
}

func (c *Case) String() string {
	var sb strings.Builder
	sb.WriteString("CASE")
	for i := range c.Whens {
		sb.WriteString(" WHEN " + c.Whens[i].String() + " THEN " + c.Thens[i].String())
	}
	if c.Else != nil {
		sb.WriteString(" ELSE " + c.Else.String())
	}
	sb.WriteString(" END")
	return sb.String()
}

// appendFrom appends row i of src (of type t) to b.
func appendFrom(b array.Builder, t *types.T, src arrow.Array, i int) {
	if src.IsNull(i) {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.Float64Builder:
		bb.Append(src.(*array.Float64).Value(i))
	case *array.Int64Builder:
		bb.Append(src.(*array.Int64).Value(i))
	case *array.Int32Builder:
		bb.Append(src.(*array.Int32).Value(i))
	case *array.StringBuilder:
		if s, ok := src.(*array.String); ok {
			bb.Append(s.Value(i))
			return
		}
		AppendDatum(b, t, Datum(src, i, t))
	default:
		AppendDatum(b, t, Datum(src, i, t))
	}
}

// Coalesce returns its first non-NULL argument.
type Coalesce struct {
	Args []Expr
	T    *types.T
}

// Type implements Expr.
func (c *Coalesce) Type() *types.T { return c.T }

// Eval implements Expr.
func (c *Coalesce) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	n := int(rec.NumRows())
	var vals []Vec
	defer func() {
		for _, v := range vals {
			v.Release()
		}
	}()
	for _, a := range c.Args {
		v, err := a.Eval(ctx, rec)
		if err != nil {
			return Vec{}, err
		}
		if v.Arr == nil && v.Scalar != nil && len(vals) == 0 {
			return v, nil
		}
		if v.Arr != nil && v.Arr.NullN() == 0 && len(vals) == 0 {
			return v, nil
		}
		vals = append(vals, v)
		if v.Arr == nil && v.Scalar != nil {
			break // later arguments can never be reached
		}
	}
	if len(vals) == 0 {
		return Vec{}, nil
	}
	b := NewBuilder(c.T)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		done := false
		for _, v := range vals {
			if v.Arr == nil {
				if v.Scalar != nil {
					AppendDatum(b, c.T, v.Scalar)
					done = true
					break
				}
				continue
			}
			if v.Arr.IsValid(i) {
				appendFrom(b, c.T, v.Arr, i)
				done = true
				break
			}
		}
		if !done {
			b.AppendNull()
		}
	}
	return Vec{Arr: b.NewArray()}, nil
}

func (c *Coalesce) String() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return "COALESCE(" + strings.Join(parts, ", ") + ")"
}

// InList is "x IN (c1, c2, …)" over constants (NOT IN when Negate), with
// SQL NULL semantics: NULL when x is NULL, or when x is not found and the
// list holds a NULL.
type InList struct {
	Arg     Expr
	Values  []any // non-NULL constants of Arg's type
	HasNull bool
	Negate  bool
	set     map[any]struct{}
	strSet  map[string]struct{}
}

// NewInList builds an IN list over constant datums of arg's type.
func NewInList(arg Expr, values []any, negate bool) *InList {
	in := &InList{Arg: arg, Negate: negate, set: map[any]struct{}{}, strSet: map[string]struct{}{}}
	for _, v := range values {
		if v == nil {
			in.HasNull = true
			continue
		}
		in.Values = append(in.Values, v)
		switch x := v.(type) {
		case string:
			in.strSet[x] = struct{}{}
		default:
			in.set[inKey(v)] = struct{}{}
		}
	}
	return in
}

func inKey(v any) any {
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return float64(0) // -0 = 0
		}
	case []byte:
		return string(x)
	case interface{ Text(byte) string }:
		return "numeric:" + x.Text('f')
	case types.IntervalD:
		return x.TotalMicros()
	}
	return v
}

// Type implements Expr.
func (*InList) Type() *types.T { return types.Bool }

// Eval implements Expr.
func (in *InList) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	v, err := in.Arg.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	defer v.Release()
	n := int(rec.NumRows())
	t := in.Arg.Type()
	lookup := func(d any) any { // true, false or nil
		var found bool
		if s, ok := d.(string); ok {
			_, found = in.strSet[s]
		} else if dd, ok := d.(interface{ Text(byte) string }); ok {
			// numeric: compare by value
			for _, c := range in.Values {
				if CompareDatums(t, d, c) == 0 {
					found = true
					break
				}
			}
			_ = dd
		} else {
			_, found = in.set[inKey(d)]
		}
		switch {
		case found:
			return !in.Negate
		case in.HasNull:
			return nil
		}
		return in.Negate
	}
	if v.Arr == nil {
		if v.Scalar == nil {
			return Vec{}, nil
		}
		return Vec{Scalar: lookup(v.Scalar)}, nil
	}
	vals := make([]byte, (n+7)/8)
	valid := make([]byte, (n+7)/8)
	set := func(i int, r any) {
		if r == nil {
			return
		}
		bitutil.SetBit(valid, i)
		if r.(bool) {
			bitutil.SetBit(vals, i)
		}
	}
	switch a := v.Arr.(type) {
	case *array.String:
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				continue
			}
			_, found := in.strSet[a.Value(i)]
			set(i, inResult(found, in.HasNull, in.Negate))
		}
	case *array.Int64:
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				continue
			}
			_, found := in.set[a.Value(i)]
			set(i, inResult(found, in.HasNull, in.Negate))
		}
	default:
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				continue
			}
			set(i, lookup(Datum(a, i, t)))
		}
	}
	return Vec{Arr: newBoolArray(vals, memory.NewBufferBytes(valid), n)}, nil
}

func inResult(found, hasNull, negate bool) any {
	switch {
	case found:
		return !negate
	case hasNull:
		return nil
	}
	return negate
}

func (in *InList) String() string {
	parts := make([]string, len(in.Values))
	for i, v := range in.Values {
		parts[i] = (&Const{Value: v, T: in.Arg.Type()}).String()
	}
	if in.HasNull {
		parts = append(parts, "NULL")
	}
	op := " IN "
	if in.Negate {
		op = " NOT IN "
	}
	return in.Arg.String() + op + "(" + strings.Join(parts, ", ") + ")"
}
