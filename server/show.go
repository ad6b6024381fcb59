package server

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

func sortStrings(s []string) { sort.Strings(s) }

// lambdaSourceName returns the single table a lambda view's query reads.
func lambdaSourceName(q *sql.Query) (string, error) {
	sel, ok := q.Node.(*ast.SelectStmt)
	if !ok || sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return "", sqlstate.New(sqlstate.FeatureNotSupported, "a lambda view reads exactly one source: a single SELECT … FROM source GROUP BY …")
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return "", sqlstate.New(sqlstate.FeatureNotSupported, "a lambda view reads exactly one source")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok || strings.HasPrefix(tn.Name.O, "\x02") {
		return "", sqlstate.New(sqlstate.FeatureNotSupported, "a lambda view reads a source directly, not a subquery or a table function")
	}
	if tn.Schema.O != "" && tn.Schema.O != "public" {
		return "", sqlstate.New(sqlstate.WrongObjectType, "lambda views are defined over sources in schema public")
	}
	return tn.Name.O, nil
}

func (s *Session) prepareShowObjects(p *stmt, st sql.Stmt) (wire.Statement, error) {
	switch x := st.(type) {
	case *sql.ShowObjects:
		if x.Kind == sql.KindSource {
			cols := []string{"name", "connector", "event_time", "lateness", "partitions", "columns"}
			p.cols, _ = textRows(cols, nil, "")
			p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
				snap := s.srv.cat.Snapshot()
				var rows [][]string
				for _, n := range snap.SourceNames() {
					src := snap.Sources[n]
					var cs []string
					for _, c := range src.Columns {
						cs = append(cs, c.Name+" "+types.FormatType(c.Type(), c.TypeMod))
					}
					rows = append(rows, []string{src.Name, src.Options["connector"], src.EventTime, src.Lateness.String(),
						fmt.Sprint(src.Partitions), strings.Join(cs, ", ")})
				}
				_, res := textRows(cols, rows, fmt.Sprintf("SHOW %d", len(rows)))
				return res, nil
			}
			return p, nil
		}
		cols := []string{"name", "kind", "source", "options"}
		p.cols, _ = textRows(cols, nil, "")
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			snap := s.srv.cat.Snapshot()
			var rows [][]string
			for _, n := range snap.ViewNames() {
				v := snap.Views[n]
				kind := "view"
				if v.Lambda {
					kind = "lambda"
				}
				var opts []string
				for _, k := range sortedKeysOf(v.Options) {
					opts = append(opts, fmt.Sprintf("%s=%s", k, v.Options[k]))
				}
				rows = append(rows, []string{v.Name, kind, v.Source, strings.Join(opts, ", ")})
			}
			_, res := textRows(cols, rows, fmt.Sprintf("SHOW %d", len(rows)))
			return res, nil
		}
		return p, nil
	case *sql.ShowCreate:
		kind := strings.ToLower(string(x.Kind))
		colName := "create_" + kind
		p.cols = exec.Schema{{Name: "name", Type: types.Text}, {Name: colName, Type: types.Text}}
		p.run = func(context.Context, []any, func(wire.Notice)) (wire.Result, error) {
			snap := s.srv.cat.Snapshot()
			var text string
			switch x.Kind {
			case sql.KindView:
				v, ok := snap.Views[x.Name.Name]
				if !ok {
					return nil, sqlstate.New(sqlstate.UndefinedTable, "view %q does not exist", x.Name.Name).WithPosition(x.Name.Pos)
				}
				text = v.SQL
			case sql.KindSource:
				src, ok := snap.Sources[x.Name.Name]
				if !ok {
					return nil, sqlstate.New(sqlstate.UndefinedTable, "source %q does not exist", x.Name.Name).WithPosition(x.Name.Pos)
				}
				text = src.SQL
			default:
				return nil, sqlstate.New(sqlstate.FeatureNotSupported, "SHOW CREATE %s is not supported", x.Kind)
			}
			_, res := textRows([]string{"name", colName}, [][]string{{x.Name.Name, text}}, "SHOW")
			return res, nil
		}
		return p, nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "SHOW is not supported here")
}
