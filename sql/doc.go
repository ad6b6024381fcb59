// Package sql is the PostgreSQL dialect front end: a lexer that
// understands PostgreSQL lexical rules and rewrites PostgreSQL-only forms
// into what github.com/pingcap/tidb/pkg/parser accepts (mapping error
// positions back to the user's text), the lambda DDL grammar (CREATE
// SOURCE, CREATE VIEW … WITH, REFRESH, …), and binding against the catalog.
//
// sql imports catalog and its own leaves sql/types and sql/sqlstate.
package sql
