package main

import (
	"context"
	"io"

	"github.com/tempestdb/tempest/internal/kv/kvcmd"
)

// runKV is `starter kv encode|decode`: TiDB KV pairs of a schema and a data
// file, and the reverse (see internal/kv/kvcmd).
func runKV(ctx context.Context, args []string, stdout io.Writer) error {
	return kvcmd.Run(ctx, args, stdout)
}
