package agg

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// vstore keeps every value of every group, in arrival order: one flat
// entry store for the accumulator with a linked list per group, so that
// groups cost two int32 heads and no allocation of their own. It backs the
// aggregates whose state is their input: array_agg, percentile_cont,
// percentile_disc.
type vstore struct {
	k        kind
	nullable bool
	w, x     []uint64 // per entry: see val; strings keep arena [w, x)
	null     []bool   // per entry, when nullable
	arena    []byte
	next     []int32 // per entry: the group's next entry, -1 at the end
	head     []int32 // per group: first entry, -1 when empty
	tail     []int32
	cnt      []int64 // per group: entries
}

func (s *vstore) grow(n int) {
	old := len(s.head)
	s.head = growSlice(s.head, n)
	s.tail = growSlice(s.tail, n)
	s.cnt = growSlice(s.cnt, n)
	for i := old; i < len(s.head); i++ {
		s.head[i], s.tail[i] = -1, -1
	}
}

func (s *vstore) add(g uint32, v val, null bool) error {
	e := len(s.next)
	if e >= math.MaxInt32 {
		return sqlstate.New(sqlstate.ProgramLimitExceeded, "too many values in one aggregate (limit %d)", math.MaxInt32)
	}
	switch s.k {
	case kString, kNumeric:
		start := uint64(len(s.arena))
		s.arena = append(s.arena, v.b...)
		s.w = append(s.w, start)
		s.x = append(s.x, uint64(len(s.arena)))
	case kInterval:
		s.w = append(s.w, v.u)
		s.x = append(s.x, v.x)
	default:
		s.w = append(s.w, v.u)
	}
	if s.nullable {
		s.null = append(s.null, null)
	}
	s.next = append(s.next, -1)
	if t := s.tail[g]; t >= 0 {
		s.next[t] = int32(e)
	} else {
		s.head[g] = int32(e)
	}
	s.tail[g] = int32(e)
	s.cnt[g]++
	return nil
}

func (s *vstore) get(e int32) (val, bool) {
	null := s.nullable && s.null[e]
	switch s.k {
	case kString, kNumeric:
		return val{b: s.arena[s.w[e]:s.x[e]]}, null
	case kInterval:
		return val{u: s.w[e], x: s.x[e]}, null
	}
	return val{u: s.w[e]}, null
}

// values appends group g's values (and NULL flags, when nullable) in
// arrival order. String values borrow the arena.
func (s *vstore) values(g uint32, vs []val, nulls []bool) ([]val, []bool) {
	for e := s.head[g]; e >= 0; e = s.next[e] {
		v, null := s.get(e)
		vs = append(vs, v)
		if s.nullable {
			nulls = append(nulls, null)
		}
	}
	return vs, nulls
}

// update adds the rows of column c.
func (s *vstore) update(groups []uint32, c *column) error {
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		valid := !c.v.none && c.v.valid(i)
		if !valid && !s.nullable {
			continue
		}
		var v val
		if valid {
			v = c.at(i)
		}
		if err := s.add(g, v, !valid); err != nil {
			return err
		}
	}
	return nil
}

// merge appends src's groups to dst's, after dst's own values.
func (s *vstore) merge(src *vstore, dst []uint32) error {
	var vs []val
	var nulls []bool
	for g := range src.head {
		d := dst[g]
		if d == NoGroup {
			continue
		}
		vs, nulls = src.values(uint32(g), vs[:0], nulls[:0])
		for i, v := range vs {
			if err := s.add(d, v, s.nullable && nulls[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// appendState encodes the entry count (uvarint), then each entry: a NULL
// flag byte when nullable, and the value in appendVal's encoding unless NULL.
func (s *vstore) appendState(buf []byte, g uint32) []byte {
	buf = binary.AppendUvarint(buf, uint64(s.cnt[g]))
	for e := s.head[g]; e >= 0; e = s.next[e] {
		v, null := s.get(e)
		if s.nullable {
			buf = append(buf, b2u(null))
			if null {
				continue
			}
		}
		buf = appendVal(buf, s.k, v)
	}
	return buf
}

func (s *vstore) loadState(name string, g uint32, data []byte) error {
	r := reader{b: data}
	n := r.count()
	type item struct {
		v    val
		null bool
	}
	items := make([]item, 0, n)
	for range n {
		var it item
		if s.nullable {
			f := r.byte()
			if f > 1 {
				r.bad = true
			}
			it.null = f == 1
		}
		if !it.null {
			it.v = r.val(s.k)
		}
		if r.bad {
			break
		}
		items = append(items, it)
	}
	if !r.done() {
		return errCorrupt(name, "bad value list")
	}
	for _, it := range items {
		if err := s.add(g, it.v, it.null); err != nil {
			return err
		}
	}
	return nil
}

func (s *vstore) size() int64 {
	return int64(cap(s.w))*8 + int64(cap(s.x))*8 + int64(cap(s.null)) + int64(cap(s.arena)) +
		int64(cap(s.next))*4 + int64(cap(s.head))*8 + int64(cap(s.cnt))*8
}

// percentileAcc is percentile_cont(fraction) and percentile_disc(fraction)
// WITHIN GROUP (ORDER BY x), exact: it keeps every value of every group, so
// its state grows with its input without bound. The planner must not put it
// in a lambda view's speed layer (percentile_approx is the bounded
// alternative).
type percentileAcc struct {
	name    string
	cont    bool
	mode    bool // mode() WITHIN GROUP (ORDER BY x): the most frequent value
	frac    float64
	null    bool  // fraction is NULL: every result is NULL
	fracErr error // fraction outside [0, 1]: Finalize fails, as in PostgreSQL
	out     *types.T
	st      vstore
	sc      scratch
}

var _ Accumulator = (*percentileAcc)(nil)

func (a *percentileAcc) Grow(n int) { a.st.grow(n) }
func (a *percentileAcc) Len() int   { return len(a.st.head) }

func (a *percentileAcc) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	var c column
	var err error
	if a.st.k == kFloat {
		c, err = decodeFloatColumn(a.name, args[0], &a.sc)
	} else {
		c, err = decodeColumn(a.name, a.st.k, args[0], &a.sc)
	}
	if err != nil || c.v.none {
		return err
	}
	return a.st.update(groups, &c)
}

func (a *percentileAcc) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*percentileAcc)
	if !ok || s.cont != a.cont || s.mode != a.mode || s.st.k != a.st.k {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	return a.st.merge(&s.st, dst)
}

func (a *percentileAcc) Finalize(mem memory.Allocator) (arrow.Array, error) {
	if a.fracErr != nil && a.Len() > 0 {
		return nil, a.fracErr
	}
	b := array.NewBuilder(mem, a.out.Arrow())
	defer b.Release()
	n := a.Len()
	res := make([]val, n)
	valid := make([]bool, n)
	var vs []val
	for g := range n {
		if a.null || a.st.cnt[g] == 0 {
			continue
		}
		vs, _ = a.st.values(uint32(g), vs[:0], nil)
		sortVals(a.st.k, vs)
		var err error
		switch {
		case a.mode:
			res[g] = modeOf(a.st.k, vs)
		case a.cont:
			res[g], err = percentileCont(a.st.k, vs, a.frac)
		default:
			res[g] = percentileDisc(vs, a.frac)
		}
		if err != nil {
			return nil, err
		}
		valid[g] = true
	}
	if err := appendVals(b, a.st.k, res, valid); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

// percentileCont is percentile_cont_final_common over sorted values:
// linear interpolation between the rows at floor and ceil of
// fraction × (count − 1).
func percentileCont(k kind, vs []val, frac float64) (val, error) {
	pos := frac * float64(len(vs)-1)
	first, second := math.Floor(pos), math.Ceil(pos)
	lo := vs[int(first)]
	if second == first {
		return lo, nil
	}
	hi := vs[int(second)]
	pct := pos - first
	if k == kFloat {
		l, h := math.Float64frombits(lo.u), math.Float64frombits(hi.u)
		return val{u: math.Float64bits(l + (h-l)*pct)}, nil
	}
	// interval_lerp: lo + (hi - lo) * pct
	diff, err := intervalSub(hi.iv(), lo.iv())
	if err != nil {
		return val{}, err
	}
	m, err := intervalMul(diff, pct)
	if err != nil {
		return val{}, err
	}
	r, err := intervalAdd(m, lo.iv())
	if err != nil {
		return val{}, err
	}
	return ivVal(r.Months, r.Days, r.Micros), nil
}

// modeOf is mode_final over sorted values: the value of the longest run
// of equal values, the first such run on a tie.
func modeOf(k kind, vs []val) val {
	best, bestN := 0, 0
	for i := 0; i < len(vs); {
		j := i + 1
		for j < len(vs) && cmpVal(k, vs[i], vs[j]) == 0 {
			j++
		}
		if j-i > bestN {
			best, bestN = i, j-i
		}
		i = j
	}
	return vs[best]
}

// percentileDisc is percentile_disc_final over sorted values: the first
// value whose position in the ordering is at least fraction × count.
func percentileDisc(vs []val, frac float64) val {
	row := int64(math.Ceil(frac * float64(len(vs))))
	row = min(max(row, 1), int64(len(vs)))
	return vs[row-1]
}

func (a *percentileAcc) AppendState(buf []byte, g uint32) []byte {
	return a.st.appendState(buf, g)
}

func (a *percentileAcc) LoadState(g uint32, data []byte) error {
	return a.st.loadState(a.name, g, data)
}

func (a *percentileAcc) Size() int64 { return a.st.size() }

// arrayAgg is array_agg(x): every value in arrival order, NULLs included
// (array_agg is not strict). Merge appends the source group's values after
// the destination's. No rows give NULL, not an empty array.
type arrayAgg struct {
	elem *types.T
	st   vstore
	sc   scratch
}

var _ Accumulator = (*arrayAgg)(nil)

func (a *arrayAgg) Grow(n int) { a.st.grow(n) }
func (a *arrayAgg) Len() int   { return len(a.st.head) }

func (a *arrayAgg) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs("array_agg", groups, args, 1); err != nil {
		return err
	}
	c, err := decodeColumn("array_agg", a.st.k, args[0], &a.sc)
	if err != nil {
		return err
	}
	return a.st.update(groups, &c)
}

func (a *arrayAgg) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*arrayAgg)
	if !ok || s.st.k != a.st.k {
		return errInternal("array_agg: merge with %T", src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge("array_agg", s.Len(), a.Len(), dst); err != nil {
		return err
	}
	return a.st.merge(&s.st, dst)
}

func (a *arrayAgg) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewListBuilder(mem, a.elem.Arrow())
	defer b.Release()
	vb := b.ValueBuilder()
	var vs []val
	var nulls, valid []bool
	for g := range a.Len() {
		if a.st.cnt[g] == 0 {
			b.AppendNull()
			continue
		}
		b.Append(true)
		vs, nulls = a.st.values(uint32(g), vs[:0], nulls[:0])
		valid = slices.Grow(valid[:0], len(nulls))[:len(nulls)]
		for i, n := range nulls {
			valid[i] = !n
		}
		if err := appendVals(vb, a.st.k, vs, valid); err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}

func (a *arrayAgg) AppendState(buf []byte, g uint32) []byte { return a.st.appendState(buf, g) }

func (a *arrayAgg) LoadState(g uint32, data []byte) error {
	return a.st.loadState("array_agg", g, data)
}

func (a *arrayAgg) Size() int64 { return a.st.size() }

// stringAgg is string_agg(x, delimiter) over text (or bytea): the values
// of each group joined by the delimiter, in arrival order. Merge appends the
// source group's string after the destination's, joined by the delimiter.
type stringAgg struct {
	delim []byte
	bytea bool
	buf   [][]byte
	has   []bool
	bytes int64
	sc    scratch
}

var _ Accumulator = (*stringAgg)(nil)

func (a *stringAgg) Grow(n int) {
	a.buf = growSlice(a.buf, n)
	a.has = growSlice(a.has, n)
}

func (a *stringAgg) Len() int { return len(a.has) }

func (a *stringAgg) add(g uint32, b []byte) {
	old := len(a.buf[g])
	if a.has[g] {
		a.buf[g] = append(a.buf[g], a.delim...)
	}
	a.buf[g] = append(a.buf[g], b...)
	a.has[g] = true
	a.bytes += int64(len(a.buf[g]) - old)
}

func (a *stringAgg) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs("string_agg", groups, args, 1); err != nil {
		return err
	}
	c, err := decodeColumn("string_agg", kString, args[0], &a.sc)
	if err != nil || c.v.none {
		return err
	}
	for i, g := range groups {
		if g != NoGroup && c.v.valid(i) {
			a.add(g, c.s.at(i))
		}
	}
	return nil
}

func (a *stringAgg) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*stringAgg)
	if !ok || s.bytea != a.bytea {
		return errInternal("string_agg: merge with %T", src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge("string_agg", s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, h := range s.has {
		if d := dst[g]; d != NoGroup && h {
			a.add(d, s.buf[g])
		}
	}
	return nil
}

func (a *stringAgg) Finalize(mem memory.Allocator) (arrow.Array, error) {
	var b array.Builder
	if a.bytea {
		b = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	} else {
		b = array.NewStringBuilder(mem)
	}
	defer b.Release()
	vs := make([]val, len(a.buf))
	for i := range vs {
		vs[i].b = a.buf[i]
	}
	if err := appendVals(b, kString, vs, a.has); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

// AppendState encodes a presence byte and, when present, the joined string
// (uvarint length + bytes).
func (a *stringAgg) AppendState(buf []byte, g uint32) []byte {
	if !a.has[g] {
		return append(buf, 0)
	}
	return appendVal(append(buf, 1), kString, val{b: a.buf[g]})
}

func (a *stringAgg) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	if r.byte() == 0 {
		if !r.done() {
			return errCorrupt("string_agg", "trailing bytes")
		}
		return nil
	}
	v := r.val(kString)
	if !r.done() {
		return errCorrupt("string_agg", "bad value")
	}
	a.add(g, v.b)
	return nil
}

func (a *stringAgg) Size() int64 {
	return int64(cap(a.buf))*int64(unsafe.Sizeof([]byte(nil))) + int64(cap(a.has)) + a.bytes
}
