package agg

import (
	"bytes"
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// Exact DISTINCT: count(DISTINCT x), and every other aggregate's DISTINCT
// form through distinctAgg.
//
// One distinctSet per accumulator holds every distinct (group, value) pair
// in a single open-addressing table (pairSet) with a per-group counter
// bumped when a pair is new: no Go map and no allocation per group, one
// probe sequence per row. Values are 64-bit keys: the value itself for
// integers, oids, booleans and floats (-0 as 0, one NaN, as PostgreSQL's
// equality says); for strings, the id of the bytes in an interner (an
// append-only arena holding each distinct string once per accumulator, not
// once per group: 100k users over 10k groups cost 100k strings plus 16
// bytes per pair). A dictionary-encoded column interns each dictionary entry
// once and reuses the ids while the same dictionary keeps arriving.
//
// Numerics and intervals have values that are equal without being
// identical ('1.0' = '1.00', '1 mon' = '30 days'). Their key is the interned
// canonical form (reduced decimal text, normalized length); each pair also
// keeps the interned exact text of a representative — the largest display
// scale for numerics, the largest months-then-days split for intervals —
// so that sum(DISTINCT x) shows a scale PostgreSQL could have shown, and
// does so whatever the input and merge order.

// canonNumeric appends the canonical text of numeric text b: the reduced
// decimal (no trailing zeros), "0", "NaN", "Infinity" or "-Infinity".
func canonNumeric(b []byte, tmp *apd.Decimal, buf []byte) ([]byte, error) {
	if err := parseNumeric(b, tmp); err != nil {
		return buf, err
	}
	switch tmp.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(buf, "NaN"...), nil
	case apd.Infinite:
		if tmp.Negative {
			return append(buf, "-Infinity"...), nil
		}
		return append(buf, "Infinity"...), nil
	}
	if tmp.IsZero() {
		return append(buf, '0'), nil
	}
	tmp.Reduce(tmp)
	return append(buf, tmp.Text('E')...), nil
}

// canonInterval appends the normalized length of iv: 'C', days and
// microseconds within the day (8 bytes each).
func canonInterval(buf []byte, iv types.IntervalD) []byte {
	d, us := ivSpan(iv)
	buf = append(buf, 'C')
	buf = binary.LittleEndian.AppendUint64(buf, uint64(d))
	return binary.LittleEndian.AppendUint64(buf, uint64(us))
}

// exactInterval appends iv itself: 'E', months, days (4 bytes each) and
// microseconds (8 bytes).
func exactInterval(buf []byte, iv types.IntervalD) []byte {
	buf = append(buf, 'E')
	buf = binary.LittleEndian.AppendUint32(buf, uint32(iv.Months))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(iv.Days))
	return binary.LittleEndian.AppendUint64(buf, uint64(iv.Micros))
}

func decodeExactInterval(b []byte) types.IntervalD {
	return types.IntervalD{
		Months: int32(binary.LittleEndian.Uint32(b[1:])),
		Days:   int32(binary.LittleEndian.Uint32(b[5:])),
		Micros: int64(binary.LittleEndian.Uint64(b[9:])),
	}
}

// groupIndex lists the slots of each group, built on demand from a
// distinctSet (for AppendState and distinctAgg.Finalize) and dropped when
// the set changes.
type groupIndex struct {
	ok    bool
	start []int // per group, + 1
	slots []int32
}

type distinctSet struct {
	name  string
	k     kind
	int32 bool // kInt values of a 32-bit type, kept as uint32 in a narrow set
	set   pairSet
	in    interner
	cnt   []int64

	dict    *array.Data // dictionary whose entry ids dictIDs caches
	dictIDs []uint32    // id + 1 per dictionary entry, 0 when not interned yet

	idx  groupIndex
	sc   scratch
	tmp  apd.Decimal
	buf  []byte
	sink uint64 // keeps insertNarrow's look-ahead loads alive
}

// newDistinctSet returns the set for values of type t.
func newDistinctSet(name string, t *types.T) (distinctSet, bool) {
	k, ok := kindOf(t)
	d := distinctSet{name: name, k: k}
	switch k {
	case kString, kBool, kOid:
		d.set.narrow = true
	case kInt:
		d.int32 = t.Width > 0 && t.Width <= 4
		d.set.narrow = d.int32
	}
	return d, ok
}

// intKey is the set key of an integer-like value.
func (d *distinctSet) intKey(v int64) uint64 {
	if d.int32 {
		return uint64(uint32(v))
	}
	return uint64(v)
}

func (d *distinctSet) grow(n int) {
	d.cnt = growSlice(d.cnt, n)
	d.idx.ok = false
}

// repKind reports whether pairs carry a representative (aux).
func (d *distinctSet) repKind() bool { return d.k == kNumeric || d.k == kInterval }

// keyOf returns the set key and representative id of v.
func (d *distinctSet) keyOf(v val) (uint64, uint32, error) {
	switch d.k {
	case kFloat:
		return canonFloat(math.Float64frombits(v.u)), 0, nil
	case kString:
		return uint64(d.in.intern(v.b)), 0, nil
	case kNumeric:
		b, err := canonNumeric(v.b, &d.tmp, d.buf[:0])
		if err != nil {
			return 0, 0, err
		}
		d.buf = b
		key := d.in.intern(b)
		return uint64(key), d.in.intern(v.b), nil
	case kInterval:
		iv := v.iv()
		d.buf = canonInterval(d.buf[:0], iv)
		key := d.in.intern(d.buf)
		d.buf = exactInterval(d.buf[:0], iv)
		return uint64(key), d.in.intern(d.buf), nil
	case kInt:
		return d.intKey(int64(v.u)), 0, nil
	}
	return v.u, 0, nil
}

// prefer reports whether representative a should replace b.
func (d *distinctSet) prefer(a, b uint32) bool {
	if d.k == kNumeric {
		ta, tb := d.in.bytes(a), d.in.bytes(b)
		if sa, sb := textScale(ta), textScale(tb); sa != sb {
			return sa > sb
		}
		return bytes.Compare(ta, tb) > 0
	}
	return cmpInterval(decodeExactInterval(d.in.bytes(a)), decodeExactInterval(d.in.bytes(b))) > 0
}

// insert adds (g, key) with representative aux.
func (d *distinctSet) insert(g uint32, key uint64, aux uint32) {
	i, isNew := d.set.insert(g, key)
	if isNew {
		d.cnt[g]++
		if d.repKind() {
			d.set.wide[i].aux = aux
		}
		return
	}
	if d.repKind() {
		if old := d.set.wide[i].aux; old != aux && d.prefer(aux, old) {
			d.set.wide[i].aux = aux
		}
	}
}

func (d *distinctSet) insertVal(g uint32, v val) error {
	key, aux, err := d.keyOf(v)
	if err != nil {
		return err
	}
	d.insert(g, key, aux)
	return nil
}

// insertKeys is the hot loop: keys already computed, no representative.
func (d *distinctSet) insertKeys(groups []uint32, keys []uint64, v bitmap) {
	keys = keys[:len(groups)]
	if d.set.narrow {
		d.insertNarrow(groups, keys, v)
	} else {
		d.insertWide(groups, keys, v)
	}
}

// insertWide is insertKeys for a wide set; see insertNarrow.
func (d *distinctSet) insertWide(groups []uint32, keys []uint64, v bitmap) {
	s := &d.set
	cnt := d.cnt
	n := len(groups)
	if len(s.wide) == 0 {
		s.grow()
	}
	hs := d.hashes(n)
	for i, g := range groups {
		hs[i] = pairHash(g, keys[i])
	}
	slots, mask, limit := s.wide, s.mask, len(s.wide)*3/4
	var sink uint64
	for i, g := range groups {
		if i+prefetchDistance < n {
			sink += slots[hs[i+prefetchDistance]&mask].v
		}
		if g == NoGroup || !v.valid(i) {
			continue
		}
		if s.n >= limit {
			s.grow()
			slots, mask, limit = s.wide, s.mask, len(s.wide)*3/4
		}
		key, gp1 := keys[i], g+1
		j := hs[i] & mask
		for {
			sl := &slots[j]
			if sl.gp1 == gp1 && sl.v == key {
				break
			}
			if sl.gp1 == 0 {
				sl.gp1, sl.v = gp1, key
				s.n++
				cnt[g]++
				break
			}
			j = (j + 1) & mask
		}
	}
	d.sink += sink
}

// insertNarrow is insertKeys for a narrow set, with the probe loop inline.
//
// Once the table outgrows the CPU caches every probe is a cache (and TLB)
// miss. The loop first hashes the whole batch, then, while probing row i,
// loads the home slot of row i+prefetchDistance: the CPU overlaps those
// independent misses instead of taking them one at a time (Go has no
// prefetch instruction; the load is kept alive through d.sink).
func (d *distinctSet) insertNarrow(groups []uint32, keys []uint64, v bitmap) {
	s := &d.set
	cnt := d.cnt
	n := len(groups)
	if len(s.slots) == 0 {
		s.grow()
	}
	hs := d.hashes(n)
	for i, g := range groups {
		hs[i] = fmix64((uint64(g)+1)<<32 | keys[i])
	}
	slots, mask, limit := s.slots, s.mask, len(s.slots)*3/4
	var sink uint64
	for i, g := range groups {
		if i+prefetchDistance < n {
			sink += slots[hs[i+prefetchDistance]&mask]
		}
		if g == NoGroup || !v.valid(i) {
			continue
		}
		if s.n >= limit {
			s.grow()
			slots, mask, limit = s.slots, s.mask, len(s.slots)*3/4
		}
		key := (uint64(g)+1)<<32 | keys[i]
		j := hs[i] & mask
		for {
			k := slots[j]
			if k == key {
				break
			}
			if k == 0 {
				slots[j] = key
				s.n++
				cnt[g]++
				break
			}
			j = (j + 1) & mask
		}
	}
	d.sink += sink
}

const prefetchDistance = 16

func (d *distinctSet) hashes(n int) []uint64 {
	if cap(d.sc.hashes) < n {
		d.sc.hashes = make([]uint64, n)
	}
	return d.sc.hashes[:n]
}

func (d *distinctSet) keys(n int) []uint64 {
	if cap(d.sc.keys) < n {
		d.sc.keys = make([]uint64, n)
	}
	return d.sc.keys[:n]
}

func (d *distinctSet) update(groups []uint32, a arrow.Array) error {
	d.idx.ok = false
	v := rowValidity(a, &d.sc.bits)
	if v.none {
		return nil
	}
	n := len(groups)
	switch x := a.(type) {
	case *array.Int64:
		if d.k == kInt && !d.int32 {
			vals := x.Int64Values()
			d.insertKeys(groups, unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(vals))), len(vals)), v)
			return nil
		}
	case *array.Int32:
		if d.k == kInt {
			keys := d.keys(n)
			for i, y := range x.Int32Values()[:n] {
				keys[i] = d.intKey(int64(y))
			}
			d.insertKeys(groups, keys, v)
			return nil
		}
	case *array.Float64:
		if d.k == kFloat {
			keys := d.keys(n)
			for i, y := range x.Float64Values()[:n] {
				keys[i] = canonFloat(y)
			}
			d.insertKeys(groups, keys, v)
			return nil
		}
	case *array.String, *array.Dictionary:
		if d.k == kString {
			return d.updateStrings(groups, a, v)
		}
	}
	c, err := decodeColumn(d.name, d.k, a, &d.sc)
	if err != nil {
		return err
	}
	switch d.k {
	case kInt:
		for i, u := range c.u {
			c.u[i] = d.intKey(int64(u))
		}
		d.insertKeys(groups, c.u, v)
		return nil
	case kOid, kBool:
		d.insertKeys(groups, c.u, v)
		return nil
	case kFloat:
		for i, u := range c.u {
			c.u[i] = canonFloat(math.Float64frombits(u))
		}
		d.insertKeys(groups, c.u, v)
		return nil
	}
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		if err := d.insertVal(g, c.at(i)); err != nil {
			return err
		}
	}
	return nil
}

// updateStrings interns a String or dictionary column. For a dictionary,
// each entry is interned at most once per dictionary (lazily, so a large
// dictionary with few rows costs only the rows).
func (d *distinctSet) updateStrings(groups []uint32, a arrow.Array, v bitmap) error {
	s, err := loadStr(d.name, a, &d.sc.idx)
	if err != nil {
		return err
	}
	keys := d.keys(len(groups))
	if s.idx == nil {
		for i, g := range groups {
			if g != NoGroup && v.valid(i) {
				keys[i] = uint64(d.in.intern(s.at(i)))
			}
		}
		d.insertKeys(groups, keys, v)
		return nil
	}
	if s.dict != d.dict || len(d.dictIDs) != s.nd {
		d.dict = s.dict
		if cap(d.dictIDs) >= s.nd {
			d.dictIDs = d.dictIDs[:s.nd]
			clear(d.dictIDs)
		} else {
			d.dictIDs = make([]uint32, s.nd)
		}
	}
	ids := d.dictIDs
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		j := s.idx[i]
		id := ids[j]
		if id == 0 {
			id = d.in.intern(s.entry(j)) + 1
			ids[j] = id
		}
		keys[i] = uint64(id - 1)
	}
	d.insertKeys(groups, keys, v)
	return nil
}

// merge inserts src's pairs into d, remapping interned ids.
func (d *distinctSet) merge(src *distinctSet, dst []uint32) {
	d.idx.ok = false
	var remap []uint32 // src id → d id + 1
	mapID := func(id uint32) uint32 {
		if remap == nil {
			remap = make([]uint32, src.in.len())
		}
		if r := remap[id]; r != 0 {
			return r - 1
		}
		r := d.in.intern(src.in.bytes(id))
		remap[id] = r + 1
		return r
	}
	interned := d.k == kString || d.repKind()
	for i := range src.set.capacity() {
		sg, key, aux, ok := src.set.at(i)
		if !ok {
			continue
		}
		g := dst[sg]
		if g == NoGroup {
			continue
		}
		if interned {
			key = uint64(mapID(uint32(key)))
			if d.repKind() {
				aux = mapID(aux)
			}
		}
		d.insert(g, key, aux)
	}
}

// slotVal returns the value of slot i: the representative for numerics
// and intervals.
func (d *distinctSet) slotVal(i int32) val {
	_, v, aux, _ := d.set.at(int(i))
	return d.valOf(v, aux)
}

// valOf is the value of a pair (v, aux) of the set.
func (d *distinctSet) valOf(v uint64, aux uint32) val {
	switch d.k {
	case kString:
		return val{b: d.in.bytes(uint32(v))}
	case kNumeric:
		return val{b: d.in.bytes(aux)}
	case kInterval:
		iv := decodeExactInterval(d.in.bytes(aux))
		return ivVal(iv.Months, iv.Days, iv.Micros)
	case kInt:
		if d.int32 {
			return val{u: uint64(int64(int32(uint32(v))))}
		}
	}
	return val{u: v}
}

// index builds (or returns) the per-group slot lists.
func (d *distinctSet) index() *groupIndex {
	ix := &d.idx
	if ix.ok {
		return ix
	}
	n := len(d.cnt)
	ix.start = growSlice(ix.start[:0], n+1)
	pos := 0
	for g, c := range d.cnt {
		ix.start[g] = pos
		pos += int(c)
	}
	ix.start[n] = pos
	ix.slots = growSlice(ix.slots[:0], pos)
	fill := make([]int, n)
	copy(fill, ix.start[:n])
	for i := range d.set.capacity() {
		if g, _, _, ok := d.set.at(i); ok {
			ix.slots[fill[g]] = int32(i)
			fill[g]++
		}
	}
	ix.ok = true
	return ix
}

// values appends the values of group g.
func (d *distinctSet) values(g uint32, vs []val) []val {
	ix := d.index()
	for _, i := range ix.slots[ix.start[g]:ix.start[g+1]] {
		vs = append(vs, d.slotVal(i))
	}
	return vs
}

// appendState encodes the value count (uvarint) and each value in
// appendVal's encoding (representatives for numerics and intervals), in no
// particular order.
func (d *distinctSet) appendState(buf []byte, g uint32) []byte {
	ix := d.index()
	list := ix.slots[ix.start[g]:ix.start[g+1]]
	buf = binary.AppendUvarint(buf, uint64(len(list)))
	for _, i := range list {
		buf = appendVal(buf, d.k, d.slotVal(i))
	}
	return buf
}

// appendStates encodes every group's state (head's bytes, then the value
// list of appendState) in group order and passes it to emit. One pass over
// the set gathers the pairs by group into transient arrays, so the cost is
// sequential reads, not a random read of the set per value (a checkpoint
// of millions of pairs holds the speed layer's lock while it runs).
func (d *distinctSet) appendStates(ng int, head func(buf []byte, g uint32) []byte, emit func(g uint32, state []byte) error) error {
	start := make([]int, ng+1)
	pos := 0
	for g := 0; g < ng; g++ {
		start[g] = pos
		if g < len(d.cnt) {
			pos += int(d.cnt[g])
		}
	}
	start[ng] = pos
	fill := make([]int, ng)
	copy(fill, start[:ng])
	vals := make([]uint64, pos)
	var auxs []uint32
	if d.repKind() {
		auxs = make([]uint32, pos)
	}
	for i := range d.set.capacity() {
		g, v, aux, ok := d.set.at(i)
		if !ok || int(g) >= ng {
			continue
		}
		j := fill[g]
		fill[g]++
		vals[j] = v
		if auxs != nil {
			auxs[j] = aux
		}
	}
	var buf []byte
	for g := 0; g < ng; g++ {
		buf = head(buf[:0], uint32(g))
		buf = binary.AppendUvarint(buf, uint64(start[g+1]-start[g]))
		for j := start[g]; j < start[g+1]; j++ {
			var aux uint32
			if auxs != nil {
				aux = auxs[j]
			}
			buf = appendVal(buf, d.k, d.valOf(vals[j], aux))
		}
		if err := emit(uint32(g), buf); err != nil {
			return err
		}
	}
	return nil
}

func (d *distinctSet) loadState(g uint32, r *reader) error {
	n := r.count()
	vs := make([]val, 0, n)
	for range n {
		v := r.val(d.k)
		if r.bad {
			break
		}
		vs = append(vs, v)
	}
	if !r.done() {
		return errCorrupt(d.name, "bad value list")
	}
	d.idx.ok = false
	for _, v := range vs {
		if err := d.insertVal(g, v); err != nil {
			return errCorrupt(d.name, "bad value")
		}
	}
	return nil
}

func (d *distinctSet) size() int64 {
	return d.set.size() + d.in.size() + int64(cap(d.cnt))*8 + int64(cap(d.dictIDs))*4 +
		int64(cap(d.idx.start))*8 + int64(cap(d.idx.slots))*4
}

// countDistinct is count(DISTINCT x).
type countDistinct struct {
	d distinctSet
}

var _ Accumulator = (*countDistinct)(nil)

func (a *countDistinct) Grow(n int) { a.d.grow(n) }
func (a *countDistinct) Len() int   { return len(a.d.cnt) }

func (a *countDistinct) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.d.name, groups, args, 1); err != nil {
		return err
	}
	return a.d.update(groups, args[0])
}

func (a *countDistinct) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*countDistinct)
	if !ok || s.d.k != a.d.k {
		return errInternal("%s: merge with %T", a.d.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.d.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	a.d.merge(&s.d, dst)
	return nil
}

func (a *countDistinct) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(a.d.cnt, nil)
	return b.NewArray(), nil
}

// FinalizeGroups reads the kept per-group counts: no pass over the pairs.
func (a *countDistinct) FinalizeGroups(mem memory.Allocator, groups []int) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(len(groups))
	for _, g := range groups {
		b.UnsafeAppend(a.d.cnt[g])
	}
	return b.NewArray(), nil
}

func (a *countDistinct) AppendState(buf []byte, g uint32) []byte {
	return a.d.appendState(buf, g)
}

// AppendStates implements StatesAppender.
func (a *countDistinct) AppendStates(ng int, emit func(g uint32, state []byte) error) error {
	return a.d.appendStates(ng, func(buf []byte, _ uint32) []byte { return buf }, emit)
}

func (a *countDistinct) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	return a.d.loadState(g, &r)
}

func (a *countDistinct) Size() int64 { return a.d.size() }

// distinctAgg is agg(DISTINCT x) for every aggregate but count: it keeps
// the distinct (group, value) pairs and, at Finalize, feeds each group's
// values to a fresh accumulator of the plain aggregate in ascending order
// (PostgreSQL sorts DISTINCT input too: string_agg(DISTINCT x, ',') lists
// values in order, and float sums do not depend on arrival order). Like
// PostgreSQL, array_agg(DISTINCT x) keeps one NULL, last.
type distinctAgg struct {
	inner     Spec
	argType   *types.T
	d         distinctSet
	keepNulls bool
	nulls     []bool
	sc        scratch
}

var _ Accumulator = (*distinctAgg)(nil)

func (a *distinctAgg) Grow(n int) {
	a.d.grow(n)
	if a.keepNulls {
		a.nulls = growSlice(a.nulls, n)
	}
}

func (a *distinctAgg) Len() int { return len(a.d.cnt) }

func (a *distinctAgg) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.d.name, groups, args, 1); err != nil {
		return err
	}
	if a.keepNulls && args[0].NullN() > 0 {
		v := rowValidity(args[0], &a.sc.bits)
		for i, g := range groups {
			if g != NoGroup && !v.valid(i) {
				a.nulls[g] = true
			}
		}
	}
	return a.d.update(groups, args[0])
}

func (a *distinctAgg) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*distinctAgg)
	if !ok || s.d.k != a.d.k || s.inner.Name != a.inner.Name {
		return errInternal("%s: merge with %T", a.d.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.d.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	if a.keepNulls {
		for g, n := range s.nulls {
			if d := dst[g]; d != NoGroup && n {
				a.nulls[d] = true
			}
		}
	}
	a.d.merge(&s.d, dst)
	return nil
}

func (a *distinctAgg) Finalize(mem memory.Allocator) (arrow.Array, error) {
	inner, err := newPlain(a.inner)
	if err != nil {
		return nil, err
	}
	n := a.Len()
	inner.Grow(n)
	var vals, vs []val
	var valid []bool
	var groups []uint32
	for g := range n {
		vs = a.d.values(uint32(g), vs[:0])
		sortVals(a.d.k, vs)
		for _, v := range vs {
			vals = append(vals, v)
			valid = append(valid, true)
			groups = append(groups, uint32(g))
		}
		if a.keepNulls && a.nulls[g] {
			vals = append(vals, val{})
			valid = append(valid, false)
			groups = append(groups, uint32(g))
		}
	}
	b := array.NewBuilder(mem, a.argType.Arrow())
	defer b.Release()
	if err := appendVals(b, a.d.k, vals, valid); err != nil {
		return nil, err
	}
	arr := b.NewArray()
	defer arr.Release()
	if err := inner.Update(groups, []arrow.Array{arr}); err != nil {
		return nil, err
	}
	return inner.Finalize(mem)
}

// AppendState encodes a flags byte (1 = the group saw a NULL, array_agg
// only) and the distinct values (see distinctSet.appendState).
func (a *distinctAgg) AppendState(buf []byte, g uint32) []byte {
	buf = append(buf, b2u(a.keepNulls && a.nulls[g]))
	return a.d.appendState(buf, g)
}

// AppendStates implements StatesAppender.
func (a *distinctAgg) AppendStates(ng int, emit func(g uint32, state []byte) error) error {
	return a.d.appendStates(ng, func(buf []byte, g uint32) []byte {
		return append(buf, b2u(a.keepNulls && int(g) < len(a.nulls) && a.nulls[g]))
	}, emit)
}

func (a *distinctAgg) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	f := r.byte()
	if r.bad || f > 1 {
		return errCorrupt(a.d.name, "bad flags")
	}
	if err := a.d.loadState(g, &r); err != nil {
		return err
	}
	if f == 1 && a.keepNulls {
		a.nulls[g] = true
	}
	return nil
}

func (a *distinctAgg) Size() int64 { return a.d.size() + int64(cap(a.nulls)) }
