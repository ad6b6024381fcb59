package wire

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/exec"
	"lambdasql/sql/types"
)

// Handler is the engine behind the protocol. wire owns connections,
// messages, formats, authentication, cancellation and limits; the Handler
// understands statements. The server package implements it.
type Handler interface {
	// NewSession starts the session of an authenticated connection. An
	// error (e.g. 3D000 for an unknown database) is sent to the client and
	// the connection closes.
	NewSession(ctx context.Context, start SessionStart) (Session, error)
}

// SessionStart is what the startup message and authentication established.
type SessionStart struct {
	User       string
	Database   string
	Params     map[string]string // all startup parameters (application_name, options, …)
	RemoteAddr string
	BackendPID int32
}

// Notice is a NoticeResponse to send to the client while a statement runs.
type Notice struct {
	Severity string // NOTICE, WARNING, INFO, DEBUG, LOG
	Code     string // SQLSTATE, e.g. 00000 or 01000
	Message  string
	Detail   string
	Hint     string
}

// Session is one connection's state on the engine side. wire calls a
// Session from the connection's goroutine only; Cancel is the exception
// and may come from any goroutine.
type Session interface {
	// Prepare parses query and prepares its statements. The simple query
	// protocol may hold several statements; a Parse message must hold at
	// most one (wire reports 42601 otherwise). A query with no statements
	// (empty, or only comments and semicolons) returns none, and wire
	// answers EmptyQueryResponse. paramOIDs are the types the client
	// specified for $1, $2, … (0 = infer).
	Prepare(ctx context.Context, query string, paramOIDs []uint32) ([]Statement, error)
	// TxStatus is the ReadyForQuery transaction status: 'I' idle, 'T' in a
	// transaction block, 'E' in a failed transaction block.
	TxStatus() byte
	// Fail tells the session that a statement failed (wire calls it after
	// sending an ErrorResponse); inside a transaction block the session
	// enters the failed state.
	Fail()
	// ParameterStatus returns the reportable parameters (server_version,
	// client_encoding, DateStyle, TimeZone, …) and their current values.
	// wire sends them all at startup and later sends those whose value
	// changed after each statement.
	ParameterStatus() map[string]string
	// Location is the session TimeZone, for timestamptz text output.
	Location() *time.Location
	// StatementTimeout is the session's statement_timeout (0 = none).
	StatementTimeout() time.Duration
	// Close ends the session (Terminate, disconnect, server shutdown).
	Close()
}

// Statement is one prepared statement.
type Statement interface {
	// ParamTypes are the resolved types of $1, $2, …
	ParamTypes() []*types.T
	// Columns describes the rows the statement returns; nil when it
	// returns none (wire sends NoData).
	Columns() exec.Schema
	// Execute runs the statement with bound parameter datums (see
	// sql/types for their Go representation; nil is NULL). notice sends a
	// NoticeResponse to the client right away. ctx is cancelled by
	// CancelRequest and the statement timeout.
	Execute(ctx context.Context, params []any, notice func(Notice)) (Result, error)
	// SQL returns the statement text (for pg_stat_activity and logs).
	SQL() string
	// Close releases the statement.
	Close()
}

// Result streams a statement's outcome.
type Result interface {
	// Next returns the next record of rows, or io.EOF after the last.
	// Statements without rows return io.EOF at once. The caller releases
	// each record.
	Next(ctx context.Context) (arrow.Record, error)
	// Tag is the CommandComplete tag ("SELECT 3", "INSERT 0 5", "SET");
	// valid after Next returned io.EOF.
	Tag() string
	// Close releases the result; it may be called before the end.
	Close()
}

// CopyFormat describes COPY data as the client sends or receives it.
type CopyFormat struct {
	Kind      string // "text", "csv" or "binary"
	Delimiter byte   // text: '\t', csv: ','
	Null      string // text: `\N`, csv: ""
	Quote     byte   // csv only, default '"'
	Escape    byte   // csv only, default Quote
	Header    bool   // csv only
	// ForceQuote lists CSV columns always quoted (FORCE_QUOTE); nil: none.
	ForceQuote []bool
}

// CopyInResult is a Result that asks the client for COPY FROM STDIN data.
// wire sends CopyInResponse, feeds every CopyData to Write and then calls
// Finish (CopyDone) or Abort (CopyFail, or a broken connection).
type CopyInResult interface {
	Result
	// CopyIn describes the expected format and the number of columns.
	CopyIn() (format CopyFormat, columns int)
	// Write takes the payload of one CopyData message; data is only valid
	// during the call. Rows may straddle messages.
	Write(ctx context.Context, data []byte) error
	// Finish ends the copy; the error, if any, is reported to the client
	// and nothing of the copy is applied. On success it returns the tag
	// ("COPY 42").
	Finish(ctx context.Context) (string, error)
	// Abort discards everything written.
	Abort(reason string)
}

// CopyOutResult is a Result whose rows wire sends as COPY TO STDOUT data
// (CopyOutResponse, CopyData per row, CopyDone) in the given format.
type CopyOutResult interface {
	Result
	CopyOut() CopyFormat
}

// CursorPortals may be implemented by a Session whose SQL-level cursors
// (DECLARE … CURSOR) are also protocol portals of the same name, as in
// PostgreSQL: Describe, Execute and Close of a portal that no Bind created
// reach the cursor of that name (psycopg 3 describes its server-side
// cursors so), and Bind cannot create a portal of a cursor's name.
type CursorPortals interface {
	// CursorPortal returns the open cursor named name, or nil.
	CursorPortal(name string) CursorPortal
}

// CursorPortal is an SQL-level cursor seen as a portal. Its rows travel in
// text format.
type CursorPortal interface {
	// Columns describes the cursor's rows.
	Columns() exec.Schema
	// Fetch reads up to max rows forward from the cursor's position (max
	// 0: all), as FETCH FORWARD does. atEnd reports whether the cursor
	// ran off its end: Execute then completes ("SELECT n"), otherwise it
	// is suspended (PortalSuspended), as PostgreSQL decides.
	Fetch(ctx context.Context, max int64) (res Result, atEnd bool, err error)
	// Close closes the cursor (Close of the portal).
	Close()
}
