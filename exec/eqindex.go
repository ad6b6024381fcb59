package exec

import (
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// eqIndex maps the values of one key column of a GroupTable to the groups
// holding them, ascending: a point query on a view ("device_id = $1")
// finds its few groups among hundreds of thousands without a pass over
// all of them. Built on first use, then kept up to date by Insert.
type eqIndex struct {
	col   int
	str   map[string][]int32 // text keys
	fixed map[uint64][]int32 // integer keys, as the table stores them
}

// indexable reports whether key column c can carry an eqIndex.
func (t *GroupTable) indexable(c int) bool {
	kc := &t.cols[c]
	switch kc.kind {
	case keyString:
		return kc.t.Arrow().ID() == arrow.STRING && kc.t.OID != types.BPChar.OID
	case keyFixed:
		return kc.t.Family == types.FamInt
	}
	return false
}

func (x *eqIndex) add(t *GroupTable, g int) {
	kc := &t.cols[x.col]
	if kc.nulls[g] {
		return
	}
	if x.str != nil {
		k := string(kc.data[kc.offs[g]:kc.offs[g+1]])
		x.str[k] = append(x.str[k], int32(g))
		return
	}
	x.fixed[kc.fixed[g]] = append(x.fixed[kc.fixed[g]], int32(g))
}

// GroupsWithKey returns the groups whose key column c equals v (a string
// for text keys, an int64 for integer keys), ascending; ok is false when
// the column cannot be indexed or v has another type. The first call for
// a column builds its index; the caller must not modify the result.
func (t *GroupTable) GroupsWithKey(c int, v any) (groups []int32, ok bool) {
	if c < 0 || c >= len(t.cols) || !t.indexable(c) {
		return nil, false
	}
	var sv string
	var iv int64
	switch x := v.(type) {
	case string:
		if t.cols[c].kind != keyString {
			return nil, false
		}
		sv = x
	case int64:
		if t.cols[c].kind != keyFixed {
			return nil, false
		}
		iv = x
	default:
		return nil, false
	}
	if t.eq == nil || t.eq.col != c {
		x := &eqIndex{col: c}
		if t.cols[c].kind == keyString {
			x.str = map[string][]int32{}
		} else {
			x.fixed = map[uint64][]int32{}
		}
		for g := range t.Len() {
			x.add(t, g)
		}
		t.eq = x
	}
	if t.eq.str != nil {
		return t.eq.str[sv], true
	}
	return t.eq.fixed[uint64(iv)], true
}

// KeyArraysOf materializes the key columns of the given groups, in order.
func (t *GroupTable) KeyArraysOf(groups []int32) []arrow.Array {
	out := make([]arrow.Array, len(t.cols))
	for ci := range t.cols {
		if a := t.gatherKeys(&t.cols[ci], groups); a != nil {
			out[ci] = a
			continue
		}
		parts := make([]arrow.Array, 0, len(groups))
		for i := 0; i < len(groups); {
			// Runs of consecutive groups materialize at once.
			j := i + 1
			for j < len(groups) && groups[j] == groups[j-1]+1 {
				j++
			}
			parts = append(parts, t.keyArray(&t.cols[ci], int(groups[i]), int(groups[j-1])+1))
			i = j
		}
		switch len(parts) {
		case 0:
			out[ci] = t.keyArray(&t.cols[ci], 0, 0)
		case 1:
			out[ci] = parts[0]
		default:
			a, err := array.Concatenate(parts, Alloc)
			for _, p := range parts {
				p.Release()
			}
			if err != nil {
				panic("BUG: concatenate key arrays: " + err.Error())
			}
			out[ci] = a
		}
	}
	return out
}

// gatherKeys builds the common key arrays (64-bit integers and
// timestamps, text) of groups directly; nil for the other kinds.
func (t *GroupTable) gatherKeys(c *keyCol, groups []int32) arrow.Array {
	n := len(groups)
	var valid *memory.Buffer
	for i, g := range groups {
		if c.nulls[g] {
			if valid == nil {
				vb := make([]byte, bitutil.BytesForBits(int64(n)))
				bitutil.SetBitsTo(vb, 0, int64(n), true)
				valid = memory.NewBufferBytes(vb)
			}
			bitutil.ClearBit(valid.Bytes(), i)
		}
	}
	dt := c.t.Arrow()
	switch {
	case c.kind == keyFixed && (dt.ID() == arrow.INT64 || dt.ID() == arrow.TIMESTAMP):
		vals := make([]int64, n)
		for i, g := range groups {
			vals[i] = int64(c.fixed[g])
		}
		return newFixedArray(dt, vals, valid)
	case c.kind == keyString && dt.ID() == arrow.STRING:
		offs := make([]int32, n+1)
		size := 0
		for i, g := range groups {
			size += int(c.offs[g+1] - c.offs[g])
			offs[i+1] = int32(size)
		}
		data := make([]byte, 0, size)
		for _, g := range groups {
			data = append(data, c.data[c.offs[g]:c.offs[g+1]]...)
		}
		return array.NewStringData(array.NewData(arrow.BinaryTypes.String, n,
			[]*memory.Buffer{valid, memory.NewBufferBytes(unsafeBytes(offs)), memory.NewBufferBytes(data)}, nil, nullCount(valid, n), 0))
	}
	return nil
}
