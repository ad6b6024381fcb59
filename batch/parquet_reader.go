package batch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/jackc/pgerrcode"
	"github.com/parquet-go/parquet-go"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// ParquetTable is a set of Parquet files read as one table. It implements
// exec.TableSource and exec.StatsReporter.
//
// Opening reads each file's footer once; the parsed footers (schema,
// row-group statistics) are kept and shared read-only by every scan, so a
// table holds no open file descriptors: each task opens its file for the
// duration of its Run. A ParquetTable is safe for concurrent use; files
// must not change while it is in use (the master dataset is immutable).
//
// Column types (Parquet physical + logical or legacy converted type):
//
//	BOOLEAN                          bool
//	INT32                            int4; INT(8|16) int2; UINT8/16 int4;
//	                                 UINT32 int8; DATE date; TIME(MILLIS) time
//	INT64                            int8; UINT64 numeric; TIME time;
//	                                 TIMESTAMP(adjusted=true) and legacy
//	                                 TIMESTAMP_MILLIS/MICROS timestamptz,
//	                                 TIMESTAMP(adjusted=false) timestamp
//	INT96                            timestamp (Impala nanoseconds)
//	FLOAT, DOUBLE                    float4, float8 (FLOAT16 float4)
//	BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY STRING/UTF8/ENUM text, JSON json,
//	                                 UUID text (canonical form), INTERVAL
//	                                 interval, BSON and none bytea
//	DECIMAL(p,s) on any of them      numeric, as decimal text with s digits
//
// Millisecond values are scaled to microseconds (saturating to ±infinity)
// and nanosecond values rounded down to the microsecond. Files written by
// WriteParquet restore their exact types (int2, oid, jsonb, varchar(n),
// numeric, interval, …) from "lambdasql.type.<column>" metadata. Nested
// and repeated columns, and unknown logical types, are left out of the
// schema (see Skipped). OPTIONAL columns carry NULLs.
type ParquetTable struct {
	name    string
	schema  exec.Schema
	skipped []SkippedColumn
	files   []*parquetFile

	mu   sync.Mutex
	last exec.ScanStats
}

var (
	_ exec.TableSource   = (*ParquetTable)(nil)
	_ exec.StatsReporter = (*ParquetTable)(nil)
)

// parquetFile is one file's parsed footer, mapped onto the table schema.
type parquetFile struct {
	path  string
	pf    *parquet.File
	plans []colPlan      // by table column
	rows  []int64        // by row group
	stats [][]chunkStats // [row group][table column]
}

// OpenParquet opens the given Parquet files as one table, in the order
// given. The schema comes from the first file; every other file must have
// the same columns (by name, in any order) with the same types, else the
// error has SQLSTATE 42804 and names the file and column. A missing file
// fails with 58P01, a file that is not Parquet with 22P04.
func OpenParquet(paths []string) (*ParquetTable, error) {
	if len(paths) == 0 {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "no parquet files given")
	}
	return openParquet("read_parquet("+quoteList(paths)+")", paths)
}

// OpenParquetGlob opens the regular files matching pattern, sorted by
// path, as one table (see OpenParquet). pattern is a filepath.Glob pattern
// in which a path element "**" matches any number of directories,
// including none ("data/**/*.parquet"). No match fails with 58P01.
func OpenParquetGlob(pattern string) (*ParquetTable, error) {
	paths, err := globFiles(pattern)
	if err != nil {
		return nil, err
	}
	return openParquet("read_parquet("+quoteList([]string{pattern})+")", paths)
}

func openParquet(name string, paths []string) (*ParquetTable, error) {
	return openParquetWith(name, paths, openFooter)
}

func openParquetWith(name string, paths []string, openFooter func(string) (*parquetFile, []SkippedColumn, error)) (*ParquetTable, error) {
	files := make([]*parquetFile, len(paths))
	skipped := make([][]SkippedColumn, len(paths))
	errs := make([]error, len(paths))
	// Footers are small reads; a few in flight hide file system latency.
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			files[i], skipped[i], errs[i] = openFooter(p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	t := &ParquetTable{name: name, files: files, skipped: skipped[0]}
	first := files[0]
	if len(first.plans) == 0 {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "parquet file %q has no column of a supported type", first.path).
			WithDetail("Skipped: %v.", skipped[0])
	}
	t.schema = schemaOf(first.plans)
	for _, f := range files[1:] {
		if err := f.align(first); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		f.computeStats()
	}
	return t, nil
}

// openFooter reads and maps one file's footer. The file is closed again:
// tasks read pages through their own descriptor (FileColumnChunk.PagesFrom).
func openFooter(path string) (_ *parquetFile, _ []SkippedColumn, err error) {
	defer func() {
		// A malformed footer must not crash the server.
		if p := recover(); p != nil {
			err = sqlstate.New(sqlstate.BadCopyFileFormat, "could not read parquet file %q: %v", path, p)
		}
	}()
	osf, err := os.Open(path)
	if err != nil {
		return nil, nil, fileError(path, err)
	}
	defer osf.Close()
	st, err := osf.Stat()
	if err != nil {
		return nil, nil, fileError(path, err)
	}
	if st.IsDir() {
		return nil, nil, sqlstate.New(sqlstate.WrongObjectType, "%q is a directory", path)
	}
	// The page index (per-page min/max and first rows) lets scans skip
	// pages; a file whose index cannot be read is still read without it.
	pf, err := parquet.OpenFile(osf, st.Size(), parquet.SkipBloomFilters(true), parquet.OptimisticRead(true))
	if err != nil {
		pf, err = parquet.OpenFile(osf, st.Size(),
			parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.OptimisticRead(true))
	}
	if err != nil {
		return nil, nil, sqlstate.New(sqlstate.BadCopyFileFormat, "could not read parquet file %q: %v", path, err)
	}
	plans, skipped, err := fileSchema(pf.Metadata())
	if err != nil {
		if sqlstate.As(err) != nil {
			return nil, nil, err
		}
		return nil, nil, sqlstate.New(sqlstate.BadCopyFileFormat, "could not read parquet file %q: %v", path, err)
	}
	f := &parquetFile{path: path, pf: pf, plans: plans}
	md := pf.Metadata()
	for _, rg := range md.RowGroups {
		for _, p := range plans {
			if p.leaf >= len(rg.Columns) {
				return nil, nil, sqlstate.New(sqlstate.BadCopyFileFormat, "could not read parquet file %q: row group has %d column chunks, schema needs %d", path, len(rg.Columns), p.leaf+1)
			}
		}
		f.rows = append(f.rows, rg.NumRows)
	}
	if len(pf.RowGroups()) != len(md.RowGroups) {
		return nil, nil, sqlstate.New(sqlstate.BadCopyFileFormat, "could not read parquet file %q: inconsistent row groups", path)
	}
	return f, skipped, nil
}

func fileError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return sqlstate.New(sqlstate.UndefinedFile, "could not open file %q: no such file or directory", path)
	}
	return sqlstate.Wrap(fmt.Errorf("could not open file %q: %w", path, err), sqlstate.IOError)
}

// align reorders f's plans to the reference file's columns, failing with
// 42804 when the columns differ.
func (f *parquetFile) align(ref *parquetFile) error {
	byName := make(map[string]colPlan, len(f.plans))
	for _, p := range f.plans {
		byName[p.name] = p
	}
	out := make([]colPlan, len(ref.plans))
	for i, rp := range ref.plans {
		p, ok := byName[rp.name]
		if !ok {
			return sqlstate.New(sqlstate.DatatypeMismatch, "parquet file %q has no column %q", f.path, rp.name).
				WithDetail("Every file must have the columns of %q.", ref.path)
		}
		if !types.Equal(p.typ, rp.typ) {
			return sqlstate.New(sqlstate.DatatypeMismatch, "column %q of parquet file %q has type %s, expected %s",
				rp.name, f.path, describeType(p.typ), describeType(rp.typ)).
				WithDetail("The type comes from %q.", ref.path)
		}
		p.typ = rp.typ
		out[i] = p
		delete(byName, rp.name)
	}
	for _, p := range f.plans {
		if _, extra := byName[p.name]; extra {
			return sqlstate.New(sqlstate.DatatypeMismatch, "parquet file %q has column %q that %q does not have", f.path, p.name, ref.path)
		}
	}
	f.plans = out
	return nil
}

func (f *parquetFile) computeStats() {
	md := f.pf.Metadata()
	f.stats = make([][]chunkStats, len(md.RowGroups))
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		f.stats[g] = make([]chunkStats, len(f.plans))
		for c := range f.plans {
			f.stats[g][c] = statsOf(&f.plans[c], &rg.Columns[f.plans[c].leaf].MetaData)
		}
	}
}

// Schema returns the table's columns.
func (t *ParquetTable) Schema() exec.Schema { return t.schema }

// String names the table for EXPLAIN: read_parquet('pattern').
func (t *ParquetTable) String() string { return t.name }

// Skipped lists the columns of the first file left out of the schema
// because their Parquet type (nested, repeated, unsupported logical type)
// has no lambdasql equivalent.
func (t *ParquetTable) Skipped() []SkippedColumn { return t.skipped }

// Files returns the table's file paths in scan order.
func (t *ParquetTable) Files() []string {
	out := make([]string, len(t.files))
	for i, f := range t.files {
		out[i] = f.path
	}
	return out
}

// LastScanStats reports the pruning of the most recent Tasks call.
func (t *ParquetTable) LastScanStats() exec.ScanStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// rowGroupSurvives reports whether row group g of f may hold a row
// satisfying every bound.
func (f *parquetFile) rowGroupSurvives(g int, bounds []exec.Bound) bool {
	if f.rows[g] == 0 {
		return false
	}
	for _, b := range bounds {
		if f.stats[g][b.Col].excludes(b) {
			return false
		}
	}
	return true
}

func (t *ParquetTable) checkBounds(bounds []exec.Bound) error {
	for _, b := range bounds {
		if b.Col < 0 || b.Col >= len(t.schema) {
			return sqlstate.New(sqlstate.InternalError, "internal error: bound on column %d of a %d-column table", b.Col, len(t.schema))
		}
	}
	return nil
}

// PruneFiles returns the paths of the files that may hold a row satisfying
// every bound, judged from the row-group statistics cached at open (no
// file is read).
func (t *ParquetTable) PruneFiles(bounds []exec.Bound) ([]string, error) {
	if err := t.checkBounds(bounds); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range t.files {
		for g := range f.rows {
			if f.rowGroupSurvives(g, bounds) {
				out = append(out, f.path)
				break
			}
		}
	}
	return out, nil
}

// Tasks returns one task per (file, row group) that survives pruning, in
// file then row-group order. Row groups with no rows are skipped.
func (t *ParquetTable) Tasks(ctx context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, c := range req.Columns {
		if c < 0 || c >= len(t.schema) {
			return nil, sqlstate.New(sqlstate.InternalError, "internal error: scan of column %d of a %d-column table", c, len(t.schema))
		}
	}
	if err := t.checkBounds(req.Bounds); err != nil {
		return nil, err
	}
	cols := append([]int(nil), req.Columns...)
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: t.schema[c].Name, Type: t.schema[c].Type.Arrow(), Nullable: true}
	}
	sc := &scanShape{cols: cols, schema: arrow.NewSchema(fields, nil)}
	var pts []*parquetTask
	st := exec.ScanStats{FilesTotal: len(t.files)}
	for _, f := range t.files {
		st.RowGroupsTotal += len(f.rows)
		scanned := false
		for g, n := range f.rows {
			st.RowsTotal += n
			if !f.rowGroupSurvives(g, req.Bounds) {
				continue
			}
			ranges := f.pageRanges(g, req.Bounds)
			if len(ranges) == 0 {
				continue
			}
			scanned = true
			st.RowGroupsScanned++
			for _, r := range ranges {
				st.RowsScanned += r.to - r.from
				pts = append(pts, &parquetTask{file: f, rg: g, from: r.from, to: r.to, shape: sc})
			}
		}
		if scanned {
			st.FilesScanned++
		}
	}
	t.mu.Lock()
	t.last = st
	t.mu.Unlock()
	pts = splitForCores(pts)
	tasks := make([]exec.ScanTask, len(pts))
	for i, pt := range pts {
		tasks[i] = pt
	}
	return tasks, nil
}

// scanShape is what all tasks of one Tasks call share.
type scanShape struct {
	cols   []int
	schema *arrow.Schema
}

// parquetTask reads the rows [from, to) of one row group.
type parquetTask struct {
	file     *parquetFile
	rg       int
	from, to int64
	shape    *scanShape
}

var _ exec.ScanTask = (*parquetTask)(nil)

// Rows is the task's row count.
func (k *parquetTask) Rows() int64 { return k.to - k.from }

func (k *parquetTask) String() string {
	if k.from == 0 && k.to == k.file.rows[k.rg] {
		return fmt.Sprintf("%s row group %d", k.file.path, k.rg)
	}
	return fmt.Sprintf("%s row group %d rows %d-%d", k.file.path, k.rg, k.from, k.to)
}

// Run decodes the requested columns of the row group page by page and
// emits records of at most exec.BatchSize rows with exactly the requested
// columns. It opens its own file descriptor, so tasks run concurrently.
// Decoding errors caused by the file's content have SQLSTATE XX001; a
// cancelled ctx returns ctx.Err().
func (k *parquetTask) Run(ctx context.Context, emit func(arrow.Record) error) error {
	f := k.file
	osf, err := os.Open(f.path)
	if err != nil {
		return fileError(f.path, err)
	}
	defer osf.Close()
	chunks := f.pf.RowGroups()[k.rg].ColumnChunks()
	readers := make([]*columnReader, len(k.shape.cols))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.releasePage()
				r.pages.Close()
			}
		}
	}()
	for i, c := range k.shape.cols {
		p := &f.plans[c]
		fc, ok := chunks[p.leaf].(*parquet.FileColumnChunk)
		if !ok {
			return sqlstate.New(sqlstate.InternalError, "internal error: column chunk of %q is %T", f.path, chunks[p.leaf])
		}
		readers[i] = newColumnReader(p, fc.PagesFrom(osf))
		if k.from > 0 {
			if err := k.seek(ctx, readers[i], c); err != nil {
				return k.wrap(i, err)
			}
		}
	}
	total := k.to - k.from
	batch := int64(max(exec.BatchSize, 1))
	for done := int64(0); done < total; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(batch, total-done)
		rec, err := k.readBatch(ctx, readers, n)
		if err != nil {
			return err
		}
		if err := emit(rec); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// seek positions r (table column c) at row k.from: at the page holding it
// by the offset index when there is one (the pages before it are never
// read), then past the rows before k.from within that page.
func (k *parquetTask) seek(ctx context.Context, r *columnReader, c int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corruptf("%v", p)
		}
	}()
	skip := k.from
	if _, oi, ok := k.file.pageIndex(k.rg, c); ok {
		locs := oi.PageLocations
		i := sort.Search(len(locs), func(i int) bool { return locs[i].FirstRowIndex > k.from }) - 1
		if i > 0 {
			if err := r.pages.SeekToRow(locs[i].FirstRowIndex); err != nil {
				return fmt.Errorf("%w: %w", errCorrupt, err)
			}
			skip = k.from - locs[i].FirstRowIndex
		}
	}
	return r.skip(ctx, skip)
}

// readBatch decodes the next n rows of every column into a record.
func (k *parquetTask) readBatch(ctx context.Context, readers []*columnReader, n int64) (rec arrow.Record, err error) {
	cols := make([]arrow.Array, 0, len(readers))
	defer func() {
		// parquet-go may panic on malformed pages it does not validate;
		// bad input is an error, not a crash. emit runs outside, so a
		// consumer's panic is not disguised as bad data.
		if p := recover(); p != nil {
			err = sqlstate.New(pgerrcode.DataCorrupted, "could not decode parquet file %q row group %d: %v", k.file.path, k.rg, p)
		}
		if err != nil {
			for _, a := range cols {
				a.Release()
			}
		}
	}()
	for i, r := range readers {
		a, err := r.read(ctx, int(n))
		if err != nil {
			return nil, k.wrap(i, err)
		}
		cols = append(cols, a)
	}
	rec = array.NewRecord(k.shape.schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	cols = nil
	return rec, nil
}

func (k *parquetTask) wrap(i int, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	name := k.file.plans[k.shape.cols[i]].name
	werr := fmt.Errorf("read parquet file %q row group %d column %q: %w", k.file.path, k.rg, name, err)
	if sqlstate.As(err) != nil {
		return werr // keeps the inner code
	}
	return sqlstate.Wrap(werr, pgerrcode.DataCorrupted)
}
