package wire

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Binary formats follow PostgreSQL's send/recv functions
// (src/backend/utils/adt/*.c); dates and timestamps count from
// 2000-01-01, PostgreSQL's epoch.
const (
	pgEpochDays   = 10957           // days from 1970-01-01 to 2000-01-01
	pgEpochMicros = 946684800000000 // microseconds from 1970-01-01 to 2000-01-01
)

// cells holds one column's encoded values in a DataRow's field layout: per
// value an int32 length (-1 for NULL) and the bytes. The same layout is a
// binary array element and a binary COPY field, so the encoders serve all
// three.
type cells struct {
	buf  []byte
	ends []int // ends[i] is the end offset in buf of value i
}

func (c *cells) reset() {
	c.buf = c.buf[:0]
	c.ends = c.ends[:0]
}

func (c *cells) appendNull() {
	c.buf = append(c.buf, 0xff, 0xff, 0xff, 0xff)
	c.ends = append(c.ends, len(c.buf))
}

// open starts a value of unknown length and returns where its bytes start.
func (c *cells) open() int {
	c.buf = append(c.buf, 0, 0, 0, 0)
	return len(c.buf)
}

// close ends the value opened at start.
func (c *cells) close(start int) {
	binary.BigEndian.PutUint32(c.buf[start-4:], uint32(len(c.buf)-start))
	c.ends = append(c.ends, len(c.buf))
}

// fixed appends the length prefix of a fixed-size value; the caller
// appends the n bytes and then calls done.
func (c *cells) fixed(n byte) { c.buf = append(c.buf, 0, 0, 0, n) }
func (c *cells) done()        { c.ends = append(c.ends, len(c.buf)) }

// span returns the bytes of value i, length prefix included.
func (c *cells) span(i int) (start, end int) {
	if i > 0 {
		start = c.ends[i-1]
	}
	return start, c.ends[i]
}

// isNull reports whether the value in buf[start:] is NULL.
func (c *cells) isNull(start int) bool {
	return int32(binary.BigEndian.Uint32(c.buf[start:])) == -1
}

// shrink drops buffers that grew past keep bytes.
func (c *cells) shrink(keep int) {
	if cap(c.buf) > keep {
		c.buf = nil
	}
	if cap(c.ends)*8 > keep {
		c.ends = nil
	}
}

// nulls reads an Arrow validity bitmap without an interface call per row.
type nulls struct {
	bits []byte
	off  int
	all  bool // an arrow.Null array: no bitmap, every value NULL
}

func nullsOf(a arrow.Array) nulls {
	if a.NullN() == 0 {
		return nulls{}
	}
	bits := a.NullBitmapBytes()
	if bits == nil {
		return nulls{all: true}
	}
	return nulls{bits: bits, off: a.Data().Offset()}
}

func (n nulls) is(i int) bool {
	if n.bits == nil {
		return n.all
	}
	j := n.off + i
	return n.bits[j>>3]&(1<<uint(j&7)) == 0
}

// encKind is the encoding a column needs, decided once per statement.
type encKind uint8

const (
	encNull encKind = iota // untyped NULL columns: every value NULL
	encVoid                // void: an empty value per row (void_out/void_send), whatever Arrow holds
	encBool
	encInt16
	encInt32
	encInt64
	encUint32 // oid, regclass, regtype, …
	encFloat32
	encFloat64
	encString // text, varchar, bpchar, name, "char", unknown, json, record
	encNumeric
	encJSONB
	encBytes
	encDate
	encTime
	encTimestamp
	encTimestampTZ
	encInterval
	encList
)

// colEncoder turns one column of Arrow records into DataRow values in text
// or binary format. It is built per statement (the session time zone is
// fixed for it) and is not safe for concurrent use.
type colEncoder struct {
	kind    encKind
	binary  bool
	typ     *types.T
	loc     *time.Location
	elem    *colEncoder // arrays: the element encoder
	scratch cells       // arrays: the element values of a record
	dict    cells       // dictionary-encoded input: the dictionary's values
}

// RegNamer renders the value of a reg* column (regclass, regtype,
// regproc, …) as its name in text format; the server sets it. Without it,
// or when it answers false, the number is sent. Plain oid columns are
// always numbers.
var RegNamer func(typeOID, oid uint32) (string, bool)

func (e *colEncoder) regName(v uint32) (string, bool) {
	if RegNamer == nil || e.typ.OID == types.Oid.OID || e.typ.OID == types.Xid.OID {
		return "", false
	}
	return RegNamer(e.typ.OID, v)
}

// newEncoder returns the encoder of type t in the given format (0 text,
// 1 binary). A binary request for a type without a binary form fails with
// 42883 as PostgreSQL's "no binary output function available".
func newEncoder(t *types.T, format int16, loc *time.Location) (*colEncoder, error) {
	if t == nil {
		t = types.Text
	}
	e := &colEncoder{typ: t, binary: format == 1, loc: loc}
	switch t.Family {
	case types.FamBool:
		e.kind = encBool
	case types.FamInt:
		switch t.Width {
		case 2:
			e.kind = encInt16
		case 4:
			e.kind = encInt32
		default:
			e.kind = encInt64
		}
	case types.FamFloat:
		e.kind = encFloat64
		if t.Width == 4 {
			e.kind = encFloat32
		}
	case types.FamNumeric:
		e.kind = encNumeric
	case types.FamString, types.FamUnknown:
		e.kind = encString
	case types.FamJSON:
		e.kind = encString
		if t.OID == types.JSONB.OID {
			e.kind = encJSONB
		}
	case types.FamRecord:
		if e.binary {
			return nil, noBinary(t)
		}
		e.kind = encString
	case types.FamBytes:
		e.kind = encBytes
	case types.FamDate:
		e.kind = encDate
	case types.FamTime:
		e.kind = encTime
	case types.FamTimestamp:
		e.kind = encTimestamp
	case types.FamTimestampTZ:
		e.kind = encTimestampTZ
	case types.FamInterval:
		e.kind = encInterval
	case types.FamOid:
		e.kind = encUint32
	case types.FamVoid:
		e.kind = encVoid
	case types.FamNull:
		e.kind = encNull
	case types.FamArray:
		if t.Elem == nil || t.Elem.Family == types.FamArray {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "output of type %s is not supported: only one-dimensional arrays are", t.Name)
		}
		el, err := newEncoder(t.Elem, format, loc)
		if err != nil {
			if e.binary {
				return nil, noBinary(t)
			}
			return nil, err
		}
		e.kind = encList
		e.elem = el
	default:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "output of type %s is not supported", t.Name)
	}
	return e, nil
}

func noBinary(t *types.T) error {
	return sqlstate.New(codeUndefinedFunction, "no binary output function available for type %s", t.Name)
}

// mismatch is the error of an Arrow array that does not hold the column's
// type: a bug in whoever built the record.
func (e *colEncoder) mismatch(a arrow.Array) error {
	return fmt.Errorf("BUG: a column of type %s holds an Arrow %s array", e.typ.Name, a.DataType())
}

// encode appends the values of rows [from, to) of a to c.
func (e *colEncoder) encode(c *cells, a arrow.Array, from, to int) error {
	if d, ok := a.(*array.Dictionary); ok {
		return e.encodeDict(c, d, from, to)
	}
	if e.kind == encVoid {
		for i := from; i < to; i++ {
			c.fixed(0)
			c.done()
		}
		return nil
	}
	nl := nullsOf(a)
	if nl.all || e.kind == encNull {
		for i := from; i < to; i++ {
			c.appendNull()
		}
		return nil
	}
	switch e.kind {
	case encBool:
		v, ok := a.(*array.Boolean)
		if !ok {
			return e.mismatch(a)
		}
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			b := v.Value(i)
			c.fixed(1)
			switch {
			case e.binary && b:
				c.buf = append(c.buf, 1)
			case e.binary:
				c.buf = append(c.buf, 0)
			case b:
				c.buf = append(c.buf, 't')
			default:
				c.buf = append(c.buf, 'f')
			}
			c.done()
		}
	case encInt16:
		v, ok := a.(*array.Int16)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Int16Values()
		if !e.binary {
			encIntsText(c, vals, nl, from, to)
			break
		}
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			c.fixed(2)
			c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(vals[i]))
			c.done()
		}
	case encInt32:
		v, ok := a.(*array.Int32)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Int32Values()
		if !e.binary {
			encIntsText(c, vals, nl, from, to)
			break
		}
		encInt32Bin(c, vals, nl, from, to)
	case encInt64:
		v, ok := a.(*array.Int64)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Int64Values()
		if !e.binary {
			encIntsText(c, vals, nl, from, to)
			break
		}
		encInt64Bin(c, vals, nl, from, to)
	case encUint32:
		v, ok := a.(*array.Uint32)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Uint32Values()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			if e.binary {
				c.fixed(4)
				c.buf = binary.BigEndian.AppendUint32(c.buf, vals[i])
				c.done()
				continue
			}
			s := c.open()
			if name, ok := e.regName(vals[i]); ok {
				c.buf = append(c.buf, name...)
			} else {
				c.buf = strconv.AppendUint(c.buf, uint64(vals[i]), 10)
			}
			c.close(s)
		}
	case encFloat32:
		v, ok := a.(*array.Float32)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Float32Values()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			if e.binary {
				c.fixed(4)
				c.buf = binary.BigEndian.AppendUint32(c.buf, math.Float32bits(vals[i]))
				c.done()
				continue
			}
			s := c.open()
			c.buf = types.AppendFloat(c.buf, float64(vals[i]), 4)
			c.close(s)
		}
	case encFloat64:
		v, ok := a.(*array.Float64)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Float64Values()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			if e.binary {
				c.fixed(8)
				c.buf = binary.BigEndian.AppendUint64(c.buf, math.Float64bits(vals[i]))
				c.done()
				continue
			}
			s := c.open()
			c.buf = types.AppendFloat(c.buf, vals[i], 8)
			c.close(s)
		}
	case encString, encJSONB, encNumeric:
		v, ok := a.(*array.String)
		if !ok {
			return e.mismatch(a)
		}
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			s := c.open()
			switch {
			case e.binary && e.kind == encNumeric:
				var err error
				if c.buf, err = appendNumericBinary(c.buf, v.Value(i)); err != nil {
					return fmt.Errorf("BUG: numeric column holds %q: %w", v.Value(i), err)
				}
			case e.binary && e.kind == encJSONB:
				c.buf = append(c.buf, 1) // jsonb binary format version
				c.buf = append(c.buf, v.Value(i)...)
			default:
				c.buf = append(c.buf, v.Value(i)...)
			}
			c.close(s)
		}
	case encBytes:
		v, ok := a.(*array.Binary)
		if !ok {
			return e.mismatch(a)
		}
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			s := c.open()
			if e.binary {
				c.buf = append(c.buf, v.Value(i)...)
			} else {
				c.buf = append(c.buf, `\x`...)
				c.buf = hex.AppendEncode(c.buf, v.Value(i))
			}
			c.close(s)
		}
	case encDate:
		v, ok := a.(*array.Date32)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.Date32Values()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			if e.binary {
				c.fixed(4)
				d := int32(vals[i])
				if d != int32(types.DateInfinity) && d != int32(types.DateNegInfinity) {
					d -= pgEpochDays // the infinities are the same on the wire
				}
				c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(d))
				c.done()
				continue
			}
			s := c.open()
			c.buf = types.AppendDate(c.buf, types.DateD(vals[i]))
			c.close(s)
		}
	case encTime:
		v, ok := a.(*array.Time64)
		if !ok {
			return e.mismatch(a)
		}
		div := int64(1)
		if v.DataType().(*arrow.Time64Type).Unit == arrow.Nanosecond {
			div = 1000
		}
		vals := v.Time64Values()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			us := int64(vals[i]) / div
			if e.binary {
				c.fixed(8)
				c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(us))
				c.done()
				continue
			}
			s := c.open()
			c.buf = appendClock(c.buf, us)
			c.close(s)
		}
	case encTimestamp, encTimestampTZ:
		v, ok := a.(*array.Timestamp)
		if !ok {
			return e.mismatch(a)
		}
		mul, div := timestampScale(v.DataType().(*arrow.TimestampType).Unit)
		vals := v.TimestampValues()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			us := int64(vals[i])
			if mul != 1 || div != 1 {
				us = us * mul / div
			}
			if e.binary {
				if us != math.MaxInt64 && us != math.MinInt64 {
					us -= pgEpochMicros
				}
				c.fixed(8)
				c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(us))
				c.done()
				continue
			}
			s := c.open()
			if e.kind == encTimestampTZ {
				c.buf = types.AppendTimestampTZ(c.buf, types.TimestampD(us), e.loc)
			} else {
				c.buf = types.AppendTimestamp(c.buf, types.TimestampD(us))
			}
			c.close(s)
		}
	case encInterval:
		v, ok := a.(*array.MonthDayNanoInterval)
		if !ok {
			return e.mismatch(a)
		}
		vals := v.MonthDayNanoIntervalValues()
		for i := from; i < to; i++ {
			if nl.is(i) {
				c.appendNull()
				continue
			}
			iv := vals[i]
			if e.binary {
				c.fixed(16)
				c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(iv.Nanoseconds/1000))
				c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(iv.Days))
				c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(iv.Months))
				c.done()
				continue
			}
			s := c.open()
			c.buf = types.AppendInterval(c.buf, types.IntervalD{Months: iv.Months, Days: iv.Days, Micros: iv.Nanoseconds / 1000})
			c.close(s)
		}
	case encList:
		v, ok := a.(*array.List)
		if !ok {
			return e.mismatch(a)
		}
		return e.encodeList(c, v, nl, from, to)
	default:
		return fmt.Errorf("BUG: no encoder for %s", e.typ.Name)
	}
	return nil
}

func encIntsText[T int16 | int32 | int64](c *cells, vals []T, nl nulls, from, to int) {
	for i := from; i < to; i++ {
		if nl.is(i) {
			c.appendNull()
			continue
		}
		s := c.open()
		c.buf = strconv.AppendInt(c.buf, int64(vals[i]), 10)
		c.close(s)
	}
}

func encInt32Bin(c *cells, vals []int32, nl nulls, from, to int) {
	for i := from; i < to; i++ {
		if nl.is(i) {
			c.appendNull()
			continue
		}
		c.fixed(4)
		c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(vals[i]))
		c.done()
	}
}

func encInt64Bin(c *cells, vals []int64, nl nulls, from, to int) {
	for i := from; i < to; i++ {
		if nl.is(i) {
			c.appendNull()
			continue
		}
		c.fixed(8)
		c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(vals[i]))
		c.done()
	}
}

// timestampScale converts an Arrow timestamp unit to microseconds as
// value*mul/div.
func timestampScale(u arrow.TimeUnit) (mul, div int64) {
	switch u {
	case arrow.Second:
		return 1e6, 1
	case arrow.Millisecond:
		return 1e3, 1
	case arrow.Nanosecond:
		return 1, 1e3
	}
	return 1, 1
}

// appendClock appends HH:MM:SS[.ffffff] as PostgreSQL's time output does,
// without trailing zeros in the fraction (types has no exported helper
// that takes the value unboxed).
func appendClock(buf []byte, us int64) []byte {
	if us < 0 {
		buf = append(buf, '-')
		us = -us
	}
	h := us / 3600e6
	us -= h * 3600e6
	m := us / 60e6
	us -= m * 60e6
	s := us / 1e6
	us -= s * 1e6
	buf = append2(buf, h)
	buf = append(buf, ':')
	buf = append2(buf, m)
	buf = append(buf, ':')
	buf = append2(buf, s)
	if us == 0 {
		return buf
	}
	var tmp [8]byte
	f := strconv.AppendInt(tmp[:0], us+1000000, 10)[1:]
	for len(f) > 0 && f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	buf = append(buf, '.')
	return append(buf, f...)
}

func append2(buf []byte, v int64) []byte {
	if v < 10 {
		buf = append(buf, '0')
	}
	return strconv.AppendInt(buf, v, 10)
}

// encodeList encodes one-dimensional arrays: the elements of all rows are
// encoded at once into the scratch cells, then each row's run of element
// cells is wrapped in the array's text or binary form.
func (e *colEncoder) encodeList(c *cells, v *array.List, nl nulls, from, to int) error {
	if from >= to {
		return nil
	}
	lo, _ := v.ValueOffsets(from)
	_, hi := v.ValueOffsets(to - 1)
	e.scratch.reset()
	if hi > lo {
		if err := e.elem.encode(&e.scratch, v.ListValues(), int(lo), int(hi)); err != nil {
			return err
		}
	}
	sc := &e.scratch
	for i := from; i < to; i++ {
		if nl.is(i) {
			c.appendNull()
			continue
		}
		s64, e64 := v.ValueOffsets(i)
		first, n := int(s64-lo), int(e64-s64)
		start := c.open()
		if e.binary {
			if n == 0 {
				// An empty array has no dimensions.
				c.buf = binary.BigEndian.AppendUint32(c.buf, 0)
				c.buf = binary.BigEndian.AppendUint32(c.buf, 0)
				c.buf = binary.BigEndian.AppendUint32(c.buf, e.elem.typ.OID)
				c.close(start)
				continue
			}
			hasNull := uint32(0)
			for k := first; k < first+n; k++ {
				if s, _ := sc.span(k); sc.isNull(s) {
					hasNull = 1
					break
				}
			}
			c.buf = binary.BigEndian.AppendUint32(c.buf, 1) // ndim
			c.buf = binary.BigEndian.AppendUint32(c.buf, hasNull)
			c.buf = binary.BigEndian.AppendUint32(c.buf, e.elem.typ.OID)
			c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(n))
			c.buf = binary.BigEndian.AppendUint32(c.buf, 1) // lower bound
			s, _ := sc.span(first)
			_, end := sc.span(first + n - 1)
			c.buf = append(c.buf, sc.buf[s:end]...)
			c.close(start)
			continue
		}
		if e.typ.OID == types.Int2Vector.OID || e.typ.OID == types.OidVector.OID {
			// int2vector and oidvector print space-separated, unbraced.
			for k := first; k < first+n; k++ {
				if k > first {
					c.buf = append(c.buf, ' ')
				}
				s, end := sc.span(k)
				if !sc.isNull(s) {
					c.buf = append(c.buf, sc.buf[s+4:end]...)
				}
			}
			c.close(start)
			continue
		}
		c.buf = append(c.buf, '{')
		for k := first; k < first+n; k++ {
			if k > first {
				c.buf = append(c.buf, ',')
			}
			s, end := sc.span(k)
			if sc.isNull(s) {
				c.buf = append(c.buf, "NULL"...)
				continue
			}
			c.buf = appendArrayElem(c.buf, sc.buf[s+4:end])
		}
		c.buf = append(c.buf, '}')
		c.close(start)
	}
	return nil
}

// appendArrayElem appends an array element's text, double-quoted when
// array_out would quote it: empty, NULL, or holding a delimiter, brace,
// quote, backslash or white space.
func appendArrayElem(buf, s []byte) []byte {
	quote := len(s) == 0 || (len(s) == 4 && (s[0]|0x20) == 'n' && (s[1]|0x20) == 'u' && (s[2]|0x20) == 'l' && (s[3]|0x20) == 'l')
	if !quote {
		for _, ch := range s {
			switch ch {
			case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
				quote = true
			}
			if quote {
				break
			}
		}
	}
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for _, ch := range s {
		if ch == '"' || ch == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, ch)
	}
	return append(buf, '"')
}

// encodeDict encodes a dictionary-encoded column: the dictionary's values
// are encoded once per record, then copied per row by index.
func (e *colEncoder) encodeDict(c *cells, d *array.Dictionary, from, to int) error {
	dict := d.Dictionary()
	if _, nested := dict.(*array.Dictionary); nested {
		return fmt.Errorf("BUG: a dictionary of dictionaries for a column of type %s", e.typ.Name)
	}
	e.dict.reset()
	if err := e.encode(&e.dict, dict, 0, dict.Len()); err != nil {
		return err
	}
	for i := from; i < to; i++ {
		if d.IsNull(i) {
			c.appendNull()
			continue
		}
		k := d.GetValueIndex(i)
		if k < 0 || k >= dict.Len() {
			return fmt.Errorf("BUG: dictionary index %d out of range", k)
		}
		s, end := e.dict.span(k)
		c.buf = append(c.buf, e.dict.buf[s:end]...)
		c.done()
	}
	return nil
}

// appendDataRows appends a DataRow per row for n rows whose column values
// are in cols.
func appendDataRows(buf []byte, cols []cells, n int) []byte {
	total := 7 * n
	for j := range cols {
		total += len(cols[j].buf)
	}
	if cap(buf)-len(buf) < total {
		nb := make([]byte, len(buf), len(buf)+total+total/8)
		copy(nb, buf)
		buf = nb
	}
	for i := 0; i < n; i++ {
		size := 4 + 2
		for j := range cols {
			s, e := cols[j].span(i)
			size += e - s
		}
		buf = append(buf, 'D')
		buf = binary.BigEndian.AppendUint32(buf, uint32(size))
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(cols)))
		for j := range cols {
			s, e := cols[j].span(i)
			buf = append(buf, cols[j].buf[s:e]...)
		}
	}
	return buf
}
