package main

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// lockedBuffer lets the test read what the command writes from another
// goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var endpointRE = regexp.MustCompile(`(?s)mysql -h 127\.0\.0\.1 -P (\d+) -u root.*status:\s+http://(127\.0\.0\.1:\d+).*PD:\s+(127\.0\.0\.1:\d+)`)

type runningSandbox struct {
	sqlAddr, statusAddr, pdAddr string
	stdout                      *lockedBuffer
	cancel                      context.CancelFunc
	done                        chan error
}

// startSandboxCommand runs `starter sandbox` on free ports the way main
// does, and learns the ports from what it prints.
func startSandboxCommand(t *testing.T, dataDir string) *runningSandbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningSandbox{stdout: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	stderr := &lockedBuffer{}
	args := []string{"sandbox", "--sql-port", "0", "--status-port", "0", "--pd-port", "0", "--data-dir", dataDir}
	go func() { r.done <- run(ctx, args, r.stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := endpointRE.FindStringSubmatch(r.stdout.String()); m != nil && strings.Contains(r.stdout.String(), "Ctrl-C") {
			r.sqlAddr, r.statusAddr, r.pdAddr = "127.0.0.1:"+m[1], m[2], m[3]
			return r
		}
		select {
		case err := <-r.done:
			t.Fatalf("sandbox exited early: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, stderr)
		case <-deadline:
			t.Fatalf("no endpoints printed\nstdout:\n%s\nstderr:\n%s", r.stdout, stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop cancels the command's context (Ctrl-C) and expects a clean exit.
func (r *runningSandbox) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("sandbox after Ctrl-C: %v", err)
		}
		r.done <- nil // for the cleanup's receive
	case <-time.After(30 * time.Second):
		t.Fatal("sandbox did not stop after Ctrl-C")
	}
	if !strings.Contains(r.stdout.String(), "sandbox cluster stopped") {
		t.Errorf("no stop message:\n%s", r.stdout)
	}
	for _, addr := range []string{r.sqlAddr, r.statusAddr, r.pdAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			t.Errorf("%s still accepts connections after stop", addr)
		}
	}
}

func TestSandboxCommand(t *testing.T) {
	dir := t.TempDir()
	r := startSandboxCommand(t, dir)
	out := r.stdout.String()
	// The printed import line must name the same endpoints.
	_, sqlPort, _ := net.SplitHostPort(r.sqlAddr)
	_, statusPort, _ := net.SplitHostPort(r.statusAddr)
	wantImport := "starter import -c task.toml --backend local --tidb-host 127.0.0.1 --tidb-port " + sqlPort +
		" --tidb-status " + statusPort + " --pd-urls " + r.pdAddr
	if !strings.Contains(out, wantImport) {
		t.Errorf("output lacks %q:\n%s", wantImport, out)
	}

	db, err := sql.Open("mysql", "root@tcp("+r.sqlAddr+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range []string{"CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (7)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil || !strings.Contains(version, "TiDB") {
		t.Errorf("VERSION() = %q, %v; want a TiDB version", version, err)
	}
	for _, url := range []string{"http://" + r.statusAddr + "/schema/d/t", "http://" + r.pdAddr + "/pd/api/v1/config/cluster-version"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", url, resp.Status)
		}
	}
	_ = db.Close()
	r.stop(t)

	// Same --data-dir again: the row is still there.
	r2 := startSandboxCommand(t, dir)
	db2, err := sql.Open("mysql", "root@tcp("+r2.sqlAddr+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var id int
	if err := db2.QueryRowContext(ctx, "SELECT id FROM d.t").Scan(&id); err != nil || id != 7 {
		t.Fatalf("after restart on the same --data-dir: id %d, %v", id, err)
	}
	_ = db2.Close()
	r2.stop(t)
}

func TestSandboxCommandBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--sql-port", "70000"},
		{"sandbox", "--log-level", "loud"},
		{"sandbox", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
		if strings.Contains(stdout.String(), "mysql -h") {
			t.Errorf("%q started a cluster", args)
		}
	}
}
