package server

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
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

// regNamer renders reg* values (regclass, regtype, regproc, regnamespace)
// by name, as PostgreSQL's output functions do.
func (s *Server) regNamer(typeOID, oid uint32) (string, bool) {
	ci := s.catalogInfo()
	switch typeOID {
	case types.RegClass.OID:
		return ci.RelationName(oid)
	case types.RegType.OID:
		return ci.TypeName(oid)
	case types.RegProc.OID, types.RegProcedure.OID:
		if oid == 0 {
			return "-", true
		}
		return ci.ProcName(oid)
	case types.RegNamespace.OID:
		return ci.NamespaceName(oid)
	}
	return "", false
}
