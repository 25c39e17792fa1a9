package testenv

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/zap"
)

// shared is the one server of a test binary. Package state is unavoidable
// here: testing offers no per-binary hook other than TestMain, and tests in
// several files must find the same server. It is the package's only global.
var shared struct {
	once   sync.Once
	server *Server
	err    error
}

// MariaDB returns the test binary's private MariaDB server, starting it on
// first use. A failure to start fails the calling test (it never skips).
func MariaDB(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", fmt.Sprintf("tempest-mariadb-%d-", os.Getpid()))
		if err != nil {
			shared.err = fmt.Errorf("creating a directory for the test MariaDB: %w", err)
			return
		}
		shared.server, shared.err = StartMariaDB(context.Background(), dir, zap.NewNop())
		if shared.err != nil {
			_ = os.RemoveAll(dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("test MariaDB unavailable: %v", shared.err)
	}
	return shared.server
}

// Main runs the tests of a package and stops the shared server afterwards.
// Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if shared.server != nil {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping test MariaDB:", err)
		}
	}
	return code
}
