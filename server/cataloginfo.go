package server

import (
	"strings"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

// catalogInfo answers catalog-aware functions (regclass casts,
// format_type, pg_get_viewdef, …) from one catalog snapshot.
type catalogInfo struct {
	srv  *Server
	snap *catalog.Snapshot
}

func (s *Server) catalogInfo() exec.CatalogInfo {
	return &catalogInfo{srv: s, snap: s.cat.Snapshot()}
}

func splitQualified(name string) (string, string) {
	name = strings.TrimSpace(name)
	parts := strings.Split(name, ".")
	unq := func(p string) string {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "\"") && strings.HasSuffix(p, "\"") && len(p) >= 2 {
			return strings.ReplaceAll(p[1:len(p)-1], "\"\"", "\"")
		}
		return strings.ToLower(p)
	}
	if len(parts) == 2 {
		return unq(parts[0]), unq(parts[1])
	}
	return "", unq(name)
}

func (c *catalogInfo) RelationOID(name string) (uint32, bool) {
	schema, n := splitQualified(name)
	if schema == "" || schema == "public" {
		if src, ok := c.snap.Sources[n]; ok {
			return src.OID, true
		}
		if v, ok := c.snap.Views[n]; ok {
			return v.OID, true
		}
	}
	if schema == "" {
		schema = "pg_catalog"
	}
	if t := lookupSystemTable(schema, n); t != nil {
		return t.oid, true
	}
	if t := lookupSystemTable("information_schema", n); t != nil && schema == "information_schema" {
		return t.oid, true
	}
	return 0, false
}

func (c *catalogInfo) RelationName(oid uint32) (string, bool) {
	for _, s := range c.snap.Sources {
		if s.OID == oid {
			return s.Name, true
		}
	}
	for _, v := range c.snap.Views {
		if v.OID == oid {
			return v.Name, true
		}
	}
	for _, t := range systemTableList() {
		if t.oid == oid {
			if t.schema == "pg_catalog" {
				return t.name, true
			}
			return t.schema + "." + t.name, true
		}
	}
	return "", false
}

func (c *catalogInfo) TypeOID(name string) (uint32, bool) {
	t, ok := types.ByName(name)
	if !ok {
		return 0, false
	}
	return t.OID, true
}

func (c *catalogInfo) TypeName(oid uint32) (string, bool) {
	t := types.ByOID(oid)
	if t == nil {
		return "", false
	}
	return types.FormatType(t, -1), true
}

func (c *catalogInfo) ProcName(oid uint32) (string, bool) { return procName(oid) }

func (c *catalogInfo) ProcOID(name string) (uint32, bool) { return procOID(name) }

func (c *catalogInfo) NamespaceName(oid uint32) (string, bool) {
	switch oid {
	case catalog.PgCatalogNamespace:
		return "pg_catalog", true
	case catalog.PublicNamespace:
		return "public", true
	case catalog.InformationSchemaNamespace:
		return "information_schema", true
	}
	return "", false
}

func (c *catalogInfo) NamespaceOID(name string) (uint32, bool) {
	switch name {
	case "pg_catalog":
		return catalog.PgCatalogNamespace, true
	case "public":
		return catalog.PublicNamespace, true
	case "information_schema":
		return catalog.InformationSchemaNamespace, true
	}
	return 0, false
}

func (c *catalogInfo) ViewDefinition(oid uint32) (string, bool) {
	for _, v := range c.snap.Views {
		if v.OID == oid {
			q := strings.TrimSpace(v.Query)
			if !strings.HasSuffix(q, ";") {
				q += ";"
			}
			return " " + q, true
		}
	}
	return "", false
}

func (c *catalogInfo) Description(objOID, classOID uint32, subID int32) (string, bool) {
	return description(c.snap, objOID, subID)
}

func (c *catalogInfo) UserName(oid uint32) (string, bool) {
	if oid == BootstrapUserOID {
		return "lambdasql", true
	}
	return "", false
}

// BootstrapUserOID is the OID of the lambdasql role (PostgreSQL's
// bootstrap superuser OID).
const BootstrapUserOID = 10
