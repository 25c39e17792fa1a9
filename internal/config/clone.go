package config

import (
	"encoding/base64"
	"maps"
	"slices"
	"unicode/utf8"
)

// Clone returns a deep copy: no slice, map or pointer is shared with c, so
// the copy can be changed (or handed to another goroutine) freely.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	out := *c
	out.Routes = cloneRoutes(c.Routes)
	out.Mydumper.Filter = slices.Clone(c.Mydumper.Filter)
	out.Mydumper.IgnoreColumns = cloneIgnoreColumns(c.Mydumper.IgnoreColumns)
	out.Mydumper.IgnoreColumnsAlias = cloneIgnoreColumns(c.Mydumper.IgnoreColumnsAlias)
	out.Mydumper.CSV.Null = slices.Clone(c.Mydumper.CSV.Null)
	out.Mydumper.FileRouters = slices.Clone(c.Mydumper.FileRouters)
	out.Mydumper.DefaultFileRules = clonePointer(c.Mydumper.DefaultFileRules)
	out.TiDB.SessionVars = maps.Clone(c.TiDB.SessionVars)
	out.TiDB.Security = clonePointer(c.TiDB.Security)
	if c.BWList != nil {
		out.BWList = &BWList{
			DoTables:     slices.Clone(c.BWList.DoTables),
			DoDBs:        slices.Clone(c.BWList.DoDBs),
			IgnoreTables: slices.Clone(c.BWList.IgnoreTables),
			IgnoreDBs:    slices.Clone(c.BWList.IgnoreDBs),
		}
	}
	return &out
}

// Redacted returns a deep copy without secrets, for places that are stored
// or shown: workflow inputs (kept in Temporal history), logs, the status
// API. It clears the TiDB password and the checkpoint DSN (which may embed
// one). Certificate and key paths are kept: they are file names, not keys,
// and each worker reads the files itself.
func (c *Config) Redacted() *Config {
	out := c.Clone()
	if out == nil {
		return nil
	}
	out.TiDB.Password = ""
	out.Checkpoint.DSN = ""
	return out
}

// PasswordCandidates lists the passwords to try, in order, when connecting
// to TiDB: the configured text, then its base64 decoding if it is valid
// base64 of UTF-8 text that differs from it. Lightning accepts tidb.password
// in either form and tells them apart only by trying, because a plain
// password may happen to be valid base64.
func (t TiDB) PasswordCandidates() []string {
	candidates := []string{t.Password}
	decoded, err := base64.StdEncoding.DecodeString(t.Password)
	if err == nil && len(decoded) > 0 && utf8.Valid(decoded) && string(decoded) != t.Password {
		candidates = append(candidates, string(decoded))
	}
	return candidates
}

func cloneRoutes(routes []Route) []Route {
	if routes == nil {
		return nil
	}
	out := make([]Route, len(routes))
	for i, r := range routes {
		r.TableExtractor = clonePointer(r.TableExtractor)
		r.SchemaExtractor = clonePointer(r.SchemaExtractor)
		r.SourceExtractor = clonePointer(r.SourceExtractor)
		out[i] = r
	}
	return out
}

func cloneIgnoreColumns(list []IgnoreColumns) []IgnoreColumns {
	if list == nil {
		return nil
	}
	out := make([]IgnoreColumns, len(list))
	for i, ic := range list {
		ic.TableFilter = slices.Clone(ic.TableFilter)
		ic.Columns = slices.Clone(ic.Columns)
		out[i] = ic
	}
	return out
}

// clonePointer copies the pointee of a pointer to a struct or scalar that
// itself holds no references.
func clonePointer[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
