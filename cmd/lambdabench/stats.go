package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// median returns the median of xs (the mean of the middle two for an
// even count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the p-th percentile (0 < p ≤ 100) of ds by the
// nearest-rank method, 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// seconds returns the durations as seconds.
func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// ratio formats a/b, or "–" when either is missing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// fmtSeconds formats a duration in seconds with three decimals.
func fmtSeconds(s float64) string {
	if s <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f s", s)
}

// fmtMillis formats a duration in milliseconds.
func fmtMillis(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// fmtRate formats a rate with a thousands unit.
func fmtRate(r float64) string {
	switch {
	case r <= 0:
		return "–"
	case r >= 1e6:
		return fmt.Sprintf("%.2f M", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1f k", r/1e3)
	}
	return fmt.Sprintf("%.1f", r)
}

// table prints aligned rows; the first row is the header.
type table struct {
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print() {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, r := range t.rows {
		fmt.Fprintln(w, strings.Join(r, "\t")+"\t")
		if i == 0 {
			dash := make([]string, len(r))
			for j, c := range r {
				dash[j] = strings.Repeat("-", max(len([]rune(c)), 3))
			}
			fmt.Fprintln(w, strings.Join(dash, "\t")+"\t")
		}
	}
	w.Flush()
}

// section prints a section heading.
func section(title string) {
	fmt.Printf("\n== %s\n", title)
}

// machineLine describes the machine, for the record.
func machineLine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if _, v, ok := strings.Cut(l, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), GOMAXPROCS %d, %s", runtime.NumCPU(), model, runtime.GOMAXPROCS(0), runtime.Version())
}
