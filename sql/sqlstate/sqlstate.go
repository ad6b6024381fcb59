// Package sqlstate attaches PostgreSQL SQLSTATE codes to Go errors.
//
// It is a leaf: every lambdasql package may import it, and it imports
// nothing of lambdasql. Codes come from the PostgreSQL errcodes table
// (https://www.postgresql.org/docs/current/errcodes-appendix.html) through
// github.com/jackc/pgerrcode. wire alone turns these errors into
// ErrorResponse messages.
package sqlstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgerrcode"
)

// Codes used across lambdasql, re-exported so callers need one import.
const (
	SyntaxError                       = pgerrcode.SyntaxError                            // 42601
	UndefinedTable                    = pgerrcode.UndefinedTable                         // 42P01
	UndefinedColumn                   = pgerrcode.UndefinedColumn                        // 42703
	UndefinedFunction                 = pgerrcode.UndefinedFunction                      // 42883
	UndefinedObject                   = pgerrcode.UndefinedObject                        // 42704
	UndefinedParameter                = pgerrcode.UndefinedParameter                     // 42P02
	AmbiguousColumn                   = pgerrcode.AmbiguousColumn                        // 42702
	AmbiguousFunction                 = pgerrcode.AmbiguousFunction                      // 42725
	DuplicateTable                    = pgerrcode.DuplicateTable                         // 42P07
	DuplicateObject                   = pgerrcode.DuplicateObject                        // 42710
	DuplicateColumn                   = pgerrcode.DuplicateColumn                        // 42701
	DuplicateAlias                    = pgerrcode.DuplicateAlias                         // 42712
	DatatypeMismatch                  = pgerrcode.DatatypeMismatch                       // 42804
	GroupingError                     = pgerrcode.GroupingError                          // 42803
	WrongObjectType                   = pgerrcode.WrongObjectType                        // 42809
	InvalidColumnReference            = pgerrcode.InvalidColumnReference                 // 42P10
	InvalidParameterValue             = pgerrcode.InvalidParameterValue                  // 22023
	InvalidTextRepresentation         = pgerrcode.InvalidTextRepresentation              // 22P02
	InvalidDatetimeFormat             = pgerrcode.InvalidDatetimeFormat                  // 22007
	DatetimeFieldOverflow             = pgerrcode.DatetimeFieldOverflow                  // 22008
	NumericValueOutOfRange            = pgerrcode.NumericValueOutOfRange                 // 22003
	DivisionByZero                    = pgerrcode.DivisionByZero                         // 22012
	StringDataRightTruncation         = pgerrcode.StringDataRightTruncationDataException // 22001
	InvalidBinaryRepresentation       = pgerrcode.InvalidBinaryRepresentation            // 22P03
	InvalidEscapeSequence             = pgerrcode.InvalidEscapeSequence                  // 22025
	CharacterNotInRepertoire          = pgerrcode.CharacterNotInRepertoire               // 22021
	DataException                     = pgerrcode.DataException                          // 22000
	CardinalityViolation              = pgerrcode.CardinalityViolation                   // 21000
	NotNullViolation                  = pgerrcode.NotNullViolation                       // 23502
	FeatureNotSupported               = pgerrcode.FeatureNotSupported                    // 0A000
	QueryCanceled                     = pgerrcode.QueryCanceled                          // 57014
	AdminShutdown                     = pgerrcode.AdminShutdown                          // 57P01
	OutOfMemory                       = pgerrcode.OutOfMemory                            // 53200
	TooManyConnections                = pgerrcode.TooManyConnections                     // 53300
	ProgramLimitExceeded              = pgerrcode.ProgramLimitExceeded                   // 54000
	ProtocolViolation                 = pgerrcode.ProtocolViolation                      // 08P01
	InvalidPassword                   = pgerrcode.InvalidPassword                        // 28P01
	InvalidAuthorizationSpecification = pgerrcode.InvalidAuthorizationSpecification      // 28000
	InvalidCatalogName                = pgerrcode.InvalidCatalogName                     // 3D000
	InvalidSchemaName                 = pgerrcode.InvalidSchemaName                      // 3F000
	InvalidCursorName                 = pgerrcode.InvalidCursorName                      // 34000
	InvalidSQLStatementName           = pgerrcode.InvalidSQLStatementName                // 26000
	DuplicatePreparedStatement        = pgerrcode.DuplicatePreparedStatement             // 42P05
	DuplicateCursor                   = pgerrcode.DuplicateCursor                        // 42P03
	InFailedSQLTransaction            = pgerrcode.InFailedSQLTransaction                 // 25P02
	ActiveSQLTransaction              = pgerrcode.ActiveSQLTransaction                   // 25001
	NoActiveSQLTransaction            = pgerrcode.NoActiveSQLTransaction                 // 25P01
	ReadOnlySQLTransaction            = pgerrcode.ReadOnlySQLTransaction                 // 25006
	InvalidTransactionState           = pgerrcode.InvalidTransactionState                // 25000
	ObjectNotInPrerequisiteState      = pgerrcode.ObjectNotInPrerequisiteState           // 55000
	ObjectInUse                       = pgerrcode.ObjectInUse                            // 55006
	ConfigFileError                   = pgerrcode.ConfigFileError                        // F0000
	IOError                           = pgerrcode.IOError                                // 58030
	BadCopyFileFormat                 = pgerrcode.BadCopyFileFormat                      // 22P04
	UndefinedFile                     = pgerrcode.UndefinedFile                          // 58P01
	DependentObjectsStillExist        = pgerrcode.DependentObjectsStillExist             // 2BP01
	ConnectionFailure                 = pgerrcode.ConnectionFailure                      // 08006
	SystemError                       = pgerrcode.SystemError                            // 58000
	InternalError                     = pgerrcode.InternalError                          // XX000
	IdleSessionTimeout                = "57P05"
	StatementTooComplex               = pgerrcode.StatementTooComplex // 54001
	WindowingError                    = pgerrcode.WindowingError      // 42P20
)

// Error is an error carrying a SQLSTATE and the optional fields of a
// PostgreSQL ErrorResponse.
type Error struct {
	Code     string
	Message  string
	Detail   string
	Hint     string
	Position int    // 1-based character position in the statement text, 0 if none
	Severity string // "ERROR" when empty
	cause    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the wrapped cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with code and a message formatted like fmt.Sprintf.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches code to err. The message is err's. Wrap(nil, …) is nil.
func Wrap(err error, code string) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Message: err.Error(), cause: err}
}

// WithHint returns e with its Hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// WithDetail returns e with its Detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// WithPosition returns e with its Position set (1-based, in characters).
func (e *Error) WithPosition(pos int) *Error {
	e.Position = pos
	return e
}

// CodeOf returns the innermost SQLSTATE attached to err: "" for nil,
// 57014 for context cancellation, XX000 when no code is attached.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		// The innermost coded error wins: keep unwrapping through causes.
		inner := e
		for {
			var next *Error
			if inner.cause != nil && errors.As(inner.cause, &next) {
				inner = next
				continue
			}
			break
		}
		return inner.Code
	}
	if errors.Is(err, context.Canceled) {
		return QueryCanceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return QueryCanceled
	}
	return InternalError
}

// As returns the innermost *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	for {
		var next *Error
		if e.cause != nil && errors.As(e.cause, &next) {
			e = next
			continue
		}
		return e
	}
}
