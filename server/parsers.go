package server

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
)

// The planner parses view definitions and table-function calls through
// these hooks, so that planner does not depend on the dialect layer.
func init() {
	planner.ParseQuery = func(text string) (ast.Node, func(int) int, error) {
		stmts, err := sql.Parse(text)
		if err != nil {
			return nil, nil, err
		}
		if len(stmts) != 1 {
			return nil, nil, sqlstate.New(sqlstate.SyntaxError, "a view definition must be one query")
		}
		q, ok := stmts[0].(*sql.Query)
		if !ok {
			return nil, nil, sqlstate.New(sqlstate.SyntaxError, "a view definition must be a query")
		}
		return q.Node, q.PositionAt, nil
	}
	planner.ParseExpr = func(call string) (ast.ExprNode, error) {
		fn, args, ok, err := sql.ParseTableFunc("\x02" + call)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "syntax error in table function %s", call)
		}
		return &ast.FuncCallExpr{FnName: ast.NewCIStr(fn), Args: args}, nil
	}
}
