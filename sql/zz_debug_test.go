package sql

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/format"
	"lambdasql/sql/sqlstate"
)

func TestZZDebug(t *testing.T) {
	path := os.Getenv("DEBUG_SQL")
	if path == "" {
		t.Skip()
	}
	f, _ := os.Open(path)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		q := strings.ReplaceAll(sc.Text(), `\n`, "\n")
		if strings.TrimSpace(q) == "" {
			continue
		}
		stmts, err := Parse(q)
		if err != nil {
			e := sqlstate.As(err)
			if e != nil {
				fmt.Printf("ERR  %s\n     %s %s (pos %d) hint=%q\n", q, e.Code, e.Message, e.Position, e.Hint)
			} else {
				fmt.Printf("ERR  %s\n     %v\n", q, err)
			}
			continue
		}
		for _, s := range stmts {
			switch x := s.(type) {
			case *Query:
				var sb strings.Builder
				x.Node.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &sb))
				fmt.Printf("OK   %s\n  rw %s\n  => %s\n", q, x.Rewritten, sb.String())
			case *Insert:
				var sb strings.Builder
				x.Node.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &sb))
				fmt.Printf("OK   %s\n  rw %s\n  => %s\n", q, x.Rewritten, sb.String())
			default:
				fmt.Printf("OK   %s\n  %T %+v\n", q, s, s)
			}
		}
	}
}
