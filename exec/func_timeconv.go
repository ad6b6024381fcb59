package exec

// Date/time constructors and conversions: make_date, make_time,
// make_timestamp[tz], make_interval, age, justify_*, isfinite, and
// timezone() with its operator form AT TIME ZONE.

import (
	"math"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// makeDate validates and builds a date; negative years are BC.
func makeDate(y, m, d int64) (int64, error) {
	yy := y
	if y < 0 {
		yy = y + 1
	}
	if y == 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(yy, m) || y > 5874897 || y < -4713 {
		return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	return daysFrom(yy, m, d), nil
}

// makeTime validates and builds a time of day in microseconds.
func makeTime(h, mi int64, sec float64) (int64, error) {
	us := int64(math.RoundToEven(sec * 1e6))
	if h < 0 || h > 24 || mi < 0 || mi > 59 || sec < 0 || us > 60*usPerSec ||
		(h == 24 && (mi > 0 || us > 0)) || math.IsNaN(sec) {
		return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "time field value out of range: %d:%02d:%02s", h, mi, formatG(sec, 15))
	}
	return h*usPerHour + mi*usPerMin + us, nil
}

// makeInterval is make_interval(years, months, weeks, days, hours, mins, secs).
func makeInterval(a []any) (any, error) {
	get := func(i int) int64 {
		if i < len(a) && a[i] != nil {
			return a[i].(int64)
		}
		return 0
	}
	secs := 0.0
	if len(a) > 6 && a[6] != nil {
		secs = a[6].(float64)
	}
	months := get(0)*12 + get(1)
	days := get(2)*7 + get(3)
	micros := get(4)*usPerHour + get(5)*usPerMin
	s := math.RoundToEven(secs * 1e6)
	if math.IsNaN(s) || math.IsInf(s, 0) || months > math.MaxInt32 || months < math.MinInt32 ||
		days > math.MaxInt32 || days < math.MinInt32 || math.Abs(s+float64(micros)) >= math.MaxInt64 {
		return nil, errIntervalRange()
	}
	return types.IntervalD{Months: int32(months), Days: int32(days), Micros: micros + int64(s)}, nil
}

// ageOf is age(a, b): the symbolic difference in years, months and days,
// computed on wall-clock fields (in loc for timestamptz).
func ageOf(a, b types.TimestampD, loc *time.Location) (types.IntervalD, error) {
	if !tsFinite(a) || !tsFinite(b) {
		return types.IntervalD{}, errIntervalRange()
	}
	wa, wb := int64(a), int64(b)
	if !isUTC(loc) {
		wa, wb = int64(wallClock(a, loc)), int64(wallClock(b, loc))
	}
	da, ta := splitUs(wa)
	db, tb := splitUs(wb)
	y1, m1, d1 := civil(da)
	y2, m2, d2 := civil(db)
	neg := a < b
	fy, fm, fd, ft := y1-y2, m1-m2, d1-d2, ta-tb
	if neg {
		fy, fm, fd, ft = -fy, -fm, -fd, -ft
	}
	for ft < 0 {
		ft += usPerDay
		fd--
	}
	for fd < 0 {
		if neg {
			fd += daysInMonth(y1, m1)
		} else {
			fd += daysInMonth(y2, m2)
		}
		fm--
	}
	for fm < 0 {
		fm += 12
		fy--
	}
	if neg {
		fy, fm, fd, ft = -fy, -fm, -fd, -ft
	}
	return types.IntervalD{Months: int32(fy*12 + fm), Days: int32(fd), Micros: ft}, nil
}

// justify implements justify_days ('d'), justify_hours ('h') and
// justify_interval ('i').
func justify(iv types.IntervalD, mode byte) (types.IntervalD, error) {
	months, days, us := int64(iv.Months), int64(iv.Days), iv.Micros
	if mode != 'd' {
		whole := us / usPerDay
		us -= whole * usPerDay
		days += whole
	}
	if mode != 'h' {
		whole := days / 30
		days -= whole * 30
		months += whole
		if mode == 'd' {
			if months > 0 && days < 0 {
				days += 30
				months--
			} else if months < 0 && days > 0 {
				days -= 30
				months++
			}
		} else {
			if months > 0 && (days < 0 || days == 0 && us < 0) {
				days += 30
				months--
			} else if months < 0 && (days > 0 || days == 0 && us > 0) {
				days -= 30
				months++
			}
		}
	}
	if mode != 'd' {
		if days > 0 && us < 0 {
			us += usPerDay
			days--
		} else if days < 0 && us > 0 {
			us -= usPerDay
			days++
		}
	}
	if months > math.MaxInt32 || months < math.MinInt32 || days > math.MaxInt32 || days < math.MinInt32 {
		return iv, errIntervalRange()
	}
	return types.IntervalD{Months: int32(months), Days: int32(days), Micros: us}, nil
}

// zoneArg resolves the zone argument of timezone(): a name or an interval
// (a fixed offset east of UTC, without months or days).
func zoneArg(z any) (*time.Location, error) {
	switch v := z.(type) {
	case string:
		return LookupTimeZone(v)
	case types.IntervalD:
		if v.Months != 0 || v.Days != 0 {
			return nil, errInvalidParam("interval time zone %q must not include months or days", types.FormatText(types.Interval, v, nil))
		}
		return time.FixedZone("", int(v.Micros/usPerSec)), nil
	}
	return nil, errInvalidParam("time zone must be text or interval")
}

func init() {
	Text, TS, TSTZ, Date, Time, Iv, F8, I4 := types.Text, types.Timestamp, types.TimestampTZ, types.Date, types.Time, types.Interval, types.Float8, types.Int4
	regFn("make_date", sig(I4, I4, I4), Date, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		d, err := makeDate(a[0].(int64), a[1].(int64), a[2].(int64))
		return types.DateD(d), err
	}))
	regFn("make_time", sig(I4, I4, F8), Time, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		t, err := makeTime(a[0].(int64), a[1].(int64), a[2].(float64))
		return types.TimeOfDay(t), err
	}))
	makeTS := func(a []any) (int64, error) {
		d, err := makeDate(a[0].(int64), a[1].(int64), a[2].(int64))
		if err != nil {
			return 0, err
		}
		t, err := makeTime(a[3].(int64), a[4].(int64), a[5].(float64))
		if err != nil {
			return 0, err
		}
		return d*usPerDay + t, nil
	}
	regFn("make_timestamp", sig(I4, I4, I4, I4, I4, F8), TS, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		w, err := makeTS(a)
		if err != nil {
			return nil, err
		}
		return checkTS(w)
	}))
	regFn("make_timestamptz", sig(I4, I4, I4, I4, I4, F8), TSTZ, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		w, err := makeTS(a)
		if err != nil {
			return nil, err
		}
		return fromWallClock(types.TimestampD(w), k.Location()), nil
	}))
	regFn("make_timestamptz", sig(I4, I4, I4, I4, I4, F8, Text), TSTZ, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		w, err := makeTS(a)
		if err != nil {
			return nil, err
		}
		loc, err := LookupTimeZone(a[6].(string))
		if err != nil {
			return nil, err
		}
		return fromWallClock(types.TimestampD(w), loc), nil
	}))
	miArgs := []*types.T{I4, I4, I4, I4, I4, I4, F8}
	for nargs := 0; nargs <= 7; nargs++ {
		regFn("make_interval", miArgs[:nargs], Iv, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) { return makeInterval(a) }))
	}

	regFn("age", sig(TS, TS), Iv, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return ageOf(a[0].(types.TimestampD), a[1].(types.TimestampD), time.UTC)
	}))
	regFn("age", sig(TSTZ, TSTZ), Iv, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		return ageOf(a[0].(types.TimestampD), a[1].(types.TimestampD), k.Location())
	}))
	regFn("age", sig(TS), Iv, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		d, _ := splitUs(int64(wallClock(stmtNow(k), k.Location())))
		return ageOf(types.TimestampD(d*usPerDay), a[0].(types.TimestampD), time.UTC)
	}))
	regFn("age", sig(TSTZ), Iv, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		loc := k.Location()
		d, _ := splitUs(int64(wallClock(stmtNow(k), loc)))
		midnight := fromWallClock(types.TimestampD(d*usPerDay), loc)
		return ageOf(midnight, a[0].(types.TimestampD), loc)
	}))
	for name, mode := range map[string]byte{"justify_days": 'd', "justify_hours": 'h', "justify_interval": 'i'} {
		regFn(name, sig(Iv), Iv, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) { return justify(a[0].(types.IntervalD), mode) }))
	}
	finite := rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		if t, ok := a[0].(types.TimestampD); ok {
			return tsFinite(t), nil
		}
		if d, ok := a[0].(types.DateD); ok {
			return d != types.DateInfinity && d != types.DateNegInfinity, nil
		}
		return true, nil
	})
	for _, t := range []*types.T{Date, TS, TSTZ, Iv} {
		regFn("isfinite", sig(t), types.Bool, finite)
	}
	// timezone(zone, ts) and ts AT TIME ZONE zone.
	toLocal := rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		loc, err := zoneArg(a[0])
		if err != nil {
			return nil, err
		}
		return wallClock(a[1].(types.TimestampD), loc), nil
	})
	fromLocal := rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		loc, err := zoneArg(a[0])
		if err != nil {
			return nil, err
		}
		return fromWallClock(a[1].(types.TimestampD), loc), nil
	})
	swap := func(k Kernel) Kernel {
		return func(kc *KernelCtx, args []Vec, n int) (Vec, error) {
			return k(&KernelCtx{Ctx: kc.Ctx, Args: []Expr{kc.Args[1], kc.Args[0]}, Ret: kc.Ret}, []Vec{args[1], args[0]}, n)
		}
	}
	for _, z := range []*types.T{Text, Iv} {
		regFn("timezone", sig(z, TSTZ), TS, toLocal)
		regFn("timezone", sig(z, TS), TSTZ, fromLocal)
		Register(&Func{Name: "at time zone", Args: sig(TSTZ, z), Ret: TS, Kernel: swap(toLocal), Infix: true},
			&Func{Name: "at time zone", Args: sig(TS, z), Ret: TSTZ, Kernel: swap(fromLocal), Infix: true})
	}
}
