package server

import (
	"lambdasql/catalog"
)

// procName returns the name of a pg_proc OID.
func procName(oid uint32) (string, bool) { return "", false }

// procOID resolves a function name to its pg_proc OID.
func procOID(name string) (uint32, bool) { return 0, false }

// description returns the comment of an object (pg_description).
func description(snap *catalog.Snapshot, objOID uint32, subID int32) (string, bool) {
	return "", false
}
