package exec

// Calendar arithmetic shared by the date/time functions: civil dates from
// day numbers without time.Time (the hot kernels split microseconds into
// a day number and a time of day and work on integers), time zone lookup
// with PostgreSQL's rules, and typed readers for date, timestamp and
// interval columns.

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

const (
	usPerSec  = int64(1_000_000)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
	// unixJulian is the Julian day number of 1970-01-01.
	unixJulian = 2440588
	// minTimestampUs is 4714-11-24 00:00:00 BC, PostgreSQL's lower bound,
	// in microseconds since the Unix epoch. The upper bound is what int64
	// microseconds hold (year 294247), below PostgreSQL's 294276.
	minTimestampUs = -210866803200000000
)

var (
	tsInfinity    = types.TimestampD(math.MaxInt64)
	tsNegInfinity = types.TimestampD(math.MinInt64)
)

func tsFinite(t types.TimestampD) bool { return t != tsInfinity && t != tsNegInfinity }

func errTimestampRange() error {
	return sqlstate.New(sqlstate.DatetimeFieldOverflow, "timestamp out of range")
}

func errIntervalRange() error {
	return sqlstate.New(sqlstate.DatetimeFieldOverflow, "interval out of range")
}

func errDateRange() error {
	return sqlstate.New(sqlstate.DatetimeFieldOverflow, "date out of range")
}

// checkTS fails with 22008 when us is outside the representable range
// (or collides with the infinities).
func checkTS(us int64) (types.TimestampD, error) {
	if us < minTimestampUs || us == math.MaxInt64 {
		return 0, errTimestampRange()
	}
	return types.TimestampD(us), nil
}

// civil converts days since 1970-01-01 into a proleptic Gregorian date
// with an astronomical year (0 is 1 BC). H. Hinnant's algorithm.
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFrom is the inverse of civil.
func daysFrom(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

var monthDays = [2][13]int64{
	{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
	{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
}

func daysInMonth(y, m int64) int64 {
	if isLeap(y) {
		return monthDays[1][m]
	}
	return monthDays[0][m]
}

// splitUs splits microseconds since the epoch into a day number and the
// microseconds into that day.
func splitUs(us int64) (days, tod int64) {
	return floorDiv(us, usPerDay), floorMod(us, usPerDay)
}

// isoDow is 1 (Monday) … 7 (Sunday) of a day number.
func isoDow(days int64) int64 {
	dow := floorMod(days+4, 7) // 1970-01-01 was a Thursday
	if dow == 0 {
		return 7
	}
	return dow
}

// isoWeek returns the ISO 8601 year and week of a day number.
func isoWeek(days int64) (year, week int64) {
	thu := days - isoDow(days) + 4
	y, _, _ := civil(thu)
	return y, (thu-daysFrom(y, 1, 1))/7 + 1
}

// addMonths adds n months to a day number, clamping the day of month to
// the length of the target month (Jan 31 + 1 month = Feb 28/29).
func addMonths(days int64, n int64) int64 {
	y, m, d := civil(days)
	mm := y*12 + (m - 1) + n
	y, m = floorDiv(mm, 12), floorMod(mm, 12)+1
	return daysFrom(y, m, min(d, daysInMonth(y, m)))
}

// stmtNow is the statement's now(); the wall clock only when no statement
// context exists at all (tests calling kernels directly).
func stmtNow(k *KernelCtx) types.TimestampD {
	if k != nil && k.Ctx != nil {
		return k.Ctx.Now
	}
	return types.TimestampOf(time.Now())
}

// isUTC reports whether loc never has an offset.
func isUTC(loc *time.Location) bool { return loc == time.UTC || loc == nil }

// zoneAbbrevs are the time zone abbreviations accepted as AT TIME ZONE
// targets, with their fixed offsets east of UTC in seconds (PostgreSQL's
// Default abbreviation set, the common part).
var zoneAbbrevs = map[string]int{
	"utc": 0, "gmt": 0, "ut": 0, "z": 0, "zulu": 0, "wet": 0,
	"west": 3600, "bst": 3600, "cet": 3600, "met": 3600, "mez": 3600,
	"cest": 7200, "mest": 7200, "eet": 7200, "sast": 7200,
	"eest": 10800, "msk": 10800,
	"ist": 7200, // PostgreSQL's Default set means Israel Standard Time
	"pkt": 18000, "hkt": 28800, "awst": 28800, "sgt": 28800,
	"jst": 32400, "kst": 32400, "acst": 34200, "acdt": 37800,
	"aest": 36000, "aedt": 39600, "nzst": 43200, "nzdt": 46800,
	"ast": -14400, "adt": -10800, "est": -18000, "edt": -14400,
	"cst": -21600, "cdt": -18000, "mst": -25200, "mdt": -21600,
	"pst": -28800, "pdt": -25200, "akst": -32400, "akdt": -28800,
	"hst": -36000, "nst": -12600, "ndt": -9000,
}

var (
	zoneCache   sync.Map // name → *time.Location
	zoneFoldMu  sync.Mutex
	zoneFolded  map[string]string // lower-case IANA name → its spelling
	zoneRootDir = "/usr/share/zoneinfo"
)

// LookupTimeZone resolves a time zone name as PostgreSQL's AT TIME ZONE
// and timezone() do: abbreviations (EST, CET, …), IANA names matched
// without regard to case, and POSIX offsets such as '+02' or 'UTC+3' —
// which, as in POSIX and PostgreSQL, count hours WEST of Greenwich, so
// '+02' is two hours behind UTC. Unknown names fail with 22023.
func LookupTimeZone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	loc, err := lookupZone(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, loc)
	return loc, nil
}

func lookupZone(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	low := strings.ToLower(n)
	if off, ok := zoneAbbrevs[low]; ok {
		if off == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(strings.ToUpper(n), off), nil
	}
	if off, ok := parsePosixOffset(n); ok {
		return time.FixedZone(n, off), nil
	}
	if n != "" && !strings.Contains(n, "..") {
		if l, err := time.LoadLocation(n); err == nil {
			return l, nil
		}
		if real := foldedZoneName(low); real != "" {
			if l, err := time.LoadLocation(real); err == nil {
				return l, nil
			}
		}
	}
	return nil, errInvalidParam("time zone %q not recognized", name)
}

// parsePosixOffset reads "[ABC]±hh[:mm[:ss]]" and returns the offset east
// of UTC in seconds (the POSIX sign is inverted).
func parsePosixOffset(s string) (int, bool) {
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		i++
	}
	rest := s[i:]
	if rest == "" {
		return 0, false
	}
	sign := 1
	switch rest[0] {
	case '+':
		rest = rest[1:]
	case '-':
		sign = -1
		rest = rest[1:]
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 || parts[0] == "" {
		return 0, false
	}
	secs := 0
	mult := 3600
	for _, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 2 {
			return 0, false
		}
		secs += v * mult
		mult /= 60
	}
	if secs > 15*3600 {
		return 0, false
	}
	return -sign * secs, true
}

// foldedZoneName finds an IANA zone name case-insensitively (PostgreSQL
// accepts 'europe/paris').
func foldedZoneName(low string) string {
	zoneFoldMu.Lock()
	defer zoneFoldMu.Unlock()
	if zoneFolded == nil {
		zoneFolded = map[string]string{}
		filepath.WalkDir(zoneRootDir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(zoneRootDir, p)
			if err == nil {
				zoneFolded[strings.ToLower(rel)] = rel
			}
			return nil
		})
	}
	return zoneFolded[low]
}

// zoneOffsets finds the UTC offset of instants in one zone, remembering
// the zone period (between two transitions) of the last lookup: a column
// of nearby timestamps costs one time.Time conversion per period instead
// of one per row. Not safe for concurrent use; make one per kernel call.
type zoneOffsets struct {
	loc    *time.Location
	lo, hi int64 // the cached period [lo, hi) in microseconds
	off    int64 // its offset east of UTC in microseconds
	valid  bool
}

// wall returns the wall-clock reading of instant us (a timestamp without
// time zone) and the offset used.
func (z *zoneOffsets) wall(us int64) (int64, int64) {
	if !z.valid || us < z.lo || us >= z.hi {
		t := time.UnixMicro(us).In(z.loc)
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		z.lo, z.hi = math.MinInt64, math.MaxInt64
		if !start.IsZero() {
			z.lo = start.UnixMicro()
		}
		if !end.IsZero() {
			z.hi = end.UnixMicro()
		}
		z.off, z.valid = int64(off)*usPerSec, true
	}
	return us + z.off, z.off
}

// i64Col reads a 64-bit fixed-width argument: timestamp, timestamptz,
// time or int8.
type i64Col struct {
	vals []int64
	v    int64
}

func newI64Col(v Vec) i64Col {
	if v.Arr == nil {
		if v.Scalar == nil {
			return i64Col{}
		}
		return i64Col{v: scalarAs[int64](v.Scalar)}
	}
	return i64Col{vals: valuesOf[int64](v.Arr)}
}

func (c *i64Col) at(i int) int64 {
	if c.vals != nil {
		return c.vals[i]
	}
	return c.v
}

// dateCol reads a date argument.
type dateCol struct {
	vals []int32
	v    int32
}

func newDateCol(v Vec) dateCol {
	if v.Arr == nil {
		if v.Scalar == nil {
			return dateCol{}
		}
		return dateCol{v: int32(v.Scalar.(types.DateD))}
	}
	return dateCol{vals: valuesOf[int32](v.Arr)}
}

func (c *dateCol) at(i int) int64 {
	if c.vals != nil {
		return int64(c.vals[i])
	}
	return int64(c.v)
}

// ivCol reads an interval argument.
type ivCol struct {
	vals []arrow.MonthDayNanoInterval
	v    types.IntervalD
}

func newIvCol(v Vec) ivCol {
	if v.Arr == nil {
		iv, _ := v.Scalar.(types.IntervalD)
		return ivCol{v: iv}
	}
	return ivCol{vals: v.Arr.(*array.MonthDayNanoInterval).MonthDayNanoIntervalValues()}
}

func (c *ivCol) at(i int) types.IntervalD {
	if c.vals != nil {
		x := c.vals[i]
		return types.IntervalD{Months: x.Months, Days: x.Days, Micros: x.Nanoseconds / 1000}
	}
	return c.v
}

// intervalMap evaluates a strict interval-valued function over n rows.
func intervalMap(args []Vec, n int, f func(i int) (types.IntervalD, error)) (Vec, error) {
	valid, null := strictValidity(args, n)
	if null {
		return Vec{}, nil
	}
	if scalarArgs(args) {
		r, err := f(0)
		if err != nil {
			return Vec{}, err
		}
		return Vec{Scalar: r}, nil
	}
	out := make([]arrow.MonthDayNanoInterval, n)
	for i := range out {
		if !bitSet(valid, i) {
			continue
		}
		r, err := f(i)
		if err != nil {
			return Vec{}, err
		}
		if r.Micros > math.MaxInt64/1000 || r.Micros < math.MinInt64/1000 {
			return Vec{}, errIntervalRange()
		}
		out[i] = arrow.MonthDayNanoInterval{Months: r.Months, Days: r.Days, Nanoseconds: r.Micros * 1000}
	}
	var buf []byte
	if n > 0 {
		buf = arrow.MonthDayNanoIntervalTraits.CastToBytes(out)
	}
	data := array.NewData(arrow.FixedWidthTypes.MonthDayNanoInterval, n,
		[]*memory.Buffer{valid, memory.NewBufferBytes(buf)}, nil, nullCount(valid, n), 0)
	defer data.Release()
	return Vec{Arr: array.MakeFromData(data)}, nil
}

// nullableFloatMap is fixedMap for float8 results that may be NULL for
// some valid inputs (date_part of an infinite timestamp).
func nullableFloatMap(args []Vec, n int, f func(i int) (float64, bool, error)) (Vec, error) {
	valid, null := strictValidity(args, n)
	if null {
		return Vec{}, nil
	}
	if scalarArgs(args) {
		r, ok, err := f(0)
		if err != nil || !ok {
			return Vec{}, err
		}
		return Vec{Scalar: r}, nil
	}
	out := make([]float64, n)
	var extra []bool
	for i := range out {
		if !bitSet(valid, i) {
			continue
		}
		r, ok, err := f(i)
		if err != nil {
			return Vec{}, err
		}
		if !ok {
			if extra == nil {
				extra = make([]bool, n)
			}
			extra[i] = true
			continue
		}
		out[i] = r
	}
	if extra != nil {
		bs := make([]bool, n)
		for i := range bs {
			bs[i] = bitSet(valid, i) && !extra[i]
		}
		valid = bitmapOf(bs)
	}
	return Vec{Arr: newFixedArray(types.Float8.Arrow(), out, valid)}, nil
}
