package server

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"lambdasql/planner"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// ServerVersion is the PostgreSQL version lambdasql reports to clients.
const ServerVersion = "15.8"

// ServerVersionNum is server_version_num.
const ServerVersionNum = "150008"

// Version is lambdasql's own version.
var Version = "0.1.0"

// setting describes one session setting.
type setting struct {
	name       string
	def        string
	reportable bool // sent as ParameterStatus
	readOnly   bool
	category   string
	desc       string
	check      func(v string) (string, error) // normalizes or rejects a value
}

var settingList = []setting{
	{name: "server_version", def: ServerVersion, reportable: true, readOnly: true, category: "Preset Options", desc: "Shows the server version."},
	{name: "server_version_num", def: ServerVersionNum, readOnly: true, category: "Preset Options", desc: "Shows the server version as an integer."},
	{name: "server_encoding", def: "UTF8", reportable: true, readOnly: true, category: "Preset Options", desc: "Shows the server (database) character set encoding."},
	{name: "client_encoding", def: "UTF8", reportable: true, category: "Client Connection Defaults", desc: "Sets the client's character set encoding.", check: checkEncoding},
	{name: "DateStyle", def: "ISO, MDY", reportable: true, category: "Client Connection Defaults", desc: "Sets the display format for date and time values.", check: checkDateStyle},
	{name: "TimeZone", def: "UTC", reportable: true, category: "Client Connection Defaults", desc: "Sets the time zone for displaying and interpreting time stamps.", check: checkTimeZone},
	{name: "integer_datetimes", def: "on", reportable: true, readOnly: true, category: "Preset Options", desc: "Shows whether datetimes are integer based."},
	{name: "standard_conforming_strings", def: "on", reportable: true, category: "Version and Platform Compatibility", desc: "Causes '...' strings to treat backslashes literally.", check: checkOnOnly},
	{name: "IntervalStyle", def: "postgres", reportable: true, category: "Client Connection Defaults", desc: "Sets the display format for interval values.", check: checkIntervalStyle},
	{name: "application_name", def: "", reportable: true, category: "Reporting and Logging", desc: "Sets the application name to be reported in statistics and logs."},
	{name: "is_superuser", def: "on", reportable: true, readOnly: true, category: "Preset Options", desc: "Shows whether the current user is a superuser."},
	{name: "session_authorization", def: "lambdasql", reportable: true, category: "Preset Options", desc: "Sets the session user name."},
	{name: "search_path", def: "\"$user\", public", category: "Client Connection Defaults", desc: "Sets the schema search order for names that are not schema-qualified."},
	{name: "extra_float_digits", def: "1", category: "Client Connection Defaults", desc: "Sets the number of digits displayed for floating-point values.", check: checkInt(-15, 3)},
	{name: "statement_timeout", def: "0", category: "Client Connection Defaults", desc: "Sets the maximum allowed duration of any statement.", check: checkDurationMs},
	{name: "idle_in_transaction_session_timeout", def: "0", category: "Client Connection Defaults", desc: "Sets the maximum allowed idle time between queries, when in a transaction.", check: checkDurationMs},
	{name: "lock_timeout", def: "0", category: "Client Connection Defaults", desc: "Sets the maximum allowed duration of any wait for a lock.", check: checkDurationMs},
	{name: "transaction_isolation", def: "read committed", category: "Client Connection Defaults", desc: "Sets the current transaction's isolation level."},
	{name: "default_transaction_isolation", def: "read committed", category: "Client Connection Defaults", desc: "Sets the transaction isolation level of each new transaction."},
	{name: "transaction_read_only", def: "off", category: "Client Connection Defaults", desc: "Sets the current transaction's read-only status."},
	{name: "default_transaction_read_only", def: "off", category: "Client Connection Defaults", desc: "Sets the default read-only status of new transactions."},
	{name: "max_identifier_length", def: "63", readOnly: true, category: "Preset Options", desc: "Shows the maximum identifier length."},
	{name: "max_index_keys", def: "32", readOnly: true, category: "Preset Options", desc: "Shows the maximum number of index keys."},
	{name: "block_size", def: "8192", readOnly: true, category: "Preset Options", desc: "Shows the size of a disk block."},
	{name: "lc_collate", def: "C", readOnly: true, category: "Preset Options", desc: "Shows the collation order locale."},
	{name: "lc_ctype", def: "C", readOnly: true, category: "Preset Options", desc: "Shows the character classification and case conversion locale."},
	{name: "lc_messages", def: "C", category: "Client Connection Defaults", desc: "Sets the language in which messages are displayed."},
	{name: "lc_monetary", def: "C", category: "Client Connection Defaults", desc: "Sets the locale for formatting monetary amounts."},
	{name: "lc_numeric", def: "C", category: "Client Connection Defaults", desc: "Sets the locale for formatting numbers."},
	{name: "lc_time", def: "C", category: "Client Connection Defaults", desc: "Sets the locale for formatting date and time values."},
	{name: "bytea_output", def: "hex", category: "Client Connection Defaults", desc: "Sets the output format for bytea."},
	{name: "client_min_messages", def: "notice", category: "Client Connection Defaults", desc: "Sets the message levels that are sent to the client."},
	{name: "default_text_search_config", def: "pg_catalog.english", category: "Client Connection Defaults", desc: "Sets default text search configuration."},
	{name: "geqo", def: "on", category: "Query Tuning", desc: "Enables genetic query optimization."},
	{name: "jit", def: "off", category: "Query Tuning", desc: "Allow JIT compilation."},
	{name: "max_connections", def: "100", readOnly: true, category: "Connections and Authentication", desc: "Sets the maximum number of concurrent connections."},
	{name: "port", def: "5433", readOnly: true, category: "Connections and Authentication", desc: "Sets the TCP port the server listens on."},
	{name: "ssl", def: "off", readOnly: true, category: "Connections and Authentication", desc: "Enables SSL connections."},
	{name: "timezone_abbreviations", def: "Default", category: "Client Connection Defaults", desc: "Selects a file of time zone abbreviations."},
	{name: "row_security", def: "on", category: "Client Connection Defaults", desc: "Enable row security."},
	{name: "synchronous_commit", def: "on", category: "Write-Ahead Log", desc: "Sets the current transaction's synchronization level."},
	{name: "work_mem", def: "4MB", category: "Resource Usage", desc: "Sets the maximum memory to be used for query workspaces."},
	{name: "lambda.read", def: "merged", category: "lambdasql", desc: "Which layers a query over a lambda view reads: merged, batch or speed.", check: checkReadMode},
	{name: "lambda.query_memory", def: "0", readOnly: true, category: "lambdasql", desc: "Per-query memory limit (set with --query-memory)."},
}

var settingsByName = func() map[string]*setting {
	m := map[string]*setting{}
	for i := range settingList {
		m[strings.ToLower(settingList[i].name)] = &settingList[i]
	}
	return m
}()

// aliases of setting names accepted by SET/SHOW.
var settingAliases = map[string]string{
	"timezone":                    "timezone",
	"time zone":                   "timezone",
	"transaction isolation level": "transaction_isolation",
	"names":                       "client_encoding",
	"schema":                      "search_path",
}

func lookupSetting(name string) (*setting, bool) {
	n := strings.ToLower(name)
	if a, ok := settingAliases[n]; ok {
		n = a
	}
	s, ok := settingsByName[n]
	return s, ok
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(v, "-", ""), "_", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	case "SQLASCII":
		return "SQL_ASCII", nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"client_encoding\": %q", v).
		WithDetail("lambdasql speaks UTF8 only.")
}

func checkDateStyle(v string) (string, error) {
	u := strings.ToUpper(v)
	if strings.Contains(u, "ISO") || u == "" {
		order := "MDY"
		switch {
		case strings.Contains(u, "DMY"):
			order = "DMY"
		case strings.Contains(u, "YMD"):
			order = "YMD"
		}
		return "ISO, " + order, nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"DateStyle\": %q", v).
		WithDetail("lambdasql supports the ISO output style only.")
}

func checkTimeZone(v string) (string, error) {
	if strings.EqualFold(v, "local") || strings.EqualFold(v, "default") {
		return "UTC", nil
	}
	if _, err := types.LoadLocation(v); err != nil {
		return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
	}
	return v, nil
}

func checkIntervalStyle(v string) (string, error) {
	if strings.EqualFold(v, "postgres") {
		return "postgres", nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"IntervalStyle\": %q", v).
		WithDetail("lambdasql supports the postgres interval style only.")
}

func checkOnOnly(v string) (string, error) {
	if b, err := types.ParseBool(v); err == nil && b {
		return "on", nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "lambdasql always uses standard conforming strings")
}

func checkInt(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value %q: must be an integer between %d and %d", v, lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

// checkDurationMs accepts PostgreSQL time settings: a number of
// milliseconds or a number with a unit ('5s', '1min', '100ms').
func checkDurationMs(v string) (string, error) {
	d, err := parseSettingDuration(v)
	if err != nil {
		return "", err
	}
	if d == 0 {
		return "0", nil
	}
	return strconv.FormatInt(d.Milliseconds(), 10), nil
}

func parseSettingDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(strings.ToLower(v))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Millisecond, nil
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for a time setting: %q", v)
	}
	mult := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	m, ok := mult[unit]
	if !ok {
		return 0, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for a time setting: %q", v).
			WithHint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".")
	}
	return time.Duration(f * float64(m)), nil
}

func checkReadMode(v string) (string, error) {
	m, err := planner.ParseReadMode(v)
	if err != nil {
		return "", err
	}
	return [...]string{"merged", "batch", "speed"}[m], nil
}

// settingNames returns all setting names sorted (SHOW ALL).
func settingNames() []string {
	out := make([]string, 0, len(settingList))
	for _, s := range settingList {
		out = append(out, s.name)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}
