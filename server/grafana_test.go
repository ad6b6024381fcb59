package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// grafanaPanel is the part of a dashboard panel the tests read.
type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		Expr   string `json:"expr"`
		RawSQL string `json:"rawSql"`
		Format string `json:"format"`
	} `json:"targets"`
}

type grafanaDash struct {
	Title         string         `json:"title"`
	UID           string         `json:"uid"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func loadDashboard(t *testing.T) grafanaDash {
	t.Helper()
	var d grafanaDash
	if err := json.Unmarshal(GrafanaDashboard(), &d); err != nil {
		t.Fatalf("the dashboard is not valid JSON: %v", err)
	}
	return d
}

func TestGrafanaDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 || d.UID == "" || d.Title == "" {
		t.Errorf("schemaVersion %d, uid %q, title %q", d.SchemaVersion, d.UID, d.Title)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		if v.Type == "datasource" {
			q, _ := v.Query.(string)
			vars[v.Name] = q
		}
	}
	if vars["prometheus"] != "prometheus" || vars["lambdasql"] != "grafana-postgresql-datasource" {
		t.Fatalf("data source variables %v, want prometheus and a PostgreSQL one", vars)
	}

	byTitle := map[string]grafanaPanel{}
	ids := map[int]bool{}
	type cell struct{ x, y int }
	used := map[cell]string{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		byTitle[p.Title] = p
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q has gridPos %+v", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := used[cell{x, y}]; ok {
					t.Fatalf("panels %q and %q overlap", other, p.Title)
				}
				used[cell{x, y}] = p.Title
			}
		}
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			switch p.Datasource.UID {
			case "${prometheus}":
				if tg.Expr == "" {
					t.Errorf("Prometheus panel %q has an empty expression", p.Title)
				}
			case "${lambdasql}":
				if tg.RawSQL == "" || tg.Format != "time_series" {
					t.Errorf("SQL panel %q: rawSql %q format %q", p.Title, tg.RawSQL, tg.Format)
				}
			default:
				if p.Type != "row" {
					t.Errorf("panel %q uses data source %q, not a dashboard variable", p.Title, p.Datasource.UID)
				}
			}
		}
	}
	for title, metric := range map[string]string{
		"Data freshness (now − B)":     "lambdasql_view_freshness_seconds",
		"Events per second":            "lambdasql_source_events_total",
		"Backlog":                      "lambdasql_source_backlog_events",
		"Late and rejected events":     "lambdasql_view_late_events_total",
		"Batch run duration":           "lambdasql_batch_run_duration_seconds_bucket",
		"Query latency p95 by layer":   "lambdasql_query_duration_seconds_bucket",
		"End-to-end latency p50 / p99": "lambdasql_view_end_to_end_latency_seconds_bucket",
		"Batch runs by status":         "lambdasql_batch_runs_total",
		"Out-of-order share":           "lambdasql_view_out_of_order_ratio",
		"Batch and stream watermarks":  "lambdasql_view_batch_watermark_seconds",
		"Connections and traffic":      "lambdasql_connections_active",
		"Records per batch run":        "lambdasql_batch_last_run_rows_in",
		"Worst data freshness":         "lambdasql_view_freshness_seconds",
		"Batch success rate (1h)":      "lambdasql_batch_runs_total",
		"Speed state":                  "lambdasql_view_speed_windows",
		"Processing lag":               "lambdasql_view_processing_lag_seconds",
		"Queries per second":           "lambdasql_queries_total",
		"Master dataset":               "lambdasql_source_master_rows",
		"Components up":                "lambdasql_view_up",
		"Events / s":                   "lambdasql_source_events_per_second",
		"Connections":                  "lambdasql_connections_active",
		"Average temperature":          "",
		"Events per window by layer":   "",
	} {
		p, ok := byTitle[title]
		if !ok {
			t.Errorf("no panel %q", title)
			continue
		}
		if metric == "" {
			continue
		}
		found := false
		for _, tg := range p.Targets {
			found = found || strings.Contains(tg.Expr, metric)
		}
		if !found {
			t.Errorf("panel %q does not query %s", title, metric)
		}
	}
	if p := byTitle["Late and rejected events"]; len(p.Targets) != 2 || !strings.Contains(p.Targets[1].Expr, "lambdasql_source_rejected_events_total") {
		t.Errorf("late and rejected panel targets: %+v", p.Targets)
	}
	if p := byTitle["End-to-end latency p50 / p99"]; len(p.Targets) != 2 ||
		!strings.Contains(p.Targets[0].Expr, "histogram_quantile(0.5,") || !strings.Contains(p.Targets[1].Expr, "histogram_quantile(0.99,") {
		t.Errorf("end-to-end latency panel targets: %+v", p.Targets)
	}
	temp := byTitle["Average temperature"]
	if temp.Datasource.Type != "grafana-postgresql-datasource" || len(temp.Targets) != 1 {
		t.Fatalf("temperature panel: %+v", temp)
	}
	for _, want := range []string{`window_start AS "time"`, "avg(avg_temperature)", "FROM device_metrics", "$__timeFilter(window_start)", "GROUP BY 1", "ORDER BY 1"} {
		if !strings.Contains(temp.Targets[0].RawSQL, want) {
			t.Errorf("temperature SQL lacks %q:\n%s", want, temp.Targets[0].RawSQL)
		}
	}
}

// TestGrafanaDashboardMetricsExist checks every metric the dashboard
// queries against what a server with a source and a lambda view exports,
// and that the dashboard is served as embedded.
func TestGrafanaDashboardMetricsExist(t *testing.T) {
	_, conn, base := httpServer(t)
	httpFixture(t, conn)
	queryInt(t, conn, `SELECT count(*) FROM device_minutes`)

	code, hdr, body := httpDo(t, "GET", base+"/grafana/dashboard.json", "", nil)
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" || body != string(GrafanaDashboard()) {
		t.Fatalf("GET /grafana/dashboard.json = %d %q (%d bytes)", code, hdr.Get("Content-Type"), len(body))
	}

	families := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for {
		for series := range scrape(t, base) {
			name, _, _ := strings.Cut(series, "{")
			families[name] = true
		}
		if families["lambdasql_view_end_to_end_latency_seconds_bucket"] || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	metricRE := regexp.MustCompile(`\b(lambdasql_[a-z_]+|process_[a-z_]+|go_[a-z_]+)\b`)
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			for _, name := range metricRE.FindAllString(tg.Expr, -1) {
				if !families[name] {
					t.Errorf("panel %q queries %s, which /metrics does not export", p.Title, name)
				}
			}
		}
	}
}
