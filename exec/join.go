package exec

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/types"
)

// JoinKind is the kind of a hash join.
type JoinKind uint8

// Join kinds. Semi and Anti return left rows only; AntiNullAware is NOT
// IN: a NULL on either side makes the comparison unknown, so a left row
// survives only when the right side is empty or holds no NULL key and no
// match. Full is Left plus the build rows no probe row matched, NULL-extended
// on the left, after the probe side ends. (RIGHT JOIN is planned as a LEFT
// JOIN with the inputs swapped.)
const (
	InnerJoin JoinKind = iota
	LeftJoin
	SemiJoin
	AntiJoin
	AntiNullAwareJoin
	FullJoin
)

var joinNames = [...]string{"Inner", "Left", "Semi", "Anti", "NullAwareAnti", "Full"}

// String returns the kind as EXPLAIN names it ("Left", "Full", …).
func (k JoinKind) String() string { return joinNames[k] }

// HashJoin joins Left (the probe side, streamed) with Right (the build
// side, held in memory) on equal keys, then applies Residual (over the
// concatenated left and right columns) to each matching pair. Without keys
// it is a nested-loop join: every pair is a candidate. A pair matches only
// when the keys are equal (NULL keys never are) and Residual is true; for a
// FULL join a build row counts as matched only through such a pair.
type HashJoin struct {
	Left, Right         Operator
	LeftKeys, RightKeys []int
	Kind                JoinKind
	Residual            Expr // nil: none
	Out                 Schema

	built    bool
	build    arrow.Record
	table    *GroupTable
	head     []int32 // per group: first build row
	next     []int32 // per build row: next row of the same group
	buildNul bool    // the build side has a NULL key (NOT IN)
	held     int64
	mem      *MemTracker

	// FULL: matched has a bit per build row, set when some pair with it
	// passed; after the probe, tail walks the build rows emitting the
	// unmatched ones.
	matched []uint64
	tail    int

	// probe cursor
	cur    arrow.Record
	groups []uint32
	row    int
	chain  int32
	done   bool
}

// Schema implements Operator.
func (j *HashJoin) Schema() Schema { return j.Out }

func (j *HashJoin) buildSide(ctx context.Context) error {
	j.mem = ExecCtx(ctx).Mem
	recs, err := Drain(ctx, j.Right)
	if err != nil {
		return err
	}
	schema := j.Right.Schema()
	var size int64
	for _, r := range recs {
		size += RecordSize(r)
	}
	if err := j.mem.Grow(size); err != nil {
		for _, r := range recs {
			r.Release()
		}
		return err
	}
	j.held = size
	if len(recs) == 0 {
		j.build = RecordOf(schema, nil)
	} else {
		j.build, err = concatRecords(schema, recs)
		for _, r := range recs {
			r.Release()
		}
		if err != nil {
			return err
		}
	}
	kt := make([]*types.T, len(j.RightKeys))
	keys := make([]arrow.Array, len(j.RightKeys))
	for i, k := range j.RightKeys {
		kt[i] = schema[k].Type
		keys[i] = j.build.Column(k)
	}
	j.table = NewGroupTable(kt)
	n := int(j.build.NumRows())
	groups := make([]uint32, n)
	if len(keys) > 0 {
		j.table.Insert(keys, n, groups)
	} else if n > 0 {
		j.table.hashes = append(j.table.hashes, 0)
	}
	j.head = make([]int32, j.table.Len())
	for i := range j.head {
		j.head[i] = -1
	}
	j.next = make([]int32, n)
	for r := n - 1; r >= 0; r-- {
		if len(keys) > 0 && rowHasNull(keys, r) {
			j.buildNul = true
			j.next[r] = -1
			continue // NULL keys never match
		}
		g := groups[r]
		j.next[r] = j.head[g]
		j.head[g] = int32(r)
	}
	if j.Kind == FullJoin {
		j.matched = make([]uint64, (n+63)/64)
	}
	extra := j.table.Size() + int64(len(j.next)*4+len(j.head)*4+len(j.matched)*8)
	if err := j.mem.Grow(extra); err != nil {
		return err
	}
	j.held += extra
	j.built = true
	return nil
}

// Next implements Operator.
func (j *HashJoin) Next(ctx context.Context) (arrow.Record, error) {
	if !j.built {
		if err := j.buildSide(ctx); err != nil {
			return nil, err
		}
	}
	for !j.done {
		if j.cur == nil {
			rec, err := j.Left.Next(ctx)
			if err == io.EOF {
				j.done = true
				break
			}
			if err != nil {
				return nil, err
			}
			if err := j.startProbe(rec); err != nil {
				return nil, err
			}
		}
		out, err := j.probe(ctx)
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
	if j.Kind == FullJoin {
		if out := j.unmatchedBuild(); out != nil {
			return out, nil
		}
	}
	return nil, io.EOF
}

// unmatchedBuild returns the next batch of build rows no pair matched, with
// NULL left columns; nil when there are no more.
func (j *HashJoin) unmatchedBuild() arrow.Record {
	n := int(j.build.NumRows())
	var idx []int
	for j.tail < n && len(idx) < BatchSize {
		w := j.matched[j.tail>>6] >> (j.tail & 63)
		if w == ^uint64(0)>>(j.tail&63) && j.tail+64-(j.tail&63) <= n {
			j.tail += 64 - j.tail&63 // the rest of the word matched
			continue
		}
		if w&1 == 0 {
			idx = append(idx, j.tail)
		}
		j.tail++
	}
	if len(idx) == 0 {
		return nil
	}
	nl := len(j.Out) - int(j.build.NumCols())
	schema := j.Out.Arrow()
	cols := make([]arrow.Array, 0, len(j.Out))
	for c := 0; c < nl; c++ {
		cols = append(cols, array.MakeArrayOfNull(Alloc, schema.Field(c).Type, len(idx)))
	}
	for c := 0; c < int(j.build.NumCols()); c++ {
		cols = append(cols, TakeArray(j.build.Column(c), idx))
	}
	out := array.NewRecord(schema, cols, int64(len(idx)))
	for _, c := range cols {
		c.Release()
	}
	return out
}

func (j *HashJoin) startProbe(rec arrow.Record) error {
	j.cur = rec
	n := int(rec.NumRows())
	if cap(j.groups) < n {
		j.groups = make([]uint32, n)
	}
	j.groups = j.groups[:n]
	if len(j.LeftKeys) == 0 {
		g := NoGroup
		if j.table.Len() > 0 {
			g = 0
		}
		for i := range j.groups {
			j.groups[i] = g
		}
	} else {
		keys := make([]arrow.Array, len(j.LeftKeys))
		for i, k := range j.LeftKeys {
			keys[i] = rec.Column(k)
		}
		j.table.Find(keys, n, j.groups, false)
	}
	j.row = 0
	j.chain = -2 // not started for this row
	return nil
}

// probe produces up to BatchSize output rows from the current probe batch;
// nil when the batch produced nothing (and is finished).
func (j *HashJoin) probe(ctx context.Context) (arrow.Record, error) {
	rec := j.cur
	n := int(rec.NumRows())
	var li, ri []int
	// For Left/Full/Semi/Anti with a residual, matches are judged per left row:
	// collect candidate pairs for whole rows only.
	for j.row < n && len(li) < BatchSize {
		g := j.groups[j.row]
		if j.chain == -2 {
			if g == NoGroup {
				j.chain = -1
			} else {
				j.chain = j.head[g]
			}
			if j.chain == -1 {
				// no candidates
				li = append(li, j.row)
				ri = append(ri, -1)
				j.row++
				j.chain = -2
				continue
			}
		}
		for j.chain >= 0 {
			li = append(li, j.row)
			ri = append(ri, int(j.chain))
			j.chain = j.next[j.chain]
			if j.Kind == InnerJoin && len(li) >= BatchSize && j.Residual == nil {
				break
			}
		}
		if j.chain < 0 {
			j.row++
			j.chain = -2
		}
	}
	if j.row >= n {
		defer func() {
			j.cur.Release()
			j.cur = nil
		}()
	}
	if len(li) == 0 {
		return nil, nil
	}
	// pass[k]: pair k is a real match that passes the residual.
	pass := make([]bool, len(li))
	for k := range li {
		pass[k] = ri[k] >= 0
	}
	if j.Residual != nil {
		var pi []int
		var pl, pr []int
		for k := range li {
			if ri[k] >= 0 {
				pi = append(pi, k)
				pl = append(pl, li[k])
				pr = append(pr, ri[k])
			}
		}
		if len(pi) > 0 {
			pairs := j.pairRecord(rec, pl, pr, true)
			v, err := j.Residual.Eval(ExecCtx(ctx), pairs)
			pairs.Release()
			if err != nil {
				return nil, err
			}
			bits := unpackBool(v, len(pi))
			v.Release()
			for x, k := range pi {
				ok := bits.vals[x>>3]&(1<<(x&7)) != 0 && (bits.valid == nil || bits.valid[x>>3]&(1<<(x&7)) != 0)
				pass[k] = ok
			}
		}
	}
	if j.matched != nil {
		for k, r := range ri {
			if pass[k] {
				j.matched[r>>6] |= 1 << (r & 63)
			}
		}
	}
	var ol, or []int
	switch j.Kind {
	case InnerJoin:
		for k := range li {
			if pass[k] {
				ol, or = append(ol, li[k]), append(or, ri[k])
			}
		}
	case LeftJoin, FullJoin:
		for k := 0; k < len(li); {
			e := k
			any := false
			for e < len(li) && li[e] == li[k] {
				if pass[e] {
					ol, or = append(ol, li[e]), append(or, ri[e])
					any = true
				}
				e++
			}
			if !any {
				ol, or = append(ol, li[k]), append(or, -1)
			}
			k = e
		}
	case SemiJoin, AntiJoin, AntiNullAwareJoin:
		for k := 0; k < len(li); {
			e := k
			any := false
			for e < len(li) && li[e] == li[k] {
				any = any || pass[e]
				e++
			}
			keep := any
			if j.Kind != SemiJoin {
				keep = !any
				if keep && j.Kind == AntiNullAwareJoin && j.build.NumRows() > 0 {
					// x NOT IN (…): unknown when the list has a NULL or x is NULL.
					if j.buildNul || j.leftKeyNull(rec, li[k]) {
						keep = false
					}
				}
			}
			if keep {
				ol = append(ol, li[k])
			}
			k = e
		}
		if len(ol) == 0 {
			return nil, nil
		}
		return TakeRecord(rec, ol).(arrow.Record), nil
	}
	if len(ol) == 0 {
		return nil, nil
	}
	return j.pairRecord(rec, ol, or, false), nil
}

func (j *HashJoin) leftKeyNull(rec arrow.Record, i int) bool {
	for _, k := range j.LeftKeys {
		if rec.Column(k).IsNull(i) {
			return true
		}
	}
	return false
}

// pairRecord builds left row li[k] joined with build row ri[k] (NULLs when
// ri[k] < 0).
func (j *HashJoin) pairRecord(left arrow.Record, li, ri []int, forResidual bool) arrow.Record {
	lt := TakeRecord(left, li)
	defer lt.Release()
	cols := make([]arrow.Array, 0, lt.NumCols()+j.build.NumCols())
	for _, c := range lt.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	for c := 0; c < int(j.build.NumCols()); c++ {
		cols = append(cols, takeNullable(j.build.Column(c), ri))
	}
	fields := append([]arrow.Field{}, left.Schema().Fields()...)
	fields = append(fields, j.build.Schema().Fields()...)
	schema := arrow.NewSchema(fields, nil)
	if !forResidual && len(j.Out) == len(fields) {
		schema = j.Out.Arrow()
	}
	out := array.NewRecord(schema, cols, int64(len(li)))
	for _, c := range cols {
		c.Release()
	}
	return out
}

// takeNullable is TakeArray where a negative index yields NULL.
func takeNullable(a arrow.Array, idx []int) arrow.Array {
	anyNeg := false
	for _, i := range idx {
		if i < 0 {
			anyNeg = true
			break
		}
	}
	if !anyNeg {
		return TakeArray(a, idx)
	}
	if a.Len() == 0 {
		return array.MakeArrayOfNull(Alloc, a.DataType(), len(idx))
	}
	b := array.NewBuilder(Alloc, a.DataType())
	defer b.Release()
	for _, i := range idx {
		if i < 0 {
			b.AppendNull()
			continue
		}
		appendValue(b, a, i)
	}
	return b.NewArray()
}

// Close implements Operator.
func (j *HashJoin) Close() error {
	if j.cur != nil {
		j.cur.Release()
		j.cur = nil
	}
	if j.build != nil {
		j.build.Release()
		j.build = nil
	}
	j.mem.Release(j.held)
	j.held = 0
	e1 := j.Left.Close()
	e2 := j.Right.Close()
	if e1 != nil {
		return e1
	}
	return e2
}

// Children implements Operator.
func (j *HashJoin) Children() []Operator { return []Operator{j.Left, j.Right} }

func (j *HashJoin) String() string {
	ls, rs := j.Left.Schema(), j.Right.Schema()
	conds := make([]string, len(j.LeftKeys))
	for i := range j.LeftKeys {
		conds[i] = ls[j.LeftKeys[i]].Name + " = " + rs[j.RightKeys[i]].Name
	}
	kind := "Hash"
	if len(conds) == 0 {
		kind = "NestedLoop"
	}
	s := fmt.Sprintf("%s%sJoin", kind, joinNames[j.Kind])
	if len(conds) > 0 {
		s += ": " + strings.Join(conds, " AND ")
	}
	if j.Residual != nil {
		s += " filter " + j.Residual.String()
	}
	return s
}
