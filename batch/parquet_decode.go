package batch

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"lambdasql/sql/sqlstate"
)

// This file decodes Parquet pages straight into Arrow buffers.
//
// PERF-NOTES measured the page path (ColumnChunk pages, Page.Data()) as the
// fastest parquet-go API by a wide margin over ReadValues and the row API,
// so each column chunk is read page by page: a page's values are viewed in
// place (encoding.Values typed accessors, no copy) or converted once per
// page, dictionary pages are converted once per column chunk, and rows are
// copied or gathered into freshly allocated Go slices that become the
// Arrow buffers without another copy. The caller owns every array.

// errCorrupt marks decoding failures caused by the file's content.
var errCorrupt = errors.New("corrupt parquet data")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

// columnReader streams one column chunk as Arrow arrays of requested
// lengths. It is used by one goroutine.
type columnReader struct {
	pages    *parquet.FilePages
	dec      decoder
	optional bool
	page     parquet.Page
	defs     []byte // definition levels of page when optional
	rows     int    // rows in page
	row      int    // next row of page
	val      int    // next non-null value of page
}

// decoder turns the dense (non-null) values of a page, or a page of
// dictionary indexes, into one Arrow array.
type decoder interface {
	// reset starts an array of n rows.
	reset(n int)
	// setPage prepares p's values and returns how many dense values it
	// holds.
	setPage(p parquet.Page) (int, error)
	// copyRows copies k rows starting at dense value val into the array at
	// row dst. defs holds the k rows' definition levels (a row is non-null
	// when its level is 1); nil means every row is non-null. It returns
	// the number of dense values consumed.
	copyRows(dst, val, k int, defs []byte) (int, error)
	// finish returns the array; the decoder forgets it.
	finish() arrow.Array
}

func newColumnReader(p *colPlan, pages *parquet.FilePages) *columnReader {
	return &columnReader{pages: pages, dec: newDecoder(p), optional: p.optional}
}

// read returns the next n rows of the column.
func (c *columnReader) read(ctx context.Context, n int) (arrow.Array, error) {
	c.dec.reset(n)
	for filled := 0; filled < n; {
		if c.page == nil || c.row == c.rows {
			if err := c.nextPage(ctx); err != nil {
				if a := c.dec.finish(); a != nil {
					a.Release()
				}
				return nil, err
			}
			continue
		}
		k := min(n-filled, c.rows-c.row)
		var defs []byte
		if c.optional {
			// A run without NULL takes the bulk path of a required column.
			if d := c.defs[c.row : c.row+k]; bytes.IndexByte(d, 0) >= 0 {
				defs = d
			}
		}
		used, err := c.dec.copyRows(filled, c.val, k, defs)
		if err != nil {
			if a := c.dec.finish(); a != nil {
				a.Release()
			}
			return nil, err
		}
		c.row += k
		c.val += used
		filled += k
	}
	return c.dec.finish(), nil
}

// skip advances past the next n rows without decoding their values.
func (c *columnReader) skip(ctx context.Context, n int64) error {
	for n > 0 {
		if c.page == nil || c.row == c.rows {
			if err := c.nextPage(ctx); err != nil {
				return err
			}
			continue
		}
		k := int(min(n, int64(c.rows-c.row)))
		used := k
		if c.optional {
			used = bytes.Count(c.defs[c.row:c.row+k], []byte{1})
		}
		c.row += k
		c.val += used
		n -= int64(k)
	}
	return nil
}

// nextPage releases the current page and reads the next one. ctx is
// checked between pages so a scan stops mid-chunk when cancelled.
func (c *columnReader) nextPage(ctx context.Context) error {
	c.releasePage()
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := c.pages.ReadPage()
	if err != nil {
		if err == io.EOF {
			return corruptf("column chunk ended before the row group's last row")
		}
		return fmt.Errorf("%w: %w", errCorrupt, err)
	}
	c.page = p
	rows := int(p.NumRows())
	dense := rows
	if c.optional {
		c.defs = p.DefinitionLevels()
		if len(c.defs) != rows {
			return corruptf("page has %d definition levels for %d rows", len(c.defs), rows)
		}
		dense = bytes.Count(c.defs, []byte{1})
	}
	have, err := c.dec.setPage(p)
	if err != nil {
		return err
	}
	if have < dense {
		return corruptf("page has %d values for %d non-null rows", have, dense)
	}
	c.rows, c.row, c.val = rows, 0, 0
	return nil
}

func (c *columnReader) releasePage() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
		c.defs = nil
	}
}

// validity builds an Arrow validity bitmap from definition levels. The
// bitmap is allocated at the first NULL: columns declared OPTIONAL (all of
// lambdasql's) mostly hold no NULL, and then no bitmap is built at all.
type validity struct {
	bits  []byte
	n     int
	nulls int
}

func (b *validity) reset(n int) { b.bits, b.n, b.nulls = nil, n, 0 }

// valid marks rows [dst, dst+k) valid.
func (b *validity) valid(dst, k int) {
	if b.bits != nil {
		bitutil.SetBitsTo(b.bits, int64(dst), int64(k), true)
	}
}

// set records the rows from dst on with definition levels defs (1 is
// non-null). Rows are filled in order, so every row before the first NULL
// is valid.
func (b *validity) set(dst int, defs []byte) {
	if b.bits == nil {
		b.bits = make([]byte, (b.n+7)/8)
		bitutil.SetBitsTo(b.bits, 0, int64(dst), true)
	}
	for i, l := range defs {
		if l == 1 {
			j := dst + i
			b.bits[j>>3] |= 1 << (j & 7)
		} else {
			b.nulls++
		}
	}
}

// buffer returns the bitmap, nil when no row is NULL.
func (b *validity) buffer() *memory.Buffer {
	if b.bits == nil || b.nulls == 0 {
		return nil
	}
	return memory.NewBufferBytes(b.bits)
}

func checkIndexes(idx []int32, n int) error {
	var hi uint32
	for _, ix := range idx {
		hi = max(hi, uint32(ix))
	}
	if len(idx) > 0 && int64(hi) >= int64(n) {
		return corruptf("dictionary index %d out of range for %d entries", int32(hi), n)
	}
	return nil
}

// fixedDecoder decodes into a fixed-width Arrow array of T. Either view
// (values used in place) or convert (values converted into a scratch
// slice) is set.
type fixedDecoder[T arrow.FixedWidthType] struct {
	dt      arrow.DataType
	view    func(*encoding.Values) []T
	convert func(dst []T, v encoding.Values) ([]T, error)

	vals        []T
	scratch     []T
	dict        []T
	dictScratch []T
	dictOf      parquet.Dictionary
	idx         []int32

	out []T
	n   int
	bm  validity
}

func (f *fixedDecoder[T]) values(dst []T, v encoding.Values) ([]T, []T, error) {
	if f.view != nil {
		return f.view(&v), dst, nil
	}
	out, err := f.convert(dst[:0], v)
	return out, out, err
}

func (f *fixedDecoder[T]) reset(n int) {
	f.out, f.n = make([]T, n), n
	f.bm.reset(n)
}

func (f *fixedDecoder[T]) setPage(p parquet.Page) (int, error) {
	if d := p.Dictionary(); d != nil {
		if d != f.dictOf {
			var err error
			f.dict, f.dictScratch, err = f.values(f.dictScratch, d.Page().Data())
			if err != nil {
				return 0, err
			}
			f.dictOf = d
		}
		data := p.Data()
		f.idx = data.Int32()
		return len(f.idx), checkIndexes(f.idx, len(f.dict))
	}
	f.idx = nil
	var err error
	f.vals, f.scratch, err = f.values(f.scratch, p.Data())
	return len(f.vals), err
}

func (f *fixedDecoder[T]) copyRows(dst, val, k int, defs []byte) (int, error) {
	out := f.out[dst : dst+k]
	if defs == nil {
		if f.idx != nil {
			dict := f.dict
			for i, ix := range f.idx[val : val+k] {
				out[i] = dict[ix]
			}
		} else {
			copy(out, f.vals[val:val+k])
		}
		f.bm.valid(dst, k)
		return k, nil
	}
	v := val
	if f.idx != nil {
		dict, idx := f.dict, f.idx
		for i, l := range defs {
			if l == 1 {
				out[i] = dict[idx[v]]
				v++
			}
		}
	} else {
		vals := f.vals
		for i, l := range defs {
			if l == 1 {
				out[i] = vals[v]
				v++
			}
		}
	}
	f.bm.set(dst, defs)
	return v - val, nil
}

func (f *fixedDecoder[T]) finish() arrow.Array {
	if f.out == nil {
		return nil
	}
	data := array.NewData(f.dt, f.n, []*memory.Buffer{f.bm.buffer(), memory.NewBufferBytes(arrow.GetBytes(f.out))}, nil, f.bm.nulls, 0)
	f.out = nil
	a := array.MakeFromData(data)
	data.Release()
	return a
}

// boolDecoder decodes BOOLEAN pages (bit-packed, LSB first, as Arrow).
type boolDecoder struct {
	bits   []byte
	dict   []byte
	dictOf parquet.Dictionary
	idx    []int32
	out    []byte
	n      int
	bm     validity
}

func (b *boolDecoder) reset(n int) {
	b.out, b.n = make([]byte, (n+7)/8), n
	b.bm.reset(n)
}

func (b *boolDecoder) setPage(p parquet.Page) (int, error) {
	if d := p.Dictionary(); d != nil {
		if d != b.dictOf {
			dv := d.Page().Data()
			b.dict, b.dictOf = dv.Boolean(), d
		}
		data := p.Data()
		b.idx = data.Int32()
		return len(b.idx), checkIndexes(b.idx, d.Len())
	}
	b.idx = nil
	data := p.Data()
	b.bits = data.Boolean()
	return len(b.bits) * 8, nil
}

func (b *boolDecoder) copyRows(dst, val, k int, defs []byte) (int, error) {
	get := func(v int) bool {
		if b.idx != nil {
			v = int(b.idx[v])
			return b.dict[v>>3]>>(v&7)&1 != 0
		}
		return b.bits[v>>3]>>(v&7)&1 != 0
	}
	v := val
	for i := range k {
		if defs != nil && defs[i] != 1 {
			continue
		}
		if get(v) {
			j := dst + i
			b.out[j>>3] |= 1 << (j & 7)
		}
		v++
	}
	if defs != nil {
		b.bm.set(dst, defs)
	} else {
		b.bm.valid(dst, k)
	}
	return v - val, nil
}

func (b *boolDecoder) finish() arrow.Array {
	if b.out == nil {
		return nil
	}
	data := array.NewData(arrow.FixedWidthTypes.Boolean, b.n, []*memory.Buffer{b.bm.buffer(), memory.NewBufferBytes(b.out)}, nil, b.bm.nulls, 0)
	b.out = nil
	a := array.MakeFromData(data)
	data.Release()
	return a
}

// byteList is a list of byte strings: value i is data[offs[i]:offs[i+1]].
type byteList struct {
	data []byte
	offs []uint32
}

func (l byteList) len() int { return max(len(l.offs)-1, 0) }

// varDecoder decodes into an Arrow utf8 or binary array. Dictionary
// pages gather from the chunk's dictionary, converted once.
type varDecoder struct {
	dt arrow.DataType
	// convert fills dst from v; nil means BYTE_ARRAY values in place.
	convert func(dst *byteList, v encoding.Values) error

	vals        byteList
	scratch     byteList
	dict        byteList
	dictScratch byteList
	dictOf      parquet.Dictionary
	idx         []int32

	offs []int32
	data []byte
	n    int
	bm   validity
	hint int // bytes per row of the previous array, to size data
}

func (d *varDecoder) values(dst *byteList, v encoding.Values) (byteList, error) {
	if d.convert == nil {
		data, offs := v.ByteArray()
		l := byteList{data, offs}
		if len(offs) == 0 {
			return byteList{}, nil
		}
		if int64(offs[len(offs)-1]) > int64(len(data)) || offs[0] > offs[len(offs)-1] {
			return byteList{}, corruptf("byte array offsets out of range")
		}
		return l, nil
	}
	err := d.convert(dst, v)
	return *dst, err
}

// padDictionary copies a dictionary so that its data has 16 bytes of
// slack for gather, after checking that its offsets are monotone.
func padDictionary(l byteList) (byteList, error) {
	for i := 1; i < len(l.offs); i++ {
		if l.offs[i] < l.offs[i-1] {
			return byteList{}, corruptf("dictionary offsets are not monotone")
		}
	}
	data := make([]byte, len(l.data), len(l.data)+16)
	copy(data, l.data)
	return byteList{data: data, offs: l.offs}, nil
}

// gather appends the dictionary strings idx[i] to data and writes their
// end offsets to offs. PERF-NOTES: materializing dictionary strings is the
// largest cost of a string scan, and much of it was one memmove call per
// value; strings of up to 16 bytes (the usual ids and codes) are copied as
// one 16-byte block instead, which the 16 bytes of slack kept in dict.data
// (padDictionary) and in data (grown here) make safe.
func gather(data []byte, offs []int32, idx []int32, dict byteList) ([]byte, error) {
	do := dict.offs
	n := uint32(dict.len())
	dd := dict.data[:cap(dict.data)]
	full := data[:cap(data)]
	pos := len(data)
	for i, ix := range idx {
		if uint32(ix) >= n {
			return data, corruptf("dictionary index %d out of range for %d entries", ix, n)
		}
		a, b := do[ix], do[ix+1]
		l := int(b - a)
		if pos+l+16 > len(full) {
			if pos+l > math.MaxInt32 {
				return data, sqlstate.New(sqlstate.ProgramLimitExceeded, "string data of one batch exceeds 2 GiB")
			}
			full = slices.Grow(full[:pos], l+16+len(full))
			full = full[:cap(full)]
		}
		if l <= 16 {
			*(*[16]byte)(full[pos : pos+16]) = *(*[16]byte)(dd[a : a+16])
		} else {
			copy(full[pos:], dd[a:b])
		}
		pos += l
		offs[i] = int32(pos)
	}
	return full[:pos], nil
}

func (d *varDecoder) reset(n int) {
	d.offs, d.n = make([]int32, n+1), n
	// hint is the previous mean plus one byte a row, so the 16 bytes of
	// slack gather needs rarely cost a reallocation.
	d.data = make([]byte, 0, n*max(d.hint, 8)+64)
	d.bm.reset(n)
}

func (d *varDecoder) setPage(p parquet.Page) (int, error) {
	if dict := p.Dictionary(); dict != nil {
		if dict != d.dictOf {
			var err error
			l, err := d.values(&d.dictScratch, dict.Page().Data())
			if err == nil {
				d.dict, err = padDictionary(l)
			}
			if err != nil {
				return 0, err
			}
			d.dictOf = dict
		}
		// Indexes are checked as they are gathered.
		data := p.Data()
		d.idx = data.Int32()
		return len(d.idx), nil
	}
	d.idx = nil
	var err error
	d.vals, err = d.values(&d.scratch, p.Data())
	return d.vals.len(), err
}

func (d *varDecoder) copyRows(dst, val, k int, defs []byte) (int, error) {
	offs := d.offs[dst+1 : dst+k+1]
	data := d.data
	v := val
	switch {
	case defs == nil && d.idx == nil:
		// A run of plain values is one contiguous block: copy it at once
		// and shift its offsets.
		o := d.vals.offs[val : val+k+1]
		delta := int64(len(data)) - int64(o[0])
		data = append(data, d.vals.data[o[0]:o[k]]...)
		for i := range offs {
			offs[i] = int32(int64(o[i+1]) + delta)
		}
		v += k
		d.bm.valid(dst, k)
	case defs == nil:
		var err error
		if data, err = gather(data, offs, d.idx[val:val+k], d.dict); err != nil {
			return 0, err
		}
		v += k
		d.bm.valid(dst, k)
	default:
		src := d.vals
		for i, l := range defs {
			if l == 1 {
				ix := v
				if d.idx != nil {
					src, ix = d.dict, int(d.idx[v])
					if ix < 0 || ix >= d.dict.len() {
						return 0, corruptf("dictionary index %d out of range for %d entries", ix, d.dict.len())
					}
				}
				data = append(data, src.data[src.offs[ix]:src.offs[ix+1]]...)
				v++
			}
			offs[i] = int32(len(data))
		}
		d.bm.set(dst, defs)
	}
	if len(data) > math.MaxInt32 {
		return 0, sqlstate.New(sqlstate.ProgramLimitExceeded, "string data of one batch exceeds 2 GiB")
	}
	d.data = data
	return v - val, nil
}

func (d *varDecoder) finish() arrow.Array {
	if d.offs == nil {
		return nil
	}
	if d.n > 0 {
		d.hint = len(d.data)/d.n + 1
	}
	bufs := []*memory.Buffer{d.bm.buffer(), memory.NewBufferBytes(arrow.GetBytes(d.offs)), memory.NewBufferBytes(d.data)}
	data := array.NewData(d.dt, d.n, bufs, nil, d.bm.nulls, 0)
	d.offs, d.data = nil, nil
	a := array.MakeFromData(data)
	data.Release()
	return a
}

// newDecoder returns the decoder of plan p.
func newDecoder(p *colPlan) decoder {
	dt := p.typ.Arrow()
	switch p.conv {
	case convBool:
		return &boolDecoder{}
	case convI32:
		return &fixedDecoder[int32]{dt: dt, view: func(v *encoding.Values) []int32 { return v.Int32() }}
	case convI32toI16:
		return &fixedDecoder[int16]{dt: dt, convert: mapValues((*encoding.Values).Int32, func(x int32) int16 { return int16(x) })}
	case convI32toU32:
		return &fixedDecoder[uint32]{dt: dt, view: func(v *encoding.Values) []uint32 { return v.Uint32() }}
	case convU32toI64:
		return &fixedDecoder[int64]{dt: dt, convert: mapValues((*encoding.Values).Uint32, func(x uint32) int64 { return int64(x) })}
	case convI32MilliToUs:
		return &fixedDecoder[int64]{dt: dt, convert: mapValues((*encoding.Values).Int32, func(x int32) int64 { return int64(x) * 1000 })}
	case convI64:
		return &fixedDecoder[int64]{dt: dt, view: func(v *encoding.Values) []int64 { return v.Int64() }}
	case convI64MilliToUs:
		return &fixedDecoder[int64]{dt: dt, convert: mapValues((*encoding.Values).Int64, milliToMicro)}
	case convI64NanoToUs:
		return &fixedDecoder[int64]{dt: dt, convert: mapValues((*encoding.Values).Int64, func(x int64) int64 { return floorDiv(x, 1000) })}
	case convI96ToUs:
		return &fixedDecoder[int64]{dt: dt, convert: func(dst []int64, v encoding.Values) ([]int64, error) {
			src := v.Int96()
			dst = grow(dst, len(src))
			for i, x := range src {
				nanos := int64(uint64(x[0]) | uint64(x[1])<<32)
				dst[i] = (int64(x[2])-julianUnixEpoch)*86_400_000_000 + floorDiv(nanos, 1000)
			}
			return dst, nil
		}}
	case convF32:
		return &fixedDecoder[float32]{dt: dt, view: func(v *encoding.Values) []float32 { return v.Float() }}
	case convF64:
		return &fixedDecoder[float64]{dt: dt, view: func(v *encoding.Values) []float64 { return v.Double() }}
	case convF16:
		return &fixedDecoder[float32]{dt: dt, convert: mapFixed(2, func(b []byte) float32 { return halfToFloat(binary.LittleEndian.Uint16(b)) })}
	case convIntervalUs:
		return &fixedDecoder[arrow.MonthDayNanoInterval]{dt: dt, convert: mapFixedErr(16, func(b []byte) (arrow.MonthDayNanoInterval, error) {
			us := int64(binary.LittleEndian.Uint64(b[8:]))
			if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
				return arrow.MonthDayNanoInterval{}, sqlstate.New(sqlstate.DatetimeFieldOverflow, "interval out of range")
			}
			return arrow.MonthDayNanoInterval{
				Months:      int32(binary.LittleEndian.Uint32(b)),
				Days:        int32(binary.LittleEndian.Uint32(b[4:])),
				Nanoseconds: us * 1000,
			}, nil
		})}
	case convIntervalMs:
		return &fixedDecoder[arrow.MonthDayNanoInterval]{dt: dt, convert: mapFixed(12, func(b []byte) arrow.MonthDayNanoInterval {
			// Parquet INTERVAL: three little-endian unsigned ints (months,
			// days, milliseconds).
			return arrow.MonthDayNanoInterval{
				Months:      int32(binary.LittleEndian.Uint32(b)),
				Days:        int32(binary.LittleEndian.Uint32(b[4:])),
				Nanoseconds: int64(binary.LittleEndian.Uint32(b[8:])) * 1_000_000,
			}
		})}
	case convBytes:
		return &varDecoder{dt: dt}
	case convFixed:
		return &varDecoder{dt: dt, convert: func(dst *byteList, v encoding.Values) error {
			data, size := v.FixedLenByteArray()
			n := len(data) / size
			dst.data, dst.offs = data, growU32(dst.offs, n+1)
			for i := range dst.offs {
				dst.offs[i] = uint32(i * size)
			}
			return nil
		}}
	case convUUID:
		return &varDecoder{dt: dt, convert: formatFixed(16, appendUUID)}
	case convDecI32:
		return &varDecoder{dt: dt, convert: formatEach((*encoding.Values).Int32, func(b []byte, x int32) []byte {
			return appendDecimal(b, int64(x), p.scale)
		})}
	case convDecI64:
		return &varDecoder{dt: dt, convert: formatEach((*encoding.Values).Int64, func(b []byte, x int64) []byte {
			return appendDecimal(b, x, p.scale)
		})}
	case convU64ToNumeric:
		return &varDecoder{dt: dt, convert: formatEach((*encoding.Values).Uint64, func(b []byte, x uint64) []byte {
			return strconv.AppendUint(b, x, 10)
		})}
	case convDecBytes:
		scale := p.scale
		if p.physical == format.FixedLenByteArray {
			return &varDecoder{dt: dt, convert: func(dst *byteList, v encoding.Values) error {
				data, size := v.FixedLenByteArray()
				return formatList(dst, len(data)/size, func(b []byte, i int) []byte {
					return appendBigDecimal(b, data[i*size:(i+1)*size], scale)
				})
			}}
		}
		return &varDecoder{dt: dt, convert: func(dst *byteList, v encoding.Values) error {
			data, offs := v.ByteArray()
			if len(offs) == 0 {
				dst.data, dst.offs = dst.data[:0], dst.offs[:0]
				return nil
			}
			if int64(offs[len(offs)-1]) > int64(len(data)) {
				return corruptf("byte array offsets out of range")
			}
			return formatList(dst, len(offs)-1, func(b []byte, i int) []byte {
				return appendBigDecimal(b, data[offs[i]:offs[i+1]], scale)
			})
		}}
	}
	panic(fmt.Sprintf("BUG: no decoder for conversion %d", p.conv))
}

// julianUnixEpoch is the Julian day number of 1970-01-01 (INT96 dates).
const julianUnixEpoch = 2_440_588

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func growU32(s []uint32, n int) []uint32 { return grow(s, n) }

// mapValues converts each value with fn.
func mapValues[S, T any](get func(*encoding.Values) []S, fn func(S) T) func([]T, encoding.Values) ([]T, error) {
	return func(dst []T, v encoding.Values) ([]T, error) {
		src := get(&v)
		dst = grow(dst, len(src))
		for i, x := range src {
			dst[i] = fn(x)
		}
		return dst, nil
	}
}

func mapFixed[T any](size int, fn func([]byte) T) func([]T, encoding.Values) ([]T, error) {
	return mapFixedErr(size, func(b []byte) (T, error) { return fn(b), nil })
}

func mapFixedErr[T any](size int, fn func([]byte) (T, error)) func([]T, encoding.Values) ([]T, error) {
	return func(dst []T, v encoding.Values) ([]T, error) {
		data, sz := v.FixedLenByteArray()
		if sz != size {
			return nil, corruptf("fixed length %d, want %d", sz, size)
		}
		n := len(data) / size
		dst = grow(dst, n)
		for i := range n {
			x, err := fn(data[i*size : (i+1)*size])
			if err != nil {
				return nil, err
			}
			dst[i] = x
		}
		return dst, nil
	}
}

// formatList builds dst from n formatted values.
func formatList(dst *byteList, n int, appendValue func(b []byte, i int) []byte) error {
	dst.offs = growU32(dst.offs, n+1)
	data := dst.data[:0]
	dst.offs[0] = 0
	for i := range n {
		data = appendValue(data, i)
		dst.offs[i+1] = uint32(len(data))
	}
	dst.data = data
	return nil
}

func formatEach[S any](get func(*encoding.Values) []S, fn func([]byte, S) []byte) func(*byteList, encoding.Values) error {
	return func(dst *byteList, v encoding.Values) error {
		src := get(&v)
		return formatList(dst, len(src), func(b []byte, i int) []byte { return fn(b, src[i]) })
	}
}

func formatFixed(size int, fn func([]byte, []byte) []byte) func(*byteList, encoding.Values) error {
	return func(dst *byteList, v encoding.Values) error {
		data, sz := v.FixedLenByteArray()
		if sz != size {
			return corruptf("fixed length %d, want %d", sz, size)
		}
		return formatList(dst, len(data)/size, func(b []byte, i int) []byte { return fn(b, data[i*size:(i+1)*size]) })
	}
}

// appendDecimal appends unscaled·10^-scale as decimal text with exactly
// scale fraction digits, as PostgreSQL prints numeric(p,s).
func appendDecimal(b []byte, unscaled int64, scale int32) []byte {
	if scale == 0 {
		return strconv.AppendInt(b, unscaled, 10)
	}
	var tmp [24]byte
	neg := unscaled < 0
	u := uint64(unscaled)
	if neg {
		u = -u
	}
	return appendDigits(b, neg, strconv.AppendUint(tmp[:0], u, 10), scale)
}

// appendBigDecimal appends a big-endian two's-complement unscaled value.
func appendBigDecimal(b, be []byte, scale int32) []byte {
	if len(be) <= 8 {
		// Sign-extend into an int64: the common case needs no big.Int.
		var x int64
		if len(be) > 0 && be[0]&0x80 != 0 {
			x = -1
		}
		for _, c := range be {
			x = x<<8 | int64(c)
		}
		return appendDecimal(b, x, scale)
	}
	n := new(big.Int).SetBytes(be)
	neg := be[0]&0x80 != 0
	if neg {
		// two's complement: n - 2^(8·len)
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(be))))
		n.Neg(n)
	}
	return appendDigits(b, neg, n.Append(nil, 10), scale)
}

func appendDigits(b []byte, neg bool, digits []byte, scale int32) []byte {
	if neg && !(len(digits) == 1 && digits[0] == '0') {
		b = append(b, '-')
	}
	s := int(scale)
	if s == 0 {
		return append(b, digits...)
	}
	if len(digits) <= s {
		b = append(b, '0', '.')
		for range s - len(digits) {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-s]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-s:]...)
}

func appendUUID(b, u []byte) []byte {
	var tmp [36]byte
	hex.Encode(tmp[0:8], u[0:4])
	tmp[8] = '-'
	hex.Encode(tmp[9:13], u[4:6])
	tmp[13] = '-'
	hex.Encode(tmp[14:18], u[6:8])
	tmp[18] = '-'
	hex.Encode(tmp[19:23], u[8:10])
	tmp[23] = '-'
	hex.Encode(tmp[24:36], u[10:16])
	return append(b, tmp[:]...)
}

// halfToFloat converts an IEEE 754 binary16 value, subnormals included.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0:
		v := float32(frac) / (1 << 24) // 2^-14 · frac/1024
		if sign != 0 {
			return -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}
