package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// FileTable is a TableSource over Parquet files listed by a manifest,
// each with a known event-time range: bounds on the event-time column
// prune whole files before any footer is read, then row groups by their
// statistics.
type FileTable struct {
	Name    string
	DataDir string
	Cols    exec.Schema // the table's columns
	TimeCol int         // the column MinTime/MaxTime describe; -1: none
	Files   []TimedFile
	last    exec.ScanStats
}

// TimedFile is a Parquet file with the range of its time column.
type TimedFile struct {
	Path             string // relative to DataDir
	MinTime, MaxTime int64  // µs, inclusive
	Rows             int64
}

// MasterTable returns the master dataset of a source as a table.
func MasterTable(dataDir string, src *catalog.Source, m *catalog.Manifest) *FileTable {
	t := &FileTable{Name: "master(" + src.Name + ")", DataDir: dataDir, Cols: sourceSchema(src), TimeCol: src.ColumnIndex(src.EventTime)}
	if m != nil {
		for _, f := range m.Files {
			t.Files = append(t.Files, TimedFile{Path: f.Path, MinTime: f.MinTime, MaxTime: f.MaxTime, Rows: f.Rows})
		}
	}
	return t
}

// Schema implements exec.TableSource.
func (t *FileTable) Schema() exec.Schema { return t.Cols }

func (t *FileTable) String() string { return t.Name }

// LastScanStats implements exec.StatsReporter.
func (t *FileTable) LastScanStats() exec.ScanStats { return t.last }

// keep reports whether a file's time range can satisfy every bound on the
// time column.
func (t *FileTable) keep(f TimedFile, bounds []exec.Bound) bool {
	for _, b := range bounds {
		if b.Col != t.TimeCol {
			continue
		}
		v, ok := b.Value.(types.TimestampD)
		if !ok {
			continue
		}
		x := int64(v)
		switch b.Op {
		case exec.OpEQ:
			if x < f.MinTime || x > f.MaxTime {
				return false
			}
		case exec.OpLT:
			if f.MinTime >= x {
				return false
			}
		case exec.OpLE:
			if f.MinTime > x {
				return false
			}
		case exec.OpGT:
			if f.MaxTime <= x {
				return false
			}
		case exec.OpGE:
			if f.MaxTime < x {
				return false
			}
		}
	}
	return true
}

// Tasks implements exec.TableSource.
func (t *FileTable) Tasks(ctx context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	var paths []string
	for _, f := range t.Files {
		if t.TimeCol < 0 || t.keep(f, req.Bounds) {
			paths = append(paths, filepath.Join(t.DataDir, f.Path))
		}
	}
	t.last = exec.ScanStats{FilesTotal: len(t.Files), FilesScanned: len(paths)}
	if len(paths) == 0 {
		return nil, nil
	}
	pt, err := OpenParquetCached(paths)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name, err)
	}
	// The files' column order may differ from the table's: map by name.
	full := pt.Schema()
	pos := map[string]int{}
	for i, c := range full {
		pos[c.Name] = i
	}
	mapped := exec.ScanRequest{}
	for _, c := range req.Columns {
		i, ok := pos[t.Cols[c].Name]
		if !ok {
			return nil, fmt.Errorf("%s: column %q is missing from its files", t.Name, t.Cols[c].Name)
		}
		mapped.Columns = append(mapped.Columns, i)
	}
	for _, b := range req.Bounds {
		if i, ok := pos[t.Cols[b.Col].Name]; ok {
			b.Col = i
			mapped.Bounds = append(mapped.Bounds, b)
		}
	}
	tasks, err := pt.Tasks(ctx, mapped)
	if err != nil {
		return nil, err
	}
	st := pt.LastScanStats()
	t.last.RowGroupsTotal, t.last.RowGroupsScanned = st.RowGroupsTotal, st.RowGroupsScanned
	t.last.RowsTotal, t.last.RowsScanned = st.RowsTotal, st.RowsScanned
	return tasks, nil
}

// OpenParquetCached opens files like OpenParquet, for the files lambdasql
// writes and never changes (master dataset, batch view versions): their
// parsed footers and page indexes are kept in a small process-wide cache,
// keyed by path, size and modification time, so that a query over a view
// does not parse the same footers again.
func OpenParquetCached(paths []string) (*ParquetTable, error) {
	if len(paths) == 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "no parquet files given")
	}
	return openParquetWith("read_parquet("+quoteList(paths)+")", paths, footers.open)
}

// footerCacheSize bounds the cached footers (a few tens of KiB each).
const footerCacheSize = 512

var footers = &footerCache{m: map[string]*footerEntry{}}

type footerCache struct {
	mu    sync.Mutex
	m     map[string]*footerEntry
	order []string // insertion order, for eviction
}

type footerEntry struct {
	size    int64
	mod     time.Time
	f       *parquetFile
	skipped []SkippedColumn
}

func (c *footerCache) open(path string) (*parquetFile, []SkippedColumn, error) {
	st, err := os.Stat(path)
	if err != nil {
		return openFooter(path) // reports the error as an uncached open does
	}
	c.mu.Lock()
	e, ok := c.m[path]
	c.mu.Unlock()
	if ok && e.size == st.Size() && e.mod.Equal(st.ModTime()) {
		// A table aligns and annotates its own copy; the parsed footer,
		// row counts and plans underneath are shared read-only.
		f := *e.f
		return &f, e.skipped, nil
	}
	f, skipped, err := openFooter(path)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, had := c.m[path]; !had {
		c.order = append(c.order, path)
	}
	keep := *f
	c.m[path] = &footerEntry{size: st.Size(), mod: st.ModTime(), f: &keep, skipped: skipped}
	for len(c.order) > footerCacheSize {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	return f, skipped, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
