// Package benchdump generates synthetic mydumper-format dumps for benchmarks:
// deterministic rows of mixed types (integers, decimals, datetimes, short and
// long strings with characters that need escaping), written as multi-row
// INSERT statements split over numbered files, with the schema files and the
// `metadata` file that both Tempest and myloader read.
package benchdump

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Spec describes a dump to generate.
type Spec struct {
	Dir   string
	DB    string
	Table string
	// TotalBytes is the approximate size of the data files.
	TotalBytes int64
	// FileBytes is the approximate size of one data file.
	FileBytes int64
	// StatementBytes is the approximate size of one INSERT statement
	// (mydumper's default is about 1 MB).
	StatementBytes int
	Seed           uint64
}

// Result says what was written.
type Result struct {
	Files int
	Rows  int64
	Bytes int64
}

// CreateTable is the generated table's schema.
func (s Spec) CreateTable() string {
	return "CREATE TABLE `" + s.Table + "` (\n" +
		"  `id` bigint NOT NULL,\n" +
		"  `account` int unsigned NOT NULL,\n" +
		"  `amount` decimal(14,4) NOT NULL,\n" +
		"  `ratio` double DEFAULT NULL,\n" +
		"  `created` datetime(3) NOT NULL,\n" +
		"  `code` char(8) NOT NULL,\n" +
		"  `name` varchar(64) NOT NULL,\n" +
		"  `payload` text,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `idx_account` (`account`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;\n"
}

// Generate writes the dump.
func Generate(s Spec) (Result, error) {
	var res Result
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return res, fmt.Errorf("create dump dir: %w", err)
	}
	files := map[string]string{
		"metadata":                           "Started dump at: 2026-01-01 00:00:00\nFinished dump at: 2026-01-01 00:00:01\n",
		s.DB + "-schema-create.sql":          "CREATE DATABASE `" + s.DB + "`;\n",
		s.DB + "." + s.Table + "-schema.sql": s.CreateTable(),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(body), 0o644); err != nil {
			return res, fmt.Errorf("write %s: %w", name, err)
		}
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x7e57))
	var id int64
	for res.Bytes < s.TotalBytes {
		name := fmt.Sprintf("%s.%s.%05d.sql", s.DB, s.Table, res.Files)
		n, rows, err := writeFile(filepath.Join(s.Dir, name), s, rng, &id)
		if err != nil {
			return res, err
		}
		res.Files++
		res.Rows += rows
		res.Bytes += n
	}
	return res, nil
}

var words = []string{"alpha", "beta", "gamma", "delta", "O'Reilly", `back\slash`, "Zoë", "数据", "line\nbreak", "tab\tbed", `"quoted"`}

func writeFile(path string, s Spec, rng *rand.Rand, id *int64) (int64, int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", path, err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var written, rows int64
	buf := make([]byte, 0, 1024)
	for written < s.FileBytes {
		stmt := "INSERT INTO `" + s.Table + "` VALUES\n"
		_, _ = w.WriteString(stmt)
		written += int64(len(stmt))
		stmtBytes := 0
		for first := true; stmtBytes < s.StatementBytes; first = false {
			*id++
			buf = buf[:0]
			if !first {
				buf = append(buf, ",\n"...)
			}
			buf = appendRow(buf, rng, *id)
			_, _ = w.Write(buf)
			stmtBytes += len(buf)
			rows++
		}
		_, _ = w.WriteString(";\n")
		written += int64(stmtBytes + 2)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, 0, fmt.Errorf("write %s: %w", path, err)
	}
	return written, rows, f.Close()
}

func appendRow(b []byte, rng *rand.Rand, id int64) []byte {
	b = append(b, '(')
	b = strconv.AppendInt(b, id, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(rng.Uint32()), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, rng.Int64N(10_000_000_000), 10)
	b = append(b, '.')
	b = append(b, fmt.Sprintf("%04d", rng.IntN(10000))...)
	b = append(b, ',')
	if rng.IntN(10) == 0 {
		b = append(b, "NULL"...)
	} else {
		b = strconv.AppendFloat(b, rng.Float64()*1000, 'g', -1, 64)
	}
	b = append(b, fmt.Sprintf(",'20%02d-%02d-%02d %02d:%02d:%02d.%03d'", 10+rng.IntN(16), 1+rng.IntN(12), 1+rng.IntN(28),
		rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1000))...)
	b = append(b, fmt.Sprintf(",'%08x'", rng.Uint32())...)
	b = append(b, ",'"...)
	b = appendEscaped(b, words[rng.IntN(len(words))]+" "+words[rng.IntN(len(words))])
	b = append(b, "','"...)
	n := 40 + rng.IntN(200)
	for len(b) < cap(b) && n > 0 {
		w := words[rng.IntN(len(words))]
		b = appendEscaped(b, w)
		b = append(b, ' ')
		n -= len(w) + 1
	}
	b = append(b, "')"...)
	return b
}

// appendEscaped writes s as the body of a single-quoted MySQL string.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b = append(b, '\\', '\'')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case 0:
			b = append(b, '\\', '0')
		default:
			b = append(b, c)
		}
	}
	return b
}
