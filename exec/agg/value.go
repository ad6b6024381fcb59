package agg

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// kind is how the generic (non-hot) paths hold one value of an argument
// type: array_agg, percentile_disc, the DISTINCT wrapper, saved states.
type kind uint8

const (
	kInt      kind = iota + 1 // int2/4/8, date, time, timestamp(tz): int64 order
	kOid                      // oid and friends: uint32 order
	kFloat                    // float4/float8 as float64 bits: PostgreSQL order (NaN last)
	kBool                     // 0 or 1
	kInterval                 // months, days, microseconds: compared by total length
	kString                   // text types and bytea: bytewise (C collation) order
	kNumeric                  // decimal text: numeric order
)

// kindOf maps a PostgreSQL type onto its kind.
func kindOf(t *types.T) (kind, bool) {
	switch t.Family {
	case types.FamInt, types.FamDate, types.FamTime, types.FamTimestamp, types.FamTimestampTZ:
		return kInt, true
	case types.FamOid:
		return kOid, true
	case types.FamFloat:
		return kFloat, true
	case types.FamBool:
		return kBool, true
	case types.FamInterval:
		return kInterval, true
	case types.FamString, types.FamUnknown, types.FamNull, types.FamBytes, types.FamJSON:
		return kString, true
	case types.FamNumeric:
		return kNumeric, true
	}
	return 0, false
}

// val is one value of some kind.
type val struct {
	u uint64 // kInt/kOid/kBool: the integer; kFloat: float64 bits; kInterval: microseconds
	x uint64 // kInterval: months (high 32 bits) and days (low 32 bits)
	b []byte // kString/kNumeric: the bytes (borrowed; copy to keep)
}

const usPerDay = 86400_000000

func ivVal(months, days int32, micros int64) val {
	return val{u: uint64(micros), x: uint64(uint32(months))<<32 | uint64(uint32(days))}
}

func (v val) iv() types.IntervalD {
	return types.IntervalD{Months: int32(v.x >> 32), Days: int32(uint32(v.x)), Micros: int64(v.u)}
}

// ivSpan normalizes an interval to (days, microseconds within the day) with
// a month as 30 days: PostgreSQL's interval comparison key.
func ivSpan(iv types.IntervalD) (int64, int64) {
	d := int64(iv.Months)*30 + int64(iv.Days)
	q, r := iv.Micros/usPerDay, iv.Micros%usPerDay
	if r < 0 {
		r += usPerDay
		q--
	}
	return d + q, r
}

// cmpInterval orders intervals by total length (PostgreSQL's interval_cmp),
// breaking ties between equal lengths ('1 mon' and '30 days') by months,
// then days, so that min and max are deterministic whatever the input order.
func cmpInterval(a, b types.IntervalD) int {
	ad, ar := ivSpan(a)
	bd, br := ivSpan(b)
	if c := cmp.Compare(ad, bd); c != 0 {
		return c
	}
	if c := cmp.Compare(ar, br); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Months, b.Months); c != 0 {
		return c
	}
	return cmp.Compare(a.Days, b.Days)
}

const canonNaN = 0x7FF8000000000000

// floatKey maps f onto an int64 whose order is PostgreSQL's float order:
// -Inf < … < -0 < +0 < … < +Inf < NaN (every NaN is the same). The mapping
// is its own inverse on the result of floatKey (see unFloatKey).
func floatKey(f float64) int64 {
	b := int64(math.Float64bits(f))
	if f != f {
		b = canonNaN
	}
	return b ^ int64(uint64(b>>63)>>1)
}

func unFloatKey(k int64) float64 {
	return math.Float64frombits(uint64(k ^ int64(uint64(k>>63)>>1)))
}

// canonFloat returns the bits under which equal floats hash alike: -0 is 0
// and every NaN is one NaN, as PostgreSQL's float equality says.
func canonFloat(f float64) uint64 {
	if f != f {
		return canonNaN
	}
	if f == 0 {
		return 0
	}
	return math.Float64bits(f)
}

// parseNumeric parses decimal text into d.
func parseNumeric(b []byte, d *apd.Decimal) error {
	if _, _, err := d.SetString(bytesString(b)); err != nil {
		return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", string(b))
	}
	if d.Form == apd.NaNSignaling {
		d.Form = apd.NaN
	}
	return nil
}

// textScale returns the number of digits after the decimal point of
// canonical numeric text (its display scale).
func textScale(b []byte) int {
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		return len(b) - i - 1
	}
	return 0
}

// cmpDecimal orders numerics as PostgreSQL does: -Infinity < finite <
// Infinity < NaN, NaN equal to NaN.
func cmpDecimal(a, b *apd.Decimal) int {
	ra, rb := decRank(a), decRank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	if ra != 2 {
		return 0
	}
	return a.Cmp(b)
}

func decRank(d *apd.Decimal) int {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return 4
	case apd.Infinite:
		if d.Negative {
			return 1
		}
		return 3
	}
	return 2
}

// cmpNumericTotal is cmpDecimal with ties between equal values ('1.0',
// '1.00') broken by display scale, then by text, for deterministic min/max.
func cmpNumericTotal(a, b *apd.Decimal, at, bt []byte) int {
	if c := cmpDecimal(a, b); c != 0 {
		return c
	}
	if c := cmp.Compare(textScale(at), textScale(bt)); c != 0 {
		return c
	}
	return bytes.Compare(at, bt)
}

// cmpVal orders two values of kind k (numeric values are parsed; sort
// numeric slices with sortVals instead).
func cmpVal(k kind, a, b val) int {
	switch k {
	case kInt:
		return cmp.Compare(int64(a.u), int64(b.u))
	case kOid, kBool:
		return cmp.Compare(a.u, b.u)
	case kFloat:
		return cmp.Compare(floatKey(math.Float64frombits(a.u)), floatKey(math.Float64frombits(b.u)))
	case kInterval:
		return cmpInterval(a.iv(), b.iv())
	case kString:
		return bytes.Compare(a.b, b.b)
	case kNumeric:
		var da, db apd.Decimal
		_ = parseNumeric(a.b, &da)
		_ = parseNumeric(b.b, &db)
		return cmpNumericTotal(&da, &db, a.b, b.b)
	}
	return 0
}

// sortVals sorts vs by kind order (stable, so equal values keep their input
// order).
func sortVals(k kind, vs []val) {
	if k != kNumeric {
		slices.SortStableFunc(vs, func(a, b val) int { return cmpVal(k, a, b) })
		return
	}
	type nv struct {
		d apd.Decimal
		v val
	}
	tmp := make([]nv, len(vs))
	for i := range vs {
		tmp[i].v = vs[i]
		_ = parseNumeric(vs[i].b, &tmp[i].d)
	}
	slices.SortStableFunc(tmp, func(a, b nv) int { return cmpNumericTotal(&a.d, &b.d, a.v.b, b.v.b) })
	for i := range tmp {
		vs[i] = tmp[i].v
	}
}

// column is one argument array decoded for the generic paths.
type column struct {
	k  kind
	n  int
	v  bitmap
	u  []uint64
	iv []arrow.MonthDayNanoInterval
	s  strCol
}

// scratch holds per-accumulator buffers reused across batches.
type scratch struct {
	u      []uint64
	idx    []int32
	bits   []byte
	keys   []uint64
	hashes []uint64
}

func (s *scratch) uint64s(n int) []uint64 {
	if cap(s.u) < n {
		s.u = make([]uint64, n)
	}
	return s.u[:n]
}

// decodeColumn decodes a into a column of kind k.
func decodeColumn(name string, k kind, a arrow.Array, sc *scratch) (column, error) {
	c := column{k: k, n: a.Len(), v: rowValidity(a, &sc.bits)}
	if c.v.none {
		return c, nil
	}
	switch k {
	case kInt:
		u := sc.uint64s(c.n)
		switch x := a.(type) {
		case *array.Int64:
			for i, v := range x.Int64Values() {
				u[i] = uint64(v)
			}
		case *array.Int32:
			for i, v := range x.Int32Values() {
				u[i] = uint64(int64(v))
			}
		case *array.Int16:
			for i, v := range x.Int16Values() {
				u[i] = uint64(int64(v))
			}
		case *array.Date32:
			for i, v := range x.Date32Values() {
				u[i] = uint64(int64(v))
			}
		case *array.Time64:
			for i, v := range x.Time64Values() {
				u[i] = uint64(int64(v))
			}
		case *array.Timestamp:
			for i, v := range x.TimestampValues() {
				u[i] = uint64(int64(v))
			}
		default:
			return c, wrongType(name, a)
		}
		c.u = u
	case kOid:
		x, ok := a.(*array.Uint32)
		if !ok {
			return c, wrongType(name, a)
		}
		u := sc.uint64s(c.n)
		for i, v := range x.Uint32Values() {
			u[i] = uint64(v)
		}
		c.u = u
	case kFloat:
		u := sc.uint64s(c.n)
		switch x := a.(type) {
		case *array.Float64:
			for i, v := range x.Float64Values() {
				u[i] = math.Float64bits(v)
			}
		case *array.Float32:
			for i, v := range x.Float32Values() {
				u[i] = math.Float64bits(float64(v))
			}
		default:
			return c, wrongType(name, a)
		}
		c.u = u
	case kBool:
		x, ok := a.(*array.Boolean)
		if !ok {
			return c, wrongType(name, a)
		}
		u := sc.uint64s(c.n)
		for i := range u {
			u[i] = 0
			if x.Value(i) {
				u[i] = 1
			}
		}
		c.u = u
	case kInterval:
		x, ok := a.(*array.MonthDayNanoInterval)
		if !ok {
			return c, wrongType(name, a)
		}
		c.iv = x.MonthDayNanoIntervalValues()
	case kString, kNumeric:
		s, err := loadStr(name, a, &sc.idx)
		if err != nil {
			return c, err
		}
		c.s = s
	}
	return c, nil
}

// at returns row i (which must be valid).
func (c *column) at(i int) val {
	switch c.k {
	case kInterval:
		iv := c.iv[i]
		return ivVal(iv.Months, iv.Days, iv.Nanoseconds/1000)
	case kString, kNumeric:
		return val{b: c.s.at(i)}
	}
	return val{u: c.u[i]}
}

// appendVal appends the saved-state encoding of v.
func appendVal(buf []byte, k kind, v val) []byte {
	switch k {
	case kInt:
		return binary.AppendVarint(buf, int64(v.u))
	case kOid, kBool:
		return binary.AppendUvarint(buf, v.u)
	case kFloat:
		return binary.LittleEndian.AppendUint64(buf, v.u)
	case kInterval:
		iv := v.iv()
		buf = binary.AppendVarint(buf, int64(iv.Months))
		buf = binary.AppendVarint(buf, int64(iv.Days))
		return binary.AppendVarint(buf, iv.Micros)
	}
	buf = binary.AppendUvarint(buf, uint64(len(v.b)))
	return append(buf, v.b...)
}

// reader decodes saved states; the first failure sticks.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() uint64 {
	if len(r.b) < 8 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// count reads an element count, rejecting counts that cannot fit in the
// remaining bytes (each element takes at least one byte).
func (r *reader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad = true
		r.b = nil
		return 0
	}
	return int(n)
}

func (r *reader) int32() int32 {
	v := r.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.bad = true
	}
	return int32(v)
}

// val reads a value written by appendVal.
func (r *reader) val(k kind) val {
	switch k {
	case kInt:
		return val{u: uint64(r.varint())}
	case kOid, kBool:
		return val{u: r.uvarint()}
	case kFloat:
		return val{u: r.u64()}
	case kInterval:
		m := r.int32()
		d := r.int32()
		return ivVal(m, d, r.varint())
	}
	return val{b: r.bytes()}
}

// done reports whether the whole encoding was consumed without error.
func (r *reader) done() bool { return !r.bad && len(r.b) == 0 }

// appendVals appends vals (NULL where !valid[i], if valid is non-nil) to b,
// which must be a builder of the Arrow type of the values' SQL type.
func appendVals(b array.Builder, k kind, vals []val, valid []bool) error {
	ok := func(i int) bool { return valid == nil || valid[i] }
	b.Reserve(len(vals))
	switch x := b.(type) {
	case *array.Int64Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(int64(v.u))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Int32Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(int32(int64(v.u)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Int16Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(int16(int64(v.u)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Uint32Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(uint32(v.u))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Date32Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(arrow.Date32(int64(v.u)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Time64Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(arrow.Time64(int64(v.u)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.TimestampBuilder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(arrow.Timestamp(int64(v.u)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Float64Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(math.Float64frombits(v.u))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Float32Builder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(float32(math.Float64frombits(v.u)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.BooleanBuilder:
		for i, v := range vals {
			if ok(i) {
				x.UnsafeAppend(v.u != 0)
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.MonthDayNanoIntervalBuilder:
		for i, v := range vals {
			if ok(i) {
				iv := v.iv()
				x.UnsafeAppend(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.StringBuilder:
		for i, v := range vals {
			if ok(i) {
				x.BinaryBuilder.Append(v.b)
			} else {
				x.AppendNull()
			}
		}
	case *array.BinaryBuilder:
		for i, v := range vals {
			if ok(i) {
				x.Append(v.b)
			} else {
				x.AppendNull()
			}
		}
	default:
		return errInternal("no value builder for %s (kind %d)", b.Type(), k)
	}
	return nil
}
