package planner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// testCatalog holds two sources for plan tests; their tables are never
// read (plans are only bound and optimized).
type testCatalog struct{}

var telemetry = &planner.Relation{OID: 16384, Schema: "public", Name: "telemetry", Kind: planner.RelSource, Columns: exec.Schema{
	{Name: "device_id", Type: types.Text}, {Name: "event_timestamp", Type: types.TimestampTZ},
	{Name: "temperature", Type: types.Float8}, {Name: "energy_consumed", Type: types.Float8},
	{Name: "user_id", Type: types.Text}, {Name: "_layer", Type: types.Text, Hidden: true},
}}

var devices = &planner.Relation{OID: 16385, Schema: "public", Name: "devices", Kind: planner.RelSource, Columns: exec.Schema{
	{Name: "device_id", Type: types.Text}, {Name: "site", Type: types.Text}, {Name: "installed", Type: types.TimestampTZ},
}}

func (testCatalog) Relation(schema, name string) (*planner.Relation, bool, error) {
	switch name {
	case "telemetry":
		return telemetry, true, nil
	case "devices":
		return devices, true, nil
	}
	return nil, false, nil
}

func (testCatalog) TableFunction(ctx context.Context, name string, args []any, argTypes []*types.T) (*planner.Relation, error) {
	return nil, sqlstate.New(sqlstate.UndefinedFunction, "no table functions in plan tests")
}

// TestPlans checks optimized logical plans against golden files
// (testdata/plans, datadriven format): "plan" binds and optimizes a query
// and prints the rules that fired and the plan; "expect=Rule" asserts a
// rule fired.
func TestPlans(t *testing.T) {
	datadriven.Walk(t, "testdata/plans", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "plan":
				stmts, err := sql.Parse(d.Input)
				if err != nil {
					return "error: " + err.Error() + "\n"
				}
				q, ok := stmts[0].(*sql.Query)
				if !ok {
					return "error: not a query\n"
				}
				b := &planner.Binder{Cat: testCatalog{}, Ctx: context.Background(), Exec: exec.NewCtx(), Pos: q.PositionAt}
				node, err := b.BindQuery(q.Node)
				if err != nil {
					return fmt.Sprintf("error (%s): %v\n", sqlstate.CodeOf(err), err)
				}
				opt, fired := planner.Optimize(node)
				for _, arg := range d.CmdArgs {
					if arg.Key == "expect" {
						for _, want := range arg.Vals {
							found := false
							for _, f := range fired {
								found = found || f == want
							}
							if !found {
								t.Errorf("%s: rule %s did not fire (fired: %v)", d.Pos, want, fired)
							}
						}
					}
				}
				return "rules: " + strings.Join(fired, ", ") + "\n" + planner.Explain(opt)
			}
			return fmt.Sprintf("unknown command %q\n", d.Cmd)
		})
	})
}
