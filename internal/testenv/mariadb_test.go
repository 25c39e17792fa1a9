package testenv

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestMariaDBSettings(t *testing.T) {
	s := MariaDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := s.Query(ctx, "SELECT @@character_set_server, @@collation_server, @@lower_case_table_names, CURRENT_USER(), NULL")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"utf8mb4", "utf8mb4_bin", "0", "root@127.0.0.1", "NULL"}
	if len(rows) != 1 {
		t.Fatalf("got %d rows", len(rows))
	}
	for i, w := range want {
		if rows[0][i] != w {
			t.Errorf("column %d = %q, want %q", i, rows[0][i], w)
		}
	}
	if err := s.CreateDatabase(ctx, "Case`Db"); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "CREATE TABLE `Case``Db`.T (x INT)"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", s.DSN("Case`Db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "INSERT INTO T VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// lower_case_table_names=0: t and T are different tables.
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1)"); err == nil {
		t.Fatal("lower-case table name resolved to T; want case-sensitive names")
	}
}

func TestStartStopPrivateServer(t *testing.T) {
	dir := t.TempDir() + "/srv"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := StartMariaDB(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Port() == MariaDB(t).Port() {
		t.Fatal("private server shares the port of the shared one")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s still exists after Stop (err=%v)", dir, err)
	}
	if err := s.DB().PingContext(ctx); err == nil {
		t.Fatal("server still answers after Stop")
	}
}
