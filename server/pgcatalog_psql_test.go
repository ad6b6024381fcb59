package server

import (
	"bytes"
	"context"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// psqlCommands are the meta-commands whose output is kept as golden
// files in testdata/psql/<name>.golden.
var psqlCommands = []struct{ name, cmd string }{
	{"d", `\d`},
	{"dt", `\dt`},
	{"dv", `\dv`},
	{"d_telemetry", `\d telemetry`},
	{"d_v", `\d v`},
	{"l", `\l`},
	{"dn", `\dn`},
	{"du", `\du`},
	{"df", `\df`},
}

// TestPsqlGolden runs the psql binary's meta-commands against a server
// and compares their output with the golden files. Set
// LAMBDASQL_UPDATE_GOLDEN=1 to rewrite the files from the current output.
// A command psql reports an ERROR for is skipped with that error: it
// names a gap of the SQL engine, and no golden file is written for it.
func TestPsqlGolden(t *testing.T) {
	psql, err := osexec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	srv, _ := catalogServer(t)
	host, port, err := net.SplitHostPort(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("LAMBDASQL_UPDATE_GOLDEN") == "1"
	for _, c := range psqlCommands {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := osexec.CommandContext(ctx, psql, "-X", "-h", host, "-p", port, "-U", "lambdasql", "-d", "lambdasql",
				"-P", "pager=off", "-c", c.cmd)
			cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10", "PGPASSWORD=", "PGOPTIONS=", "LC_ALL=C", "PGTZ=UTC")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			runErr := cmd.Run()
			got := out.String()
			if strings.Contains(got, "ERROR:") {
				t.Skipf("SQL engine gap: psql %s fails:\n%s", c.cmd, got)
			}
			if runErr != nil {
				t.Fatalf("psql %s: %v\n%s", c.cmd, runErr, got)
			}
			path := filepath.Join("testdata", "psql", c.name+".golden")
			if update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with LAMBDASQL_UPDATE_GOLDEN=1 to create it)", err)
			}
			if got != string(want) {
				t.Errorf("psql %s output differs from %s:\ngot:\n%s\nwant:\n%s", c.cmd, path, got, want)
			}
		})
	}
}
