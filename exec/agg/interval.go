package agg

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// ivSum is sum(interval) and avg(interval). PostgreSQL adds intervals field
// by field (interval_pl): months with months, days with days, microseconds
// with microseconds; avg divides the sum by the count with interval_div's
// cascading of fractional months and days.
type ivSum struct {
	name   string
	avg    bool
	months []int64
	days   []int64
	micros []int64
	n      []int64
	sc     scratch
}

var _ Accumulator = (*ivSum)(nil)

func errIntervalRange() error {
	return sqlstate.New(sqlstate.DatetimeFieldOverflow, "interval out of range")
}

func (a *ivSum) Grow(n int) {
	a.months = growSlice(a.months, n)
	a.days = growSlice(a.days, n)
	a.micros = growSlice(a.micros, n)
	a.n = growSlice(a.n, n)
}

func (a *ivSum) Len() int { return len(a.n) }

func (a *ivSum) Update(groups []uint32, args []arrow.Array) error {
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
	var ovf int64
	for i, g := range groups {
		if g == NoGroup || !v.valid(i) {
			continue
		}
		iv := vals[i]
		a.months[g] += int64(iv.Months)
		a.days[g] += int64(iv.Days)
		us := iv.Nanoseconds / 1000
		s := a.micros[g]
		r := s + us
		ovf |= (s ^ r) & (us ^ r)
		a.micros[g] = r
		a.n[g]++
	}
	if ovf < 0 {
		return errIntervalRange()
	}
	return nil
}

func (a *ivSum) Merge(src Accumulator, dst []uint32) error {
	s, ok := src.(*ivSum)
	if !ok || s.avg != a.avg {
		return errInternal("%s: merge with %T", a.name, src)
	}
	if s == a {
		return mergeSelf(a, dst)
	}
	if err := checkMerge(a.name, s.Len(), a.Len(), dst); err != nil {
		return err
	}
	for g := range s.n {
		d := dst[g]
		if d == NoGroup {
			continue
		}
		if err := a.add(d, s.months[g], s.days[g], s.micros[g], s.n[g]); err != nil {
			return err
		}
	}
	return nil
}

func (a *ivSum) add(g uint32, months, days, micros, n int64) error {
	r := a.micros[g] + micros
	if (a.micros[g]^r)&(micros^r) < 0 {
		return errIntervalRange()
	}
	a.micros[g] = r
	a.months[g] += months
	a.days[g] += days
	a.n[g] += n
	return nil
}

func (a *ivSum) Finalize(mem memory.Allocator) (arrow.Array, error) {
	b := array.NewMonthDayNanoIntervalBuilder(mem)
	defer b.Release()
	b.Reserve(len(a.n))
	for g, n := range a.n {
		if n == 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		m, d := a.months[g], a.days[g]
		if m != int64(int32(m)) || d != int64(int32(d)) {
			return nil, errIntervalRange()
		}
		iv := types.IntervalD{Months: int32(m), Days: int32(d), Micros: a.micros[g]}
		if a.avg {
			var err error
			if iv, err = intervalDiv(iv, float64(n)); err != nil {
				return nil, err
			}
		}
		if iv.Micros > math.MaxInt64/1000 || iv.Micros < math.MinInt64/1000 {
			return nil, sqlstate.New(sqlstate.DatetimeFieldOverflow, "interval out of range for Arrow (nanoseconds)")
		}
		b.UnsafeAppend(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	}
	return b.NewArray(), nil
}

// AppendState encodes count (uvarint), then months, days and microseconds
// (varints).
func (a *ivSum) AppendState(buf []byte, g uint32) []byte {
	buf = binary.AppendUvarint(buf, uint64(a.n[g]))
	buf = binary.AppendVarint(buf, a.months[g])
	buf = binary.AppendVarint(buf, a.days[g])
	return binary.AppendVarint(buf, a.micros[g])
}

func (a *ivSum) LoadState(g uint32, data []byte) error {
	r := reader{b: data}
	n := r.uvarint()
	m, d, us := r.varint(), r.varint(), r.varint()
	if !r.done() || n > 1<<62 {
		return errCorrupt(a.name, "bad interval sum")
	}
	return a.add(g, m, d, us, int64(n))
}

func (a *ivSum) Size() int64 { return int64(cap(a.n)) * 32 }

const (
	daysPerMonth = 30
	secsPerDay   = 86400
	usecsPerSec  = 1e6
)

// tsRound is PostgreSQL's TSROUND: round to microsecond precision.
func tsRound(j float64) float64 { return math.RoundToEven(j*1e6) / 1e6 }

func fitsInt32(f float64) bool { return !math.IsNaN(f) && f >= math.MinInt32 && f <= math.MaxInt32 }

func fitsInt64(f float64) bool {
	return !math.IsNaN(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0
}

// intervalDiv is PostgreSQL's interval_div(span, factor).
func intervalDiv(span types.IntervalD, factor float64) (types.IntervalD, error) {
	if factor == 0 {
		return types.IntervalD{}, sqlstate.New(sqlstate.DivisionByZero, "division by zero")
	}
	var res types.IntervalD
	fm := float64(span.Months) / factor
	fd := float64(span.Days) / factor
	if !fitsInt32(fm) || !fitsInt32(fd) {
		return res, errIntervalRange()
	}
	res.Months = int32(fm)
	res.Days = int32(fd)
	monthRemainderDays := tsRound((fm - float64(res.Months)) * daysPerMonth)
	secRemainder := tsRound((fd - float64(res.Days) + monthRemainderDays - math.Trunc(monthRemainderDays)) * secsPerDay)
	if math.Abs(secRemainder) >= secsPerDay {
		res.Days += int32(secRemainder / secsPerDay)
		secRemainder -= math.Trunc(secRemainder/secsPerDay) * secsPerDay
	}
	res.Days += int32(monthRemainderDays)
	t := math.RoundToEven(float64(span.Micros)/factor + secRemainder*usecsPerSec)
	if !fitsInt64(t) {
		return res, errIntervalRange()
	}
	res.Micros = int64(t)
	return res, nil
}

// intervalMul is PostgreSQL's interval_mul(span, factor).
func intervalMul(span types.IntervalD, factor float64) (types.IntervalD, error) {
	var res types.IntervalD
	fm := float64(span.Months) * factor
	fd := float64(span.Days) * factor
	if !fitsInt32(fm) || !fitsInt32(fd) {
		return res, errIntervalRange()
	}
	res.Months = int32(fm)
	res.Days = int32(fd)
	monthRemainderDays := tsRound((fm - float64(res.Months)) * daysPerMonth)
	secRemainder := tsRound((fd - float64(res.Days) + monthRemainderDays - math.Trunc(monthRemainderDays)) * secsPerDay)
	if math.Abs(secRemainder) >= secsPerDay {
		d := int64(res.Days) + int64(secRemainder/secsPerDay)
		if d != int64(int32(d)) {
			return res, errIntervalRange()
		}
		res.Days = int32(d)
		secRemainder -= math.Trunc(secRemainder/secsPerDay) * secsPerDay
	}
	d := int64(res.Days) + int64(monthRemainderDays)
	if d != int64(int32(d)) {
		return res, errIntervalRange()
	}
	res.Days = int32(d)
	t := math.RoundToEven(float64(span.Micros)*factor + secRemainder*usecsPerSec)
	if !fitsInt64(t) {
		return res, errIntervalRange()
	}
	res.Micros = int64(t)
	return res, nil
}

// intervalAdd and intervalSub are interval_pl and interval_mi.
func intervalAdd(a, b types.IntervalD) (types.IntervalD, error) {
	m := int64(a.Months) + int64(b.Months)
	d := int64(a.Days) + int64(b.Days)
	us := a.Micros + b.Micros
	if m != int64(int32(m)) || d != int64(int32(d)) || (a.Micros^us)&(b.Micros^us) < 0 {
		return types.IntervalD{}, errIntervalRange()
	}
	return types.IntervalD{Months: int32(m), Days: int32(d), Micros: us}, nil
}

func intervalSub(a, b types.IntervalD) (types.IntervalD, error) {
	if b.Months == math.MinInt32 || b.Days == math.MinInt32 || b.Micros == math.MinInt64 {
		return types.IntervalD{}, errIntervalRange()
	}
	return intervalAdd(a, types.IntervalD{Months: -b.Months, Days: -b.Days, Micros: -b.Micros})
}
