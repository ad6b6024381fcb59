package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// BindInsertRows binds the rows of INSERT … VALUES or INSERT … SELECT for
// target columns of the given types: each value is converted to its
// column's type as an assignment does (an untyped literal is read as the
// column's type; a parameter takes the column's type). The plan's output
// has one column per target.
func (b *Binder) BindInsertRows(ins *ast.InsertStmt, targets exec.Schema) (Node, error) {
	if ins.Select != nil {
		node, _, err := b.bindResultSet(ins.Select, nil)
		if err != nil {
			return nil, err
		}
		in := node.Schema()
		if len(in) != len(targets) {
			return nil, sqlstate.New(sqlstate.SyntaxError, "INSERT has %s expressions than target columns", moreOrFewer(len(in), len(targets)))
		}
		exprs := make([]exec.Expr, len(in))
		for i, c := range in {
			e, err := assign(&exec.ColRef{Idx: i, T: c.Type, Name: c.Name}, targets[i])
			if err != nil {
				return nil, err
			}
			exprs[i] = e
		}
		return &Project{Child: node, Exprs: exprs, Out: targets}, nil
	}
	empty := &scope{}
	rows := make([][]exec.Expr, len(ins.Lists))
	for r, list := range ins.Lists {
		if len(list) != len(targets) {
			return nil, b.errAt(firstNode(list), sqlstate.New(sqlstate.SyntaxError, "INSERT has %s expressions than target columns", moreOrFewer(len(list), len(targets))))
		}
		rows[r] = make([]exec.Expr, len(list))
		for i, v := range list {
			if _, ok := v.(*ast.DefaultExpr); ok {
				rows[r][i] = &exec.Const{T: targets[i].Type}
				continue
			}
			e, err := b.expr(v, empty, false)
			if err != nil {
				return nil, err
			}
			if p, ok := e.(*paramExpr); ok && p.T.Family == types.FamUnknown {
				b.Params[p.Idx] = targets[i].Type
				e = &exec.Param{Idx: p.Idx, T: targets[i].Type}
			} else if p, ok := e.(*paramExpr); ok {
				e = &p.Param
			}
			a, err := assign(e, targets[i])
			if err != nil {
				if se := sqlstate.As(err); se != nil {
					return nil, b.errAt(v, se)
				}
				return nil, err
			}
			rows[r][i] = foldConst(b.Exec, a)
		}
	}
	return &Values{Rows: rows, Out: targets}, nil
}

func firstNode(list []ast.ExprNode) ast.Node {
	if len(list) > 0 {
		return list[0]
	}
	return nil
}

func moreOrFewer(have, want int) string {
	if have > want {
		return "more"
	}
	return "fewer"
}

// assign converts e to the column type as INSERT does: implicit and
// assignment casts (numeric narrowing, text to anything for untyped
// literals) are allowed; others fail with 42804.
func assign(e exec.Expr, col exec.Column) (exec.Expr, error) {
	t := col.Type
	if types.Equal(e.Type(), t) {
		return e, nil
	}
	if c, ok := e.(*exec.Const); ok && (c.T.Family == types.FamUnknown || c.Value == nil) {
		return coerce(e, t)
	}
	from := e.Type()
	ok := exec.ImplicitCast(from, t) ||
		(from.IsNumeric() && t.IsNumeric()) ||
		(t.Family == types.FamString) ||
		(from.IsTime() && t.IsTime())
	if !ok {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "column %q is of type %s but expression is of type %s", col.Name, t.Name, from.Name).
			WithHint("You will need to rewrite or cast the expression.")
	}
	return exec.NewCast(e, t)
}
