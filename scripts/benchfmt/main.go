// Command benchfmt turns `go test -bench` output into a section of
// BENCHMARKS.md: a table of every benchmark line and, given a peer and a
// subject, their throughput ratio.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tempestdb/tempest/internal/benchdoc"
)

func main() {
	section := flag.String("section", "", "section title")
	out := flag.String("out", "BENCHMARKS.md", "benchmarks file")
	intro := flag.String("intro", "", "text above the table")
	peer := flag.String("peer", "", "benchmark name of the peer")
	subject := flag.String("subject", "", "benchmark name compared with the peer")
	flag.Parse()
	if err := run(*section, *out, *intro, *peer, *subject); err != nil {
		fmt.Fprintln(os.Stderr, "benchfmt:", err)
		os.Exit(1)
	}
}

func run(section, out, intro, peer, subject string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n| benchmark | ns/op | MB/s | cpuMiB/s | other | B/op | allocs/op |\n|---|---|---|---|---|---|---|\n", intro)
	cpuRate := map[string]float64{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		vals := map[string]string{}
		var other []string
		for i := 2; i+1 < len(f); i += 2 {
			vals[f[i+1]] = f[i]
			switch f[i+1] {
			case "ns/op", "MB/s", "cpuMiB/s", "B/op", "allocs/op":
			default:
				other = append(other, f[i]+" "+f[i+1])
			}
		}
		var rate float64
		fmt.Sscan(vals["cpuMiB/s"], &rate)
		cpuRate[name] = rate
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", name, vals["ns/op"], vals["MB/s"], vals["cpuMiB/s"],
			strings.Join(other, ", "), vals["B/op"], vals["allocs/op"])
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if peer != "" && cpuRate[peer] > 0 && cpuRate[subject] > 0 {
		fmt.Fprintf(&b, "\n**%s runs at %.2f× the per-core rate of %s** (its peer in the same run).\n", subject, cpuRate[subject]/cpuRate[peer], peer)
	}
	return benchdoc.WriteSection(out, section, b.String())
}
