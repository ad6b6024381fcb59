package batch

import (
	"runtime"
	"sort"

	"github.com/parquet-go/parquet-go/format"

	"lambdasql/exec"
)

// rowRange is the rows [from, to) of a row group.
type rowRange struct{ from, to int64 }

// Page pruning. A row group that survives its chunk statistics may still
// hold the rows a query needs in a few pages only: a file sorted by time
// answers a one-day query from a third of its pages. The page index
// (ColumnIndex: min/max per page; OffsetIndex: each page's first row)
// gives, per bounded column, the row ranges of the pages that may match;
// their intersection over the bounds is what a task reads. Columns
// without a page index never narrow the ranges.

// minSplitRows is the fewest rows a task is split down to for
// parallelism: below it, per-task overhead (opening the file, reading a
// dictionary page) outweighs the second core.
const minSplitRows = 128 << 10

// pageRanges returns the ranges of row group g that may hold a row
// satisfying every bound, sorted and disjoint; the whole group when no
// bound has a page index.
func (f *parquetFile) pageRanges(g int, bounds []exec.Bound) []rowRange {
	all := []rowRange{{0, f.rows[g]}}
	out := all
	for _, b := range bounds {
		r, ok := f.boundRanges(g, b)
		if !ok {
			continue
		}
		out = intersectRanges(out, r)
		if len(out) == 0 {
			return nil
		}
	}
	return out
}

// boundRanges returns the row ranges of the pages of bound b's column in
// row group g that may satisfy b; ok is false without a usable page index.
func (f *parquetFile) boundRanges(g int, b exec.Bound) ([]rowRange, bool) {
	ci, oi, ok := f.pageIndex(g, b.Col)
	if !ok {
		return nil, false
	}
	p := &f.plans[b.Col]
	locs := oi.PageLocations
	var out []rowRange
	for i := range locs {
		from := locs[i].FirstRowIndex
		to := f.rows[g]
		if i+1 < len(locs) {
			to = locs[i+1].FirstRowIndex
		}
		if from >= to {
			continue
		}
		if pageExcludes(p, ci, i, b) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].to == from {
			out[n-1].to = to
		} else {
			out = append(out, rowRange{from, to})
		}
	}
	return out, true
}

// pageIndex returns the column and offset index of table column c in row
// group g, when the file has a consistent one.
func (f *parquetFile) pageIndex(g, c int) (*format.ColumnIndex, *format.OffsetIndex, bool) {
	cis, ois := f.pf.ColumnIndexes(), f.pf.OffsetIndexes()
	rg := &f.pf.Metadata().RowGroups[g]
	if int(rg.Ordinal) != g {
		// parquet-go finds a chunk's index by the row group's ordinal;
		// a file that does not record it has no index we can trust.
		return nil, nil, false
	}
	k := g*len(rg.Columns) + f.plans[c].leaf
	if k >= len(cis) || k >= len(ois) {
		return nil, nil, false
	}
	ci, oi := &cis[k], &ois[k]
	n := len(oi.PageLocations)
	if n == 0 || len(ci.NullPages) != n || len(ci.MinValues) != n || len(ci.MaxValues) != n {
		return nil, nil, false
	}
	if oi.PageLocations[0].FirstRowIndex != 0 || !sort.SliceIsSorted(oi.PageLocations, func(i, j int) bool {
		return oi.PageLocations[i].FirstRowIndex < oi.PageLocations[j].FirstRowIndex
	}) {
		return nil, nil, false
	}
	return ci, oi, true
}

// pageExcludes reports whether page i's statistics prove that none of its
// rows satisfies b, with the rules of chunk statistics.
func pageExcludes(p *colPlan, ci *format.ColumnIndex, i int, b exec.Bound) bool {
	if normalizeDatum(b.Value) == nil {
		return false
	}
	if ci.NullPages[i] {
		return true // only NULLs: no comparison is true
	}
	cs := chunkStats{}
	switch p.conv {
	case convF32, convF64, convF16:
		cs.mayNaN = !p.nanFree
	}
	mn, ok1 := statDatum(p, ci.MinValues[i])
	mx, ok2 := statDatum(p, ci.MaxValues[i])
	if !ok1 || !ok2 {
		return false
	}
	cs.min, cs.max, cs.hasMinMax = mn, mx, true
	return cs.excludes(b)
}

// intersectRanges intersects two sorted lists of disjoint ranges.
func intersectRanges(a, b []rowRange) []rowRange {
	var out []rowRange
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from, to := max(a[i].from, b[j].from), min(a[i].to, b[j].to)
		if from < to {
			out = append(out, rowRange{from, to})
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return out
}

// splitForCores splits the largest tasks so that a scan of few row groups
// (one day of a sorted file, one small file) still runs on every core.
func splitForCores(tasks []*parquetTask) []*parquetTask {
	cores := runtime.GOMAXPROCS(0)
	if len(tasks) >= cores {
		return tasks
	}
	var out []*parquetTask
	for _, t := range tasks {
		n := t.to - t.from
		parts := int64(min(cores, int(n/minSplitRows)))
		if parts < 2 {
			out = append(out, t)
			continue
		}
		step := (n + parts - 1) / parts
		for from := t.from; from < t.to; from += step {
			c := *t
			c.from, c.to = from, min(from+step, t.to)
			out = append(out, &c)
		}
	}
	return out
}
