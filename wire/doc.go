// Package wire speaks PostgreSQL protocol v3 on
// github.com/jackc/pgproto3/v2: startup, TLS, authentication (trust,
// cleartext, SCRAM-SHA-256), simple and extended query, COPY, cancel,
// errors with SQLSTATE, and text and binary encodings of Arrow records.
//
// wire knows nothing of statements: a Handler (the server package) prepares
// and runs them. wire alone turns errors into ErrorResponse messages. It
// imports sql/types, sql/sqlstate and exec; never batch, stream, server or
// cmd (deps_test.go fences this).
//
// # Goroutines
//
// Each connection has one goroutine. It calls Handler.NewSession and then
// every Session, Statement and Result method of that session, one call at
// a time. Nothing else calls them. A CancelRequest (arriving on another
// connection), the statement timeout and Server.Shutdown act only by
// cancelling the context of the running call; context.Cause tells which.
// The notice callback given to Statement.Execute may be called from any
// goroutine, but only while a Handler call of that connection is running
// (Execute, Result.Next, CopyInResult.Write, …); notices sent at other
// times are dropped. Each notice is written and flushed at once.
//
// # Statements, portals and results
//
// A simple Query is prepared with Session.Prepare(query, nil); its
// statements run in order, each with its own context, RowDescription (when
// Columns is non-nil), DataRows in text format and CommandComplete, and
// are closed after the query. The first error ends the query; one
// ReadyForQuery follows. No statements: EmptyQueryResponse. A simple Query
// also drops the unnamed prepared statement and portal, as PostgreSQL does.
//
// Parse prepares exactly one statement (42601 for more; none gives a
// statement whose Execute answers EmptyQueryResponse). ParamTypes and
// Columns are read once, at Parse. A prepared statement lives until Close,
// until an unnamed Parse replaces the unnamed one, or until the connection
// ends; Statement.Close is deferred while portals still use it.
//
// Bind decodes parameters into datums (see sql/types): text through
// types.ParseText in Session.Location(), binary through wire's decoders;
// a nil or unknown parameter type takes the value as a string. Execute of a
// portal calls Statement.Execute once, with a context that lives until the
// portal completes or is closed; a row limit sends PortalSuspended and a
// later Execute continues with Result.Next on the same Result, which is
// closed as soon as it completes (a further Execute repeats the tag). A
// portal ends at Close, when its Execute fails, at every ReadyForQuery
// where TxStatus is 'I' (PostgreSQL drops portals at transaction end), and
// with the connection. After an error in an extended-protocol message,
// messages are discarded until Sync.
//
// A Session that implements CursorPortals makes its SQL-level cursors
// (DECLARE) portals too, as PostgreSQL does: Describe, Execute and Close
// of a portal name no Bind created go to the cursor of that name (rows in
// text format; Execute answers "SELECT n" once the cursor ran off its end,
// else PortalSuspended), and Bind to a cursor's name fails with 42P03.
//
// wire closes every Result it gets (also after errors and before the end)
// and releases every record Next returns; Result.Tag is read after Next
// returned io.EOF. An empty tag for a statement with columns becomes
// "SELECT n". For a portal fetched in several Executes the final tag is
// the Result's own.
//
// # Records
//
// A record must have one column per Statement.Columns entry, each holding
// the Arrow type (*types.T).Arrow() gives. Dictionary-encoded columns and
// timestamps or times of another unit are accepted too. Text and binary
// output follow PostgreSQL: timestamptz text in Session.Location(), numeric
// (decimal text in Arrow) in base-10000 binary, one-dimensional arrays
// (Arrow lists) in both formats. A type without a binary form (record)
// fails Bind with 42883 when the client asks for binary. Each record's
// DataRows are encoded column by column into one buffer and written at
// once.
//
// # COPY
//
// A Result that is a CopyInResult starts COPY FROM STDIN: CopyInResponse
// (format and column count from CopyIn), then each CopyData goes to Write,
// CopyDone to Finish (its tag is the CommandComplete), CopyFail to Abort
// and ErrorResponse 57014 "COPY from stdin failed: …". Flush and Sync are
// ignored meanwhile; any other message, a Write error or a lost connection
// calls Abort. A CopyOutResult sends CopyOutResponse, one CopyData per row
// in its CopyFormat (text, csv or binary: the PGCOPY header in the first
// row's CopyData, or alone without rows, and the trailer alone) and
// CopyDone, tagged "COPY n". The copied columns come from
// CopyOutDescriber when the result implements it, else from
// Statement.Columns, else from the records' Arrow types. CopyFormat fields
// are used as given, except that zero Delimiter, Quote and Escape take
// PostgreSQL's defaults.
//
// # Errors
//
// Every Handler error becomes an ErrorResponse: code, message, detail,
// hint and position from the innermost *sqlstate.Error; context
// cancellation becomes 57014 ("canceling statement due to user request" or
// "… due to statement timeout"); shutdown ends the connection with FATAL
// 57P01; an error without a code is a bug, sent as XX000 "internal error:
// …" and logged; a panic in a Handler call is recovered the same way and
// the connection lives on. Severity FATAL closes the connection. After
// each ErrorResponse of a session wire calls Session.Fail. The statement
// timeout is the smaller of Config.StatementTimeout and
// Session.StatementTimeout (zero: none), counted from the start of a
// simple-query statement or of a portal's first Execute.
//
// # Session state
//
// Session.ParameterStatus is sent whole at startup (after AuthenticationOk,
// before BackendKeyData) and, after each statement and before each
// ReadyForQuery, the entries whose value changed. TxStatus is asked before
// each ReadyForQuery.
//
// # Startup and limits
//
// SSLRequest is answered 'S' and upgraded to TLS when a key pair is
// configured, else 'N'; GSSENCRequest is answered 'N'. A protocol 3.x
// client newer than 3.0 (or sending _pq_ options) gets
// NegotiateProtocolVersion and continues with 3.0; other versions get FATAL
// 08P01. Trust authentication accepts loopback TCP, Unix-socket and
// in-process (net.Pipe) peers only. Every message is bounded by
// Config.MaxMessageBytes (FATAL 54000 past it, before its body is read);
// startup packets by 10000 bytes.
package wire
