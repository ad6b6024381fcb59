package exec

import (
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"
	"github.com/zeebo/xxh3"

	"lambdasql/sql/types"
)

// NoGroup marks a row that has no group (a join probe miss, a NULL join
// key). It equals agg.NoGroup.
const NoGroup = ^uint32(0)

// keyKind is how a key column is stored in a GroupTable.
type keyKind uint8

const (
	keyFixed    keyKind = iota // ints, floats (normalized), dates, timestamps, oids, bools: uint64 bits
	keyString                  // strings and anything keyed by canonical bytes
	keyInterval                // two uint64: months<<32|days, micros
)

// keyCol stores one key column of every group.
type keyCol struct {
	t     *types.T
	kind  keyKind
	nulls []bool
	fixed []uint64 // keyFixed; keyInterval uses pairs
	offs  []int64  // keyString: group g is data[offs[g]:offs[g+1]]
	data  []byte
}

// GroupTable maps tuples of key values to dense group ids 0, 1, 2, … It is
// the hash table of the hash aggregate, distinct, the hash join build side
// and the speed layer's keyed window state. Keys hash to uint64; groups'
// state lives in slices indexed by group id elsewhere.
//
// Not safe for concurrent use.
type GroupTable struct {
	cols   []keyCol
	hashes []uint64 // per group
	slots  []uint32 // open addressing, group id + 1; 0 is empty
	mask   uint64
	// scratch
	rowHash []uint64
	colHash []uint64
	strs    []stringer
	eq      *eqIndex // built by GroupsWithKey
}

// NewGroupTable returns an empty table keyed by columns of keyTypes.
func NewGroupTable(keyTypes []*types.T) *GroupTable {
	t := &GroupTable{cols: make([]keyCol, len(keyTypes))}
	for i, kt := range keyTypes {
		t.cols[i] = keyCol{t: kt, kind: kindOf(kt), offs: []int64{0}}
	}
	t.slots = make([]uint32, 1024)
	t.mask = 1023
	return t
}

func kindOf(t *types.T) keyKind {
	switch t.Family {
	case types.FamInt, types.FamFloat, types.FamDate, types.FamTimestamp, types.FamTimestampTZ,
		types.FamTime, types.FamOid, types.FamBool:
		return keyFixed
	case types.FamInterval:
		return keyInterval
	}
	return keyString
}

// Len returns the number of groups.
func (t *GroupTable) Len() int { return len(t.hashes) }

// Size estimates the bytes the table holds.
func (t *GroupTable) Size() int64 {
	s := int64(len(t.slots)*4 + len(t.hashes)*8)
	for i := range t.cols {
		c := &t.cols[i]
		s += int64(len(c.nulls) + len(c.fixed)*8 + len(c.offs)*8 + len(c.data))
	}
	if t.eq != nil {
		// One group id per indexed group, plus a map entry per key.
		s += int64(len(t.hashes))*4 + int64(len(t.eq.str)+len(t.eq.fixed))*64
	}
	return s
}

const hashSeedNull = 0x9e3779b97f4a7c15

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// fixedBits returns row i of a fixed-width key array as comparable bits.
func fixedBitsAt(a arrow.Array, i int) uint64 {
	switch x := a.(type) {
	case *array.Int64:
		return uint64(x.Value(i))
	case *array.Int32:
		return uint64(int64(x.Value(i)))
	case *array.Int16:
		return uint64(int64(x.Value(i)))
	case *array.Uint32:
		return uint64(x.Value(i))
	case *array.Float64:
		return floatBits(x.Value(i))
	case *array.Float32:
		return floatBits(float64(x.Value(i)))
	case *array.Date32:
		return uint64(int64(x.Value(i)))
	case *array.Timestamp:
		return uint64(x.Value(i))
	case *array.Time64:
		return uint64(x.Value(i))
	case *array.Boolean:
		if x.Value(i) {
			return 1
		}
		return 0
	}
	panic("BUG: fixed key of " + a.DataType().String())
}

// floatBits normalizes -0 to 0 and every NaN to one NaN, so equal floats
// (in PostgreSQL's sense) have equal bits.
func floatBits(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

// canonicalBytes renders row i of a string-kind key column: strings as
// they are, numerics reduced (1.0 = 1.00), anything else as its text.
func canonicalBytes(c *keyCol, a arrow.Array, s stringer, i int, buf []byte) []byte {
	if s != nil {
		v := s.Value(i)
		if c.t.Family == types.FamNumeric {
			d, _, err := apd.NewFromString(v)
			if err == nil {
				d.Reduce(d)
				return append(buf[:0], d.Text('f')...)
			}
		}
		return append(buf[:0], v...)
	}
	if b, ok := a.(*array.Binary); ok {
		return append(buf[:0], b.Value(i)...)
	}
	return types.AppendText(buf[:0], c.t, Datum(a, i, c.t), nil)
}

// hashRows computes the hash of every row's key tuple into t.rowHash.
func (t *GroupTable) hashRows(cols []arrow.Array, n int) {
	if cap(t.rowHash) < n {
		t.rowHash = make([]uint64, n)
	}
	if cap(t.colHash) < n {
		t.colHash = make([]uint64, n)
	}
	h := t.rowHash[:n]
	ch := t.colHash[:n]
	for i := range h {
		h[i] = 0
	}
	t.strs = t.strs[:0]
	var buf []byte
	for ci, a := range cols {
		c := &t.cols[ci]
		var s stringer
		if c.kind == keyString {
			switch a.(type) {
			case *array.String, *array.Dictionary:
				s = asStrings(a)
			}
		}
		t.strs = append(t.strs, s)
		nulls := a.NullN() > 0
		switch c.kind {
		case keyFixed:
			switch x := a.(type) {
			case *array.Int64:
				for i, v := range x.Int64Values() {
					ch[i] = uint64(v)
				}
			case *array.Int32:
				for i, v := range x.Int32Values() {
					ch[i] = uint64(int64(v))
				}
			case *array.Timestamp:
				for i, v := range valuesOf[int64](a) {
					ch[i] = uint64(v)
				}
			case *array.Date32:
				for i, v := range valuesOf[int32](a) {
					ch[i] = uint64(int64(v))
				}
			default:
				for i := range ch {
					ch[i] = fixedBitsAt(a, i)
				}
			}
		case keyInterval:
			iv := a.(*array.MonthDayNanoInterval)
			for i := range ch {
				v := iv.Value(i)
				ch[i] = mix64(uint64(v.Months)<<32|uint64(uint32(v.Days))) ^ uint64(v.Nanoseconds)
			}
		case keyString:
			if x, ok := a.(*array.String); ok && c.t.Family != types.FamNumeric {
				for i := range ch {
					ch[i] = xxh3.HashString(x.Value(i))
				}
			} else if d, ok := a.(*array.Dictionary); ok && c.t.Family != types.FamNumeric {
				dict := d.Dictionary().(*array.String)
				dh := make([]uint64, dict.Len())
				for j := range dh {
					dh[j] = xxh3.HashString(dict.Value(j))
				}
				for i := range ch {
					ch[i] = dh[d.GetValueIndex(i)]
				}
			} else {
				for i := range ch {
					if nulls && a.IsNull(i) {
						continue
					}
					buf = canonicalBytes(c, a, s, i, buf)
					ch[i] = xxh3.Hash(buf)
				}
			}
		}
		if nulls {
			for i := range ch {
				if a.IsNull(i) {
					ch[i] = hashSeedNull
				}
			}
		}
		seed := uint64(ci+1) * 0x9e3779b97f4a7c15
		for i := range h {
			h[i] = mix64(h[i] ^ ch[i] ^ seed)
		}
	}
}

// equalRow reports whether row i of cols equals group g's key.
func (t *GroupTable) equalRow(cols []arrow.Array, i int, g uint32, buf []byte) bool {
	for ci, a := range cols {
		c := &t.cols[ci]
		null := a.NullN() > 0 && a.IsNull(i)
		if null != c.nulls[g] {
			return false
		}
		if null {
			continue
		}
		switch c.kind {
		case keyFixed:
			if c.fixed[g] != fixedBitsAt(a, i) {
				return false
			}
		case keyInterval:
			v := a.(*array.MonthDayNanoInterval).Value(i)
			if c.fixed[2*g] != uint64(v.Months)<<32|uint64(uint32(v.Days)) || c.fixed[2*g+1] != uint64(v.Nanoseconds) {
				return false
			}
		case keyString:
			stored := c.data[c.offs[g]:c.offs[g+1]]
			if s := t.strs[ci]; s != nil && c.t.Family != types.FamNumeric {
				if string(stored) != s.Value(i) {
					return false
				}
			} else if string(stored) != string(canonicalBytes(c, a, t.strs[ci], i, buf)) {
				return false
			}
		}
	}
	return true
}

// appendKey stores row i of cols as a new group's key.
func (t *GroupTable) appendKey(cols []arrow.Array, i int, buf []byte) {
	for ci, a := range cols {
		c := &t.cols[ci]
		null := a.NullN() > 0 && a.IsNull(i)
		c.nulls = append(reserve(c.nulls, 1), null)
		switch c.kind {
		case keyFixed:
			var v uint64
			if !null {
				v = fixedBitsAt(a, i)
			}
			c.fixed = append(reserve(c.fixed, 1), v)
		case keyInterval:
			var hi, lo uint64
			if !null {
				v := a.(*array.MonthDayNanoInterval).Value(i)
				hi, lo = uint64(v.Months)<<32|uint64(uint32(v.Days)), uint64(v.Nanoseconds)
			}
			c.fixed = append(reserve(c.fixed, 2), hi, lo)
		case keyString:
			if !null {
				if s := t.strs[ci]; s != nil && c.t.Family != types.FamNumeric {
					v := s.Value(i)
					c.data = append(reserve(c.data, len(v)), v...)
				} else {
					b := canonicalBytes(c, a, t.strs[ci], i, buf)
					c.data = append(reserve(c.data, len(b)), b...)
				}
			}
			c.offs = append(reserve(c.offs, 1), int64(len(c.data)))
		}
	}
}

// reserve returns s with room for n more elements, doubling its capacity
// when it must grow: append alone grows large slices by a quarter, which
// copies a table of millions of groups several times over.
func reserve[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	out := make([]T, len(s), max(2*cap(s), len(s)+n, 64))
	copy(out, s)
	return out
}

func (t *GroupTable) grow() {
	n := len(t.slots) * 2
	t.slots = make([]uint32, n)
	t.mask = uint64(n - 1)
	for g, h := range t.hashes {
		p := h & t.mask
		for t.slots[p] != 0 {
			p = (p + 1) & t.mask
		}
		t.slots[p] = uint32(g) + 1
	}
}

// Insert assigns each of the n rows of cols a group id in groups, adding
// groups for keys not seen before. NULLs group together. It returns the
// number of groups added.
func (t *GroupTable) Insert(cols []arrow.Array, n int, groups []uint32) int {
	t.hashRows(cols, n)
	before := len(t.hashes)
	var buf []byte
	for i := 0; i < n; i++ {
		h := t.rowHash[i]
		p := h & t.mask
		for {
			s := t.slots[p]
			if s == 0 {
				g := uint32(len(t.hashes))
				t.hashes = append(reserve(t.hashes, 1), h)
				t.appendKey(cols, i, buf)
				if t.eq != nil {
					t.eq.add(t, int(g))
				}
				t.slots[p] = g + 1
				groups[i] = g
				if uint64(len(t.hashes))*2 > uint64(len(t.slots)) {
					t.grow()
				}
				break
			}
			g := s - 1
			if t.hashes[g] == h && t.equalRow(cols, i, g, buf) {
				groups[i] = g
				break
			}
			p = (p + 1) & t.mask
		}
	}
	return len(t.hashes) - before
}

// Find sets groups[i] to the group of row i's key, or NoGroup when the key
// is absent. With nullsMatch false a row with any NULL key finds nothing
// (join semantics).
func (t *GroupTable) Find(cols []arrow.Array, n int, groups []uint32, nullsMatch bool) {
	t.hashRows(cols, n)
	var buf []byte
	for i := 0; i < n; i++ {
		if !nullsMatch && rowHasNull(cols, i) {
			groups[i] = NoGroup
			continue
		}
		h := t.rowHash[i]
		p := h & t.mask
		groups[i] = NoGroup
		for {
			s := t.slots[p]
			if s == 0 {
				break
			}
			g := s - 1
			if t.hashes[g] == h && t.equalRow(cols, i, g, buf) {
				groups[i] = g
				break
			}
			p = (p + 1) & t.mask
		}
	}
}

func rowHasNull(cols []arrow.Array, i int) bool {
	for _, a := range cols {
		if a.NullN() > 0 && a.IsNull(i) {
			return true
		}
	}
	return false
}

// HasNullKey reports whether some group has a NULL in some key column.
func (t *GroupTable) HasNullKey() bool {
	for i := range t.cols {
		for _, n := range t.cols[i].nulls {
			if n {
				return true
			}
		}
	}
	return false
}

// KeyArrays materializes the key columns of groups [from, to).
func (t *GroupTable) KeyArrays(from, to int) []arrow.Array {
	out := make([]arrow.Array, len(t.cols))
	for ci := range t.cols {
		out[ci] = t.keyArray(&t.cols[ci], from, to)
	}
	return out
}

func (t *GroupTable) keyArray(c *keyCol, from, to int) arrow.Array {
	n := to - from
	var valid *memory.Buffer
	hasNull := false
	for g := from; g < to; g++ {
		if c.nulls[g] {
			hasNull = true
			break
		}
	}
	if hasNull {
		vb := make([]byte, bitutil.BytesForBits(int64(n)))
		for g := from; g < to; g++ {
			if !c.nulls[g] {
				bitutil.SetBit(vb, g-from)
			}
		}
		valid = memory.NewBufferBytes(vb)
	}
	dt := c.t.Arrow()
	switch c.kind {
	case keyFixed:
		src := c.fixed[from:to]
		switch dt.ID() {
		case arrow.INT64, arrow.TIMESTAMP, arrow.TIME64:
			vals := make([]int64, n)
			for i, v := range src {
				vals[i] = int64(v)
			}
			return newFixedArray(dt, vals, valid)
		case arrow.INT32, arrow.DATE32:
			vals := make([]int32, n)
			for i, v := range src {
				vals[i] = int32(int64(v))
			}
			return newFixedArray(dt, vals, valid)
		case arrow.INT16:
			vals := make([]int16, n)
			for i, v := range src {
				vals[i] = int16(int64(v))
			}
			return newFixedArray(dt, vals, valid)
		case arrow.UINT32:
			vals := make([]uint32, n)
			for i, v := range src {
				vals[i] = uint32(v)
			}
			return newFixedArray(dt, vals, valid)
		case arrow.FLOAT64:
			vals := make([]float64, n)
			for i, v := range src {
				vals[i] = math.Float64frombits(v)
			}
			return newFixedArray(dt, vals, valid)
		case arrow.FLOAT32:
			vals := make([]float32, n)
			for i, v := range src {
				vals[i] = float32(math.Float64frombits(v))
			}
			return newFixedArray(dt, vals, valid)
		case arrow.BOOL:
			vals := make([]byte, bitutil.BytesForBits(int64(n)))
			for i, v := range src {
				if v != 0 {
					bitutil.SetBit(vals, i)
				}
			}
			return newBoolArray(vals, valid, n)
		}
	case keyInterval:
		b := array.NewMonthDayNanoIntervalBuilder(Alloc)
		defer b.Release()
		for g := from; g < to; g++ {
			if c.nulls[g] {
				b.AppendNull()
				continue
			}
			hi, lo := c.fixed[2*g], c.fixed[2*g+1]
			b.Append(arrow.MonthDayNanoInterval{Months: int32(hi >> 32), Days: int32(uint32(hi)), Nanoseconds: int64(lo)})
		}
		return b.NewArray()
	case keyString:
		if dt.ID() == arrow.STRING {
			base := c.offs[from]
			offs := make([]int32, n+1)
			for i := 0; i <= n; i++ {
				offs[i] = int32(c.offs[from+i] - base)
			}
			data := append([]byte(nil), c.data[base:c.offs[to]]...)
			return array.NewStringData(array.NewData(arrow.BinaryTypes.String, n,
				[]*memory.Buffer{valid, memory.NewBufferBytes(unsafeBytes(offs)), memory.NewBufferBytes(data)}, nil, nullCount(valid, n), 0))
		}
		if dt.ID() == arrow.BINARY {
			base := c.offs[from]
			offs := make([]int32, n+1)
			for i := 0; i <= n; i++ {
				offs[i] = int32(c.offs[from+i] - base)
			}
			data := append([]byte(nil), c.data[base:c.offs[to]]...)
			return array.NewBinaryData(array.NewData(arrow.BinaryTypes.Binary, n,
				[]*memory.Buffer{valid, memory.NewBufferBytes(unsafeBytes(offs)), memory.NewBufferBytes(data)}, nil, nullCount(valid, n), 0))
		}
		// Other types keyed by their text: parse back.
		b := NewBuilder(c.t)
		defer b.Release()
		for g := from; g < to; g++ {
			if c.nulls[g] {
				b.AppendNull()
				continue
			}
			v, err := types.ParseText(c.t, string(c.data[c.offs[g]:c.offs[g+1]]), nil)
			if err != nil {
				b.AppendNull()
				continue
			}
			AppendDatum(b, c.t, v)
		}
		return b.NewArray()
	}
	panic("BUG: keyArray")
}

// MergeFrom inserts every group of src (a table with the same key types)
// and sets out[g] to the id of src's group g in t.
func (t *GroupTable) MergeFrom(src *GroupTable, out []uint32) {
	const chunk = 8192
	for from := 0; from < src.Len(); from += chunk {
		to := min(from+chunk, src.Len())
		keys := src.KeyArrays(from, to)
		t.Insert(keys, to-from, out[from:to])
		for _, k := range keys {
			k.Release()
		}
	}
}
