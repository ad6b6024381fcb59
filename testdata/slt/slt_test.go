package slt

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lambdasql/exec"
	"lambdasql/server"
)

var (
	rewrite  = flag.Bool("rewrite", false, "fill in expected query output and error codes in place from the server's answers")
	pgref    = flag.String("pgref", "", "run the \"# postgres: yes\" files against the PostgreSQL at this DSN instead (each in a fresh database); with -rewrite, re-derive their expected output")
	only     = flag.String("files", "", "run only the files whose base name matches this regexp")
	failsOut = flag.String("failures", "", "append every failure to this file as one JSON object per line")
	gapsOut  = flag.String("gaps", "", "also run the known gaps (# BUG: … skipif lambdasql) and write them, with both answers, into this Markdown file below its marker line")
)

// corpusDir is where the .slt files live: testdata/, this package's parent.
const corpusDir = ".."

// maxParallel bounds how many files (each with its own server) run at once.
const maxParallel = 2

var failMu, openMu sync.Mutex

func corpus(t *testing.T, names ...string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpusDir, "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no .slt files under testdata/")
	}
	var re *regexp.Regexp
	if *only != "" {
		re = regexp.MustCompile(*only)
	}
	var out []string
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".slt")
		if names != nil && !slices.Contains(names, base) {
			continue
		}
		if re != nil && !re.MatchString(base) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// TestSLT runs every .slt file against a fresh in-process server, under
// each layer its header lists. With -pgref it runs the PostgreSQL-only
// files against a real PostgreSQL instead.
func TestSLT(t *testing.T) {
	if *pgref != "" {
		runPostgres(t, corpus(t))
		return
	}
	if *gapsOut != "" {
		if *rewrite {
			t.Fatal("-gaps and -rewrite do not go together")
		}
		t.Cleanup(func() {
			if err := writeGaps(*gapsOut, collected.gaps); err != nil {
				t.Error(err)
			}
		})
	}
	runCorpus(t, corpus(t), *rewrite)
}

// TestSLTSmallBatches repeats a subset of the corpus with a batch size of
// 3 rows, so that every operator crosses record boundaries mid-result.
func TestSLTSmallBatches(t *testing.T) {
	if *pgref != "" || *rewrite {
		t.Skip("runs only against lambdasql, without -rewrite")
	}
	restore := exec.SetBatchSize(3)
	defer restore()
	runCorpus(t, corpus(t, "select_basic", "nulls", "aggregates", "joins"), false)
}

func runCorpus(t *testing.T, paths []string, rewrite bool) {
	sem := make(chan struct{}, maxParallel)
	for _, path := range paths {
		f, err := ParseFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			layers := f.Layers
			if len(layers) == 0 {
				layers = []string{""}
			}
			var edits []edit // rewrite edits, accumulated over the layers
			for _, layer := range layers {
				run := func(t *testing.T) {
					conn := startServer(t)
					r := &Runner{Conn: conn, Engine: EngineLambdaSQL, Layer: layer, Rewrite: rewrite, edits: edits,
						CheckGaps: *gapsOut != "" && !rewrite}
					report(t, r.Run(t.Context(), f))
					edits = r.edits
					collected.add(t, r.Gaps)
				}
				if layer == "" {
					run(t)
				} else {
					t.Run(layer, run)
				}
			}
			if rewrite {
				r := &Runner{edits: edits}
				if changed, err := r.WriteRewrites(f); err != nil {
					t.Error(err)
				} else if changed {
					t.Logf("rewrote %s", f.Path)
				}
			}
		})
	}
}

// startServer starts a lambdasql server over a fresh data directory and
// returns a connection to it; both are closed when t ends.
func startServer(t *testing.T) *pgx.Conn {
	t.Helper()
	// server.Open sets package globals of exec (start time, version
	// string): opening two servers at once is a data race.
	openMu.Lock()
	srv, err := server.Open(server.Config{
		DataDir: t.TempDir(),
		Listen:  "127.0.0.1:0",
		HTTP:    "",
		Logger:  slog.New(slog.DiscardHandler),
	})
	openMu.Unlock()
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return connect(t, "postgres://lambdasql@"+srv.Addr()+"/lambdasql?sslmode=disable", nil)
}

func connect(t *testing.T, dsn string, params map[string]string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.ConnectTimeout = 10 * time.Second
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
	})
	return conn
}

// runPostgres runs the "# postgres: yes" files against the reference
// PostgreSQL given by -pgref.
func runPostgres(t *testing.T, paths []string) {
	for _, path := range paths {
		f, err := ParseFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if !f.Postgres {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			fails, err := RunPostgres(t.Context(), *pgref, f, *rewrite)
			if err != nil {
				t.Fatal(err)
			}
			report(t, fails)
		})
	}
}

func report(t *testing.T, fails []Failure) {
	t.Helper()
	for _, f := range fails {
		t.Error(f.String())
	}
	if *failsOut == "" || len(fails) == 0 {
		return
	}
	failMu.Lock()
	defer failMu.Unlock()
	out, err := os.OpenFile(*failsOut, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Error(err)
		return
	}
	defer out.Close()
	enc := json.NewEncoder(out)
	for _, f := range fails {
		if err := enc.Encode(f); err != nil {
			t.Error(fmt.Errorf("write failures: %w", err))
		}
	}
}

// gapCollector gathers the known gaps of a -gaps run over the parallel
// files; a file run under several layers reports each gap once.
type gapCollector struct {
	mu   sync.Mutex
	gaps []Gap
	seen map[string]bool
}

var collected gapCollector

func (c *gapCollector) add(t *testing.T, gaps []Gap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	for _, g := range gaps {
		key := fmt.Sprintf("%s:%d", g.Path, g.Line)
		if c.seen[key] {
			continue
		}
		c.seen[key] = true
		if g.Fixed {
			t.Logf("%s: known gap now passes, remove its skipif: %s", key, g.Bug)
		}
		c.gaps = append(c.gaps, g)
	}
}

// gapsMarker separates the hand-written part of KNOWN-GAPS.md from the
// generated list that -gaps replaces.
const gapsMarker = "<!-- generated below by: go test ./testdata/slt -run 'TestSLT$' -args -gaps=../KNOWN-GAPS.md -->"

// writeGaps replaces everything after the marker line of path (or
// creates it) with the list of gaps.
func writeGaps(path string, gaps []Gap) error {
	head := ""
	if b, err := os.ReadFile(path); err == nil {
		if i := strings.Index(string(b), gapsMarker); i >= 0 {
			head = string(b[:i])
		} else {
			head = string(b) + "\n"
		}
	}
	slices.SortFunc(gaps, func(a, b Gap) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	var out strings.Builder
	out.WriteString(head + gapsMarker + "\n")
	open, fixed := 0, 0
	for _, g := range gaps {
		if g.Fixed {
			fixed++
		} else {
			open++
		}
	}
	fmt.Fprintf(&out, "\n%d open gaps", open)
	if fixed > 0 {
		fmt.Fprintf(&out, ", %d fixed (their skipif can go)", fixed)
	}
	out.WriteString(".\n")
	for _, g := range gaps {
		status := ""
		if g.Fixed {
			status = " — FIXED"
		}
		fmt.Fprintf(&out, "\n### %s:%d — %s%s\n\n```sql\n%s\n```\n\n", strings.TrimPrefix(g.Path, "../"), g.Line, g.Bug, status, g.SQL)
		if g.Fixed {
			continue
		}
		fmt.Fprintf(&out, "PostgreSQL 15:\n```\n%s\n```\nlambdasql:\n```\n%s\n```\n", orNothing(g.Expected), orNothing(g.Actual))
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}

func orNothing(s string) string {
	if s == "" {
		return "(no rows)"
	}
	return s
}
