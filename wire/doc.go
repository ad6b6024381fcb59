// Package wire speaks PostgreSQL protocol v3 on
// github.com/jackc/pgproto3/v2: startup, TLS, authentication (trust,
// cleartext, SCRAM-SHA-256), simple and extended query, COPY, cancel,
// errors with SQLSTATE, and text and binary encodings of Arrow records.
//
// wire knows nothing of statements: a Handler (the server package) prepares
// and runs them. wire alone turns errors into ErrorResponse messages.
package wire
