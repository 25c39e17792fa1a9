package kv

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
)

func benchEncode(b *testing.B, sql string, gen func(r *rand.Rand, i int) []parser.Field) {
	tbl := mustTable(b, sql, 99)
	enc, err := NewEncoder(tbl, EncoderOptions{SQLMode: "STRICT_TRANS_TABLES"})
	if err != nil {
		b.Fatal(err)
	}
	const nrows = 1024
	r := rand.New(rand.NewSource(1))
	rows := make([][]parser.Field, nrows)
	srcBytes := 0
	for i := range rows {
		rows[i] = gen(r, i)
		for _, f := range rows[i] {
			srcBytes += len(f.Bytes) + 1 // +1: separator in the source file
		}
	}
	colMap := identity(len(rows[0]))
	var p Pairs
	kvs := 0
	b.SetBytes(int64(srcBytes / nrows))
	b.ReportAllocs()
	cpu0 := threadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%64 == 0 {
			p.Reset()
		}
		n := p.Len()
		if err := enc.EncodeFields(rows[i%nrows], colMap, int64(i+1), &p); err != nil {
			b.Fatal(err)
		}
		kvs += p.Len() - n
	}
	b.StopTimer()
	b.ReportMetric(float64(kvs)/b.Elapsed().Seconds(), "kvs/s")
	// The benchmark host is shared; CPU time gives the per-core rate.
	if cpu := threadCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(srcBytes/nrows)*float64(b.N)/cpu.Seconds()/(1<<20), "cpuMiB/s")
	}
}

// threadCPU is the process CPU time (user+system).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEncodeWide: 20 mixed-type columns, 3 secondary indexes (one with
// a general_ci prefix column), _tidb_rowid handle.
func BenchmarkEncodeWide(b *testing.B) {
	benchEncode(b, wideTable, func(r *rand.Rand, i int) []parser.Field { return wideRow(r, i) })
}

// BenchmarkEncodeNarrow: int PK handle and two small columns, no index.
func BenchmarkEncodeNarrow(b *testing.B) {
	benchEncode(b, "CREATE TABLE n (id BIGINT PRIMARY KEY, v INT, s VARCHAR(32))", func(r *rand.Rand, i int) []parser.Field {
		return []parser.Field{num(itoa(int64(i + 1))), num(itoa(r.Int63n(1 << 30))), str("narrow-row-value")}
	})
}

func itoa(v int64) string {
	const digits = "0123456789"
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = digits[v%10]
		v /= 10
	}
	return string(b[i:])
}

// BenchmarkParseEncodeWideCSV is the hot path end to end: CSV parsing,
// conversion and encoding of the wide table (bytes/s = CSV bytes).
func BenchmarkParseEncodeWideCSV(b *testing.B) {
	tbl := mustTable(b, wideTable, 99)
	r := rand.New(rand.NewSource(1))
	var file bytes.Buffer
	for i := 0; i < 2048; i++ {
		for j, f := range wideRow(r, i) {
			if j > 0 {
				file.WriteByte(',')
			}
			if f.Kind == parser.KindNull {
				file.WriteString(`\N`)
				continue
			}
			file.WriteByte('"')
			file.Write(f.Bytes)
			file.WriteByte('"')
		}
		file.WriteByte('\n')
	}
	cfg := config.Default().Mydumper.CSV
	cfg.Header = false
	enc, err := NewEncoder(tbl, EncoderOptions{SQLMode: "STRICT_TRANS_TABLES"})
	if err != nil {
		b.Fatal(err)
	}
	colMap := identity(len(tbl.Columns))
	var p Pairs
	b.SetBytes(int64(file.Len()))
	b.ReportAllocs()
	cpu0 := threadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cp, err := parser.NewCSVParser(bytes.NewReader(file.Bytes()), "bench.csv", cfg, parser.CSVOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if err := cp.ReadRow(context.Background()); err != nil {
				if err == io.EOF {
					break
				}
				b.Fatal(err)
			}
			row := cp.LastRow()
			if p.Len() > 256 {
				p.Reset()
			}
			if err := enc.EncodeFields(row.Fields, colMap, row.RowID, &p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if cpu := threadCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(file.Len())*float64(b.N)/cpu.Seconds()/(1<<20), "cpuMiB/s")
	}
}

// wideSQLDump renders 2048 wide rows as a mydumper-style dump: multi-row
// INSERT statements of about 64 KiB.
func wideSQLDump() []byte {
	r := rand.New(rand.NewSource(1))
	var file bytes.Buffer
	stmtStart := 0
	for i := 0; i < 2048; i++ {
		if file.Len()-stmtStart > 64<<10 || i == 0 {
			if i > 0 {
				file.WriteString(";\n")
			}
			stmtStart = file.Len()
			file.WriteString("INSERT INTO `w` VALUES\n")
		} else {
			file.WriteString(",\n")
		}
		file.WriteByte('(')
		for j, f := range wideRow(r, i) {
			if j > 0 {
				file.WriteByte(',')
			}
			switch f.Kind {
			case parser.KindNull:
				file.WriteString("NULL")
			case parser.KindNumber:
				file.Write(f.Bytes)
			default:
				file.WriteByte('\'')
				for _, c := range f.Bytes {
					if c == '\'' || c == '\\' {
						file.WriteByte('\\')
					}
					file.WriteByte(c)
				}
				file.WriteByte('\'')
			}
		}
		file.WriteByte(')')
	}
	file.WriteString(";\n")
	return file.Bytes()
}

// benchSQLDump parses (and with encode, converts and encodes) the wide SQL
// dump; bytes/s are dump bytes.
func benchSQLDump(b *testing.B, encode bool) {
	tbl := mustTable(b, wideTable, 99)
	file := wideSQLDump()
	enc, err := NewEncoder(tbl, EncoderOptions{SQLMode: "STRICT_TRANS_TABLES"})
	if err != nil {
		b.Fatal(err)
	}
	colMap := identity(len(tbl.Columns))
	var p Pairs
	rows := 0
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	cpu0 := threadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sp := parser.NewSQLParser(bytes.NewReader(file), "bench.sql", parser.SQLOptions{})
		for {
			if err := sp.ReadRow(context.Background()); err != nil {
				if err == io.EOF {
					break
				}
				b.Fatal(err)
			}
			rows++
			if !encode {
				continue
			}
			row := sp.LastRow()
			if p.Len() > 256 {
				p.Reset()
			}
			if err := enc.EncodeFields(row.Fields, colMap, row.RowID, &p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu := threadCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(file))*float64(b.N)/cpu.Seconds()/(1<<20), "cpuMiB/s")
	}
}

// BenchmarkParseWideSQL is the peer of BenchmarkParseEncodeWideSQL in the
// same run: parsing alone, the floor that encoding adds its cost to.
func BenchmarkParseWideSQL(b *testing.B) { benchSQLDump(b, false) }

// BenchmarkParseEncodeWideSQL is the target path: parse + convert +
// encode of a SQL dump (≥ 40 MiB/s per core).
func BenchmarkParseEncodeWideSQL(b *testing.B) { benchSQLDump(b, true) }
