package batch

import (
	"bytes"
	"cmp"
	"math"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// minMax accumulates a column's smallest and largest non-NULL datum in
// PostgreSQL order, for FileStats, and whether a float column saw NaN.
type minMax struct {
	min, max any
	nan      bool
}

func (m *minMax) merge(lo, hi any) {
	if m.min == nil {
		m.min, m.max = lo, hi
		return
	}
	if c, ok := compareDatum(lo, m.min); ok && c < 0 {
		m.min = lo
	}
	if c, ok := compareDatum(hi, m.max); ok && c > 0 {
		m.max = hi
	}
}

// observe folds rows [lo, hi) of col, a column of type t, into m.
func (m *minMax) observe(t *types.T, col arrow.Array, lo, hi int) error {
	if t.Family == types.FamJSON || col.NullN() == col.Len() {
		return nil
	}
	switch a := col.(type) {
	case *array.Boolean:
		var f, tr bool
		for i := lo; i < hi; i++ {
			if col.IsValid(i) {
				if a.Value(i) {
					tr = true
				} else {
					f = true
				}
			}
		}
		if f || tr {
			m.merge(!f, tr)
		}
	case *array.Int16:
		mergeOrdered(m, a.Int16Values(), col, lo, hi, func(v int16) any { return int64(v) })
	case *array.Int32:
		mergeOrdered(m, a.Int32Values(), col, lo, hi, func(v int32) any { return int64(v) })
	case *array.Int64:
		mergeOrdered(m, a.Int64Values(), col, lo, hi, func(v int64) any { return v })
	case *array.Uint32:
		mergeOrdered(m, a.Uint32Values(), col, lo, hi, func(v uint32) any { return types.OidD(v) })
	case *array.Date32:
		mergeOrdered(m, a.Date32Values(), col, lo, hi, func(v arrow.Date32) any { return types.DateD(v) })
	case *array.Time64:
		mergeOrdered(m, a.Time64Values(), col, lo, hi, func(v arrow.Time64) any { return types.TimeOfDay(v) })
	case *array.Timestamp:
		mergeOrdered(m, a.TimestampValues(), col, lo, hi, func(v arrow.Timestamp) any { return types.TimestampD(v) })
	case *array.Float32:
		mergeFloat(m, a.Float32Values(), col, lo, hi)
	case *array.Float64:
		mergeFloat(m, a.Float64Values(), col, lo, hi)
	case *array.String:
		if t.Family == types.FamNumeric {
			return mergeNumeric(m, a, lo, hi)
		}
		var mn, mx string
		ok := false
		for i := lo; i < hi; i++ {
			if col.IsNull(i) {
				continue
			}
			v := a.Value(i)
			if !ok {
				mn, mx, ok = v, v, true
				continue
			}
			if v < mn {
				mn = v
			}
			if v > mx {
				mx = v
			}
		}
		if ok {
			// Clone: the record's memory is the caller's.
			m.merge(strings.Clone(mn), strings.Clone(mx))
		}
	case *array.Binary:
		var mn, mx []byte
		ok := false
		for i := lo; i < hi; i++ {
			if col.IsNull(i) {
				continue
			}
			v := a.Value(i)
			if !ok {
				mn, mx, ok = v, v, true
				continue
			}
			if bytes.Compare(v, mn) < 0 {
				mn = v
			}
			if bytes.Compare(v, mx) > 0 {
				mx = v
			}
		}
		if ok {
			m.merge(bytes.Clone(mn), bytes.Clone(mx))
		}
	case *array.MonthDayNanoInterval:
		vs := a.MonthDayNanoIntervalValues()
		var mn, mx types.IntervalD
		ok := false
		for i := lo; i < hi; i++ {
			if col.IsNull(i) {
				continue
			}
			v := types.IntervalD{Months: vs[i].Months, Days: vs[i].Days, Micros: floorDiv(vs[i].Nanoseconds, 1000)}
			if !ok {
				mn, mx, ok = v, v, true
				continue
			}
			if cmpInterval(v, mn) < 0 {
				mn = v
			}
			if cmpInterval(v, mx) > 0 {
				mx = v
			}
		}
		if ok {
			m.merge(mn, mx)
		}
	}
	return nil
}

func mergeOrdered[T cmp.Ordered](m *minMax, vs []T, col arrow.Array, lo, hi int, datum func(T) any) {
	var mn, mx T
	ok := false
	nulls := col.NullN() > 0
	for i := lo; i < hi; i++ {
		if nulls && col.IsNull(i) {
			continue
		}
		v := vs[i]
		if !ok {
			mn, mx, ok = v, v, true
			continue
		}
		mn, mx = min(mn, v), max(mx, v)
	}
	if ok {
		m.merge(datum(mn), datum(mx))
	}
}

func mergeFloat[T float32 | float64](m *minMax, vs []T, col arrow.Array, lo, hi int) {
	mn, mx := math.Inf(1), math.Inf(-1)
	seen, nan := false, false
	nulls := col.NullN() > 0
	for i := lo; i < hi; i++ {
		if nulls && col.IsNull(i) {
			continue
		}
		v := float64(vs[i])
		if v != v {
			nan = true
			continue
		}
		seen = true
		if v < mn {
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	switch {
	case nan && !seen:
		m.nan = true
		m.merge(math.NaN(), math.NaN())
	case nan:
		m.nan = true
		m.merge(mn, math.NaN())
	case seen:
		m.merge(mn, mx)
	}
}

func mergeNumeric(m *minMax, a *array.String, lo, hi int) error {
	var mn, mx *apd.Decimal
	for i := lo; i < hi; i++ {
		if a.IsNull(i) {
			continue
		}
		d, _, err := apd.NewFromString(a.Value(i))
		if err != nil {
			return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", a.Value(i))
		}
		if mn == nil || cmpDecimal(d, mn) < 0 {
			mn = d
		}
		if mx == nil || cmpDecimal(d, mx) > 0 {
			mx = d
		}
	}
	if mn != nil {
		m.merge(mn, mx)
	}
	return nil
}
