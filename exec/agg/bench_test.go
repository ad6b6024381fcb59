package agg

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

const benchBatch = 8192

// benchInput is rows of one column in batches of benchBatch, with group ids.
type benchInput struct {
	cols    []arrow.Array
	groups  [][]uint32
	rows    int
	ngroups int
	bytes   int64 // per pass, values and group ids
}

func (in *benchInput) release() {
	for _, c := range in.cols {
		c.Release()
	}
}

// makeBench builds rows values from gen, grouped uniformly at random into
// ngroups groups.
func makeBench(b *testing.B, typ *types.T, rows, ngroups int, dict bool, gen func(r *rand.Rand, i int) any) *benchInput {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	in := &benchInput{rows: rows, ngroups: ngroups}
	for lo := 0; lo < rows; lo += benchBatch {
		n := min(benchBatch, rows-lo)
		vals := make([]any, n)
		gs := make([]uint32, n)
		for i := range vals {
			vals[i] = gen(r, lo+i)
			gs[i] = uint32(r.IntN(ngroups))
		}
		var c arrow.Array
		if dict {
			c = buildDict(b, memory.DefaultAllocator, vals)
		} else {
			c = build(b, memory.DefaultAllocator, typ, vals)
		}
		in.cols = append(in.cols, c)
		in.groups = append(in.groups, gs)
		in.bytes += int64(n) * 4
		for _, buf := range c.Data().Buffers() {
			if buf != nil {
				in.bytes += int64(buf.Len())
			}
		}
	}
	return in
}

// runBench folds the whole input into a fresh accumulator per iteration
// and reports ns/row.
func runBench(b *testing.B, spec Spec, in *benchInput) {
	b.ReportAllocs()
	b.SetBytes(in.bytes)
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		acc := mustNew(b, spec)
		acc.Grow(in.ngroups)
		for i, c := range in.cols {
			if err := acc.Update(in.groups[i], []arrow.Array{c}); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/float64(in.rows), "ns/row")
}

// BenchmarkCountDistinct is count(DISTINCT user_id) grouped by device and
// day: 100k users, dictionary-encoded (as Parquet delivers them), plain
// strings, or int8 ids.
func BenchmarkCountDistinct(b *testing.B) {
	const users = 100_000
	for _, rows := range []int{1 << 16, 1 << 20} {
		for _, ngroups := range []int{100, 10_000} {
			for _, form := range []string{"dict", "text", "int8"} {
				b.Run(fmt.Sprintf("rows=%d/groups=%d/%s", rows, ngroups, form), func(b *testing.B) {
					typ := types.Text
					gen := func(r *rand.Rand, _ int) any { return fmt.Sprintf("user-%06d", r.IntN(users)) }
					if form == "int8" {
						typ = types.Int8
						gen = func(r *rand.Rand, _ int) any { return int64(r.IntN(users)) }
					}
					in := makeBench(b, typ, rows, ngroups, form == "dict", gen)
					defer in.release()
					if form == "dict" {
						// One global dictionary across batches, as the Parquet
						// reader's remapped row-group dictionaries give.
						shareDictionary(b, in)
					}
					runBench(b, distinct(sp("count", typ)), in)
				})
			}
		}
	}
}

// shareDictionary rewrites the dictionary batches of in over one common
// dictionary.
func shareDictionary(b *testing.B, in *benchInput) {
	b.Helper()
	ids := map[string]int32{}
	var entries []any
	var all [][]int32
	for _, c := range in.cols {
		d := c.(*array.Dictionary)
		dict := d.Dictionary().(*array.String)
		idx := make([]int32, d.Len())
		for i := range idx {
			s := dict.Value(d.GetValueIndex(i))
			id, ok := ids[s]
			if !ok {
				id = int32(len(entries))
				ids[s] = id
				entries = append(entries, s)
			}
			idx[i] = id
		}
		all = append(all, idx)
	}
	dict := build(b, memory.DefaultAllocator, types.Text, entries)
	defer dict.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	for i, idx := range all {
		ib := array.NewInt32Builder(memory.DefaultAllocator)
		ib.AppendValues(idx, nil)
		ix := ib.NewArray()
		ib.Release()
		in.cols[i].Release()
		in.cols[i] = array.NewDictionaryArray(dt, ix, dict)
		ix.Release()
	}
}

func BenchmarkAvgFloat64(b *testing.B) {
	for _, rows := range []int{1 << 16, 1 << 20} {
		for _, ngroups := range []int{1, 10_000} {
			for _, nulls := range []bool{false, true} {
				b.Run(fmt.Sprintf("rows=%d/groups=%d/nulls=%v", rows, ngroups, nulls), func(b *testing.B) {
					in := makeBench(b, types.Float8, rows, ngroups, false, func(r *rand.Rand, _ int) any {
						if nulls && r.IntN(10) == 0 {
							return nil
						}
						return r.Float64() * 100
					})
					defer in.release()
					runBench(b, sp("avg", types.Float8), in)
				})
			}
		}
	}
}

func BenchmarkMinMax(b *testing.B) {
	for _, rows := range []int{1 << 16, 1 << 20} {
		for _, c := range []struct {
			name string
			typ  *types.T
			gen  func(r *rand.Rand, i int) any
		}{
			{"float8", types.Float8, func(r *rand.Rand, _ int) any { return r.NormFloat64() }},
			{"int8", types.Int8, func(r *rand.Rand, _ int) any { return r.Int64() }},
			{"timestamptz", types.TimestampTZ, func(_ *rand.Rand, i int) any { return int64(1704067200000000 + i*1000) }},
		} {
			for _, name := range []string{"min", "max"} {
				b.Run(fmt.Sprintf("rows=%d/%s(%s)", rows, name, c.name), func(b *testing.B) {
					in := makeBench(b, c.typ, rows, 10_000, false, c.gen)
					defer in.release()
					runBench(b, sp(name, c.typ), in)
				})
			}
		}
	}
}

func BenchmarkSum(b *testing.B) {
	for _, rows := range []int{1 << 16, 1 << 20} {
		for _, c := range []struct {
			name string
			typ  *types.T
			gen  func(r *rand.Rand, i int) any
		}{
			{"float8", types.Float8, func(r *rand.Rand, _ int) any { return r.Float64() }},
			{"int4", types.Int4, func(r *rand.Rand, _ int) any { return r.IntN(1000) }},
			{"int8", types.Int8, func(r *rand.Rand, _ int) any { return r.Int64N(1 << 40) }},
		} {
			b.Run(fmt.Sprintf("rows=%d/%s", rows, c.name), func(b *testing.B) {
				in := makeBench(b, c.typ, rows, 10_000, false, c.gen)
				defer in.release()
				runBench(b, sp("sum", c.typ), in)
			})
		}
		b.Run(fmt.Sprintf("rows=%d/count(*)", rows), func(b *testing.B) {
			in := makeBench(b, types.Int4, rows, 10_000, false, func(r *rand.Rand, _ int) any { return 1 })
			defer in.release()
			spec := sp("count")
			b.ReportAllocs()
			b.SetBytes(int64(rows) * 4)
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				acc := mustNew(b, spec)
				acc.Grow(in.ngroups)
				for i := range in.cols {
					if err := acc.Update(in.groups[i], nil); err != nil {
						b.Fatal(err)
					}
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}
