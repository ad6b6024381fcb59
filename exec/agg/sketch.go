package agg

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/axiomhq/hyperloglog"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
)

// Sketch aggregates: approx_count_distinct (HyperLogLog) and
// percentile_approx (DDSketch). Both states are bounded and merge exactly.

// hllPrecision is the HyperLogLog precision: 2^14 registers, a standard
// error of about 0.8 %.
const hllPrecision = 14

// hllSeed keeps integer hashing away from fmix64's fixed point at zero.
const hllSeed = 0x9E3779B97F4A7C15

// hllAcc is approx_count_distinct(x): one HyperLogLog++ sketch per group
// (github.com/axiomhq/hyperloglog, precision 14, sparse until dense pays).
//
// Merge is the sketch merge (register-wise max, or the union of sparse
// entries), which is exact: the merged sketch has the registers the sketch
// of the union would have, so its estimate is the same.
//
// Values hash as follows, and the hashes are part of the saved state's
// meaning: integers, oids, booleans and floats (with -0 as 0 and one NaN)
// as fmix64(bits ^ hllSeed); strings and bytea by the library's MetroHash64
// (Sketch.Insert); numerics by their reduced decimal text ('1.50' and '1.5'
// are one value); intervals by their normalized length ('1 mon' and
// '30 days' are one value), as PostgreSQL's equality says.
type hllAcc struct {
	k    kind
	sk   []*hyperloglog.Sketch // nil: no rows
	rows []uint32              // rows inserted, saturating: drives Size
	est  int64                 // Size's estimate of the sketches' bytes
	sc   scratch
	buf  []byte
	tmp  apd.Decimal
}

var _ Accumulator = (*hllAcc)(nil)

func (a *hllAcc) Grow(n int) {
	a.sk = growSlice(a.sk, n)
	a.rows = growSlice(a.rows, n)
}

func (a *hllAcc) Len() int { return len(a.sk) }

func (a *hllAcc) sketch(g uint32) *hyperloglog.Sketch {
	s := a.sk[g]
	if s == nil {
		s, _ = hyperloglog.NewSketch(hllPrecision, true)
		a.sk[g] = s
	}
	a.addRows(g, 1)
	return s
}

// hllBytes estimates a sketch's size from the rows it saw: about 4 bytes
// per row while sparse, the 2^14 registers once dense.
func hllBytes(rows uint32) int64 {
	if rows == 0 {
		return 0
	}
	return min(int64(rows)*4, 1<<hllPrecision) + 96
}

func (a *hllAcc) addRows(g uint32, n uint32) {
	old := a.rows[g]
	a.rows[g] = uint32(min(uint64(old)+uint64(n), math.MaxUint32))
	a.est += hllBytes(a.rows[g]) - hllBytes(old)
}

func (a *hllAcc) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs("approx_count_distinct", groups, args, 1); err != nil {
		return err
	}
	c, err := decodeColumn("approx_count_distinct", a.k, args[0], &a.sc)
	if err != nil || c.v.none {
		return err
	}
	for i, g := range groups {
		if g == NoGroup || !c.v.valid(i) {
			continue
		}
		if err := a.insert(g, c.at(i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *hllAcc) insert(g uint32, v val) error {
	s := a.sketch(g)
	switch a.k {
	case kString:
		s.Insert(v.b)
	case kNumeric:
		b, err := canonNumeric(v.b, &a.tmp, a.buf[:0])
		if err != nil {
			return err
		}
		a.buf = b
		s.Insert(b)
	case kInterval:
		a.buf = canonInterval(a.buf[:0], v.iv())
		s.Insert(a.buf)
	case kFloat:
		s.InsertHash(fmix64(canonFloat(math.Float64frombits(v.u)) ^ hllSeed))
	default:
		s.InsertHash(fmix64(v.u ^ hllSeed))
	}
	return nil
}

func (a *hllAcc) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*hllAcc)
	if !ok {
		return errInternal("approx_count_distinct: merge with %T", src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge("approx_count_distinct", s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g, sk := range s.sk {
		d := dst[g]
		if d == NoGroup || sk == nil {
			continue
		}
		if err := a.mergeSketch(d, sk, s.rows[g]); err != nil {
			return err
		}
	}
	return nil
}

func (a *hllAcc) mergeSketch(d uint32, sk *hyperloglog.Sketch, rows uint32) error {
	if a.sk[d] == nil {
		a.sk[d] = sk.Clone()
	} else if err := a.sk[d].Merge(sk); err != nil {
		return errInternal("approx_count_distinct: %v", err)
	}
	a.addRows(d, rows)
	return nil
}

func (a *hllAcc) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(len(a.sk))
	for _, s := range a.sk {
		if s == nil {
			b.UnsafeAppend(0)
			continue
		}
		b.UnsafeAppend(int64(s.Estimate()))
	}
	return b.NewArray(), nil
}

// AppendState encodes the row count (uvarint) and the sketch in the
// library's binary format (empty for a group without rows).
func (a *hllAcc) AppendState(buf []byte, g uint32) []byte {
	buf = binary.AppendUvarint(buf, uint64(a.rows[g]))
	if a.sk[g] == nil {
		return buf
	}
	out, err := a.sk[g].AppendBinary(buf)
	if err != nil {
		// A sketch made by NewSketch always encodes.
		panic(fmt.Sprintf("BUG: hyperloglog encoding: %v", err))
	}
	return out
}

func (a *hllAcc) LoadState(g uint32, data []byte) (err error) {
	r := reader{b: data}
	rows := r.uvarint()
	if r.bad || rows > math.MaxUint32 {
		return errCorrupt("approx_count_distinct", "bad row count")
	}
	if len(r.b) == 0 {
		return nil
	}
	defer func() {
		if recover() != nil {
			err = errCorrupt("approx_count_distinct", "bad sketch")
		}
	}()
	var sk hyperloglog.Sketch
	if err := sk.UnmarshalBinary(r.b); err != nil {
		return errCorrupt("approx_count_distinct", err.Error())
	}
	return a.mergeSketch(g, &sk, uint32(rows))
}

// Size counts a sparse sketch as about 4 bytes per inserted row and a dense
// one as its 2^14 registers.
func (a *hllAcc) Size() int64 { return a.est + int64(cap(a.sk))*12 }

// ddRelativeAccuracy is percentile_approx's guarantee: the returned value is
// within 1 % of the exact rank's value.
const ddRelativeAccuracy = 0.01

var ddMapping, _ = mapping.NewLogarithmicMapping(ddRelativeAccuracy)

// ddGroup is one group of percentile_approx: a DDSketch of the finite
// values, and counts of the values it cannot hold.
type ddGroup struct {
	sk              *ddsketch.DDSketch
	ninf, pinf, nan int64
}

func (d *ddGroup) count() float64 {
	c := float64(d.ninf + d.pinf + d.nan)
	if d.sk != nil {
		c += d.sk.GetCount()
	}
	return c
}

// ddAcc is percentile_approx(x, fraction): one DDSketch per group
// (github.com/DataDog/sketches-go, logarithmic mapping with relative
// accuracy 0.01, unbounded paginated stores that never collapse).
//
// Merge adds the bin counts index by index: two DDSketches with the same
// mapping merge into exactly the sketch of the union of their inputs, so the
// merged quantile equals the quantile of Update(a ∪ b), and the 1 % relative
// accuracy holds for the union. Values beyond the mapping's indexable range
// (|x| > ~1.7e308) are clamped to it; values below ~2.2e-308 in magnitude
// count as zero; ±Infinity and NaN are counted apart and ordered
// -Infinity < finite < +Infinity < NaN, as PostgreSQL orders floats.
//
// The result is the bin's representative value (within 1 % of an input
// value at the requested rank, rank = fraction × (count − 1)), so it need
// not be one of the inputs.
type ddAcc struct {
	frac   float64
	null   bool // fraction is NULL: every result is NULL
	groups []ddGroup
	nsk    int64 // non-empty sketches
	sc     scratch
}

var _ Accumulator = (*ddAcc)(nil)

func (a *ddAcc) Grow(n int) { a.groups = growSlice(a.groups, n) }
func (a *ddAcc) Len() int   { return len(a.groups) }

func newDDSketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketchFromStoreProvider(ddMapping, store.BufferedPaginatedStoreConstructor)
}

func (a *ddAcc) add(g uint32, x float64) {
	p := &a.groups[g]
	switch {
	case math.IsNaN(x):
		p.nan++
		return
	case math.IsInf(x, 1):
		p.pinf++
		return
	case math.IsInf(x, -1):
		p.ninf++
		return
	}
	if p.sk == nil {
		p.sk = newDDSketch()
		a.nsk++
	}
	lim := ddMapping.MaxIndexableValue()
	x = max(min(x, lim), -lim)
	_ = p.sk.Add(x) // finite values within the indexable range always add
}

func (a *ddAcc) Update(groups []uint32, args []arrow.Array) error {
	if err := checkArgs("percentile_approx", groups, args, 1); err != nil {
		return err
	}
	c, err := decodeFloatColumn("percentile_approx", args[0], &a.sc)
	if err != nil || c.v.none {
		return err
	}
	for i, g := range groups {
		if g != NoGroup && c.v.valid(i) {
			a.add(g, math.Float64frombits(c.u[i]))
		}
	}
	return nil
}

// decodeFloatColumn decodes an int, float or numeric column as float64
// bits, as PostgreSQL's implicit cast to double precision would.
func decodeFloatColumn(name string, a arrow.Array, sc *scratch) (column, error) {
	switch a.DataType().ID() {
	case arrow.FLOAT64, arrow.FLOAT32:
		return decodeColumn(name, kFloat, a, sc)
	case arrow.INT16, arrow.INT32, arrow.INT64:
		c, err := decodeColumn(name, kInt, a, sc)
		if err != nil {
			return c, err
		}
		for i, u := range c.u {
			c.u[i] = math.Float64bits(float64(int64(u)))
		}
		c.k = kFloat
		return c, nil
	}
	c, err := decodeColumn(name, kNumeric, a, sc)
	if err != nil || c.v.none {
		return c, err
	}
	u := sc.uint64s(c.n)
	for i := range u {
		u[i] = 0
		if !c.v.valid(i) {
			continue
		}
		f, err := numericToFloat(c.s.at(i))
		if err != nil {
			return c, err
		}
		u[i] = math.Float64bits(f)
	}
	c.k, c.u = kFloat, u
	return c, nil
}

// numericToFloat converts numeric text to float8 as numeric_float8 does.
func numericToFloat(b []byte) (float64, error) {
	s := bytesString(b)
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil // ±Inf or 0, as strtod gives
		}
		return 0, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", s)
	}
	return f, nil
}

func (a *ddAcc) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*ddAcc)
	if !ok {
		return errInternal("percentile_approx: merge with %T", src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge("percentile_approx", s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g := range s.groups {
		d := dst[g]
		if d == NoGroup {
			continue
		}
		if err := a.mergeGroup(d, &s.groups[g]); err != nil {
			return err
		}
	}
	return nil
}

func (a *ddAcc) mergeGroup(d uint32, src *ddGroup) error {
	p := &a.groups[d]
	p.ninf += src.ninf
	p.pinf += src.pinf
	p.nan += src.nan
	if src.sk == nil {
		return nil
	}
	if p.sk == nil {
		p.sk = src.sk.Copy()
		a.nsk++
		return nil
	}
	if err := p.sk.MergeWith(src.sk); err != nil {
		return errInternal("percentile_approx: %v", err)
	}
	return nil
}

// quantile returns the value at rank frac × (count − 1).
func (d *ddGroup) quantile(frac float64) float64 {
	rank := frac * (d.count() - 1)
	if rank < float64(d.ninf) {
		return math.Inf(-1)
	}
	rank -= float64(d.ninf)
	if d.sk != nil {
		c := d.sk.GetCount()
		if rank < c {
			// DDSketch.GetValueAtQuantile, from a rank rather than a quantile.
			neg := d.sk.GetNegativeValueStore()
			nc := neg.TotalCount()
			switch {
			case rank < nc:
				return -d.sk.Value(neg.KeyAtRank(nc - 1 - rank))
			case rank < d.sk.GetZeroCount()+nc:
				return 0
			}
			return d.sk.Value(d.sk.GetPositiveValueStore().KeyAtRank(rank - d.sk.GetZeroCount() - nc))
		}
		rank -= c
	}
	if rank < float64(d.pinf) {
		return math.Inf(1)
	}
	return math.NaN()
}

func (a *ddAcc) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Reserve(len(a.groups))
	for i := range a.groups {
		p := &a.groups[i]
		if a.null || p.count() == 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		b.UnsafeAppend(p.quantile(a.frac))
	}
	return b.NewArray(), nil
}

// AppendState encodes the -Infinity, +Infinity and NaN counts (uvarints),
// then the DDSketch in the library's binary encoding without its index
// mapping (always logarithmic, accuracy 0.01); nothing for an empty sketch.
func (a *ddAcc) AppendState(buf []byte, g uint32) []byte {
	p := &a.groups[g]
	buf = binary.AppendUvarint(buf, uint64(p.ninf))
	buf = binary.AppendUvarint(buf, uint64(p.pinf))
	buf = binary.AppendUvarint(buf, uint64(p.nan))
	if p.sk != nil {
		p.sk.Encode(&buf, true)
	}
	return buf
}

func (a *ddAcc) LoadState(g uint32, data []byte) (err error) {
	r := reader{b: data}
	src := ddGroup{ninf: int64(r.uvarint()), pinf: int64(r.uvarint()), nan: int64(r.uvarint())}
	if r.bad || src.ninf < 0 || src.pinf < 0 || src.nan < 0 {
		return errCorrupt("percentile_approx", "bad counts")
	}
	if len(r.b) > 0 {
		defer func() {
			if recover() != nil {
				err = errCorrupt("percentile_approx", "bad sketch")
			}
		}()
		sk := newDDSketch()
		if err := sk.DecodeAndMergeWith(r.b); err != nil {
			return errCorrupt("percentile_approx", err.Error())
		}
		src.sk = sk
	}
	return a.mergeGroup(g, &src)
}

// Size counts about 64 bins of 8 bytes per non-empty sketch: DDSketch at 1 %
// accuracy spans a factor of 10 in about 115 bins.
func (a *ddAcc) Size() int64 { return a.nsk*512 + int64(cap(a.groups))*32 }
