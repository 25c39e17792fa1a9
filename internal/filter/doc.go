// Package filter decides which source tables an import keeps.
//
// It implements three rule languages Lightning accepts:
//
//   - Table-filter rules (mydumper.filter, the -f flag): one "schema.table"
//     pattern per rule, wildcards * ? [a-z] [!a-z], backslash escapes,
//     "double" or `back` quoted names (a doubled quote inside is literal),
//     /regexp/ names, and a leading ! to exclude. Rules are evaluated from the
//     last to the first and the first that matches decides, i.e. later rules
//     take precedence; a table no rule matches is excluded.
//   - The legacy [black-white-list] section (MySQL replication-filter style
//     do-dbs / ignore-dbs / do-tables / ignore-tables, where a name starting
//     with ~ is a regular expression), see MySQLReplicationRules.
//   - Glob patterns for [[routes]] schema-pattern / table-pattern (Wildcard),
//     sharing the wildcard syntax above.
//
// Every pattern is compiled to an anchored Go regular expression once, at
// parse time, so matching is linear-time and cannot blow up on hostile
// names. Case-insensitive matching (the default: MySQL on most platforms
// treats database and table names that way, and Lightning wraps its filter in
// a case-insensitive adapter unless mydumper.case-sensitive is set) uses the
// regexp (?i) flag rather than lower-casing, so character classes and
// non-ASCII names behave consistently.
package filter
