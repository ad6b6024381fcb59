package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgproto3/v2"

	"lambdasql/sql/sqlstate"
)

// Causes of a statement context's cancellation (context.Cause).
var (
	errCancelRequest    = errors.New("canceling statement due to user request")
	errStatementTimeout = errors.New("canceling statement due to statement timeout")
	errShutdown         = errors.New("terminating connection due to administrator command")
	// errConnDone reports that the connection ended while a command ran
	// (the client went away or sent Terminate); nothing more is sent.
	errConnDone = errors.New("connection ended")
)

// Codes wire uses that sql/sqlstate does not name.
const (
	codeIdleInTransactionTimeout = "25P03"
	codeCannotConnectNow         = "57P03"
	codeDuplicateCursor          = "42P03"
	codeUndefinedFunction        = "42883"
)

// panicError is a panic recovered from a Handler call or an encoder.
type panicError struct {
	val   any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("BUG: panic: %v", p.val) }

// toSQLError turns err, returned by work done under ctx (nil when no
// statement context applies), into the fields of an ErrorResponse. fatal
// reports that the connection must close after sending it. Errors without
// a SQLSTATE are bugs: they leave as XX000 and are logged.
func (c *conn) toSQLError(ctx context.Context, err error) (e *sqlstate.Error, fatal bool) {
	var cause error
	if ctx != nil && ctx.Err() != nil {
		cause = context.Cause(ctx)
	}
	if errors.Is(cause, errShutdown) || errors.Is(err, errShutdown) {
		return &sqlstate.Error{Code: sqlstate.AdminShutdown, Severity: "FATAL",
			Message: "terminating connection due to administrator command"}, true
	}
	var pe *panicError
	if errors.As(err, &pe) {
		c.srv.log.Error("wire: panic in statement", "pid", c.pid, "panic", fmt.Sprint(pe.val), "stack", string(pe.stack))
		return sqlstate.New(sqlstate.InternalError, "internal error: %s", pe.Error()), false
	}
	se := sqlstate.As(err)
	ctxErr := errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	if ctxErr || (se != nil && se.Code == sqlstate.QueryCanceled && cause != nil) {
		msg := errCancelRequest.Error()
		if errors.Is(cause, errStatementTimeout) || (cause == nil && errors.Is(err, context.DeadlineExceeded)) {
			msg = errStatementTimeout.Error()
		}
		return sqlstate.New(sqlstate.QueryCanceled, "%s", msg), false
	}
	if se != nil && se.Code != "" {
		out := *se // a copy: the Handler may reuse its error values
		if out.Severity == "" {
			out.Severity = "ERROR"
		}
		fatal = out.Severity == "FATAL" || out.Severity == "PANIC"
		return &out, fatal
	}
	c.srv.log.Error("wire: internal error", "pid", c.pid, "err", err.Error(), "type", fmt.Sprintf("%T", err))
	return sqlstate.New(sqlstate.InternalError, "internal error: %s", err.Error()), false
}

// errorResponse builds the ErrorResponse of e.
func errorResponse(e *sqlstate.Error) *pgproto3.ErrorResponse {
	sev := e.Severity
	if sev == "" {
		sev = "ERROR"
	}
	return &pgproto3.ErrorResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                e.Code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
		Position:            int32(e.Position),
	}
}

// noticeResponse builds the NoticeResponse of n.
func noticeResponse(n Notice) *pgproto3.NoticeResponse {
	sev := strings.ToUpper(n.Severity)
	if sev == "" {
		sev = "NOTICE"
	}
	code := n.Code
	if code == "" {
		code = "00000"
	}
	return &pgproto3.NoticeResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                code,
		Message:             n.Message,
		Detail:              n.Detail,
		Hint:                n.Hint,
	}
}

// protocolError is an 08P01 error.
func protocolError(format string, args ...any) *sqlstate.Error {
	return sqlstate.New(sqlstate.ProtocolViolation, format, args...)
}

// fatalError returns e with severity FATAL.
func fatalError(code, format string, args ...any) *sqlstate.Error {
	e := sqlstate.New(code, format, args...)
	e.Severity = "FATAL"
	return e
}
