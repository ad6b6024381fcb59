package agg

import (
	"bytes"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// min and max. Every input type is reduced to a total order so that results
// do not depend on input order or merge order, even where PostgreSQL's
// answer depends on it among equal values: ints, dates, times and
// timestamps compare as int64, oids as uint32, floats in PostgreSQL's order
// (NaN above +Infinity; -0 below +0 as a tie-break), strings bytewise (C
// collation), numerics as decimals (ties like 1.0 and 1.00 broken by display
// scale), intervals by total length with 30-day months and 24-hour days
// (ties like '1 mon' and '30 days' broken by months, then days).
//
// The state of a group is its best value; the saved state is a presence
// byte (0 or 1) followed by that value in appendVal's encoding.

// mmInt is min/max over integer-like types, held as int64 (oid as its
// uint32 value, float as floatKey).
type mmInt struct {
	name  string
	isMax bool
	k     kind // kInt, kOid or kFloat
	out   arrow.DataType
	cur   []int64
	has   []uint8 // 0 or 1
	sc    scratch
}

var _ Accumulator = (*mmInt)(nil)

func (a *mmInt) Grow(n int) {
	old := len(a.cur)
	a.cur = growSlice(a.cur, n)
	a.has = growSlice(a.has, n)
	fill := int64(math.MaxInt64)
	if a.isMax {
		fill = math.MinInt64
	}
	for i := old; i < len(a.cur); i++ {
		a.cur[i] = fill
	}
}

func (a *mmInt) Len() int { return len(a.has) }

func (a *mmInt) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	switch x := args[0].(type) {
	case *array.Int64:
		minmaxInts(groups, x.Int64Values(), v, a.cur, a.has, a.isMax)
	case *array.Int32:
		minmaxInts(groups, x.Int32Values(), v, a.cur, a.has, a.isMax)
	case *array.Int16:
		minmaxInts(groups, x.Int16Values(), v, a.cur, a.has, a.isMax)
	case *array.Uint32:
		minmaxInts(groups, x.Uint32Values(), v, a.cur, a.has, a.isMax)
	case *array.Date32:
		minmaxInts(groups, x.Date32Values(), v, a.cur, a.has, a.isMax)
	case *array.Time64:
		minmaxInts(groups, x.Time64Values(), v, a.cur, a.has, a.isMax)
	case *array.Timestamp:
		minmaxInts(groups, x.TimestampValues(), v, a.cur, a.has, a.isMax)
	case *array.Float64:
		minmaxFloats(groups, x.Float64Values(), v, a.cur, a.has, a.isMax)
	case *array.Float32:
		minmaxFloats(groups, x.Float32Values(), v, a.cur, a.has, a.isMax)
	default:
		return wrongType(a.name, args[0])
	}
	return nil
}

type intLike interface {
	~int16 | ~int32 | ~int64 | ~uint32
}

// minmaxInts folds vals into cur with branch-free min/max (CMOV): NULL
// rows fold in the identity (MaxInt64 for min, MinInt64 for max) and leave
// has alone. minmaxFloats is the same loop over floatKey.
func minmaxInts[T intLike](groups []uint32, vals []T, v bitmap, cur []int64, has []uint8, isMax bool) {
	vals = vals[:len(groups)]
	ident := int64(math.MaxInt64) // the identity: NULL rows fold it in
	if isMax {
		ident = math.MinInt64
	}
	if g, ok := singleGroup(groups); ok {
		c, any := cur[g], uint64(0)
		for i, y := range vals {
			x := int64(y)
			b := uint64(1)
			if v.bits != nil {
				b = v.bit(i)
				m := -int64(b)
				x = x&m | ident&^m
			}
			if isMax {
				c = max(c, x)
			} else {
				c = min(c, x)
			}
			any |= b
		}
		cur[g] = c
		has[g] |= uint8(any)
		return
	}
	switch {
	case v.bits == nil && isMax:
		for i, g := range groups {
			if g != NoGroup {
				cur[g] = max(cur[g], int64(vals[i]))
				has[g] = 1
			}
		}
	case v.bits == nil:
		for i, g := range groups {
			if g != NoGroup {
				cur[g] = min(cur[g], int64(vals[i]))
				has[g] = 1
			}
		}
	default:
		for i, g := range groups {
			if g == NoGroup {
				continue
			}
			b := v.bit(i)
			m := -int64(b)
			x := int64(vals[i])&m | ident&^m
			if isMax {
				cur[g] = max(cur[g], x)
			} else {
				cur[g] = min(cur[g], x)
			}
			has[g] |= uint8(b)
		}
	}
}

func minmaxFloats[T float32 | float64](groups []uint32, vals []T, v bitmap, cur []int64, has []uint8, isMax bool) {
	vals = vals[:len(groups)]
	ident := int64(math.MaxInt64) // the identity: NULL rows fold it in
	if isMax {
		ident = math.MinInt64
	}
	if g, ok := singleGroup(groups); ok {
		c, any := cur[g], uint64(0)
		for i, y := range vals {
			x := floatKey(float64(y))
			b := uint64(1)
			if v.bits != nil {
				b = v.bit(i)
				m := -int64(b)
				x = x&m | ident&^m
			}
			if isMax {
				c = max(c, x)
			} else {
				c = min(c, x)
			}
			any |= b
		}
		cur[g] = c
		has[g] |= uint8(any)
		return
	}
	switch {
	case v.bits == nil && isMax:
		for i, g := range groups {
			if g != NoGroup {
				cur[g] = max(cur[g], floatKey(float64(vals[i])))
				has[g] = 1
			}
		}
	case v.bits == nil:
		for i, g := range groups {
			if g != NoGroup {
				cur[g] = min(cur[g], floatKey(float64(vals[i])))
				has[g] = 1
			}
		}
	default:
		for i, g := range groups {
			if g == NoGroup {
				continue
			}
			b := v.bit(i)
			m := -int64(b)
			x := floatKey(float64(vals[i]))&m | ident&^m
			if isMax {
				cur[g] = max(cur[g], x)
			} else {
				cur[g] = min(cur[g], x)
			}
			has[g] |= uint8(b)
		}
	}
}

func (a *mmInt) offer(g uint32, x int64) {
	if a.isMax {
		a.cur[g] = max(a.cur[g], x)
	} else {
		a.cur[g] = min(a.cur[g], x)
	}
	a.has[g] = 1
}

func (a *mmInt) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*mmInt)
	if !ok || s.isMax != a.isMax || s.k != a.k {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, h := range s.has {
		if d := dst[g]; d != NoGroup && h != 0 {
			a.offer(d, s.cur[g])
		}
	}
	return nil
}

func (a *mmInt) Finalize(mem memory.Allocator) (arrow.Array, error) {
	has := make([]bool, len(a.has))
	for i, h := range a.has {
		has[i] = h != 0
	}
	return buildInt64s(mem, a.out, a.k, a.cur, has)
}

// buildInt64s builds an array of type dt from int64-held values (floats as
// floatKey when k is kFloat); has marks non-NULL entries.
func buildInt64s(mem memory.Allocator, dt arrow.DataType, k kind, vals []int64, has []bool) (arrow.Array, error) {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.Reserve(len(vals))
	switch x := b.(type) {
	case *array.Int64Builder:
		x.AppendValues(vals, has)
	case *array.Int32Builder:
		for i, v := range vals {
			if has[i] {
				x.UnsafeAppend(int32(v))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Float64Builder:
		for i, v := range vals {
			if has[i] {
				x.UnsafeAppend(unFloatKey(v))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	case *array.Float32Builder:
		for i, v := range vals {
			if has[i] {
				x.UnsafeAppend(float32(unFloatKey(v)))
			} else {
				x.UnsafeAppendBoolToBitmap(false)
			}
		}
	default:
		vs := make([]val, len(vals))
		for i, v := range vals {
			vs[i].u = uint64(v)
		}
		if err := appendVals(b, k, vs, has); err != nil {
			return nil, err
		}
	}
	return b.NewArray(), nil
}

func (a *mmInt) AppendState(buf []byte, g uint32) []byte {
	if a.has[g] == 0 {
		return append(buf, 0)
	}
	buf = append(buf, 1)
	v := val{u: uint64(a.cur[g])}
	if a.k == kFloat {
		v.u = math.Float64bits(unFloatKey(a.cur[g]))
	}
	return appendVal(buf, a.k, v)
}

func (a *mmInt) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	if r.byte() == 0 {
		if !r.done() {
			return errCorrupt(a.name, "trailing bytes")
		}
		return nil
	}
	v := r.val(a.k)
	if !r.done() {
		return errCorrupt(a.name, "bad value")
	}
	x := int64(v.u)
	switch a.k {
	case kFloat:
		x = floatKey(math.Float64frombits(v.u))
	case kOid:
		if v.u > math.MaxUint32 {
			return errCorrupt(a.name, "oid out of range")
		}
	}
	a.offer(g, x)
	return nil
}

func (a *mmInt) Size() int64 { return int64(cap(a.cur))*8 + int64(cap(a.has)) }

// mmString is min/max over character types and bytea, compared bytewise.
type mmString struct {
	name  string
	isMax bool
	out   arrow.DataType
	best  [][]byte
	has   []bool
	bytes int64
	sc    scratch
}

var _ Accumulator = (*mmString)(nil)

func (a *mmString) Grow(n int) {
	a.best = growSlice(a.best, n)
	a.has = growSlice(a.has, n)
}

func (a *mmString) Len() int { return len(a.has) }

func (a *mmString) offer(g uint32, b []byte) {
	if a.has[g] {
		c := bytes.Compare(b, a.best[g])
		if c == 0 || (c < 0) == a.isMax {
			return
		}
	}
	a.bytes += int64(len(b) - len(a.best[g]))
	a.best[g] = append(a.best[g][:0], b...)
	a.has[g] = true
}

func (a *mmString) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	c, err := decodeColumn(a.name, kString, args[0], &a.sc)
	if err != nil || c.v.none {
		return err
	}
	for i, g := range groups {
		if g != NoGroup && c.v.valid(i) {
			a.offer(g, c.s.at(i))
		}
	}
	return nil
}

func (a *mmString) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*mmString)
	if !ok || s.isMax != a.isMax {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, h := range s.has {
		if d := dst[g]; d != NoGroup && h {
			a.offer(d, s.best[g])
		}
	}
	return nil
}

func (a *mmString) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewBuilder(mem, a.out)
	defer b.Release()
	vs := make([]val, len(a.best))
	for i := range vs {
		vs[i].b = a.best[i]
	}
	if err := appendVals(b, kString, vs, a.has); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

func (a *mmString) AppendState(buf []byte, g uint32) []byte {
	if !a.has[g] {
		return append(buf, 0)
	}
	return appendVal(append(buf, 1), kString, val{b: a.best[g]})
}

func (a *mmString) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	if r.byte() == 0 {
		if !r.done() {
			return errCorrupt(a.name, "trailing bytes")
		}
		return nil
	}
	v := r.val(kString)
	if !r.done() {
		return errCorrupt(a.name, "bad value")
	}
	a.offer(g, v.b)
	return nil
}

func (a *mmString) Size() int64 { return int64(cap(a.best))*24 + int64(cap(a.has)) + a.bytes }

// mmNumeric is min/max over numeric, compared as decimals (never as text:
// '10' > '9').
type mmNumeric struct {
	name  string
	isMax bool
	text  [][]byte
	d     []apd.Decimal
	has   []bool
	bytes int64
	tmp   apd.Decimal
	sc    scratch
}

var _ Accumulator = (*mmNumeric)(nil)

func (a *mmNumeric) Grow(n int) {
	a.text = growSlice(a.text, n)
	a.d = growSlice(a.d, n)
	a.has = growSlice(a.has, n)
}

func (a *mmNumeric) Len() int { return len(a.has) }

// offer considers text b (parsed into a.tmp) for group g.
func (a *mmNumeric) offer(g uint32, b []byte) error {
	if err := parseNumeric(b, &a.tmp); err != nil {
		return err
	}
	if a.has[g] {
		c := cmpNumericTotal(&a.tmp, &a.d[g], b, a.text[g])
		if c == 0 || (c < 0) == a.isMax {
			return nil
		}
	}
	a.bytes += int64(len(b) - len(a.text[g]))
	a.text[g] = append(a.text[g][:0], b...)
	a.d[g].Set(&a.tmp)
	a.has[g] = true
	return nil
}

func (a *mmNumeric) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	c, err := decodeColumn(a.name, kNumeric, args[0], &a.sc)
	if err != nil || c.v.none {
		return err
	}
	for i, g := range groups {
		if g != NoGroup && c.v.valid(i) {
			if err := a.offer(g, c.s.at(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *mmNumeric) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*mmNumeric)
	if !ok || s.isMax != a.isMax {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, h := range s.has {
		if d := dst[g]; d != NoGroup && h {
			if err := a.offer(d, s.text[g]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *mmNumeric) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	vs := make([]val, len(a.text))
	for i := range vs {
		vs[i].b = a.text[i]
	}
	if err := appendVals(b, kNumeric, vs, a.has); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

func (a *mmNumeric) AppendState(buf []byte, g uint32) []byte {
	if !a.has[g] {
		return append(buf, 0)
	}
	return appendVal(append(buf, 1), kNumeric, val{b: a.text[g]})
}

func (a *mmNumeric) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	if r.byte() == 0 {
		if !r.done() {
			return errCorrupt(a.name, "trailing bytes")
		}
		return nil
	}
	v := r.val(kNumeric)
	if !r.done() {
		return errCorrupt(a.name, "bad value")
	}
	if err := a.offer(g, v.b); err != nil {
		return errCorrupt(a.name, "bad numeric")
	}
	return nil
}

func (a *mmNumeric) Size() int64 {
	return int64(cap(a.text))*24 + int64(cap(a.d))*48 + int64(cap(a.has)) + a.bytes
}

// mmInterval is min/max over interval.
type mmInterval struct {
	name  string
	isMax bool
	cur   []types.IntervalD
	has   []bool
	sc    scratch
}

var _ Accumulator = (*mmInterval)(nil)

func (a *mmInterval) Grow(n int) {
	a.cur = growSlice(a.cur, n)
	a.has = growSlice(a.has, n)
}

func (a *mmInterval) Len() int { return len(a.has) }

func (a *mmInterval) offer(g uint32, iv types.IntervalD) {
	if a.has[g] {
		c := cmpInterval(iv, a.cur[g])
		if c == 0 || (c < 0) == a.isMax {
			return
		}
	}
	a.cur[g] = iv
	a.has[g] = true
}

func (a *mmInterval) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs(a.name, groups, args, 1); err != nil {
		return err
	}
	v := rowValidity(args[0], &a.sc.bits)
	if v.none {
		return nil
	}
	x, ok := args[0].(*array.MonthDayNanoInterval)
	if !ok {
		return wrongType(a.name, args[0])
	}
	vals := x.MonthDayNanoIntervalValues()[:len(groups)]
	for i, g := range groups {
		if g != NoGroup && v.valid(i) {
			iv := vals[i]
			a.offer(g, types.IntervalD{Months: iv.Months, Days: iv.Days, Micros: iv.Nanoseconds / 1000})
		}
	}
	return nil
}

func (a *mmInterval) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*mmInterval)
	if !ok || s.isMax != a.isMax {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, h := range s.has {
		if d := dst[g]; d != NoGroup && h {
			a.offer(d, s.cur[g])
		}
	}
	return nil
}

func (a *mmInterval) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewMonthDayNanoIntervalBuilder(mem)
	defer b.Release()
	vs := make([]val, len(a.cur))
	for i, iv := range a.cur {
		vs[i] = ivVal(iv.Months, iv.Days, iv.Micros)
	}
	if err := appendVals(b, kInterval, vs, a.has); err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

func (a *mmInterval) AppendState(buf []byte, g uint32) []byte {
	if !a.has[g] {
		return append(buf, 0)
	}
	iv := a.cur[g]
	return appendVal(append(buf, 1), kInterval, ivVal(iv.Months, iv.Days, iv.Micros))
}

func (a *mmInterval) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	if r.byte() == 0 {
		if !r.done() {
			return errCorrupt(a.name, "trailing bytes")
		}
		return nil
	}
	v := r.val(kInterval)
	if !r.done() {
		return errCorrupt(a.name, "bad value")
	}
	a.offer(g, v.iv())
	return nil
}

func (a *mmInterval) Size() int64 { return int64(cap(a.cur))*16 + int64(cap(a.has)) }
