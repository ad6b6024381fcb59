package server

import (
	"context"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/wire"
)

func (s *Server) sourceCreated(ctx context.Context, name string) error { return nil }

func (s *Server) viewCreated(ctx context.Context, name string, replaced bool, notice func(wire.Notice)) error {
	return nil
}

func (s *Server) objectDropped(kind, name string) {}

func (s *Server) objectAltered(kind, name string) {}

func (s *Server) sourceTable(src *catalog.Source, cols exec.Schema) (exec.TableSource, error) {
	return &memTable{name: src.Name, schema: cols, rows: func(context.Context) ([][]any, error) { return nil, nil }}, nil
}

type emptyLambda struct {
	cols exec.Schema
	we   int
}

func (e *emptyLambda) Split(ctx context.Context) (planner.Split, error) {
	return planner.Split{Speed: &memTable{name: "speed", schema: e.cols, rows: func(context.Context) ([][]any, error) { return nil, nil }}, Release: func() {}}, nil
}
func (e *emptyLambda) WindowEndCol() int         { return e.we }
func (e *emptyLambda) Explain() (string, string) { return "", "" }

func (s *Server) lambdaView(v *catalog.View, cols exec.Schema) planner.LambdaView {
	return &emptyLambda{cols: cols, we: 1}
}

func (s *Session) prepareData(ctx context.Context, p *stmt, st sql.Stmt, paramOIDs []uint32) (wire.Statement, error) {
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "ingest is not available yet")
}
