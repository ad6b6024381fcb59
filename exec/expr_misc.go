package exec

import (
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/sql/types"
)

// GreatestLeast returns greatest(…) or least(…) over arguments of type t:
// NULL arguments are ignored, as in PostgreSQL; the result is NULL only
// when every argument is.
func GreatestLeast(greatest bool, t *types.T) *Func {
	name := "least"
	if greatest {
		name = "greatest"
	}
	return &Func{Name: name, Args: []*types.T{t}, Variadic: true, Ret: t,
		Kernel: rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
			var best any
			for _, v := range a {
				if v == nil {
					continue
				}
				if best == nil {
					best = v
					continue
				}
				c := CompareDatums(t, v, best)
				if (greatest && c > 0) || (!greatest && c < 0) {
					best = v
				}
			}
			return best, nil
		})}
}

// AnyAll is "x op ANY (array)" or "x op ALL (array)".
type AnyAll struct {
	Cmp  *Func // the element comparison, resolved by the binder
	X    Expr
	Arr  Expr
	All  bool
	elem *types.T
}

// NewAnyAll builds x op ANY/ALL (arr) from the resolved comparison.
func NewAnyAll(cmp *Func, x, arr Expr, all bool) *AnyAll {
	return &AnyAll{Cmp: cmp, X: x, Arr: arr, All: all, elem: arr.Type().Elem}
}

// Type implements Expr.
func (a *AnyAll) Type() *types.T { return types.Bool }

// Eval implements Expr.
func (a *AnyAll) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	op := a.Cmp.Name
	k := rowKernel(false, func(k *KernelCtx, v []any) (any, error) {
		x, arr := v[0], v[1]
		if arr == nil {
			return nil, nil
		}
		elems := arr.([]any)
		if len(elems) == 0 {
			return a.All, nil
		}
		if x == nil {
			return nil, nil
		}
		sawNull := false
		for _, e := range elems {
			if e == nil {
				sawNull = true
				continue
			}
			c := CompareDatums(a.elem, x, e)
			ok := false
			switch op {
			case "=":
				ok = c == 0
			case "<>":
				ok = c != 0
			case "<":
				ok = c < 0
			case "<=":
				ok = c <= 0
			case ">":
				ok = c > 0
			case ">=":
				ok = c >= 0
			default:
				// Other operators (LIKE, ~): call the resolved kernel.
				r, err := a.Cmp.Kernel(&KernelCtx{Ctx: ctx, Args: []Expr{a.X, &Const{T: a.elem}}, Ret: types.Bool},
					[]Vec{{Scalar: x}, {Scalar: e}}, 1)
				if err != nil {
					return nil, err
				}
				b, _ := r.Scalar.(bool)
				ok = b
			}
			if a.All && !ok {
				return false, nil
			}
			if !a.All && ok {
				return true, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return a.All, nil
	})
	x, err := a.X.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	defer x.Release()
	arr, err := a.Arr.Eval(ctx, rec)
	if err != nil {
		return Vec{}, err
	}
	defer arr.Release()
	return k(&KernelCtx{Ctx: ctx, Args: []Expr{a.X, a.Arr}, Ret: types.Bool}, []Vec{x, arr}, int(rec.NumRows()))
}

func (a *AnyAll) String() string {
	q := "ANY"
	if a.All {
		q = "ALL"
	}
	return a.X.String() + " " + a.Cmp.Name + " " + q + " (" + a.Arr.String() + ")"
}

// ArrayCtor is ARRAY[a, b, …].
type ArrayCtor struct {
	Args []Expr
	T    *types.T // the array type
}

// NewArrayCtor builds ARRAY[args…] with elements of type elem.
func NewArrayCtor(args []Expr, elem *types.T) *ArrayCtor {
	return &ArrayCtor{Args: args, T: types.ArrayOf(elem)}
}

// Type implements Expr.
func (a *ArrayCtor) Type() *types.T { return a.T }

// Eval implements Expr.
func (a *ArrayCtor) Eval(ctx *Ctx, rec arrow.Record) (Vec, error) {
	vals := make([]Vec, len(a.Args))
	defer func() {
		for _, v := range vals {
			v.Release()
		}
	}()
	for i, e := range a.Args {
		v, err := e.Eval(ctx, rec)
		if err != nil {
			return Vec{}, err
		}
		vals[i] = v
	}
	args := make([]Expr, len(a.Args))
	copy(args, a.Args)
	k := rowKernel(false, func(_ *KernelCtx, v []any) (any, error) {
		return append([]any{}, v...), nil
	})
	return k(&KernelCtx{Ctx: ctx, Args: args, Ret: a.T}, vals, int(rec.NumRows()))
}

func (a *ArrayCtor) String() string {
	parts := make([]string, len(a.Args))
	for i, e := range a.Args {
		parts[i] = e.String()
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]"
}
