package agg

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps fences the package's imports: exec/agg may use only the leaves
// sql/types and sql/sqlstate of lambdasql, and none of the edge libraries
// that have their one home elsewhere.
func TestDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{"lambdasql/exec/agg": true, "lambdasql/sql/types": true, "lambdasql/sql/sqlstate": true}
	forbidden := []string{
		"github.com/parquet-go/", "github.com/IBM/sarama", "github.com/jackc/pgproto3",
		"github.com/pingcap/tidb", "github.com/twmb/franz-go", "go.etcd.io/bbolt", "github.com/cockroachdb/pebble",
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "lambdasql/") && !allowed[p] {
			t.Errorf("exec/agg depends on %s", p)
		}
		for _, f := range forbidden {
			if strings.HasPrefix(p, f) {
				t.Errorf("exec/agg depends on %s", p)
			}
		}
	}
}
