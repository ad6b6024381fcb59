package server

import (
	_ "embed"
	"net/http"
)

// grafanaDashboard is a Grafana dashboard (schemaVersion 39) over the
// metrics at /metrics and over the demo's device_metrics view through the
// PostgreSQL port. It asks for two data sources on import: a Prometheus
// one scraping /metrics (variable ${prometheus}) and a PostgreSQL one
// pointing at lambdasql (variable ${lambdasql}).
//
//go:embed web/grafana-dashboard.json
var grafanaDashboard []byte

// GrafanaDashboard returns the dashboard JSON (a copy).
func GrafanaDashboard() []byte { return append([]byte(nil), grafanaDashboard...) }

func serveGrafanaDashboard(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `inline; filename="lambdasql-dashboard.json"`)
	w.Write(grafanaDashboard)
}
