package planner

// Set-returning functions in the select list (SELECT generate_series(1, 3),
// SELECT unnest(a) FROM t, SELECT (_pg_expandarray(i.indkey)).n FROM …),
// planned as PostgreSQL plans them: a ProjectSet node below the select
// list's projection runs every such call for each input row and zips their
// rows. The functions are the catalog's table functions, called once per
// input row with that row's argument values.

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// setReturning names the table functions that may also be called in a
// select list.
var setReturning = map[string]bool{"generate_series": true, "unnest": true, "_pg_expandarray": true, "regexp_matches": true}

// srfCtx collects the set-returning calls of one select list.
type srfCtx struct {
	sc    *scope
	funcs []exec.SetFunc
	width int // output columns of the functions so far
	// ban, when set, is the construct being bound where set-returning
	// functions are not allowed (CASE, an aggregate's arguments, …): the
	// error to raise.
	ban *sqlstate.Error
	// nested is set while binding a set-returning call's arguments.
	nested bool
}

// banSRF forbids set-returning calls while f binds a construct; err is
// the error they raise there.
func (b *Binder) banSRF(err *sqlstate.Error, f func() (exec.Expr, error)) (exec.Expr, error) {
	if b.srfs == nil {
		return f()
	}
	saved := b.srfs.ban
	if saved == nil {
		b.srfs.ban = err
	}
	defer func() { b.srfs.ban = saved }()
	return f()
}

func srfBanned(what string) *sqlstate.Error {
	return sqlstate.New(sqlstate.FeatureNotSupported, "set-returning functions are not allowed in %s", what).
		WithHint("You might be able to move the set-returning function into a LATERAL FROM item.")
}

// srfCall binds a call of a set-returning function in an expression.
func (b *Binder) srfCall(name string, x *ast.FuncCallExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	sr := b.srfs
	switch {
	case sr == nil || sr.sc != sc:
		what := "this context"
		switch b.clause {
		case "":
		case "JOIN/ON":
			what = "JOIN conditions"
		default:
			what = b.clause
		}
		return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "set-returning functions are not allowed in %s", what))
	case sr.ban != nil:
		e := *sr.ban
		return nil, b.errAt(x, &e)
	case sr.nested:
		return nil, b.errAt(x, sqlstate.New(sqlstate.FeatureNotSupported, "set-returning functions as arguments of set-returning functions are not supported"))
	}
	args := make([]exec.Expr, len(x.Args))
	argTypes := make([]*types.T, len(x.Args))
	sr.nested = true
	for i, a := range x.Args {
		e, err := b.expr(a, sc, aggOK)
		if err != nil {
			sr.nested = false
			return nil, err
		}
		if p, ok := e.(*paramExpr); ok {
			e = &p.Param
		}
		args[i] = foldConst(b.Exec, e)
		argTypes[i] = e.Type()
	}
	sr.nested = false
	// The result's shape, from a call with unknown (NULL) arguments.
	shape, err := b.Cat.TableFunction(b.Ctx, name, make([]any, len(args)), argTypes)
	if err != nil {
		if se := sqlstate.As(err); se != nil {
			return nil, b.errAt(x, se)
		}
		return nil, err
	}
	cat := b.Cat
	f := exec.SetFunc{Name: name, Args: args, Cols: shape.Columns,
		Rows: func(ctx context.Context, vals []any) ([][]any, error) {
			rel, err := cat.TableFunction(ctx, name, vals, argTypes)
			if err != nil {
				return nil, err
			}
			if len(rel.Columns) != len(shape.Columns) {
				return nil, sqlstate.New(sqlstate.DatatypeMismatch, "function %s returned %d columns, expected %d", name, len(rel.Columns), len(shape.Columns))
			}
			for i, c := range rel.Columns {
				if !types.Equal(c.Type, shape.Columns[i].Type) {
					return nil, sqlstate.New(sqlstate.DatatypeMismatch, "function %s returned type %s, expected %s", name, c.Type.Name, shape.Columns[i].Type.Name).
						WithHint("Cast the arguments to the intended types.")
				}
			}
			return relationRows(ctx, rel)
		}}
	first := len(sc.cols) + sr.width
	sr.funcs = append(sr.funcs, f)
	sr.width += len(shape.Columns)
	if len(shape.Columns) == 1 {
		c := shape.Columns[0]
		return &exec.ColRef{Idx: first, T: c.Type, Name: name}, nil
	}
	// A function of several columns returns a composite value.
	fields := make([]types.Field, len(shape.Columns))
	refs := make([]exec.Expr, len(shape.Columns))
	for i, c := range shape.Columns {
		fields[i] = types.Field{Name: c.Name, T: c.Type}
		refs[i] = &exec.ColRef{Idx: first + i, T: c.Type, Name: c.Name}
	}
	return exec.NewRowCtor(refs, types.RecordOf(fields...)), nil
}

// relationRows reads a (small, in-memory) table function result.
func relationRows(ctx context.Context, rel *Relation) ([][]any, error) {
	if rel.Table == nil {
		return nil, sqlstate.New(sqlstate.InternalError, "table function %s has no table", rel.Name)
	}
	ts, err := rel.Table(ctx)
	if err != nil {
		return nil, err
	}
	cols := make([]int, len(rel.Columns))
	for i := range cols {
		cols[i] = i
	}
	tasks, err := ts.Tasks(ctx, exec.ScanRequest{Columns: cols})
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, t := range tasks {
		err := t.Run(ctx, func(rec arrow.Record) error {
			rows = append(rows, exec.Rows(rec, rel.Columns)...)
			rec.Release()
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// ProjectSet runs set-returning functions for each input row (see
// exec.ProjectSet). Its output is the input columns, then the functions'.
type ProjectSet struct {
	Child Node
	Funcs []exec.SetFunc
}

// Schema implements Node.
func (p *ProjectSet) Schema() exec.Schema {
	out := append(exec.Schema{}, p.Child.Schema()...)
	for _, f := range p.Funcs {
		out = append(out, f.Cols...)
	}
	return out
}

// Children implements Node.
func (p *ProjectSet) Children() []Node { return []Node{p.Child} }

// WithChildren implements Node.
func (p *ProjectSet) WithChildren(c []Node) Node { return &ProjectSet{Child: c[0], Funcs: p.Funcs} }

func (p *ProjectSet) String() string {
	parts := make([]string, len(p.Funcs))
	for i, f := range p.Funcs {
		as := make([]string, len(f.Args))
		for j, a := range f.Args {
			as[j] = a.String()
		}
		parts[i] = fmt.Sprintf("%s(%s)", f.Name, strings.Join(as, ", "))
	}
	return "ProjectSet " + strings.Join(parts, ", ")
}

// fieldSelect binds (x).name.
func (b *Binder) fieldSelect(x *ast.FuncCallExpr, sc *scope, aggOK bool) (exec.Expr, error) {
	if len(x.Args) != 2 {
		return nil, b.errAt(x, sqlstate.New(sqlstate.SyntaxError, "malformed __field"))
	}
	name, ok := stringArg(x.Args[1])
	if !ok {
		return nil, b.errAt(x, sqlstate.New(sqlstate.SyntaxError, "malformed __field"))
	}
	rec, err := b.expr(x.Args[0], sc, aggOK)
	if err != nil {
		return nil, err
	}
	t := rec.Type()
	if t.Family != types.FamRecord {
		return nil, b.errAt(x, sqlstate.New(sqlstate.WrongObjectType, "column notation .%s applied to type %s, which is not a composite type", name, t.Name))
	}
	if t.Fields == nil {
		return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedColumn, "could not identify column %q in record data type", name))
	}
	i := t.FieldIndex(name)
	if i < 0 {
		return nil, b.errAt(x, sqlstate.New(sqlstate.UndefinedColumn, "could not identify column %q in record data type", name))
	}
	if row, ok := exec.IsRowCtor(rec); ok {
		return row.Args[i], nil
	}
	return exec.NewFieldSelect(rec, i), nil
}
