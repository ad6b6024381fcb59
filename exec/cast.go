package exec

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Cast converts its argument to type To, as CAST(x AS To) does.
type Cast struct {
	Arg    Expr
	To     *types.T
	kernel Kernel
}

// NewCast returns the cast of arg to to, or 42846 when PostgreSQL has no
// such cast.
func NewCast(arg Expr, to *types.T) (*Cast, error) {
	k, err := castKernel(arg.Type(), to)
	if err != nil {
		return nil, err
	}
	return &Cast{Arg: arg, To: to, kernel: k}, nil
}

// Type implements Expr.
func (c *Cast) Type() *types.T { return c.To }

// Eval implements Expr.
func (c *Cast) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	v, err := c.Arg.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	defer v.Release()
	return c.kernel(&KernelCtx{Ctx: ctx, Args: []Expr{c.Arg}, Ret: c.To}, []Vec{v}, int(rec.NumRows()))
}

func (c *Cast) String() string {
	return c.Arg.String() + "::" + types.FormatType(c.To, c.To.Mod)
}

// CastDatum converts one datum, for constant folding and parameters.
func CastDatum(ctx *Ctx, d any, from, to *types.T) (any, error) {
	if d == nil {
		return nil, nil
	}
	f, err := castFunc(from, to)
	if err != nil {
		return nil, err
	}
	return f(&KernelCtx{Ctx: ctx, Ret: to}, d)
}

func cannotCast(from, to *types.T) error {
	return sqlstate.New("42846", "cannot cast type %s to %s", from.Name, types.FormatType(to, to.Mod))
}

// castKernel returns a vectorized cast; fast paths for the numeric casts,
// per-datum conversion otherwise.
func castKernel(from, to *types.T) (Kernel, error) {
	if types.Equal(from, to) && to.Mod < 0 {
		return identityKernel, nil
	}
	switch {
	case from.Family == types.FamInt && to.Family == types.FamFloat && to.Width == 8:
		switch from.Width {
		case 2:
			return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				return unaryFixed(a, n, to, func(x int16) (float64, error) { return float64(x), nil })
			}, nil
		case 4:
			return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				return unaryFixed(a, n, to, func(x int32) (float64, error) { return float64(x), nil })
			}, nil
		default:
			return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				return unaryFixed(a, n, to, func(x int64) (float64, error) { return float64(x), nil })
			}, nil
		}
	case from.Family == types.FamInt && to.Family == types.FamInt && from.Width < to.Width:
		switch {
		case from.Width == 4 && to.Width == 8:
			return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				return unaryFixed(a, n, to, func(x int32) (int64, error) { return int64(x), nil })
			}, nil
		case from.Width == 2 && to.Width == 8:
			return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				return unaryFixed(a, n, to, func(x int16) (int64, error) { return int64(x), nil })
			}, nil
		case from.Width == 2 && to.Width == 4:
			return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
				return unaryFixed(a, n, to, func(x int16) (int32, error) { return int32(x), nil })
			}, nil
		}
	case from.Family == types.FamFloat && from.Width == 4 && to.Family == types.FamFloat && to.Width == 8:
		return func(k *KernelCtx, a []Vec, n int) (Vec, error) {
			return unaryFixed(a, n, to, func(x float32) (float64, error) {
				// PostgreSQL widens float4 through its shortest text form.
				f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
				return f, nil
			})
		}, nil
	case from.Family == types.FamTimestamp && to.Family == types.FamTimestampTZ && false:
	}
	f, err := castFunc(from, to)
	if err != nil {
		return nil, err
	}
	return rowKernel(true, func(k *KernelCtx, a []any) (any, error) { return f(k, a[0]) }), nil
}

func identityKernel(_ *KernelCtx, a []Vec, _ int) (Vec, error) {
	if a[0].Arr != nil {
		a[0].Arr.Retain()
	}
	return a[0], nil
}

type castFn func(k *KernelCtx, d any) (any, error)

// castFunc returns the per-datum conversion from → to.
func castFunc(from, to *types.T) (castFn, error) {
	post := typmodFunc(to)
	wrap := func(f castFn) (castFn, error) {
		if post == nil {
			return f, nil
		}
		return func(k *KernelCtx, d any) (any, error) {
			v, err := f(k, d)
			if err != nil || v == nil {
				return v, err
			}
			return post(v)
		}, nil
	}
	if types.Equal(from, to) {
		return wrap(func(_ *KernelCtx, d any) (any, error) { return d, nil })
	}
	// Anything from text (and unknown literals): the type's input function.
	if from.Family == types.FamString || from.Family == types.FamUnknown || from.Family == types.FamJSON {
		if to.Family == types.FamOid && to.OID != types.Oid.OID && to.OID != types.Xid.OID {
			return wrap(func(k *KernelCtx, d any) (any, error) { return regIn(k, to, d.(string)) })
		}
		if from.OID == types.BPChar.OID && to.OID != types.BPChar.OID {
			// character(n) loses its padding when converted (bpchar rtrim).
			return wrap(func(_ *KernelCtx, d any) (any, error) { return strings.TrimRight(d.(string), " "), nil })
		}
		if to.Family == types.FamString || to.Family == types.FamJSON {
			return wrap(func(_ *KernelCtx, d any) (any, error) { return d, nil })
		}
		return wrap(func(k *KernelCtx, d any) (any, error) {
			return types.ParseTextAt(to, d.(string), k.Location(), func() types.TimestampD { return stmtNow(k) })
		})
	}
	// Anything to text: the type's output function.
	if to.Family == types.FamString || to.Family == types.FamJSON {
		if from.Family == types.FamOid && from.OID != types.Oid.OID && from.OID != types.Xid.OID {
			return wrap(func(k *KernelCtx, d any) (any, error) { return regOut(k, from, d.(types.OidD)), nil })
		}
		if from.Family == types.FamBool {
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				if d.(bool) {
					return "true", nil
				}
				return "false", nil
			})
		}
		return wrap(func(k *KernelCtx, d any) (any, error) {
			return types.FormatText(from, d, k.Location()), nil
		})
	}
	switch to.Family {
	case types.FamBool:
		if from.Family == types.FamInt {
			return wrap(func(_ *KernelCtx, d any) (any, error) { return d.(int64) != 0, nil })
		}
	case types.FamInt:
		switch from.Family {
		case types.FamInt, types.FamOid:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				v := toInt64(d)
				if err := types.CheckIntRange(to, v); err != nil {
					return nil, err
				}
				return v, nil
			})
		case types.FamBool:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				if d.(bool) {
					return int64(1), nil
				}
				return int64(0), nil
			})
		case types.FamFloat:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				f := math.RoundToEven(d.(float64))
				if math.IsNaN(f) || f < math.MinInt64 || f >= math.MaxInt64 {
					return nil, outOfRange(to)
				}
				v := int64(f)
				if err := types.CheckIntRange(to, v); err != nil {
					return nil, err
				}
				return v, nil
			})
		case types.FamNumeric:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				r := new(apd.Decimal)
				if _, err := numericCtx.RoundToIntegralValue(r, d.(*apd.Decimal)); err != nil {
					return nil, outOfRange(to)
				}
				v, err := r.Int64()
				if err != nil {
					return nil, outOfRange(to)
				}
				if err := types.CheckIntRange(to, v); err != nil {
					return nil, err
				}
				return v, nil
			})
		}
	case types.FamFloat:
		switch from.Family {
		case types.FamInt:
			return wrap(func(_ *KernelCtx, d any) (any, error) { return roundFloat(float64(d.(int64)), to), nil })
		case types.FamFloat:
			return wrap(func(_ *KernelCtx, d any) (any, error) { return roundFloat(d.(float64), to), nil })
		case types.FamNumeric:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				f, err := d.(*apd.Decimal).Float64()
				if err != nil {
					return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "value out of range for type %s", to.Name)
				}
				return roundFloat(f, to), nil
			})
		}
	case types.FamNumeric:
		switch from.Family {
		case types.FamInt:
			return wrap(func(_ *KernelCtx, d any) (any, error) { return apd.New(d.(int64), 0), nil })
		case types.FamFloat:
			return wrap(func(_ *KernelCtx, d any) (any, error) { return NumericFromFloat(d.(float64), from.Width) })
		}
	case types.FamDate:
		switch from.Family {
		case types.FamTimestamp:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				if v, ok := infiniteDate(d.(types.TimestampD)); ok {
					return v, nil
				}
				return types.DateD(floorDiv(int64(d.(types.TimestampD)), 86400_000000)), nil
			})
		case types.FamTimestampTZ:
			return wrap(func(k *KernelCtx, d any) (any, error) {
				if v, ok := infiniteDate(d.(types.TimestampD)); ok {
					return v, nil
				}
				return types.DateOf(d.(types.TimestampD).Time().In(k.Location())), nil
			})
		}
	case types.FamTimestamp:
		switch from.Family {
		case types.FamDate:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				if v, ok := infiniteTimestamp(d.(types.DateD)); ok {
					return v, nil
				}
				return types.TimestampD(int64(d.(types.DateD)) * 86400_000000), nil
			})
		case types.FamTimestampTZ:
			return wrap(func(k *KernelCtx, d any) (any, error) {
				return wallClock(d.(types.TimestampD), k.Location()), nil
			})
		}
	case types.FamTimestampTZ:
		switch from.Family {
		case types.FamDate:
			return wrap(func(k *KernelCtx, d any) (any, error) {
				if v, ok := infiniteTimestamp(d.(types.DateD)); ok {
					return v, nil
				}
				t := d.(types.DateD).Time()
				return types.TimestampOf(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, k.Location())), nil
			})
		case types.FamTimestamp:
			return wrap(func(k *KernelCtx, d any) (any, error) {
				return fromWallClock(d.(types.TimestampD), k.Location()), nil
			})
		}
	case types.FamTime:
		switch from.Family {
		case types.FamTimestamp:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				return types.TimeOfDay(floorMod(int64(d.(types.TimestampD)), 86400_000000)), nil
			})
		case types.FamTimestampTZ:
			return wrap(func(k *KernelCtx, d any) (any, error) {
				w := wallClock(d.(types.TimestampD), k.Location())
				return types.TimeOfDay(floorMod(int64(w), 86400_000000)), nil
			})
		case types.FamInterval:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				return types.TimeOfDay(floorMod(d.(types.IntervalD).Micros, 86400_000000)), nil
			})
		}
	case types.FamInterval:
		if from.Family == types.FamTime {
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				return types.IntervalD{Micros: int64(d.(types.TimeOfDay))}, nil
			})
		}
	case types.FamOid:
		switch from.Family {
		case types.FamInt, types.FamOid:
			return wrap(func(_ *KernelCtx, d any) (any, error) {
				v := toInt64(d)
				if v < 0 || v > math.MaxUint32 {
					if v < 0 && v >= math.MinInt32 {
						return types.OidD(uint32(int32(v))), nil
					}
					return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "OID out of range")
				}
				return types.OidD(v), nil
			})
		}
	case types.FamArray:
		if from.Family == types.FamArray {
			ef, err := castFunc(from.Elem, to.Elem)
			if err != nil {
				return nil, cannotCast(from, to)
			}
			return wrap(func(k *KernelCtx, d any) (any, error) {
				src := d.([]any)
				out := make([]any, len(src))
				for i, e := range src {
					if e == nil {
						continue
					}
					v, err := ef(k, e)
					if err != nil {
						return nil, err
					}
					out[i] = v
				}
				return out, nil
			})
		}
	case types.FamBytes:
	}
	if from.Family == types.FamNull || from.Family == types.FamVoid {
		return wrap(func(*KernelCtx, any) (any, error) { return nil, nil })
	}
	return nil, cannotCast(from, to)
}

// typmodFunc enforces a type modifier on explicit casts (varchar(n)
// truncates, numeric(p,s) rounds and checks precision).
func typmodFunc(to *types.T) func(any) (any, error) {
	if to.Mod < 0 {
		return nil
	}
	switch {
	case to.OID == types.Varchar.OID || to.OID == types.BPChar.OID:
		n := int(to.Mod - 4)
		return func(v any) (any, error) {
			s := v.(string)
			if r := []rune(s); len(r) > n {
				return string(r[:n]), nil
			}
			if to.OID == types.BPChar.OID {
				if l := len([]rune(s)); l < n {
					s += strings.Repeat(" ", n-l)
				}
			}
			return s, nil
		}
	case to.Family == types.FamNumeric:
		m := to.Mod - 4
		prec, scale := int64(m>>16), int32(m&0xffff)
		return func(v any) (any, error) {
			d := new(apd.Decimal).Set(v.(*apd.Decimal))
			if err := NumericRound(d, scale); err != nil {
				return nil, sqlstate.Wrap(err, sqlstate.NumericValueOutOfRange)
			}
			if !d.IsZero() {
				intDigits := int64(apd.NumDigits(&d.Coeff)) + int64(d.Exponent)
				if intDigits > prec-int64(scale) {
					return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "numeric field overflow").
						WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", prec, scale, prec-int64(scale))
				}
			}
			return d, nil
		}
	}
	return nil
}

func roundFloat(f float64, to *types.T) float64 {
	if to.Width == 4 {
		return float64(float32(f))
	}
	return f
}

// wallClock returns the wall-clock reading of instant ts in loc, as a
// timestamp without time zone.
func wallClock(ts types.TimestampD, loc *time.Location) types.TimestampD {
	if ts == math.MaxInt64 || ts == math.MinInt64 {
		return ts
	}
	t := ts.Time().In(loc)
	_, off := t.Zone()
	return ts + types.TimestampD(int64(off)*1e6)
}

// fromWallClock interprets a timestamp without time zone as a wall-clock
// reading in loc.
func fromWallClock(ts types.TimestampD, loc *time.Location) types.TimestampD {
	if ts == math.MaxInt64 || ts == math.MinInt64 {
		return ts
	}
	w := ts.Time()
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	return types.TimestampOf(t)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m != 0 && ((m < 0) != (b < 0)) {
		m += b
	}
	return m
}

// formatG formats f with digits significant digits like C's %.*g.
func formatG(f float64, digits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', digits, 64)
}

// regIn resolves a name to the OID of a reg* type (regclass, regtype, …),
// accepting a number too.
func regIn(k *KernelCtx, to *types.T, s string) (any, error) {
	var cat CatalogInfo
	if k != nil && k.Ctx != nil {
		cat = k.Catalog
	}
	return RegIn(cat, to, s)
}

// RegIn is the input function of the reg* types: it resolves a name (or a
// number) against cat to an OID, as regclassin, regtypein, … do.
func RegIn(cat CatalogInfo, to *types.T, s string) (any, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32); err == nil {
		return types.OidD(n), nil
	}
	name := strings.TrimSpace(s)
	if cat == nil {
		return nil, sqlstate.New(sqlstate.UndefinedObject, "cannot resolve %q without a catalog", s)
	}
	switch to.OID {
	case types.RegClass.OID:
		if oid, ok := cat.RelationOID(name); ok {
			return types.OidD(oid), nil
		}
		return nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", name)
	case types.RegType.OID:
		if oid, ok := cat.TypeOID(name); ok {
			return types.OidD(oid), nil
		}
		return nil, sqlstate.New(sqlstate.UndefinedObject, "type %q does not exist", name)
	case types.RegProc.OID, types.RegProcedure.OID:
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
		name = strings.TrimPrefix(name, "pg_catalog.")
		if oid, ok := cat.ProcOID(name); ok {
			return types.OidD(oid), nil
		}
		return nil, sqlstate.New(sqlstate.UndefinedFunction, "function %q does not exist", name)
	case types.RegNamespace.OID:
		if oid, ok := cat.NamespaceOID(name); ok {
			return types.OidD(oid), nil
		}
		return nil, sqlstate.New(sqlstate.InvalidSchemaName, "schema %q does not exist", name)
	}
	return nil, cannotCast(types.Text, to)
}

// regOut renders a reg* OID as its name (the number when unknown).
func regOut(k *KernelCtx, from *types.T, oid types.OidD) string {
	var cat CatalogInfo
	if k != nil && k.Ctx != nil {
		cat = k.Catalog
	}
	if cat != nil {
		var name string
		var ok bool
		switch from.OID {
		case types.RegClass.OID:
			name, ok = cat.RelationName(uint32(oid))
		case types.RegType.OID:
			name, ok = cat.TypeName(uint32(oid))
		case types.RegProc.OID, types.RegProcedure.OID:
			name, ok = cat.ProcName(uint32(oid))
		case types.RegNamespace.OID:
			name, ok = cat.NamespaceName(uint32(oid))
		}
		if ok {
			return name
		}
	}
	if oid == 0 && from.OID != types.Oid.OID {
		return "-"
	}
	return strconv.FormatUint(uint64(oid), 10)
}

// CanCast reports whether an explicit cast from → to exists.
func CanCast(from, to *types.T) bool {
	_, err := castFunc(from, to)
	return err == nil
}

var _ = array.NewBuilder

// infiniteDate converts the infinite timestamps to the infinite dates.
func infiniteDate(ts types.TimestampD) (types.DateD, bool) {
	switch ts {
	case math.MaxInt64:
		return types.DateInfinity, true
	case math.MinInt64:
		return types.DateNegInfinity, true
	}
	return 0, false
}

// infiniteTimestamp converts the infinite dates to the infinite timestamps.
func infiniteTimestamp(d types.DateD) (types.TimestampD, bool) {
	switch d {
	case types.DateInfinity:
		return math.MaxInt64, true
	case types.DateNegInfinity:
		return math.MinInt64, true
	}
	return 0, false
}
