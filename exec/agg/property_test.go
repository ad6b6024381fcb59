package agg

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// propSpec is an aggregate under the generated-input properties.
type propSpec struct {
	spec Spec
	typ  *types.T
	gen  func(r *rand.Rand) any // a non-NULL value
	// tol is the relative tolerance of merged float results (summation
	// order differs); 0 where merging is exact.
	tol float64
	// typ2, when set, is the type of a second argument: gen then returns
	// a pair []any{first, second}, either of which may be nil.
	typ2 *types.T
}

// genPair generates (y, x) pairs from two generators, with a NULL on one
// side now and then.
func genPair(gy, gx func(*rand.Rand) any) func(*rand.Rand) any {
	return func(r *rand.Rand) any {
		y, x := gy(r), gx(r)
		switch r.IntN(15) {
		case 0:
			y = nil
		case 1:
			x = nil
		}
		return []any{y, x}
	}
}

func genInt(lo, hi int) func(r *rand.Rand) any {
	return func(r *rand.Rand) any { return int64(lo + r.IntN(hi-lo+1)) }
}

// genInt8 mixes small values with values near the int8 limits.
func genInt8(r *rand.Rand) any {
	switch r.IntN(4) {
	case 0:
		return int64(math.MaxInt64 - r.Int64N(1000))
	case 1:
		return int64(math.MinInt64 + r.Int64N(1000))
	}
	return int64(r.IntN(2001) - 1000)
}

// genFloat gives multiples of 1/8 (sums stay exact, so only variance needs
// a tolerance) and, when specials, -0, ±Infinity and NaN now and then.
func genFloat(specials bool) func(r *rand.Rand) any {
	return func(r *rand.Rand) any {
		if specials && r.IntN(40) == 0 {
			return []float64{math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 0}[r.IntN(5)]
		}
		return float64(r.IntN(1601)-800) / 8
	}
}

// genFloat4 stays in [0, 100): float4 sums of a few hundred such values are
// exact.
func genFloat4(r *rand.Rand) any { return float64(r.IntN(800)) / 8 }

func genNumeric(specials bool) func(r *rand.Rand) any {
	return func(r *rand.Rand) any {
		if specials && r.IntN(50) == 0 {
			return []string{"NaN", "Infinity", "-Infinity"}[r.IntN(3)]
		}
		v := r.IntN(20001) - 10000
		scale := r.IntN(4)
		s := fmt.Sprintf("%d", v)
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		for len(s) <= scale {
			s = "0" + s
		}
		if scale > 0 {
			s = s[:len(s)-scale] + "." + s[len(s)-scale:]
		}
		if neg {
			s = "-" + s
		}
		return s
	}
}

var words = []string{"", "a", "b", "ab", "B", "device-00042", "user-1", "user-2", "user-10", "é", "zz", "a\x00b"}

func genText(r *rand.Rand) any { return words[r.IntN(len(words))] }

func genBool(r *rand.Rand) any { return r.IntN(3) != 0 }

// genInterval includes equal lengths written differently ('1 mon', '30 days').
func genInterval(r *rand.Rand) any {
	switch r.IntN(4) {
	case 0:
		return iv(1, 0, 0)
	case 1:
		return iv(0, 30, 0)
	}
	return iv(int32(r.IntN(3)), int32(r.IntN(40)-10), int64(r.IntN(100)-30)*60_000000)
}

func propertySpecs() []propSpec {
	i4, i8, f8, f4 := genInt(-20, 20), genInt8, genFloat(true), genFloat4
	num, txt := genNumeric(true), genText
	var out []propSpec
	add := func(spec Spec, typ *types.T, gen func(*rand.Rand) any, tol float64) {
		out = append(out, propSpec{spec: spec, typ: typ, gen: gen, tol: tol})
	}
	add(sp("count"), types.Int4, i4, 0)
	add(sp("count", types.Int4), types.Int4, i4, 0)
	add(sp("count", types.Text), types.Text, txt, 0)
	add(sp("sum", types.Int2), types.Int2, genInt(-300, 300), 0)
	add(sp("sum", types.Int4), types.Int4, i4, 0)
	add(sp("sum", types.Int8), types.Int8, i8, 0)
	add(sp("sum", types.Float4), types.Float4, f4, 0)
	add(sp("sum", types.Float8), types.Float8, f8, 0)
	add(sp("sum", types.Numeric), types.Numeric, num, 0)
	add(sp("sum", types.Interval), types.Interval, genInterval, 0)
	add(sp("avg", types.Int4), types.Int4, i4, 0)
	add(sp("avg", types.Int8), types.Int8, i8, 0)
	add(sp("avg", types.Float4), types.Float4, f4, 0)
	add(sp("avg", types.Float8), types.Float8, f8, 0)
	add(sp("avg", types.Numeric), types.Numeric, num, 0)
	add(sp("avg", types.Interval), types.Interval, genInterval, 0)
	for _, name := range []string{"min", "max"} {
		add(sp(name, types.Int2), types.Int2, i4, 0)
		add(sp(name, types.Int4), types.Int4, i4, 0)
		add(sp(name, types.Int8), types.Int8, i8, 0)
		add(sp(name, types.Float4), types.Float4, f4, 0)
		add(sp(name, types.Float8), types.Float8, f8, 0)
		add(sp(name, types.Numeric), types.Numeric, num, 0)
		add(sp(name, types.Text), types.Text, txt, 0)
		add(sp(name, types.Interval), types.Interval, genInterval, 0)
		add(sp(name, types.Date), types.Date, genInt(18000, 18100), 0)
		add(sp(name, types.TimestampTZ), types.TimestampTZ, genInt8, 0)
		add(sp(name, types.Time), types.Time, genInt(0, 86399_000000), 0)
		add(sp(name, types.Oid), types.Oid, genInt(0, math.MaxUint32), 0)
	}
	for _, name := range []string{"stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"} {
		add(sp(name, types.Float8), types.Float8, genFloat(false), 1e-9)
	}
	add(sp("stddev", types.Float4), types.Float4, f4, 1e-9)
	add(sp("stddev", types.Float8), types.Float8, f8, 1e-9) // with NaN and infinities
	add(sp("stddev", types.Int4), types.Int4, i4, 0)
	add(sp("var_pop", types.Int8), types.Int8, i8, 0)
	add(sp("variance", types.Int2), types.Int2, i4, 0)
	add(sp("stddev_pop", types.Numeric), types.Numeric, genNumeric(false), 0)
	add(sp("var_samp", types.Numeric), types.Numeric, num, 0)
	add(sp("bool_and", types.Bool), types.Bool, genBool, 0)
	add(sp("every", types.Bool), types.Bool, genBool, 0)
	add(sp("bool_or", types.Bool), types.Bool, genBool, 0)
	add(sp("approx_count_distinct", types.Int8), types.Int8, genInt(0, 5000), 0)
	add(sp("approx_count_distinct", types.Text), types.Text, txt, 0)
	add(sp("approx_count_distinct", types.Float8), types.Float8, f8, 0)
	add(sp("approx_count_distinct", types.Numeric), types.Numeric, num, 0)
	add(sp("approx_count_distinct", types.Interval), types.Interval, genInterval, 0)
	add(sp("approx_count_distinct", types.Bool), types.Bool, genBool, 0)
	add(withConst(sp("percentile_approx", types.Float8), 0.3), types.Float8, f8, 0)
	add(withConst(sp("percentile_approx", types.Int4), 0.9), types.Int4, i4, 0)
	add(withConst(sp("percentile_approx", types.Numeric), 0.5), types.Numeric, num, 0)
	add(withConst(sp("percentile_cont", types.Float8), 0.3), types.Float8, f8, 0)
	add(withConst(sp("percentile_cont", types.Int8), 0.5), types.Int8, i8, 0)
	add(withConst(sp("percentile_cont", types.Interval), 0.7), types.Interval, genInterval, 0)
	add(withConst(sp("percentile_disc", types.Int4), 0.3), types.Int4, i4, 0)
	add(withConst(sp("percentile_disc", types.Text), 0.5), types.Text, txt, 0)
	add(withConst(sp("percentile_disc", types.Numeric), 0.5), types.Numeric, num, 0)
	add(withConst(sp("percentile_disc", types.Float8), 0.9), types.Float8, f8, 0)
	add(withConst(sp("percentile_disc", types.Interval), 0.5), types.Interval, genInterval, 0)
	add(withConst(sp("percentile_disc", types.Bool), 0.5), types.Bool, genBool, 0)
	add(withConst(sp("string_agg", types.Text), ","), types.Text, txt, 0)
	add(withConst(sp("string_agg", types.Bytea), []byte("--")), types.Bytea, txt, 0)
	add(sp("array_agg", types.Int4), types.Int4, i4, 0)
	add(sp("array_agg", types.Text), types.Text, txt, 0)
	add(sp("array_agg", types.Numeric), types.Numeric, num, 0)
	add(sp("array_agg", types.Float4), types.Float4, f4, 0)
	add(sp("array_agg", types.Interval), types.Interval, genInterval, 0)
	add(sp("array_agg", types.Bool), types.Bool, genBool, 0)
	add(sp("array_agg", types.TimestampTZ), types.TimestampTZ, genInt8, 0)
	for _, c := range []struct {
		typ *types.T
		gen func(*rand.Rand) any
	}{
		{types.Int2, i4}, {types.Int4, i4}, {types.Int8, genInt(0, 3000)}, {types.Float8, f8}, {types.Float4, f4},
		{types.Text, txt}, {types.Bytea, txt}, {types.Numeric, num}, {types.Interval, genInterval}, {types.Bool, genBool},
		{types.Date, genInt(0, 30)}, {types.Oid, genInt(0, 50)},
	} {
		add(distinct(sp("count", c.typ)), c.typ, c.gen, 0)
	}
	add(distinct(sp("sum", types.Int4)), types.Int4, i4, 0)
	add(distinct(sp("sum", types.Float8)), types.Float8, f8, 0)
	add(distinct(sp("sum", types.Numeric)), types.Numeric, num, 0)
	add(distinct(sp("avg", types.Int8)), types.Int8, i8, 0)
	add(distinct(sp("avg", types.Interval)), types.Interval, genInterval, 0)
	add(distinct(sp("stddev", types.Float8)), types.Float8, f8, 0)
	add(distinct(withConst(sp("string_agg", types.Text), "|")), types.Text, txt, 0)
	add(distinct(sp("array_agg", types.Int4)), types.Int4, i4, 0)
	add(distinct(sp("array_agg", types.Numeric)), types.Numeric, num, 0)
	add(distinct(withConst(sp("percentile_approx", types.Float8), 0.5)), types.Float8, f8, 0)
	add(distinct(sp("var_samp", types.Numeric)), types.Numeric, num, 0)
	add(sp("mode", types.Int4), types.Int4, i4, 0)
	add(sp("mode", types.Text), types.Text, txt, 0)
	add(sp("mode", types.Numeric), types.Numeric, num, 0)
	add(sp("mode", types.Bool), types.Bool, genBool, 0)
	for _, name := range []string{"bit_and", "bit_or", "bit_xor"} {
		add(sp(name, types.Int2), types.Int2, genInt(-300, 300), 0)
		add(sp(name, types.Int4), types.Int4, i4, 0)
		add(sp(name, types.Int8), types.Int8, i8, 0)
	}
	for _, name := range []string{"corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy", "regr_sxy",
		"regr_avgx", "regr_avgy", "regr_r2", "regr_slope", "regr_intercept"} {
		out = append(out, propSpec{spec: sp(name, types.Float8, types.Float8), typ: types.Float8, typ2: types.Float8,
			gen: genPair(genFloat(false), genFloat(false)), tol: 1e-9})
	}
	out = append(out, propSpec{spec: sp("corr", types.Float8, types.Float8), typ: types.Float8, typ2: types.Float8,
		gen: genPair(genFloat(true), genFloat(false)), tol: 1e-9}) // NaN and infinities in Y
	return out
}

func specName(s Spec) string {
	var b strings.Builder
	b.WriteString(s.Name)
	if s.Distinct {
		b.WriteString(" DISTINCT")
	}
	for _, a := range s.Args {
		b.WriteString(" ")
		b.WriteString(a.TypName)
	}
	return b.String()
}

// dataset is one generated input: rows of part a, then rows of part b.
type dataset struct {
	vals    []any
	groups  []uint32
	inA     []bool
	ngroups int
	dict    bool
}

func genDataset(r *rand.Rand, ps propSpec, n int) dataset {
	d := dataset{ngroups: 1 + r.IntN(12), dict: ps.typ.Family == types.FamString && r.IntN(2) == 0}
	pa := r.Float64()
	for range n {
		var v any
		if r.IntN(10) != 0 {
			v = ps.gen(r)
		}
		g := uint32(r.IntN(d.ngroups))
		if r.IntN(20) == 0 {
			g = NoGroup
		}
		d.vals = append(d.vals, v)
		d.groups = append(d.groups, g)
		d.inA = append(d.inA, r.Float64() < pa)
	}
	return d
}

// part returns the values and groups of part a (or b).
func (d dataset) part(a bool) ([]any, []uint32) {
	var vs []any
	var gs []uint32
	for i := range d.vals {
		if d.inA[i] == a {
			vs = append(vs, d.vals[i])
			gs = append(gs, d.groups[i])
		}
	}
	return vs, gs
}

func (d dataset) column(tb testing.TB, mem memory.Allocator, typ, typ2 *types.T, vals []any) []arrow.Array {
	if typ2 != nil {
		ys, xs := make([]any, len(vals)), make([]any, len(vals))
		for i, v := range vals {
			if p, ok := v.([]any); ok {
				ys[i], xs[i] = p[0], p[1]
			}
		}
		return []arrow.Array{build(tb, mem, typ, ys), build(tb, mem, typ2, xs)}
	}
	if d.dict {
		return []arrow.Array{buildDict(tb, mem, vals)}
	}
	return []arrow.Array{build(tb, mem, typ, vals)}
}

func release(cols []arrow.Array) {
	for _, c := range cols {
		c.Release()
	}
}

// TestProperties checks, over generated inputs, for every aggregate:
//   - batch sizes 1, 3 and 8192 give the same result;
//   - Finalize(Merge(Update(a), Update(b))) equals Finalize(Update(a ∪ b))
//     (a ∪ b taken as a's rows then b's), with b's groups renumbered;
//   - AppendState / LoadState reproduce Finalize exactly, and loading a's
//     and b's saved states into one group merges them.
func TestProperties(t *testing.T) {
	for _, ps := range propertySpecs() {
		t.Run(specName(ps.spec), func(t *testing.T) {
			t.Parallel()
			for trial := range 6 {
				r := rand.New(rand.NewPCG(uint64(trial), 42))
				n := []int{0, 1, 7}[min(trial, 2)]
				if trial >= 3 {
					n = 50 + r.IntN(400)
				}
				checkProperties(t, ps, genDataset(r, ps, n), r)
			}
		})
	}
}

func checkProperties(t *testing.T, ps propSpec, d dataset, r *rand.Rand) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	withCols := len(ps.spec.Args) > 0
	cols := func(vals []any) []arrow.Array {
		if !withCols {
			return nil
		}
		return d.column(t, mem, ps.typ, ps.typ2, vals)
	}
	aVals, aGroups := d.part(true)
	bVals, bGroups := d.part(false)
	allVals := append(append([]any(nil), aVals...), bVals...)
	allGroups := append(append([]uint32(nil), aGroups...), bGroups...)
	all := cols(allVals)
	defer release(all)

	ref := mustNew(t, ps.spec)
	ref.Grow(d.ngroups)
	feed(t, ref, allGroups, all, 8192)
	want, err := finalizeErr(ref)
	if err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	if again := finalize(t, ref); !sameValues(again, want, 0) {
		t.Fatalf("Finalize changed the state: %v, then %v", want, again)
	}

	for _, batch := range []int{1, 3} {
		acc := mustNew(t, ps.spec)
		acc.Grow(d.ngroups)
		feed(t, acc, allGroups, all, batch)
		if got := finalize(t, acc); !sameValues(got, want, 0) {
			t.Fatalf("batch size %d: got %v, want %v", batch, got, want)
		}
	}

	// Merge, with b's groups renumbered into a larger accumulator.
	accA := mustNew(t, ps.spec)
	accA.Grow(d.ngroups)
	colA := cols(aVals)
	defer release(colA)
	feed(t, accA, aGroups, colA, 8192)

	nb := d.ngroups + r.IntN(3)
	perm := r.Perm(nb)
	dst := make([]uint32, nb)
	for g := range dst {
		dst[g] = NoGroup
	}
	for g := range d.ngroups {
		dst[perm[g]] = uint32(g)
	}
	bMapped := make([]uint32, len(bGroups))
	for i, g := range bGroups {
		bMapped[i] = g
		if g != NoGroup {
			bMapped[i] = uint32(perm[g])
		}
	}
	accB := mustNew(t, ps.spec)
	accB.Grow(nb)
	colB := cols(bVals)
	defer release(colB)
	feed(t, accB, bMapped, colB, 8192)
	stateA := saveAll(accA)
	stateB := saveAll(accB)

	if err := accA.Merge(accB, dst); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if got := finalize(t, accA); !sameValues(got, want, ps.tol) {
		t.Fatalf("Merge: got %v, want %v", got, want)
	}

	// Saved states reproduce the result exactly.
	re := mustNew(t, ps.spec)
	re.Grow(d.ngroups)
	for g, s := range saveAll(ref) {
		if err := re.LoadState(uint32(g), s); err != nil {
			t.Fatalf("LoadState: %v", err)
		}
	}
	if got := finalize(t, re); !sameValues(got, want, 0) {
		t.Fatalf("AppendState/LoadState: got %v, want %v", got, want)
	}

	// Loading a's then b's states into the same groups merges them.
	lm := mustNew(t, ps.spec)
	lm.Grow(d.ngroups)
	for g, s := range stateA {
		if err := lm.LoadState(uint32(g), s); err != nil {
			t.Fatalf("LoadState a: %v", err)
		}
	}
	for g, s := range stateB {
		if dst[g] != NoGroup {
			if err := lm.LoadState(dst[g], s); err != nil {
				t.Fatalf("LoadState b: %v", err)
			}
		}
	}
	if got := finalize(t, lm); !sameValues(got, want, ps.tol) {
		t.Fatalf("LoadState merge: got %v, want %v", got, want)
	}
	if len(allVals) > 0 && ref.Size() <= 0 {
		t.Fatalf("Size() = %d with state held", ref.Size())
	}
}

// saveAll returns every group's AppendState; an accumulator that also
// implements StatesAppender must give exactly the same bytes through it
// (else saveAll panics, failing the test).
func saveAll(acc Accumulator) [][]byte {
	out := make([][]byte, acc.Len())
	for g := range out {
		out[g] = acc.AppendState(nil, uint32(g))
	}
	if sa, ok := acc.(StatesAppender); ok {
		n := 0
		err := sa.AppendStates(len(out), func(g uint32, b []byte) error {
			if int(g) != n || !bytes.Equal(b, out[g]) {
				return fmt.Errorf("AppendStates group %d (call %d): %x, AppendState gives %x", g, n, b, out[min(int(g), len(out)-1)])
			}
			n++
			return nil
		})
		if err == nil && n != len(out) {
			err = fmt.Errorf("AppendStates emitted %d groups of %d", n, len(out))
		}
		if err != nil {
			panic(err)
		}
	}
	return out
}

// TestSketchAccuracy checks the documented guarantees on inputs large
// enough to matter: approx_count_distinct within a few standard errors,
// percentile_approx within 1 % of the exact rank's value, and merged
// sketches equal to the sketch of the union.
func TestSketchAccuracy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 200_000
	r := rand.New(rand.NewPCG(7, 7))
	ints := make([]any, n)
	floats := make([]any, n)
	for i := range ints {
		ints[i] = int64(r.IntN(50_000))
		floats[i] = math.Exp(r.NormFloat64() * 3)
	}
	groups := make([]uint32, n)
	exact := map[int64]bool{}
	for _, v := range ints {
		exact[v.(int64)] = true
	}
	ic := build(t, mem, types.Int8, ints)
	defer ic.Release()
	fc := build(t, mem, types.Float8, floats)
	defer fc.Release()

	hll := mustNew(t, sp("approx_count_distinct", types.Int8))
	hll.Grow(1)
	feed(t, hll, groups, []arrow.Array{ic}, 8192)
	est := float64(finalize(t, hll)[0].(int64))
	if rel := math.Abs(est-float64(len(exact))) / float64(len(exact)); rel > 0.03 {
		t.Fatalf("approx_count_distinct = %v, exact %d (relative error %.4f)", est, len(exact), rel)
	}

	sorted := make([]val, n)
	for i, f := range floats {
		sorted[i] = val{u: math.Float64bits(f.(float64))}
	}
	sortVals(kFloat, sorted)
	for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.999, 1} {
		dd := mustNew(t, withConst(sp("percentile_approx", types.Float8), q))
		dd.Grow(1)
		feed(t, dd, groups, []arrow.Array{fc}, 8192)
		got := finalize(t, dd)[0].(float64)
		// The exact value at DDSketch's rank, q × (n − 1).
		want := math.Float64frombits(sorted[int(q*float64(n-1))].u)
		if rel := math.Abs(got-want) / want; rel > ddRelativeAccuracy {
			t.Errorf("percentile_approx(%v) = %v, exact %v (relative error %.4f)", q, got, want, rel)
		}
	}
}
