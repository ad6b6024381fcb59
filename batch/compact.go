package batch

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
)

// Compact merges the small files of each closed hour partition of a
// source's master dataset into one file, swapping them in the manifest in
// one atomic step. The content is unchanged: the same rows, in file order.
// An hour is closed when it ends at or before closedBefore (µs); only
// partitions with at least minFiles files are merged. It returns the
// replaced files, which the caller deletes once no reader can still use
// them.
func Compact(ctx context.Context, cat *catalog.Catalog, dataDir string, src *catalog.Source, minFiles int, closedBefore int64) ([]string, error) {
	m := cat.Snapshot().Manifests[src.Name]
	if m == nil {
		return nil, nil
	}
	groups := map[string][]catalog.MasterFile{}
	for _, f := range m.Files {
		key := fmt.Sprintf("%s/%02d", f.EventDate, f.Hour)
		groups[key] = append(groups[key], f)
	}
	keys := make([]string, 0, len(groups))
	for k, fs := range groups {
		if len(fs) < minFiles {
			continue
		}
		d, err := time.Parse("2006-01-02", fs[0].EventDate)
		if err != nil {
			continue
		}
		end := d.Add(time.Duration(fs[0].Hour+1) * time.Hour).UnixMicro()
		if end > closedBefore {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var replaced []string
	schema := sourceSchema(src)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return replaced, err
		}
		fs := groups[k]
		sort.Slice(fs, func(i, j int) bool { return fs[i].Seq < fs[j].Seq || fs[i].Seq == fs[j].Seq && fs[i].Path < fs[j].Path })
		merged, err := mergeFiles(ctx, dataDir, src, schema, fs)
		if err != nil {
			return replaced, err
		}
		old := map[string]bool{}
		for _, f := range fs {
			old[f.Path] = true
		}
		err = cat.Update(func(tx *catalog.Tx) error {
			cur := tx.Manifests[src.Name]
			if cur == nil {
				return sqlstate.New(sqlstate.UndefinedTable, "source %q was dropped", src.Name)
			}
			present := 0
			var files []catalog.MasterFile
			for _, f := range cur.Files {
				if old[f.Path] {
					present++
					continue
				}
				files = append(files, f)
			}
			if present != len(fs) {
				return fmt.Errorf("manifest changed during compaction")
			}
			nm := *cur
			nm.Files = append(files, merged)
			tx.Manifests[src.Name] = &nm
			return nil
		})
		if err != nil {
			os.Remove(filepath.Join(dataDir, merged.Path))
			return replaced, err
		}
		for _, f := range fs {
			replaced = append(replaced, filepath.Join(dataDir, f.Path))
		}
	}
	return replaced, nil
}

// mergeFiles writes the rows of fs, in order, into one new file.
func mergeFiles(ctx context.Context, dataDir string, src *catalog.Source, schema exec.Schema, fs []catalog.MasterFile) (catalog.MasterFile, error) {
	first := fs[0]
	rel := filepath.Join(filepath.Dir(first.Path), fmt.Sprintf("compact-%d.parquet", time.Now().UnixNano()))
	paths := make([]string, len(fs))
	out := catalog.MasterFile{Path: rel, EventDate: first.EventDate, Hour: first.Hour, MinTime: math.MaxInt64, MaxTime: math.MinInt64}
	for i, f := range fs {
		paths[i] = filepath.Join(dataDir, f.Path)
		out.MinTime = min(out.MinTime, f.MinTime)
		out.MaxTime = max(out.MaxTime, f.MaxTime)
		out.Seq = max(out.Seq, f.Seq) // content already seen by runs up to this sequence
		for p := range f.From {
			if p >= len(out.From) {
				out.From = append(out.From, f.From[p])
				out.To = append(out.To, f.To[p])
				continue
			}
			out.From[p] = min(out.From[p], f.From[p])
			out.To[p] = max(out.To[p], f.To[p])
		}
	}
	tbl, err := OpenParquet(paths)
	if err != nil {
		return out, err
	}
	cols := make([]int, len(schema))
	for i := range cols {
		cols[i] = i
	}
	w, err := CreateParquetFile(filepath.Join(dataDir, rel), schema, WriteOptions{Compression: src.Options["compression"]})
	if err != nil {
		return out, err
	}
	tasks, err := tbl.Tasks(ctx, exec.ScanRequest{Columns: cols})
	if err != nil {
		w.Abort()
		return out, err
	}
	for _, t := range tasks {
		err := t.Run(ctx, func(rec arrow.Record) error {
			defer rec.Release()
			return w.Write(rec)
		})
		if err != nil {
			w.Abort()
			return out, err
		}
	}
	st, err := w.Commit()
	if err != nil {
		return out, err
	}
	out.Rows, out.Bytes = st.Rows, st.Bytes
	return out, nil
}

var _ = io.EOF
