package batch

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/parquet-go/parquet-go/format"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// chunkStats are the statistics of one column chunk converted to datums
// of the column's PostgreSQL type (sql/types representation), so pruning
// compares bounds in the column's type: ints, floats, strings bytewise,
// dates, times and timestamps in microseconds.
type chunkStats struct {
	min, max  any // nil unless hasMinMax
	hasMinMax bool
	nulls     int64
	values    int64
	// mayNaN is set for float columns unless the writer recorded that the
	// file has no NaN: Parquet min/max exclude NaN.
	mayNaN bool
}

// statsOf decodes a column chunk's statistics for plan p. Statistics that
// are absent, undecodable, or whose sort order is unreliable (legacy
// min/max of unsigned or byte-array columns, INT96) leave hasMinMax false
// and so never prune.
func statsOf(p *colPlan, md *format.ColumnMetaData) chunkStats {
	st := &md.Statistics
	cs := chunkStats{nulls: st.NullCount, values: md.NumValues}
	switch p.conv {
	case convF32, convF64, convF16:
		cs.mayNaN = !p.nanFree
	}
	lo, hi := st.MinValue, st.MaxValue
	if lo == nil || hi == nil {
		lo, hi = nil, nil
		if legacyStatsUsable(p) {
			lo, hi = st.Min, st.Max
		}
	}
	if lo == nil || hi == nil {
		return cs
	}
	mn, ok1 := statDatum(p, lo)
	mx, ok2 := statDatum(p, hi)
	if ok1 && ok2 {
		cs.min, cs.max, cs.hasMinMax = mn, mx, true
	}
	return cs
}

// legacyStatsUsable reports whether the deprecated min/max fields, which
// old writers filled with signed comparison, order this column correctly.
func legacyStatsUsable(p *colPlan) bool {
	switch p.physical {
	case format.Boolean, format.Float, format.Double:
		return true
	case format.Int32, format.Int64:
		return p.conv != convU32toI64 && p.conv != convU64ToNumeric && p.conv != convI32toU32
	}
	return false
}

// statDatum decodes one PLAIN-encoded statistics value.
func statDatum(p *colPlan, raw []byte) (any, bool) {
	switch p.physical {
	case format.Boolean:
		if len(raw) < 1 {
			return nil, false
		}
		return raw[0] != 0, true
	case format.Int32:
		if len(raw) != 4 {
			return nil, false
		}
		v := int32(binary.LittleEndian.Uint32(raw))
		switch p.conv {
		case convI32:
			if p.typ.Family == types.FamDate {
				return types.DateD(v), true
			}
			return int64(v), true
		case convI32toI16:
			return int64(v), true
		case convI32toU32:
			return types.OidD(uint32(v)), true
		case convU32toI64:
			return int64(uint32(v)), true
		case convI32MilliToUs:
			return types.TimeOfDay(int64(v) * 1000), true
		case convDecI32:
			return apd.New(int64(v), -p.scale), true
		}
	case format.Int64:
		if len(raw) != 8 {
			return nil, false
		}
		v := int64(binary.LittleEndian.Uint64(raw))
		switch p.conv {
		case convI64:
		case convI64MilliToUs:
			v = milliToMicro(v)
		case convI64NanoToUs:
			v = floorDiv(v, 1000)
		case convDecI64:
			return apd.New(v, -p.scale), true
		default:
			return nil, false
		}
		switch p.typ.Family {
		case types.FamInt:
			return v, true
		case types.FamTimestamp, types.FamTimestampTZ:
			return types.TimestampD(v), true
		case types.FamTime:
			return types.TimeOfDay(v), true
		}
	case format.Float:
		if len(raw) != 4 {
			return nil, false
		}
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(raw))), true
	case format.Double:
		if len(raw) != 8 {
			return nil, false
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(raw)), true
	case format.ByteArray, format.FixedLenByteArray:
		if p.conv != convBytes && p.conv != convFixed {
			return nil, false
		}
		switch p.typ.Family {
		case types.FamString:
			return string(raw), true
		case types.FamBytes:
			return bytes.Clone(raw), true
		}
	}
	return nil, false
}

// excludes reports whether the statistics prove that no row of the chunk
// satisfies b. Unknown statistics, a NULL bound value or a value whose
// type does not compare with the column never exclude.
func (cs *chunkStats) excludes(b exec.Bound) bool {
	v := normalizeDatum(b.Value)
	if v == nil {
		return false
	}
	if cs.values > 0 && cs.nulls >= cs.values {
		// Only NULLs: no comparison is true.
		return true
	}
	if !cs.hasMinMax {
		return false
	}
	lo, ok1 := compareDatum(cs.min, v)
	hi, ok2 := compareDatum(cs.max, v)
	if !ok1 || !ok2 {
		return false
	}
	if opMayHold(b.Op, lo, hi) {
		return false
	}
	if cs.mayNaN {
		// NaN sorts above every number in PostgreSQL.
		if c, ok := compareDatum(math.NaN(), v); !ok || opMayHold(b.Op, c, c) {
			return false
		}
	}
	return true
}

// opMayHold reports whether some x with min ≤ x ≤ max satisfies "x op v",
// given lo = cmp(min, v) and hi = cmp(max, v).
func opMayHold(op exec.CmpOp, lo, hi int) bool {
	switch op {
	case exec.OpEQ:
		return lo <= 0 && hi >= 0
	case exec.OpLT:
		return lo < 0
	case exec.OpLE:
		return lo <= 0
	case exec.OpGT:
		return hi > 0
	case exec.OpGE:
		return hi >= 0
	}
	return true
}

// normalizeDatum widens the Go integer kinds a caller may pass to the
// int64 datum of sql/types.
func normalizeDatum(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case float32:
		return float64(x)
	case apd.Decimal:
		return &x
	}
	return v
}

// compareDatum compares two datums in PostgreSQL order: NaN above every
// float, strings and bytea bytewise, intervals by their total length. The
// second result is false when the two do not compare.
func compareDatum(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpOrdered(x, y), true
		case float64:
			return cmpFloat(float64(x), y), true
		case *apd.Decimal:
			return cmpDecimal(apd.New(x, 0), y), true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmpFloat(x, y), true
		case int64:
			return cmpFloat(x, float64(y)), true
		}
	case *apd.Decimal:
		switch y := b.(type) {
		case *apd.Decimal:
			return cmpDecimal(x, y), true
		case int64:
			return cmpDecimal(x, apd.New(y, 0)), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
	case types.DateD:
		if y, ok := b.(types.DateD); ok {
			return cmpOrdered(x, y), true
		}
	case types.TimestampD:
		if y, ok := b.(types.TimestampD); ok {
			return cmpOrdered(x, y), true
		}
	case types.TimeOfDay:
		if y, ok := b.(types.TimeOfDay); ok {
			return cmpOrdered(x, y), true
		}
	case types.OidD:
		if y, ok := b.(types.OidD); ok {
			return cmpOrdered(x, y), true
		}
	case types.IntervalD:
		if y, ok := b.(types.IntervalD); ok {
			return cmpInterval(x, y), true
		}
	}
	return 0, false
}

// cmpDecimal orders numerics as PostgreSQL does: -Infinity, finite
// values, Infinity, then NaN (equal to itself).
func cmpDecimal(a, b *apd.Decimal) int {
	rank := func(d *apd.Decimal) int {
		switch {
		case d.Form == apd.NaN || d.Form == apd.NaNSignaling:
			return 2
		case d.Form == apd.Infinite && d.Negative:
			return -1
		case d.Form == apd.Infinite:
			return 1
		}
		return 0
	}
	ra, rb := rank(a), rank(b)
	switch {
	case ra != rb:
		return cmpOrdered(int64(ra), int64(rb))
	case ra != 0:
		return 0
	}
	return a.Cmp(b)
}

// cmpInterval compares intervals by their total length, a month being 30
// days and a day 24 hours, as PostgreSQL does. The sum can pass 64 bits.
func cmpInterval(a, b types.IntervalD) int {
	span := func(v types.IntervalD) *big.Int {
		n := big.NewInt(int64(v.Months))
		n.Mul(n, big.NewInt(30))
		n.Add(n, big.NewInt(int64(v.Days)))
		n.Mul(n, big.NewInt(86_400_000_000))
		return n.Add(n, big.NewInt(v.Micros))
	}
	return span(a).Cmp(span(b))
}

func cmpOrdered[T ~int32 | ~int64 | ~uint32](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpFloat orders floats as PostgreSQL does: NaN equals NaN and sorts
// above everything else; -0 equals 0.
func cmpFloat(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// milliToMicro converts milliseconds to microseconds, saturating to the
// ±infinity timestamps instead of wrapping.
func milliToMicro(v int64) int64 {
	const lim = math.MaxInt64 / 1000
	switch {
	case v > lim:
		return math.MaxInt64
	case v < -lim:
		return math.MinInt64
	}
	return v * 1000
}

// floorDiv divides rounding towards negative infinity, so instants before
// 1970 truncate to the earlier microsecond like PostgreSQL's timestamps.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
