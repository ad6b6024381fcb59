package sql

import (
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// sql sits under the planner and wire: it may import catalog and its own
// leaves (sql/types, sql/sqlstate), and it is the only home of the TiDB
// parser. The edge libraries of other packages stay out.
var forbiddenDeps = []string{
	"lambdasql/planner",
	"lambdasql/exec",
	"lambdasql/batch",
	"lambdasql/stream",
	"lambdasql/wire",
	"lambdasql/server",
	"lambdasql/cmd",
	"github.com/jackc/pgproto3",
	"github.com/jackc/pgx",
	"github.com/parquet-go/parquet-go",
	"github.com/IBM/sarama",
}

func TestDependencies(t *testing.T) {
	gobin, err := osexec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := osexec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbiddenDeps {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("lambdasql/sql depends on %s", dep)
			}
		}
	}
}
