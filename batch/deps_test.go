package batch

import (
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The package map (DESIGN.md, STYLE.md §1) fences what batch may import.
var forbiddenDeps = []string{
	"lambdasql/stream",
	"lambdasql/planner",
	"lambdasql/wire",
	"lambdasql/server",
	"github.com/pingcap/tidb",
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
				t.Errorf("batch depends on %s", dep)
			}
		}
	}
}
