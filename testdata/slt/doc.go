// Package slt runs the sqllogictest corpus in testdata/*.slt against a
// real lambdasql server started in process, over one pgx connection per
// file, and (with -pgref) against a real PostgreSQL to derive the expected
// results.
//
// The format is the one of sqllogictest as CockroachDB writes it, with
// lambdasql's extensions; testdata/README.md is the reference. In short:
//
//	statement ok | statement error [SQLSTATE [regexp]]
//	query <types> [nosort|rowsort|valuesort] [label]
//	<SQL, up to a blank line or ---->
//	----
//	<expected rows, one per line, values separated by whitespace>
//
// plus skipif/onlyif <engine|layer=NAME>, halt, wait caught-up <source>,
// wait view <view>, the headers "# layers: …" and "# postgres: yes", the
// "# BUG: …" comment that marks a known gap (a record kept at PostgreSQL's
// answer and skipped on lambdasql; Runner.CheckGaps runs them anyway),
// COPY … FROM STDIN with the data inline, and queries over COPY … TO
// STDOUT.
//
// Values are compared as text, the way the server prints them (every
// statement runs over the simple query protocol, so every value arrives in
// text format): NULL is written NULL, the empty string (empty), a newline
// inside a value \n. Rows compare field by field after splitting on
// whitespace, so a value containing blanks reads as several fields.
//
// The package imports lambdasql/server and lambdasql/exec only from its
// tests; the runner itself depends on pgx alone, so it can drive any
// PostgreSQL-speaking server.
package slt
