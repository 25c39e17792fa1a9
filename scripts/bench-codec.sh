#!/usr/bin/env bash
# Runs the codec benchmarks (issue: TiDB KV codec) and writes their section of
# BENCHMARKS.md. The peer in the same run is parsing alone
# (BenchmarkParseWideSQL): the ratio says what converting and encoding add.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-BENCHMARKS.md}
raw=$(go test ./internal/kv/ -run '^$' -bench 'BenchmarkEncodeWide$|BenchmarkEncodeNarrow$|BenchmarkParseWideSQL$|BenchmarkParseEncodeWideSQL$|BenchmarkParseEncodeWideCSV$' -benchmem -benchtime 3s -count 1)
echo "$raw" >&2
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
go run ./scripts/benchfmt -section "TiDB KV codec (per core)" -out "$out" \
  -intro "Written by \`make bench\` (\`scripts/bench-codec.sh\`). Machine: ${cpu}, $(nproc) CPUs, $(go env GOVERSION). Measured $(date -u +%Y-%m-%d). One goroutine per benchmark: MB/s is wall-clock on a possibly shared machine; cpuMiB/s divides by the process CPU time, i.e. the per-core rate. Target: parse + convert + encode of SQL dumps ≥ 40 MiB/s per core with no per-row allocations (allocs/op counts a whole 2048-row dump for the *WideSQL/*WideCSV rows and one row for the Encode* rows). Lightning's published end-to-end figures are ~1–4.5 MiB/s per core." \
  -peer BenchmarkParseWideSQL -subject BenchmarkParseEncodeWideSQL <<<"$raw"
