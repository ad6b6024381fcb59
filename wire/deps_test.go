package wire

import (
	osexec "os/exec"
	"strings"
	"testing"
)

// TestDeps fences the package map (shared/STYLE.md §1): wire sits under
// cmd and above sql/planner/exec; it never reaches into the layers' storage
// or connectors, nor up into the server or the binary.
func TestDeps(t *testing.T) {
	out, err := osexec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}", "lambdasql/wire").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	forbidden := []string{
		"lambdasql/server", "lambdasql/cmd/", "lambdasql/batch", "lambdasql/stream",
		"github.com/parquet-go/parquet-go", "github.com/IBM/sarama", "github.com/twmb/franz-go",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) {
				t.Errorf("wire depends on %s", dep)
			}
		}
	}
}
