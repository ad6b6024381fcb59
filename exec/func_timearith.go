package exec

// Date/time arithmetic operators. timestamp ± interval adds the months
// (clamping the day to the month's length), then the days, then the exact
// microseconds; for timestamptz the month and day steps happen on the wall
// clock of the session time zone, so '2024-03-30 12:00+01' + '1 day' is
// noon the next day across a DST change, as in PostgreSQL. The common
// case — an interval constant of hours/minutes/seconds over a column — is
// one integer loop.

import (
	"math"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

var (
	minDateDays = int64(-unixJulian) // Julian day 0: 4714-11-24 BC
	maxDateDays = daysFrom(5874898, 1, 1)
	// maxTSDays is the largest day count whose microseconds fit int64.
	maxTSDays = int64(math.MaxInt64/usPerDay) - 1
)

func negInterval(iv types.IntervalD) (types.IntervalD, error) {
	if iv.Months == math.MinInt32 || iv.Days == math.MinInt32 || iv.Micros == math.MinInt64 {
		return iv, errIntervalRange()
	}
	return types.IntervalD{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}, nil
}

// shiftDays applies f to the day number of instant us, on the wall clock
// of loc when useLoc.
func shiftDays(us int64, loc *time.Location, useLoc bool, f func(days int64) int64) (int64, error) {
	w := us
	if useLoc {
		w = int64(wallClock(types.TimestampD(us), loc))
	}
	days, tod := splitUs(w)
	days = f(days)
	if days > maxTSDays || days < -maxTSDays {
		return 0, errTimestampRange()
	}
	w = days*usPerDay + tod
	if useLoc {
		return int64(fromWallClock(types.TimestampD(w), loc)), nil
	}
	return w, nil
}

// AddInterval is timestamp + interval (tz false) or timestamptz + interval
// with days and months counted in loc (tz true), as PostgreSQL adds them:
// a month from January 31 is the last day of February.
func AddInterval(ts types.TimestampD, iv types.IntervalD, loc *time.Location, tz bool) (types.TimestampD, error) {
	r, err := addInterval(int64(ts), iv, loc, tz)
	return types.TimestampD(r), err
}

// addInterval is timestamp[tz] + interval.
func addInterval(us int64, iv types.IntervalD, loc *time.Location, useLoc bool) (int64, error) {
	if !tsFinite(types.TimestampD(us)) {
		return us, nil
	}
	var err error
	if iv.Months != 0 {
		if us, err = shiftDays(us, loc, useLoc, func(d int64) int64 { return addMonths(d, int64(iv.Months)) }); err != nil {
			return 0, err
		}
	}
	if iv.Days != 0 {
		if us, err = shiftDays(us, loc, useLoc, func(d int64) int64 { return d + int64(iv.Days) }); err != nil {
			return 0, err
		}
	}
	r := us + iv.Micros
	if (iv.Micros > 0 && r < us) || (iv.Micros < 0 && r > us) {
		return 0, errTimestampRange()
	}
	ts, err := checkTS(r)
	return int64(ts), err
}

// tsIntervalKernel is timestamp[tz] + interval (sign 1) or − interval
// (sign −1); tsArg is the position of the timestamp argument.
func tsIntervalKernel(tz bool, sign int, tsArg int) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		tsv, ivv := args[tsArg], args[1-tsArg]
		tsc, ivs := newI64Col(tsv), newIvCol(ivv)
		loc := k.Location()
		useLoc := tz && !isUTC(loc)
		if ivv.Arr == nil && ivv.Scalar != nil {
			iv := ivs.at(0)
			if sign < 0 {
				var err error
				if iv, err = negInterval(iv); err != nil {
					return Vec{}, err
				}
			}
			if iv.Months == 0 && (iv.Days == 0 || !useLoc) {
				d := iv.Micros + int64(iv.Days)*usPerDay
				if (iv.Days > 0 && d < iv.Micros) || (iv.Days < 0 && d > iv.Micros) {
					return Vec{}, errIntervalRange()
				}
				return fixedMap(args, n, k.Ret, func(i int) (int64, error) {
					us := tsc.at(i)
					if !tsFinite(types.TimestampD(us)) {
						return us, nil
					}
					r := us + d
					if (d > 0 && r < us) || (d < 0 && r > us) || r < minTimestampUs || r == math.MaxInt64 {
						return 0, errTimestampRange()
					}
					return r, nil
				})
			}
			return fixedMap(args, n, k.Ret, func(i int) (int64, error) { return addInterval(tsc.at(i), iv, loc, useLoc) })
		}
		return fixedMap(args, n, k.Ret, func(i int) (int64, error) {
			iv := ivs.at(i)
			if sign < 0 {
				var err error
				if iv, err = negInterval(iv); err != nil {
					return 0, err
				}
			}
			return addInterval(tsc.at(i), iv, loc, useLoc)
		})
	}
}

// dateIntKernel is date + int4 (dateArg says where the date is) or
// date − int4 (sign −1).
func dateIntKernel(sign int64, dateArg int) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		dc, ic := newDateCol(args[dateArg]), newIntCol(args[1-dateArg])
		return fixedMap(args, n, types.Date, func(i int) (int32, error) {
			r := dc.at(i) + sign*ic.at(i)
			if r < minDateDays || r >= maxDateDays {
				return 0, errDateRange()
			}
			return int32(r), nil
		})
	}
}

func dateDiffKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	a, b := newDateCol(args[0]), newDateCol(args[1])
	return fixedMap(args, n, types.Int4, func(i int) (int32, error) { return int32(a.at(i) - b.at(i)), nil })
}

// dateIntervalKernel is date ± interval → timestamp.
func dateIntervalKernel(sign int, dateArg int) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		dc, ivs := newDateCol(args[dateArg]), newIvCol(args[1-dateArg])
		return fixedMap(args, n, types.Timestamp, func(i int) (int64, error) {
			iv := ivs.at(i)
			if sign < 0 {
				var err error
				if iv, err = negInterval(iv); err != nil {
					return 0, err
				}
			}
			return addInterval(dc.at(i)*usPerDay, iv, time.UTC, false)
		})
	}
}

func dateTimeKernel(dateArg int) Kernel {
	return func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		dc, tc := newDateCol(args[dateArg]), newI64Col(args[1-dateArg])
		return fixedMap(args, n, types.Timestamp, func(i int) (int64, error) {
			ts, err := checkTS(dc.at(i)*usPerDay + tc.at(i))
			return int64(ts), err
		})
	}
}

// tsDiffKernel is timestamp − timestamp (and timestamptz): the difference
// in microseconds with whole days moved into the day field
// (justify_hours), as PostgreSQL returns it.
func tsDiffKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	a, b := newI64Col(args[0]), newI64Col(args[1])
	return intervalMap(args, n, func(i int) (types.IntervalD, error) {
		x, y := a.at(i), b.at(i)
		if !tsFinite(types.TimestampD(x)) || !tsFinite(types.TimestampD(y)) {
			return types.IntervalD{}, sqlstate.New(sqlstate.DatetimeFieldOverflow, "cannot subtract infinite timestamps")
		}
		d := x - y
		if (x >= 0) != (y >= 0) && (d >= 0) != (x >= y) {
			return types.IntervalD{}, errIntervalRange()
		}
		return types.IntervalD{Days: int32(d / usPerDay), Micros: d % usPerDay}, nil
	})
}

// addIntervals is interval + interval (sign 1) or − (sign −1).
func addIntervals(a, b types.IntervalD, sign int64) (types.IntervalD, error) {
	m := int64(a.Months) + sign*int64(b.Months)
	d := int64(a.Days) + sign*int64(b.Days)
	us := a.Micros + sign*b.Micros
	if m > math.MaxInt32 || m < math.MinInt32 || d > math.MaxInt32 || d < math.MinInt32 ||
		(sign > 0 && (b.Micros > 0 && us < a.Micros || b.Micros < 0 && us > a.Micros)) ||
		(sign < 0 && (b.Micros < 0 && us < a.Micros || b.Micros > 0 && us > a.Micros)) {
		return types.IntervalD{}, errIntervalRange()
	}
	return types.IntervalD{Months: int32(m), Days: int32(d), Micros: us}, nil
}

func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

func fitsInt32(x float64) bool { return !math.IsNaN(x) && x <= math.MaxInt32 && x >= math.MinInt32 }

// mulInterval is interval * float8 (PostgreSQL 15's interval_mul):
// fractional months spill into days (30-day months) and fractional days
// into microseconds.
func mulInterval(iv types.IntervalD, factor float64) (types.IntervalD, error) {
	rm := float64(iv.Months) * factor
	rd := float64(iv.Days) * factor
	if !fitsInt32(rm) || !fitsInt32(rd) {
		return types.IntervalD{}, errIntervalRange()
	}
	months, days := int32(rm), int32(rd)
	monthRemDays := tsRound((float64(iv.Months)*factor - float64(months)) * 30)
	secRem := tsRound((float64(iv.Days)*factor - float64(days) + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	days += int32(monthRemDays)
	t := math.RoundToEven(float64(iv.Micros)*factor + secRem*1e6)
	if math.IsNaN(t) || t >= math.MaxInt64 || t < math.MinInt64 {
		return types.IntervalD{}, errIntervalRange()
	}
	return types.IntervalD{Months: months, Days: days, Micros: int64(t)}, nil
}

// divInterval is interval / float8 (PostgreSQL 15's interval_div).
func divInterval(iv types.IntervalD, factor float64) (types.IntervalD, error) {
	if factor == 0 {
		return types.IntervalD{}, errDivByZero
	}
	rm := float64(iv.Months) / factor
	rd := float64(iv.Days) / factor
	if !fitsInt32(rm) || !fitsInt32(rd) {
		return types.IntervalD{}, errIntervalRange()
	}
	months, days := int32(rm), int32(rd)
	monthRemDays := tsRound((rm - float64(months)) * 30)
	secRem := tsRound((rd - float64(days) + monthRemDays - math.Trunc(monthRemDays)) * 86400)
	if math.Abs(secRem) >= 86400 {
		days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	days += int32(monthRemDays)
	t := math.RoundToEven(float64(iv.Micros)/factor + secRem*1e6)
	if math.IsNaN(t) || t >= math.MaxInt64 || t < math.MinInt64 {
		return types.IntervalD{}, errIntervalRange()
	}
	return types.IntervalD{Months: months, Days: days, Micros: int64(t)}, nil
}

func init() {
	TS, TSTZ, Date, Time, Iv, I4, F8 := types.Timestamp, types.TimestampTZ, types.Date, types.Time, types.Interval, types.Int4, types.Float8
	op := func(name string, args []*types.T, ret *types.T, k Kernel) {
		Register(&Func{Name: name, Args: args, Ret: ret, Kernel: k, Infix: true})
	}
	op("+", sig(TS, Iv), TS, tsIntervalKernel(false, 1, 0))
	op("+", sig(Iv, TS), TS, tsIntervalKernel(false, 1, 1))
	op("-", sig(TS, Iv), TS, tsIntervalKernel(false, -1, 0))
	op("+", sig(TSTZ, Iv), TSTZ, tsIntervalKernel(true, 1, 0))
	op("+", sig(Iv, TSTZ), TSTZ, tsIntervalKernel(true, 1, 1))
	op("-", sig(TSTZ, Iv), TSTZ, tsIntervalKernel(true, -1, 0))
	op("+", sig(Date, I4), Date, dateIntKernel(1, 0))
	op("+", sig(I4, Date), Date, dateIntKernel(1, 1))
	op("-", sig(Date, I4), Date, dateIntKernel(-1, 0))
	op("-", sig(Date, Date), I4, dateDiffKernel)
	op("+", sig(Date, Iv), TS, dateIntervalKernel(1, 0))
	op("+", sig(Iv, Date), TS, dateIntervalKernel(1, 1))
	op("-", sig(Date, Iv), TS, dateIntervalKernel(-1, 0))
	op("+", sig(Date, Time), TS, dateTimeKernel(0))
	op("+", sig(Time, Date), TS, dateTimeKernel(1))
	op("-", sig(TS, TS), Iv, tsDiffKernel)
	op("-", sig(TSTZ, TSTZ), Iv, tsDiffKernel)
	for _, sign := range []int64{1, -1} {
		name := "+"
		if sign < 0 {
			name = "-"
		}
		op(name, sig(Iv, Iv), Iv, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
			a, b := newIvCol(args[0]), newIvCol(args[1])
			return intervalMap(args, n, func(i int) (types.IntervalD, error) { return addIntervals(a.at(i), b.at(i), sign) })
		})
		timeArg := 0
		for _, args := range [][]*types.T{sig(Time, Iv), sig(Iv, Time)} {
			ta := timeArg
			timeArg = 1
			if sign < 0 && ta == 1 {
				continue // there is no interval − time
			}
			op(name, args, Time, func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				tc, ivs := newI64Col(a[ta]), newIvCol(a[1-ta])
				return fixedMap(a, n, Time, func(i int) (int64, error) {
					return floorMod(tc.at(i)+sign*(ivs.at(i).Micros%usPerDay), usPerDay), nil
				})
			})
		}
	}
	op("-", sig(Time, Time), Iv, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		a, b := newI64Col(args[0]), newI64Col(args[1])
		return intervalMap(args, n, func(i int) (types.IntervalD, error) { return types.IntervalD{Micros: a.at(i) - b.at(i)}, nil })
	})
	op("*", sig(Iv, F8), Iv, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		a, f := newIvCol(args[0]), newFloatCol(args[1])
		return intervalMap(args, n, func(i int) (types.IntervalD, error) { return mulInterval(a.at(i), f.at(i)) })
	})
	op("*", sig(F8, Iv), Iv, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		f, a := newFloatCol(args[0]), newIvCol(args[1])
		return intervalMap(args, n, func(i int) (types.IntervalD, error) { return mulInterval(a.at(i), f.at(i)) })
	})
	op("/", sig(Iv, F8), Iv, func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		a, f := newIvCol(args[0]), newFloatCol(args[1])
		return intervalMap(args, n, func(i int) (types.IntervalD, error) { return divInterval(a.at(i), f.at(i)) })
	})
}
