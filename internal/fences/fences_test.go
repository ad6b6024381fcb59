// Package fences holds one test: the package map (DESIGN.md, STYLE.md §1)
// as a table of what each package may not import.
package fences

import (
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// fence is one package's rule. forbidden entries match a package and
// everything below it; when only is set, the package may import no other
// lambdasql package than those.
type fence struct {
	pkg       string
	forbidden []string
	only      []string
}

var fences = []fence{
	{pkg: "lambdasql/batch", forbidden: []string{
		"lambdasql/stream", "lambdasql/planner", "lambdasql/wire", "lambdasql/server",
		"github.com/pingcap/tidb", "github.com/IBM/sarama", "github.com/jackc/pgproto3"}},
	{pkg: "lambdasql/catalog", forbidden: []string{
		"lambdasql/exec", "lambdasql/planner", "lambdasql/batch", "lambdasql/stream", "lambdasql/wire", "lambdasql/server",
		"github.com/pingcap/tidb", "github.com/parquet-go/parquet-go", "github.com/IBM/sarama", "github.com/jackc/pgproto3"}},
	{pkg: "lambdasql/exec", forbidden: []string{
		"lambdasql/planner", "lambdasql/batch", "lambdasql/stream", "lambdasql/catalog", "lambdasql/wire", "lambdasql/server",
		"lambdasql/sql/internal",
		"github.com/pingcap/tidb", "github.com/parquet-go/parquet-go", "github.com/IBM/sarama", "github.com/jackc/pgproto3"}},
	// exec/agg uses only the leaves sql/types and sql/sqlstate, and none of
	// the edge libraries that have their one home elsewhere.
	{pkg: "lambdasql/exec/agg", only: []string{"lambdasql/exec/agg", "lambdasql/sql/types", "lambdasql/sql/sqlstate"}, forbidden: []string{
		"github.com/parquet-go/parquet-go", "github.com/IBM/sarama", "github.com/jackc/pgproto3", "github.com/pingcap/tidb",
		"github.com/twmb/franz-go", "go.etcd.io/bbolt", "github.com/cockroachdb/pebble"}},
	{pkg: "lambdasql/planner", forbidden: []string{
		"lambdasql/wire", "lambdasql/server",
		"github.com/parquet-go/parquet-go", "github.com/IBM/sarama", "github.com/jackc/pgproto3"}},
	// sql sits under the planner and wire: it may import catalog and its
	// own leaves, and it is the only home of the TiDB parser.
	{pkg: "lambdasql/sql", forbidden: []string{
		"lambdasql/planner", "lambdasql/exec", "lambdasql/batch", "lambdasql/stream", "lambdasql/wire", "lambdasql/server",
		"lambdasql/cmd",
		"github.com/jackc/pgproto3", "github.com/jackc/pgx", "github.com/parquet-go/parquet-go", "github.com/IBM/sarama"}},
	{pkg: "lambdasql/stream", forbidden: []string{
		"lambdasql/batch", "lambdasql/planner", "lambdasql/wire", "lambdasql/server",
		"github.com/pingcap/tidb", "github.com/parquet-go/parquet-go", "github.com/jackc/pgproto3"}},
	// wire sits under cmd and above sql/planner/exec; it never reaches into
	// the layers' storage or connectors, nor up into the server.
	{pkg: "lambdasql/wire", forbidden: []string{
		"lambdasql/server", "lambdasql/cmd", "lambdasql/batch", "lambdasql/stream",
		"github.com/parquet-go/parquet-go", "github.com/IBM/sarama", "github.com/twmb/franz-go"}},
}

func TestDependencies(t *testing.T) {
	gobin, err := osexec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	for _, f := range fences {
		out, err := osexec.Command(gobin, "list", "-deps", f.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", f.pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if f.only != nil && strings.HasPrefix(dep, "lambdasql/") && !slices.Contains(f.only, dep) {
				t.Errorf("%s depends on %s", f.pkg, dep)
			}
			for _, bad := range f.forbidden {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s depends on %s", f.pkg, dep)
				}
			}
		}
	}
}
