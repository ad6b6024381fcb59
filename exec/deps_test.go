package exec

import (
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The package map (DESIGN.md, STYLE.md §1) fences what exec may import.
var forbiddenDeps = []string{
	"lambdasql/planner",
	"lambdasql/batch",
	"lambdasql/stream",
	"lambdasql/catalog",
	"lambdasql/wire",
	"lambdasql/server",
	"lambdasql/sql/internal",
	"github.com/pingcap/tidb",
	"github.com/parquet-go/parquet-go",
	"github.com/IBM/sarama",
	"github.com/jackc/pgproto3",
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
				t.Errorf("exec depends on %s", dep)
			}
		}
	}
}
