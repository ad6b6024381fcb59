package sql

import (
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/sql/types"
)

// Stmt is one parsed statement.
type Stmt interface {
	// Text returns the statement as the user wrote it, from its first token
	// to its last (comments inside kept, the terminating ';' dropped).
	Text() string
	// Pos returns the byte offset of the statement's first token in the
	// query string given to Parse.
	Pos() int
	stmt()
}

type stmtBase struct {
	text string
	pos  int
}

func (s *stmtBase) Text() string { return s.text }
func (s *stmtBase) Pos() int     { return s.pos }
func (s *stmtBase) stmt()        {}

// Parsed is a statement that TiDB parsed after rewriting, with what is needed
// to report positions in the user's text.
type Parsed struct {
	// Node is *ast.SelectStmt or *ast.SetOprStmt (a Query) or *ast.InsertStmt.
	Node ast.StmtNode
	// Rewritten is the text TiDB parsed; see rewrite.go for its conventions.
	Rewritten string

	query string // the whole query string given to Parse
	pm    posMap
	extra map[ast.Node]int // original byte offsets of nodes substituted after parsing
}

// Position returns the 1-based character position in the query string given
// to Parse of the start of n, or 0 when TiDB records none for n. It works for
// every ast.ExprNode (through OriginTextPosition) and *ast.SelectField.
func (p *Parsed) Position(n ast.Node) int {
	if off, ok := p.extra[n]; ok {
		return charPos(p.query, off)
	}
	switch x := n.(type) {
	case ast.ExprNode:
		return p.PositionAt(x.OriginTextPosition())
	case *ast.SelectField:
		return p.PositionAt(x.Offset)
	}
	return 0
}

// PositionAt maps a byte offset in Rewritten to the 1-based character
// position in the query string given to Parse.
func (p *Parsed) PositionAt(rewrittenOffset int) int {
	return charPos(p.query, p.pm.orig(rewrittenOffset))
}

// Query is a SELECT, VALUES, TABLE or set operation, possibly with WITH.
// Node is *ast.SelectStmt or *ast.SetOprStmt.
type Query struct {
	stmtBase
	Parsed
}

// Insert is INSERT INTO t [(cols)] VALUES … | query. Node is *ast.InsertStmt.
type Insert struct {
	stmtBase
	Parsed
}

// ObjectKind names the kind of a catalog object in DDL.
type ObjectKind string

// Object kinds.
const (
	KindSource ObjectKind = "SOURCE"
	KindView   ObjectKind = "VIEW"
	KindTable  ObjectKind = "TABLE"
)

// ObjectName is a possibly schema-qualified name, folded like identifiers.
type ObjectName struct {
	Schema string // "" when unqualified
	Name   string
	Pos    int // 1-based character position of the name in the query
}

func (n ObjectName) String() string {
	if n.Schema != "" {
		return n.Schema + "." + n.Name
	}
	return n.Name
}

// ColumnDef is one column of CREATE SOURCE.
type ColumnDef struct {
	Name     string
	TypeName string   // as written, normalized ("double precision", "varchar(20)")
	Type     *types.T // resolved with types.ByName
	NotNull  bool
	Pos      int // position of the column name
}

// Watermark is WATERMARK FOR col AS col - INTERVAL '…' in CREATE SOURCE.
type Watermark struct {
	Column   string
	Lateness time.Duration // 0 for WATERMARK FOR col AS col
	Pos      int
}

// CreateSource is CREATE SOURCE [IF NOT EXISTS] name (columns) [WITH (…)].
type CreateSource struct {
	stmtBase
	Name        ObjectName
	IfNotExists bool
	Columns     []ColumnDef
	Watermark   *Watermark // nil when absent
	Options     Options
}

// CreateView is CREATE [OR REPLACE] VIEW name [(cols)] [WITH (…)] AS query.
type CreateView struct {
	stmtBase
	Name      ObjectName
	OrReplace bool
	Columns   []string
	Options   Options
	Query     *Query
	QueryText string // the query exactly as written (SHOW CREATE VIEW returns it)
}

// AlterOptions is ALTER VIEW|SOURCE [IF EXISTS] name SET (k = v, …) or RESET (k, …).
type AlterOptions struct {
	stmtBase
	Kind     ObjectKind
	Name     ObjectName
	IfExists bool
	Set      Options  // SET (…); nil for RESET
	Reset    []string // RESET (…); nil for SET
}

// Drop is DROP SOURCE|VIEW|TABLE [IF EXISTS] name [, …] [CASCADE|RESTRICT].
type Drop struct {
	stmtBase
	Kind     ObjectKind
	IfExists bool
	Names    []ObjectName
	Cascade  bool
}

// ShowObjects is SHOW SOURCES (Kind KindSource) or SHOW VIEWS (KindView).
type ShowObjects struct {
	stmtBase
	Kind ObjectKind
}

// ShowCreate is SHOW CREATE VIEW|SOURCE name.
type ShowCreate struct {
	stmtBase
	Kind ObjectKind
	Name ObjectName
}

// ShowVar is SHOW name. Name is the folded, possibly dotted setting name
// ("lambda.read"); SHOW ALL gives "all", SHOW TIME ZONE "timezone", SHOW
// TRANSACTION ISOLATION LEVEL "transaction_isolation", SHOW SESSION
// AUTHORIZATION "session_authorization".
type ShowVar struct {
	stmtBase
	Name string
}

// Refresh is REFRESH VIEW name [FULL].
type Refresh struct {
	stmtBase
	Name ObjectName
	Full bool
}

// SetVar is SET [SESSION|LOCAL] name {TO|=} value[, …] | DEFAULT, and the
// special forms mapped onto settings: SET TIME ZONE x (Name "timezone",
// LOCAL and DEFAULT mean Default), SET NAMES 'x' ("client_encoding"), SET
// SCHEMA 'x' ("search_path"), SET ROLE x ("role"), SET SESSION
// AUTHORIZATION x ("session_authorization").
type SetVar struct {
	stmtBase
	Local   bool
	Name    string
	Values  []string // quoted strings unquoted; identifiers folded; numbers as written
	Default bool     // SET x TO DEFAULT
}

// ResetVar is RESET name or RESET ALL (Name "all").
type ResetVar struct {
	stmtBase
	Name string
}

// TxnModes are the transaction modes of BEGIN / START TRANSACTION / SET
// TRANSACTION. Zero values mean "not given".
type TxnModes struct {
	Isolation  string // "serializable", "repeatable read", "read committed", "read uncommitted"
	ReadOnly   *bool
	Deferrable *bool
}

// SetTransaction is SET TRANSACTION modes (Session false) or SET SESSION
// CHARACTERISTICS AS TRANSACTION modes (Session true).
type SetTransaction struct {
	stmtBase
	Session bool
	Modes   TxnModes
}

// TxnKind is the kind of a transaction control statement.
type TxnKind uint8

// Transaction control statements.
const (
	TxnBegin      TxnKind = iota + 1 // BEGIN, START TRANSACTION
	TxnCommit                        // COMMIT, END
	TxnRollback                      // ROLLBACK, ABORT
	TxnSavepoint                     // SAVEPOINT x
	TxnRelease                       // RELEASE [SAVEPOINT] x
	TxnRollbackTo                    // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] x
)

// Transaction is a transaction control statement.
type Transaction struct {
	stmtBase
	Kind      TxnKind
	Modes     TxnModes // BEGIN only
	Savepoint string   // SAVEPOINT, RELEASE, ROLLBACK TO
	Chain     bool     // COMMIT/ROLLBACK AND CHAIN
}

// CopyFormat is the data format of COPY.
type CopyFormat string

// COPY formats.
const (
	CopyText   CopyFormat = "text"
	CopyCSV    CopyFormat = "csv"
	CopyBinary CopyFormat = "binary"
)

// Copy is COPY table [(cols)] FROM STDIN|'file' or COPY table|(query) TO
// STDOUT|'file', with options in either syntax. Delimiter, Null, Quote and
// Escape hold PostgreSQL's defaults for the format when not given.
type Copy struct {
	stmtBase
	Table   *ObjectName // nil for COPY (query) TO
	Columns []string
	Query   *Query // COPY (query) TO only
	From    bool   // true for COPY … FROM
	Stdio   bool   // STDIN or STDOUT
	File    string // the file name when not Stdio

	Format        CopyFormat
	Header        bool
	HeaderMatch   bool // HEADER MATCH (COPY FROM only)
	Delimiter     string
	Null          string
	Quote         string
	Escape        string
	ForceQuote    []string
	ForceQuoteAll bool // FORCE_QUOTE *
	ForceNotNull  []string
	ForceNull     []string
	Encoding      string
	Freeze        bool
	Default       *string // DEFAULT 'x' (COPY FROM), nil when absent
}

// Explain is EXPLAIN [ANALYZE] [VERBOSE] stmt or EXPLAIN (option, …) stmt.
type Explain struct {
	stmtBase
	Analyze bool
	Verbose bool
	Format  string            // "text" unless FORMAT was given
	Options map[string]string // every option as given, lower-case name → value ("true" for a bare option)
	Stmt    Stmt              // *Query, *Insert, *CreateView, *Execute or *DeclareCursor
}

// DeclareCursor is DECLARE name [BINARY] [[NO] SCROLL] CURSOR [WITH|WITHOUT HOLD] FOR query.
type DeclareCursor struct {
	stmtBase
	Name   string
	Binary bool
	Scroll bool // SCROLL given (NO SCROLL and the default are false)
	Hold   bool
	Query  *Query
}

// FetchDirection is the direction of FETCH and MOVE.
type FetchDirection uint8

// Fetch directions. NEXT is Forward 1, PRIOR Backward 1, FIRST Absolute 1,
// LAST Absolute -1, ALL Forward with All.
const (
	FetchForward FetchDirection = iota
	FetchBackward
	FetchAbsolute
	FetchRelative
)

// Fetch is FETCH or MOVE (Move true).
type Fetch struct {
	stmtBase
	Move      bool
	Direction FetchDirection
	Count     int64 // rows (never negative for Forward/Backward), or the position for Absolute/Relative; 0 with All
	All       bool  // ALL, FORWARD ALL, BACKWARD ALL
	Cursor    string
}

// CloseCursor is CLOSE name or CLOSE ALL.
type CloseCursor struct {
	stmtBase
	Name string
	All  bool
}

// Prepare is PREPARE name [(types)] AS stmt.
type Prepare struct {
	stmtBase
	Name       string
	ParamTypes []*types.T
	Stmt       Stmt // *Query or *Insert
}

// Execute is EXECUTE name [(args)]. Args are the argument expressions
// parsed as the select list of a query (Args.Node is *ast.SelectStmt); nil
// without arguments.
type Execute struct {
	stmtBase
	Name string
	Args *Query
}

// Deallocate is DEALLOCATE [PREPARE] name | ALL.
type Deallocate struct {
	stmtBase
	Name string
	All  bool
}

// Discard is DISCARD ALL|PLANS|SEQUENCES|TEMP; What is lower case ("temp"
// for TEMPORARY too).
type Discard struct {
	stmtBase
	What string
}

// IgnoredUtility is a statement the server acknowledges without effect:
// LISTEN, UNLISTEN, NOTIFY, CHECKPOINT, VACUUM, ANALYZE. Name is the
// statement's keyword in upper case (ANALYSE gives "ANALYZE").
type IgnoredUtility struct {
	stmtBase
	Name string
}

var (
	_ Stmt = (*Query)(nil)
	_ Stmt = (*Insert)(nil)
	_ Stmt = (*CreateSource)(nil)
	_ Stmt = (*CreateView)(nil)
	_ Stmt = (*AlterOptions)(nil)
	_ Stmt = (*Drop)(nil)
	_ Stmt = (*ShowObjects)(nil)
	_ Stmt = (*ShowCreate)(nil)
	_ Stmt = (*ShowVar)(nil)
	_ Stmt = (*Refresh)(nil)
	_ Stmt = (*SetVar)(nil)
	_ Stmt = (*ResetVar)(nil)
	_ Stmt = (*SetTransaction)(nil)
	_ Stmt = (*Transaction)(nil)
	_ Stmt = (*Copy)(nil)
	_ Stmt = (*Explain)(nil)
	_ Stmt = (*DeclareCursor)(nil)
	_ Stmt = (*Fetch)(nil)
	_ Stmt = (*CloseCursor)(nil)
	_ Stmt = (*Prepare)(nil)
	_ Stmt = (*Execute)(nil)
	_ Stmt = (*Deallocate)(nil)
	_ Stmt = (*Discard)(nil)
	_ Stmt = (*IgnoredUtility)(nil)
)
