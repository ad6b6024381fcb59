package sql

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// OptionValueKind says how an option value was written.
type OptionValueKind uint8

// Option value kinds.
const (
	OptString OptionValueKind = iota // 'text' (Value is unquoted)
	OptNumber                        // 42, -1.5 (Value as written, with its sign)
	OptIdent                         // csv, on, true (Value folded); a bare key gives Value "true"
)

// Option is one key = value of a WITH (…) or SET (…) list.
type Option struct {
	Key    string // folded; a dotted key keeps its dots ("sasl.mechanism")
	Value  string
	Kind   OptionValueKind
	KeyPos int // 1-based character position of the key in the query
	Pos    int // 1-based character position of the value (of the key for a bare key)
}

// Options is an option list in the order written.
type Options []Option

// Get returns the first option named key.
func (o Options) Get(key string) (Option, bool) {
	for _, opt := range o {
		if opt.Key == key {
			return opt, true
		}
	}
	return Option{}, false
}

// String returns the value of key.
func (o Options) String(key string) (string, bool) {
	opt, ok := o.Get(key)
	return opt.Value, ok
}

// Duration returns the value of key as a duration (see ParseDuration).
func (o Options) Duration(key string) (time.Duration, bool, error) {
	opt, ok := o.Get(key)
	if !ok {
		return 0, false, nil
	}
	d, err := opt.Duration()
	return d, true, err
}

// Int returns the value of key as an integer.
func (o Options) Int(key string) (int64, bool, error) {
	opt, ok := o.Get(key)
	if !ok {
		return 0, false, nil
	}
	n, err := opt.Int()
	return n, true, err
}

// Bool returns the value of key as a boolean (on/off, true/false, yes/no, 1/0).
func (o Options) Bool(key string) (bool, bool, error) {
	opt, ok := o.Get(key)
	if !ok {
		return false, false, nil
	}
	b, err := opt.Bool()
	return b, true, err
}

// invalid is the 22023 error for a bad value of this option, positioned at
// the value.
func (opt Option) invalid(detail string) *sqlstate.Error {
	e := sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for option \"%s\": \"%s\"", opt.Key, opt.Value).WithPosition(opt.Pos)
	if detail != "" {
		e.WithDetail("%s", detail)
	}
	return e
}

// Duration parses the value with ParseDuration; errors name the option and
// carry the value's position.
func (opt Option) Duration() (time.Duration, error) {
	d, err := ParseDuration(opt.Value)
	if err != nil {
		detail := ""
		if e := sqlstate.As(err); e != nil {
			detail = e.Detail
		}
		return 0, opt.invalid(detail)
	}
	return d, nil
}

// Int parses the value as a 64-bit integer.
func (opt Option) Int() (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(opt.Value), 10, 64)
	if err != nil {
		return 0, opt.invalid("an integer is required")
	}
	return n, nil
}

// Bool parses the value as PostgreSQL reads booleans.
func (opt Option) Bool() (bool, error) {
	b, err := types.ParseBool(opt.Value)
	if err != nil {
		return false, opt.invalid("a Boolean value is required")
	}
	return b, nil
}

// maxDurationDays keeps a day count inside time.Duration.
const maxDurationDays = math.MaxInt64 / int64(24*time.Hour)

// ParseDuration parses a duration written as PostgreSQL interval text:
// "1m", "90s", "5 minutes", "1 hour 30 minutes", "00:05:00", "PT1M",
// "2 days". A day is 24 hours. Months and years are refused (their length
// varies, so they cannot size a window), and so are negative durations.
// Errors have SQLSTATE 22023 with the reason in Detail.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(detail string) error {
		return sqlstate.New(sqlstate.InvalidParameterValue, "invalid duration: \"%s\"", s).WithDetail("%s", detail)
	}
	iv, err := types.ParseInterval(s)
	if err != nil {
		return 0, bad("expected an interval such as '1m', '5 minutes' or 'PT1H'")
	}
	if iv.Months != 0 {
		return 0, bad("a duration cannot contain months or years: their length varies")
	}
	if int64(iv.Days) > maxDurationDays || int64(iv.Days) < -maxDurationDays || iv.Micros > math.MaxInt64/1000 || iv.Micros < math.MinInt64/1000 {
		return 0, bad("the duration is out of range")
	}
	d := time.Duration(iv.Micros) * time.Microsecond
	days := time.Duration(iv.Days) * 24 * time.Hour
	if (days > 0 && d > math.MaxInt64-days) || (days < 0 && d < math.MinInt64-days) {
		return 0, bad("the duration is out of range")
	}
	d += days
	if d < 0 {
		return 0, bad("a duration cannot be negative")
	}
	return d, nil
}

type optKind uint8

const (
	optString optKind = iota + 1
	optDuration
	optEnum
	optInt
	optBool
)

// OptionKind describes what values an option accepts; see ValidateOptions.
type OptionKind struct {
	kind   optKind
	min    time.Duration
	values []string
}

// Option kinds for ValidateOptions.
var (
	StringOption = OptionKind{kind: optString} // any string, number or identifier
	IntOption    = OptionKind{kind: optInt}    // a 64-bit integer
	BoolOption   = OptionKind{kind: optBool}   // on/off, true/false, yes/no, 1/0
)

// DurationOption accepts a duration (ParseDuration) of at least min.
func DurationOption(min time.Duration) OptionKind { return OptionKind{kind: optDuration, min: min} }

// EnumOption accepts one of values, compared case-insensitively.
func EnumOption(values ...string) OptionKind { return OptionKind{kind: optEnum, values: values} }

// ValidateOptions checks opts against spec (key → kind). An unknown key is
// 22023 `unrecognized option "x"` with a hint listing the valid keys; a key
// given twice is 22023 `option "x" specified more than once`; a value of the
// wrong kind is 22023 `invalid value for option "x": "v"` positioned at the
// value. Which keys are required, and how options combine, is the caller's.
func ValidateOptions(opts []Option, spec map[string]OptionKind) error {
	seen := map[string]bool{}
	for _, opt := range opts {
		kind, ok := spec[opt.Key]
		if !ok {
			keys := make([]string, 0, len(spec))
			for k := range spec {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return sqlstate.New(sqlstate.InvalidParameterValue, "unrecognized option \"%s\"", opt.Key).
				WithHint("Valid options are: %s.", strings.Join(keys, ", ")).WithPosition(opt.KeyPos)
		}
		if seen[opt.Key] {
			return sqlstate.New(sqlstate.InvalidParameterValue, "option \"%s\" specified more than once", opt.Key).WithPosition(opt.KeyPos)
		}
		seen[opt.Key] = true
		switch kind.kind {
		case optDuration:
			d, err := opt.Duration()
			if err != nil {
				return err
			}
			if d < kind.min {
				return opt.invalid("the minimum is " + kind.min.String())
			}
		case optEnum:
			found := false
			for _, v := range kind.values {
				if strings.EqualFold(v, opt.Value) {
					found = true
					break
				}
			}
			if !found {
				quoted := make([]string, len(kind.values))
				for i, v := range kind.values {
					quoted[i] = quoteString(v)
				}
				return opt.invalid("").WithHint("Valid values are: %s.", strings.Join(quoted, ", "))
			}
		case optInt:
			if _, err := opt.Int(); err != nil {
				return err
			}
		case optBool:
			if _, err := opt.Bool(); err != nil {
				return err
			}
		}
	}
	return nil
}
