package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/tempestdb/tempest/internal/benchdump"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/workflows"
)

// TestPhysicalChecksumMismatchFailsImport imports a small table with the
// physical backend and damages one ingested row in the sandbox's stores
// (after it was ingested, before the post-import ADMIN CHECKSUM): the
// import must fail, naming the table and the checksum mismatch, without
// retrying, and leave no store in import mode.
func TestPhysicalChecksumMismatchFailsImport(t *testing.T) {
	spec := benchdump.Spec{Dir: filepath.Join(t.TempDir(), "dump"), DB: "chk", Table: "t",
		TotalBytes: 64 << 10, FileBytes: 32 << 10, StatementBytes: 8 << 10, Seed: 3}
	if _, err := benchdump.Generate(spec); err != nil {
		t.Fatal(err)
	}
	target := startSandbox(t)

	// After each ingest, look for a record of the table and, the first
	// time one is there, flip a bit of its value on every store. The row
	// stays decodable; only its bytes differ from what was encoded.
	var (
		mu        sync.Mutex
		corrupted []byte
		hookErr   error
	)
	target.kv.OnIngest(func() {
		mu.Lock()
		defer mu.Unlock()
		if corrupted != nil || hookErr != nil {
			return
		}
		id, err := sandboxTableID(target, spec.DB, spec.Table)
		if err != nil {
			hookErr = err
			return
		}
		prefix := kv.AppendRecordPrefix(nil, id)
		end := append(bytes.Clone(prefix[:len(prefix)-1]), prefix[len(prefix)-1]+1) // just past "_r"
		var key, value []byte
		errFound := errors.New("found")
		err = target.kv.Scan(context.Background(), prefix, end, func(k, v []byte) error {
			key, value = bytes.Clone(k), bytes.Clone(v)
			return errFound
		})
		if err != nil && !errors.Is(err, errFound) {
			hookErr = err
			return
		}
		if key == nil {
			return // this ingest held only index entries
		}
		value[len(value)-1] ^= 1
		if hookErr = target.kv.Corrupt(key, value); hookErr == nil {
			corrupted = key
		}
	})
	t.Cleanup(func() { target.kv.OnIngest(nil) })

	start := time.Now()
	_, err := runTask(t, target.physicalConfig(t, spec.Dir), workflows.Timeouts{})
	mu.Lock()
	defer mu.Unlock()
	if hookErr != nil {
		t.Fatalf("corrupting an ingested row: %v", hookErr)
	}
	if corrupted == nil {
		t.Fatalf("no record of the table was ingested (import error: %v)", err)
	}
	t.Logf("corrupted record key %x; import ended after %.1fs: %v", corrupted, time.Since(start).Seconds(), err)
	if err == nil {
		t.Fatal("the import succeeded although an ingested row was corrupted")
	}
	msg := err.Error()
	for _, want := range []string{"checksum mismatched", "`chk`.`t`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("import error does not say %q: %v", want, err)
		}
	}
	// Retrying cannot repair the data: the failure is final at once.
	if app := findApplicationError(err, "ChecksumMismatch"); app == nil || !app.NonRetryable() {
		t.Errorf("import error has no non-retryable ChecksumMismatch cause: %v", err)
	}
	if got := target.kv.StoresInImportMode(); len(got) != 0 {
		t.Errorf("stores %v left in import mode", got)
	}
}

// sandboxTableID reads a table's ID from the sandbox TiDB's status API, as
// TiDB serves it.
func sandboxTableID(s *sandboxTarget, db, table string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/schema/%s/%s", s.srv.StatusAddress(), db, table)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("get %s: %s", url, resp.Status)
	}
	var info kv.JSONTableInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return 0, fmt.Errorf("decode %s: %w", url, err)
	}
	return info.ID, nil
}

// findApplicationError returns the first Temporal application error of the
// given type in err's chain (the workflows wrap an activity's error in
// application errors of their own).
func findApplicationError(err error, typ string) *temporal.ApplicationError {
	for err != nil {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) {
			return nil
		}
		if app.Type() == typ {
			return app
		}
		err = app.Unwrap()
	}
	return nil
}
