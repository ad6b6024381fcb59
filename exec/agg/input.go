package agg

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/jackc/pgerrcode"

	"lambdasql/sql/sqlstate"
)

// errInternal reports a caller bug (wrong array type, mismatched lengths):
// SQLSTATE XX000.
func errInternal(format string, args ...any) error {
	return sqlstate.New(sqlstate.InternalError, "internal error: "+format, args...)
}

// errCorrupt reports a state encoding that LoadState cannot decode:
// SQLSTATE XX001 (data_corrupted).
func errCorrupt(name string, why string) error {
	return sqlstate.New(pgerrcode.DataCorrupted, "corrupt saved state of aggregate %s: %s", name, why)
}

// checkArgs validates the shape of an Update call.
func checkArgs(name string, groups []uint32, args []arrow.Array, want int) error {
	if len(args) != want {
		return errInternal("%s: got %d argument arrays, want %d", name, len(args), want)
	}
	for i, a := range args {
		if a == nil {
			return errInternal("%s: argument %d is nil", name, i)
		}
		if a.Len() != len(groups) {
			return errInternal("%s: argument %d has %d rows for %d group ids", name, i, a.Len(), len(groups))
		}
	}
	return nil
}

// checkMerge validates the shape of a Merge call.
func checkMerge(name string, srcLen, dstLen int, dst []uint32) error {
	if len(dst) < srcLen {
		return errInternal("%s: merge of %d groups with %d destinations", name, srcLen, len(dst))
	}
	for _, d := range dst[:srcLen] {
		if d != NoGroup && int(d) >= dstLen {
			return errInternal("%s: merge destination group %d out of range [0,%d)", name, d, dstLen)
		}
	}
	return nil
}

func wrongType(name string, a arrow.Array) error {
	return errInternal("%s: unexpected input array type %s", name, a.DataType())
}

// bitmap is the validity of one argument column: nil bits means every row is
// valid. Row i is valid when bits == nil || BitIsSet(bits, off+i).
type bitmap struct {
	bits []byte
	off  int
	none bool // every row is NULL (an arrow.Null array)
}

func (b bitmap) valid(i int) bool {
	return b.bits == nil || bitutil.BitIsSet(b.bits, b.off+i)
}

// rowValidity returns a's validity. For a dictionary array whose dictionary
// itself holds NULLs it builds the combined bitmap in *scratch.
func rowValidity(a arrow.Array, scratch *[]byte) bitmap {
	if a.DataType().ID() == arrow.NULL {
		return bitmap{none: true, bits: zeroBits(a.Len(), scratch)}
	}
	if d, ok := a.(*array.Dictionary); ok && d.Dictionary().NullN() > 0 {
		dict := d.Dictionary()
		n := a.Len()
		buf := zeroBits(n, scratch)
		for i := 0; i < n; i++ {
			if d.IsValid(i) && dict.IsValid(d.GetValueIndex(i)) {
				bitutil.SetBit(buf, i)
			}
		}
		return bitmap{bits: buf}
	}
	if a.NullN() == 0 {
		return bitmap{}
	}
	return bitmap{bits: a.NullBitmapBytes(), off: a.Data().Offset()}
}

// bit returns 1 when row i is valid, 0 when NULL, without branching (use
// only when bits != nil).
func (b bitmap) bit(i int) uint64 {
	j := b.off + i
	return uint64(b.bits[j>>3]>>(j&7)) & 1
}

// singleGroup reports whether every row goes to one group (a global
// aggregate, or a batch of one key), which the hot loops fold in registers.
func singleGroup(groups []uint32) (uint32, bool) {
	if len(groups) == 0 {
		return 0, false
	}
	g := groups[0]
	if g == NoGroup || groups[len(groups)-1] != g {
		return 0, false
	}
	for _, x := range groups {
		if x != g {
			return 0, false
		}
	}
	return g, true
}

func zeroBits(n int, scratch *[]byte) []byte {
	nb := int(bitutil.BytesForBits(int64(n)))
	if cap(*scratch) < nb {
		*scratch = make([]byte, nb)
	}
	buf := (*scratch)[:nb]
	clear(buf)
	return buf
}

// strCol reads the values of a String, Binary or dictionary-of-String
// column without materializing Go strings: at(i) slices the Arrow buffers.
type strCol struct {
	offs []int32 // plain: row offsets; dictionary: dictionary entry offsets
	data []byte
	idx  []int32 // dictionary indices widened to int32; nil for plain columns
	dict *array.Data
	nd   int // dictionary size
}

func (c *strCol) at(i int) []byte {
	if c.idx != nil {
		j := c.idx[i]
		return c.data[c.offs[j]:c.offs[j+1]]
	}
	return c.data[c.offs[i]:c.offs[i+1]]
}

// entry returns dictionary entry j.
func (c *strCol) entry(j int32) []byte { return c.data[c.offs[j]:c.offs[j+1]] }

// loadStr decodes a for strCol access; idxScratch receives widened indices.
func loadStr(name string, a arrow.Array, idxScratch *[]int32) (strCol, error) {
	switch x := a.(type) {
	case *array.String:
		return strCol{offs: x.ValueOffsets(), data: rawBuf(x.Data(), 2)}, nil
	case *array.Binary:
		return strCol{offs: x.ValueOffsets(), data: rawBuf(x.Data(), 2)}, nil
	case *array.Dictionary:
		var c strCol
		switch d := x.Dictionary().(type) {
		case *array.String:
			c.offs, c.data = d.ValueOffsets(), rawBuf(d.Data(), 2)
		case *array.Binary:
			c.offs, c.data = d.ValueOffsets(), rawBuf(d.Data(), 2)
		default:
			return strCol{}, wrongType(name, a)
		}
		c.dict = x.Dictionary().Data().(*array.Data)
		c.nd = x.Dictionary().Len()
		idx, err := widenIndices(name, x.Indices(), idxScratch)
		if err != nil {
			return strCol{}, err
		}
		// NULL rows may hold any index; clamp them so at(i) never panics.
		if x.Indices().NullN() > 0 || c.nd == 0 {
			for i, j := range idx {
				if j < 0 || int(j) >= c.nd {
					if c.nd == 0 {
						if x.IsValid(i) {
							return strCol{}, errInternal("%s: dictionary index out of range", name)
						}
						// An empty dictionary with only NULL rows: point at
						// a synthetic empty entry.
						c.offs, c.data = []int32{0, 0}, nil
						c.nd = 1
					} else if x.IsValid(i) {
						return strCol{}, errInternal("%s: dictionary index %d out of range [0,%d)", name, j, c.nd)
					}
					idx[i] = 0
				}
			}
		} else {
			for _, j := range idx {
				if uint32(j) >= uint32(c.nd) {
					return strCol{}, errInternal("%s: dictionary index %d out of range [0,%d)", name, j, c.nd)
				}
			}
		}
		c.idx = idx
		return c, nil
	}
	return strCol{}, wrongType(name, a)
}

// rawBuf returns buffer i of d, or nil.
func rawBuf(d arrow.ArrayData, i int) []byte {
	bufs := d.Buffers()
	if i >= len(bufs) || bufs[i] == nil {
		return nil
	}
	return bufs[i].Bytes()
}

// widenIndices returns the dictionary indices as []int32, reusing the Arrow
// buffer when they already are int32.
func widenIndices(name string, ix arrow.Array, scratch *[]int32) ([]int32, error) {
	n := ix.Len()
	grow := func() []int32 {
		if cap(*scratch) < n {
			*scratch = make([]int32, n)
		}
		return (*scratch)[:n]
	}
	switch x := ix.(type) {
	case *array.Int32:
		// Copy: NULL slots are clamped in place by loadStr.
		out := grow()
		copy(out, x.Int32Values())
		return out, nil
	case *array.Int8:
		out := grow()
		for i, v := range x.Int8Values() {
			out[i] = int32(v)
		}
		return out, nil
	case *array.Uint8:
		out := grow()
		for i, v := range x.Uint8Values() {
			out[i] = int32(v)
		}
		return out, nil
	case *array.Int16:
		out := grow()
		for i, v := range x.Int16Values() {
			out[i] = int32(v)
		}
		return out, nil
	case *array.Uint16:
		out := grow()
		for i, v := range x.Uint16Values() {
			out[i] = int32(v)
		}
		return out, nil
	case *array.Uint32:
		out := grow()
		for i, v := range x.Uint32Values() {
			out[i] = int32(min(v, 1<<31-1))
		}
		return out, nil
	case *array.Int64:
		out := grow()
		for i, v := range x.Int64Values() {
			out[i] = int32(max(min(v, 1<<31-1), -1))
		}
		return out, nil
	case *array.Uint64:
		out := grow()
		for i, v := range x.Uint64Values() {
			out[i] = int32(min(v, 1<<31-1))
		}
		return out, nil
	}
	return nil, errInternal("%s: unsupported dictionary index type %s", name, ix.DataType())
}

// bytesString views b as a string without copying; the string must not
// outlive b's buffer.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
