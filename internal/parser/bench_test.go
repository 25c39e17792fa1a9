package parser

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"syscall"
	"testing"
)

// cpuTime is the process's user+system CPU time. The benchmarks report
// MB/s per CPU-second as "cpuMB/s" because wall-clock MB/s is meaningless on
// a machine shared with other jobs.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func reportCPU(b *testing.B, start float64, bytesPerOp int) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/d/1e6, "cpuMB/s")
	}
}

// benchSQL is a Dumpling-style dump of about size bytes: 1000-row INSERTs of
// (int, string, decimal, datetime string, NULL-or-int, escaped string).
func benchSQL(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString("/*!40101 SET NAMES binary*/;\n/*!40014 SET FOREIGN_KEY_CHECKS=0*/;\n")
	id := 0
	for b.Len() < size {
		b.WriteString("INSERT INTO `bench` VALUES\n")
		for r := 0; r < 1000; r++ {
			if r > 0 {
				b.WriteString(",\n")
			}
			id++
			b.WriteString("(")
			b.WriteString(strconv.Itoa(id))
			b.WriteString(",'user-")
			b.WriteString(strconv.Itoa(id * 7919 % 100003))
			b.WriteString("@example.com',")
			b.WriteString(strconv.Itoa(id%1000) + ".25")
			b.WriteString(",'2021-03-04 05:06:07',")
			if id%3 == 0 {
				b.WriteString("NULL")
			} else {
				b.WriteString(strconv.Itoa(id % 97))
			}
			b.WriteString(",'a \\'quoted\\' note')")
		}
		b.WriteString(";\n")
	}
	return b.Bytes()
}

func benchCSV(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString("id,email,amount,ts,n,note\n")
	for id := 1; b.Len() < size; id++ {
		b.WriteString(strconv.Itoa(id))
		b.WriteString(",\"user-")
		b.WriteString(strconv.Itoa(id * 7919 % 100003))
		b.WriteString("@example.com\",")
		b.WriteString(strconv.Itoa(id%1000) + ".25")
		b.WriteString(",2021-03-04 05:06:07,")
		if id%3 == 0 {
			b.WriteString("\\N")
		} else {
			b.WriteString(strconv.Itoa(id % 97))
		}
		b.WriteString(",\"a \"\"quoted\"\" note\"\n")
	}
	return b.Bytes()
}

func BenchmarkSQLParser(b *testing.B) {
	data := benchSQL(10 << 20)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	rows := 0
	for i := 0; i < b.N; i++ {
		p := NewSQLParser(bytes.NewReader(data), "bench.sql", SQLOptions{})
		for {
			err := p.ReadRow(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	reportCPU(b, c0, len(data))
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}

func BenchmarkCSVParser(b *testing.B) {
	data := benchCSV(10 << 20)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	rows := 0
	for i := 0; i < b.N; i++ {
		p, err := NewCSVParser(bytes.NewReader(data), "bench.csv", defaultCSV(), CSVOptions{ShouldParseHeader: true})
		if err != nil {
			b.Fatal(err)
		}
		for {
			err := p.ReadRow(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	reportCPU(b, c0, len(data))
	b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
}

func BenchmarkSQLStatementBoundaries(b *testing.B) {
	data := benchSQL(10 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	defer func() { reportCPU(b, c0, len(data)) }()
	for i := 0; i < b.N; i++ {
		if _, err := SQLStatementBoundaries(context.Background(), bytes.NewReader(data), 0, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
