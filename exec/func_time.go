package exec

// Date and time functions with PostgreSQL 15 semantics. now() and its
// synonyms are the statement's fixed timestamp (KernelCtx.Now); only
// clock_timestamp(), timeofday() and pg_sleep read the wall clock.
// timestamptz values are truncated and split into fields in the session
// time zone (KernelCtx.Location), as PostgreSQL does; date_bin works on
// absolute microseconds and so agrees between the batch and speed layers
// whatever the session zone. The hot kernels (date_trunc, date_part,
// date_bin, to_timestamp) are typed loops over int64 microseconds.

import (
	"math"
	"strings"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// timeField is a unit of date_trunc and date_part.
type timeField uint8

const (
	fMicro timeField = iota
	fMilli
	fSecond
	fMinute
	fHour
	fDay
	fWeek
	fMonth
	fQuarter
	fYear
	fDecade
	fCentury
	fMillennium
	fEpoch
	fDow
	fIsodow
	fDoy
	fIsoyear
	fJulian
	fTimezone
	fTimezoneH
	fTimezoneM
)

var timeFields = map[string]timeField{
	"microsecond": fMicro, "microseconds": fMicro, "us": fMicro, "usec": fMicro, "usecs": fMicro,
	"usecond": fMicro, "useconds": fMicro, "microsecon": fMicro,
	"millisecond": fMilli, "milliseconds": fMilli, "ms": fMilli, "msec": fMilli, "msecs": fMilli,
	"msecond": fMilli, "mseconds": fMilli, "millisecon": fMilli,
	"second": fSecond, "seconds": fSecond, "s": fSecond, "sec": fSecond, "secs": fSecond,
	"minute": fMinute, "minutes": fMinute, "m": fMinute, "min": fMinute, "mins": fMinute,
	"hour": fHour, "hours": fHour, "h": fHour, "hr": fHour, "hrs": fHour,
	"day": fDay, "days": fDay, "d": fDay,
	"week": fWeek, "weeks": fWeek, "w": fWeek,
	"month": fMonth, "months": fMonth, "mon": fMonth, "mons": fMonth,
	"quarter": fQuarter, "qtr": fQuarter,
	"year": fYear, "years": fYear, "y": fYear, "yr": fYear, "yrs": fYear,
	"decade": fDecade, "decades": fDecade, "dec": fDecade, "decs": fDecade,
	"century": fCentury, "centuries": fCentury, "c": fCentury, "cent": fCentury,
	"millennium": fMillennium, "millennia": fMillennium, "mil": fMillennium, "mils": fMillennium,
	"epoch": fEpoch, "dow": fDow, "isodow": fIsodow, "doy": fDoy, "isoyear": fIsoyear,
	"julian": fJulian, "j": fJulian,
	"timezone": fTimezone, "timezone_hour": fTimezoneH, "timezone_h": fTimezoneH,
	"timezone_minute": fTimezoneM, "timezone_m": fTimezoneM,
}

// typeUnitsName is how PostgreSQL 15 names a type in unit errors.
func typeUnitsName(t *types.T) string {
	switch t.Family {
	case types.FamTimestampTZ:
		return "timestamp with time zone"
	case types.FamInterval:
		return "interval"
	case types.FamTime:
		return `"time"`
	}
	return "timestamp"
}

// parseField resolves a unit name for a value of type t; supported tells
// whether the field applies (an unsupported known unit is 0A000, an
// unknown one 22023).
func parseField(unit string, t *types.T, supported func(timeField) bool) (timeField, error) {
	low := strings.ToLower(strings.TrimSpace(unit))
	f, ok := timeFields[low]
	if !ok {
		return 0, errInvalidParam("%s units %q not recognized", typeUnitsName(t), low)
	}
	if !supported(f) {
		return 0, sqlstate.New(sqlstate.FeatureNotSupported, "%s units %q not supported", typeUnitsName(t), low)
	}
	return f, nil
}

// truncDays truncates a civil date (as a day number) to field f (month and
// coarser units, week).
func truncDays(days int64, f timeField) int64 {
	switch f {
	case fWeek:
		return days - isoDow(days) + 1
	case fDay, fHour, fMinute, fSecond, fMilli, fMicro:
		return days
	}
	y, m, _ := civil(days)
	switch f {
	case fMonth:
		return daysFrom(y, m, 1)
	case fQuarter:
		return daysFrom(y, 3*((m-1)/3)+1, 1)
	case fYear:
		return daysFrom(y, 1, 1)
	case fDecade:
		if y > 0 {
			y = (y / 10) * 10
		} else {
			y = -((8 - (y - 1)) / 10) * 10
		}
	case fCentury:
		if y > 0 {
			y = ((y+99)/100)*100 - 99
		} else {
			y = -((99-(y-1))/100)*100 + 1
		}
	case fMillennium:
		if y > 0 {
			y = ((y+999)/1000)*1000 - 999
		} else {
			y = -((999-(y-1))/1000)*1000 + 1
		}
	}
	return daysFrom(y, 1, 1)
}

// truncWall truncates a wall-clock reading (microseconds, as a timestamp
// without time zone) to field f.
func truncWall(us int64, f timeField) int64 {
	switch f {
	case fMicro:
		return us
	case fMilli:
		return us - floorMod(us, 1000)
	case fSecond:
		return us - floorMod(us, usPerSec)
	case fMinute:
		return us - floorMod(us, usPerMin)
	case fHour:
		return us - floorMod(us, usPerHour)
	}
	days, _ := splitUs(us)
	return truncDays(days, f) * usPerDay
}

// parseTruncField resolves a date_trunc unit. As in PostgreSQL, the
// "reserved" fields (epoch, dow, doy, isodow, isoyear, julian) are not
// units at all there (22023), the time zone fields are units date_trunc
// does not support (0A000).
func parseTruncField(unit string, t *types.T) (timeField, error) {
	low := strings.ToLower(strings.TrimSpace(unit))
	f, ok := timeFields[low]
	if !ok || (f >= fEpoch && f <= fJulian) {
		return 0, errInvalidParam("%s units %q not recognized", typeUnitsName(t), low)
	}
	if f > fMillennium {
		return 0, sqlstate.New(sqlstate.FeatureNotSupported, "%s units %q not supported", typeUnitsName(t), low)
	}
	return f, nil
}

// dateTruncKernel is date_trunc(text, timestamp|timestamptz [, zone]).
// For timestamptz the wall clock of the session zone (or the given zone)
// is truncated; units below a day keep the original UTC offset, coarser
// ones take the offset in force at the truncated time, as PostgreSQL does.
func dateTruncKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	t := k.ArgType(1)
	tz := t.Family == types.FamTimestampTZ
	unit := newStrCol(args[0])
	vals := newI64Col(args[1])
	loc := k.Location()
	var zone strCol
	if len(args) == 3 {
		zone = newStrCol(args[2])
	}
	var field timeField
	constField := args[0].Arr == nil && args[0].Scalar != nil
	if constField {
		var err error
		if field, err = parseTruncField(unit.at(0), t); err != nil {
			return Vec{}, err
		}
	}
	var lastZone string
	var lastLoc *time.Location
	zo := &zoneOffsets{loc: loc}
	// Rows truncated to the same wall-clock value convert back once.
	lastTW, lastOut, haveLast := int64(0), int64(0), false
	return fixedMap(args, n, k.Ret, func(i int) (int64, error) {
		f := field
		if !constField {
			var err error
			if f, err = parseTruncField(unit.at(i), t); err != nil {
				return 0, err
			}
		}
		us := vals.at(i)
		if !tsFinite(types.TimestampD(us)) {
			return us, nil
		}
		if !tz {
			return truncWall(us, f), nil
		}
		l := loc
		if len(args) == 3 {
			if z := zone.at(i); lastLoc == nil || z != lastZone {
				zl, err := LookupTimeZone(z)
				if err != nil {
					return 0, err
				}
				lastLoc, lastZone = zl, z
			}
			l = lastLoc
		}
		if isUTC(l) {
			return truncWall(us, f), nil
		}
		if zo.loc != l {
			zo, haveLast = &zoneOffsets{loc: l}, false
		}
		wall, off := zo.wall(us)
		tw := truncWall(wall, f)
		if f < fDay {
			return tw - off, nil
		}
		if !haveLast || tw != lastTW {
			lastTW, lastOut, haveLast = tw, int64(fromWallClock(types.TimestampD(tw), l)), true
		}
		return lastOut, nil
	})
}

// truncInterval is date_trunc(text, interval).
func truncInterval(unit string, iv types.IntervalD) (types.IntervalD, error) {
	f, err := parseTruncField(unit, types.Interval)
	if err != nil {
		return iv, err
	}
	if f == fWeek {
		return iv, sqlstate.New(sqlstate.FeatureNotSupported, "interval units %q not supported because months usually have fractional weeks", strings.ToLower(strings.TrimSpace(unit)))
	}
	years, months := int64(iv.Months)/12, int64(iv.Months)%12
	r := types.IntervalD{}
	switch f {
	case fMillennium:
		return types.IntervalD{Months: int32(years / 1000 * 1000 * 12)}, nil
	case fCentury:
		return types.IntervalD{Months: int32(years / 100 * 100 * 12)}, nil
	case fDecade:
		return types.IntervalD{Months: int32(years / 10 * 10 * 12)}, nil
	case fYear:
		return types.IntervalD{Months: int32(years * 12)}, nil
	case fQuarter:
		return types.IntervalD{Months: int32(years*12 + 3*(months/3))}, nil
	case fMonth:
		return types.IntervalD{Months: iv.Months}, nil
	}
	r.Months, r.Days = iv.Months, iv.Days
	switch f {
	case fHour:
		r.Micros = iv.Micros / usPerHour * usPerHour
	case fMinute:
		r.Micros = iv.Micros / usPerMin * usPerMin
	case fSecond:
		r.Micros = iv.Micros / usPerSec * usPerSec
	case fMilli:
		r.Micros = iv.Micros / 1000 * 1000
	case fMicro:
		r.Micros = iv.Micros
	}
	return r, nil
}

// partSupported reports which fields date_part accepts for a type family.
func partSupported(fam types.Family) func(timeField) bool {
	return func(f timeField) bool {
		switch fam {
		case types.FamTimestamp, types.FamDate:
			return f <= fJulian
		case types.FamTimestampTZ:
			return true
		case types.FamInterval:
			return f <= fMillennium && f != fWeek || f == fEpoch
		case types.FamTime:
			return f <= fHour || f == fEpoch
		}
		return false
	}
}

// partOfWall extracts field f from a wall-clock reading in microseconds.
// absUs is the absolute instant (for epoch of a timestamptz) and off the
// zone offset east of UTC in seconds.
func partOfWall(f timeField, wall, absUs int64, off int64) float64 {
	days, tod := splitUs(wall)
	switch f {
	case fMicro:
		return float64(tod % usPerMin)
	case fMilli:
		return float64(tod%usPerMin) / 1000
	case fSecond:
		return float64(tod%usPerMin) / 1e6
	case fMinute:
		return float64(tod / usPerMin % 60)
	case fHour:
		return float64(tod / usPerHour)
	case fDow:
		return float64(isoDow(days) % 7)
	case fIsodow:
		return float64(isoDow(days))
	case fEpoch:
		return float64(absUs/usPerSec) + float64(absUs%usPerSec)/1e6
	case fJulian:
		return float64(days+unixJulian) + float64(tod)/float64(usPerDay)
	case fTimezone:
		return float64(off)
	case fTimezoneH:
		return float64(off / 3600)
	case fTimezoneM:
		return float64(off / 60 % 60)
	case fWeek:
		_, w := isoWeek(days)
		return float64(w)
	case fIsoyear:
		y, _ := isoWeek(days)
		if y <= 0 {
			y--
		}
		return float64(y)
	}
	y, m, d := civil(days)
	switch f {
	case fDay:
		return float64(d)
	case fMonth:
		return float64(m)
	case fQuarter:
		return float64((m-1)/3 + 1)
	case fDoy:
		return float64(days - daysFrom(y, 1, 1) + 1)
	case fYear:
		if y <= 0 {
			y--
		}
		return float64(y)
	case fDecade:
		if y >= 0 {
			return float64(y / 10)
		}
		return float64(-((8 - (y - 1)) / 10))
	case fCentury:
		if y > 0 {
			return float64((y + 99) / 100)
		}
		return float64(-((99 - (y - 1)) / 100))
	case fMillennium:
		if y > 0 {
			return float64((y + 999) / 1000)
		}
		return float64(-((999 - (y - 1)) / 1000))
	}
	return 0
}

// partOfInfinite is date_part of ±infinity: ±Infinity for the fields
// that grow with time, NULL (false) otherwise.
func partOfInfinite(f timeField, us int64) (float64, bool) {
	switch f {
	case fYear, fDecade, fCentury, fMillennium, fJulian, fIsoyear, fEpoch:
		if us > 0 {
			return math.Inf(1), true
		}
		return math.Inf(-1), true
	}
	return 0, false
}

// partOfInterval is date_part(text, interval).
func partOfInterval(f timeField, iv types.IntervalD) float64 {
	switch f {
	case fMicro:
		return float64(iv.Micros % usPerMin)
	case fMilli:
		return float64(iv.Micros%usPerMin) / 1000
	case fSecond:
		return float64(iv.Micros%usPerMin) / 1e6
	case fMinute:
		return float64(iv.Micros / usPerMin % 60)
	case fHour:
		return float64(iv.Micros / usPerHour)
	case fDay:
		return float64(iv.Days)
	case fMonth:
		return float64(iv.Months % 12)
	case fQuarter:
		return float64(iv.Months%12/3 + 1)
	case fYear:
		return float64(iv.Months / 12)
	case fDecade:
		return float64(iv.Months / 120)
	case fCentury:
		return float64(iv.Months / 1200)
	case fMillennium:
		return float64(iv.Months / 12000)
	case fEpoch:
		secs := float64(iv.Micros)/1e6 +
			365.25*86400*float64(iv.Months/12) + 30*86400*float64(iv.Months%12) + 86400*float64(iv.Days)
		return secs
	}
	return 0
}

// datePartKernel is date_part(text, date|timestamp|timestamptz|interval|time).
func datePartKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	t := k.ArgType(1)
	unit := newStrCol(args[0])
	var field timeField
	constField := args[0].Arr == nil && args[0].Scalar != nil
	sup := partSupported(t.Family)
	if constField {
		var err error
		if field, err = parseField(unit.at(0), t, sup); err != nil {
			return Vec{}, err
		}
	}
	fieldAt := func(i int) (timeField, error) {
		if constField {
			return field, nil
		}
		return parseField(unit.at(i), t, sup)
	}
	switch t.Family {
	case types.FamInterval:
		ivs := newIvCol(args[1])
		return nullableFloatMap(args, n, func(i int) (float64, bool, error) {
			f, err := fieldAt(i)
			return partOfInterval(f, ivs.at(i)), true, err
		})
	case types.FamDate:
		ds := newDateCol(args[1])
		return nullableFloatMap(args, n, func(i int) (float64, bool, error) {
			f, err := fieldAt(i)
			us := ds.at(i) * usPerDay
			return partOfWall(f, us, us, 0), true, err
		})
	case types.FamTime:
		tv := newI64Col(args[1])
		return nullableFloatMap(args, n, func(i int) (float64, bool, error) {
			f, err := fieldAt(i)
			return partOfWall(f, tv.at(i), tv.at(i), 0), true, err
		})
	}
	vals := newI64Col(args[1])
	loc := k.Location()
	tz := t.Family == types.FamTimestampTZ && !isUTC(loc)
	zo := &zoneOffsets{loc: loc}
	return nullableFloatMap(args, n, func(i int) (float64, bool, error) {
		f, err := fieldAt(i)
		if err != nil {
			return 0, false, err
		}
		us := vals.at(i)
		if !tsFinite(types.TimestampD(us)) {
			r, ok := partOfInfinite(f, us)
			return r, ok, nil
		}
		if !tz {
			return partOfWall(f, us, us, 0), true, nil
		}
		wall, off := zo.wall(us)
		return partOfWall(f, wall, us, off/usPerSec), true, nil
	})
}

// dateBinKernel is date_bin(stride, source, origin) over timestamp or
// timestamptz: origin + floor((source − origin) / stride) · stride, with
// floor toward −∞ for sources before the origin.
func dateBinKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	strides, src, origins := newIvCol(args[0]), newI64Col(args[1]), newI64Col(args[2])
	check := func(iv types.IntervalD) (int64, error) {
		if iv.Months != 0 {
			return 0, sqlstate.New(sqlstate.FeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
		}
		s := int64(iv.Days)*usPerDay + iv.Micros
		if (iv.Days > 0 && iv.Micros > 0 && s < 0) || (iv.Days < 0 && iv.Micros < 0 && s > 0) {
			return 0, errIntervalRange()
		}
		if s <= 0 {
			return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "stride must be greater than zero")
		}
		return s, nil
	}
	bin := func(ts, origin, stride int64) (int64, error) {
		if !tsFinite(types.TimestampD(ts)) {
			return ts, nil
		}
		if !tsFinite(types.TimestampD(origin)) {
			return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "origin out of range")
		}
		diff := ts - origin
		if (ts >= 0) != (origin >= 0) && (diff >= 0) != (ts >= origin) {
			return 0, errIntervalRange()
		}
		mod := diff % stride
		r := ts - mod
		if mod < 0 {
			r -= stride
			if r > ts || r < minTimestampUs {
				return 0, errTimestampRange()
			}
		}
		return r, nil
	}
	if args[0].Arr == nil && args[2].Arr == nil && args[0].Scalar != nil && args[2].Scalar != nil {
		stride, err := check(strides.at(0))
		if err != nil {
			return Vec{}, err
		}
		origin := origins.at(0)
		if args[1].Arr != nil && tsFinite(types.TimestampD(origin)) && args[1].Arr.NullN() == 0 {
			// The lambda views' window assignment: one tight loop.
			in := valuesOf[int64](args[1].Arr)
			out := make([]int64, n)
			for i, ts := range in[:n] {
				if !tsFinite(types.TimestampD(ts)) {
					out[i] = ts
					continue
				}
				diff := ts - origin
				if (ts >= 0) != (origin >= 0) && (diff >= 0) != (ts >= origin) {
					return Vec{}, errIntervalRange()
				}
				mod := diff % stride
				out[i] = ts - mod
				if mod < 0 {
					out[i] -= stride
				}
			}
			return Vec{Arr: newFixedArray(k.Ret.Arrow(), out, nil)}, nil
		}
		return fixedMap(args, n, k.Ret, func(i int) (int64, error) { return bin(src.at(i), origin, stride) })
	}
	return fixedMap(args, n, k.Ret, func(i int) (int64, error) {
		stride, err := check(strides.at(i))
		if err != nil {
			return 0, err
		}
		return bin(src.at(i), origins.at(i), stride)
	})
}

// toTimestampKernel is to_timestamp(double precision): Unix seconds to
// timestamptz, rounded to the microsecond.
func toTimestampKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	return unaryFixed(args, n, types.TimestampTZ, func(sec float64) (int64, error) {
		switch {
		case math.IsNaN(sec):
			return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "timestamp cannot be NaN")
		case math.IsInf(sec, 1):
			return math.MaxInt64, nil
		case math.IsInf(sec, -1):
			return math.MinInt64, nil
		}
		if sec < float64(minTimestampUs)/1e6 || sec >= float64(math.MaxInt64)/1e6 {
			return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "timestamp out of range: %q", formatG(sec, 15))
		}
		return int64(math.RoundToEven(sec * 1e6)), nil
	})
}

// roundPrecision rounds microseconds to p fractional digits (0…6), as
// current_timestamp(p) and timestamp(p) do.
func roundPrecision(us int64, p int64) int64 {
	if p < 0 || p >= 6 {
		return us
	}
	unit := int64(math.Pow10(int(6 - p)))
	return floorDiv(us+unit/2, unit) * unit
}

func nowFn(k *KernelCtx, args []Vec, n int) (Vec, error) { return Vec{Scalar: stmtNow(k)}, nil }

func init() {
	Text, TS, TSTZ, Date, Time, Iv, F8, I4 := types.Text, types.Timestamp, types.TimestampTZ, types.Date, types.Time, types.Interval, types.Float8, types.Int4
	for _, name := range []string{"now", "current_timestamp", "transaction_timestamp", "statement_timestamp"} {
		regFn(name, nil, TSTZ, nowFn)
	}
	regFn("current_timestamp", sig(I4), TSTZ, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		return types.TimestampD(roundPrecision(int64(stmtNow(k)), a[0].(int64))), nil
	}))
	Register(&Func{Name: "clock_timestamp", Ret: TSTZ, Volatile: true, Kernel: func(*KernelCtx, []Vec, int) (Vec, error) {
		return Vec{Scalar: types.TimestampOf(time.Now())}, nil
	}})
	Register(&Func{Name: "timeofday", Ret: Text, Volatile: true, Kernel: func(k *KernelCtx, _ []Vec, _ int) (Vec, error) {
		return Vec{Scalar: time.Now().In(k.Location()).Format("Mon Jan 02 15:04:05.000000 2006 MST")}, nil
	}})
	regFn("current_date", nil, Date, func(k *KernelCtx, _ []Vec, _ int) (Vec, error) {
		w := wallClock(stmtNow(k), k.Location())
		d, _ := splitUs(int64(w))
		return Vec{Scalar: types.DateD(d)}, nil
	})
	localTS := func(k *KernelCtx, p int64) types.TimestampD {
		return types.TimestampD(roundPrecision(int64(wallClock(stmtNow(k), k.Location())), p))
	}
	localTime := func(k *KernelCtx, p int64) types.TimeOfDay {
		_, tod := splitUs(int64(localTS(k, p)))
		return types.TimeOfDay(tod)
	}
	regFn("localtimestamp", nil, TS, func(k *KernelCtx, _ []Vec, _ int) (Vec, error) { return Vec{Scalar: localTS(k, 6)}, nil })
	regFn("localtimestamp", sig(I4), TS, rowKernel(true, func(k *KernelCtx, a []any) (any, error) { return localTS(k, a[0].(int64)), nil }))
	for _, name := range []string{"current_time", "localtime"} {
		regFn(name, nil, Time, func(k *KernelCtx, _ []Vec, _ int) (Vec, error) { return Vec{Scalar: localTime(k, 6)}, nil })
		regFn(name, sig(I4), Time, rowKernel(true, func(k *KernelCtx, a []any) (any, error) { return localTime(k, a[0].(int64)), nil }))
	}

	regFn("date_trunc", sig(Text, TS), TS, dateTruncKernel)
	regFn("date_trunc", sig(Text, TSTZ), TSTZ, dateTruncKernel)
	regFn("date_trunc", sig(Text, TSTZ, Text), TSTZ, dateTruncKernel)
	regFn("date_trunc", sig(Text, Iv), Iv, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		u, ivs := newStrCol(args[0]), newIvCol(args[1])
		return intervalMap(args, n, func(i int) (types.IntervalD, error) { return truncInterval(u.at(i), ivs.at(i)) })
	})
	for _, t := range []*types.T{TS, TSTZ, Date, Iv, Time} {
		regFn("date_part", sig(Text, t), F8, datePartKernel)
	}
	regFn("date_bin", sig(Iv, TS, TS), TS, dateBinKernel)
	regFn("date_bin", sig(Iv, TSTZ, TSTZ), TSTZ, dateBinKernel)
	regFn("to_timestamp", sig(F8), TSTZ, toTimestampKernel)
}
