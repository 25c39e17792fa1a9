package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/workflows"
)

// TestPhysicalTypeErrorsRecorded imports, with the physical backend under
// a strict sql-mode (Lightning's default is not strict), a dump holding two values their columns
// cannot take. With max-error.type = 2 the import completes without those
// rows, and both are in lightning_task_info.type_error_v1 with file, offset,
// reason and row as the logical backend records them. With
// max-error.type = 1 the same dump fails, permanently, naming the file.
func TestPhysicalTypeErrorsRecorded(t *testing.T) {
	target := startSandbox(t)
	write := func(dir, db string) string {
		files := map[string]string{
			db + "-schema-create.sql": "CREATE DATABASE `" + db + "`;\n",
			db + ".t-schema.sql":      "CREATE TABLE `t` (`id` INT PRIMARY KEY, `n` TINYINT, `d` DATE);\n",
			db + ".t.000000001.sql": "INSERT INTO `t` VALUES\n(1,10,'2024-01-01'),\n(2,1000,'2024-01-02'),\n(3,30,'2024-01-03'),\n" +
				"(4,40,'2024-13-45'),\n(5,50,'2024-01-05');\n",
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}

	cfg := target.physicalConfig(t, write(filepath.Join(t.TempDir(), "ok"), "te"))
	cfg.Lightning.MaxError.Type = 2
	cfg.TiDB.SQLMode = "STRICT_TRANS_TABLES,NO_ZERO_DATE"
	res, err := runTask(t, cfg, workflows.Timeouts{})
	if err != nil {
		t.Fatalf("import with 2 bad rows under max-error.type = 2: %v", err)
	}
	if res.TypeErrors != 2 || res.Rows != 3 {
		t.Errorf("import reports %d rows and %d type errors, want 3 and 2", res.Rows, res.TypeErrors)
	}
	ctx := context.Background()
	conn := mustConn(t, target.db)
	rows, err := queryStrings(ctx, conn, "SELECT GROUP_CONCAT(id ORDER BY id) FROM te.t")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rows); got != "[[1,3,5]]" {
		t.Errorf("imported ids %s, want [[1,3,5]]", got)
	}
	rows, err = queryStrings(ctx, conn, "SELECT `path`, `offset`, `row_data`, `error` <> '' FROM lightning_task_info.type_error_v1 "+
		"WHERE `table_name` = '`te`.`t`' ORDER BY `offset`")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("type_error_v1 holds %v, want the 2 bad rows", rows)
	}
	for i, want := range []string{"(2,1000,'2024-01-02')", "(4,40,'2024-13-45')"} {
		if rows[i][0] != "te.t.000000001.sql" || rows[i][2] != want || rows[i][3] != "1" {
			t.Errorf("record %d = %v, want path te.t.000000001.sql, row %s and a reason", i, rows[i], want)
		}
	}

	cfg = target.physicalConfig(t, write(filepath.Join(t.TempDir(), "over"), "te2"))
	cfg.Lightning.MaxError.Type = 1
	cfg.TiDB.SQLMode = "STRICT_TRANS_TABLES,NO_ZERO_DATE"
	_, err = runTask(t, cfg, workflows.Timeouts{})
	if err == nil {
		t.Fatal("import with 2 bad rows under max-error.type = 1 succeeded")
	}
	t.Logf("over the budget: %v", err)
	for _, want := range []string{"max-error.type", "te2.t.000000001.sql", "`te2`.`t`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("import error does not say %q: %v", want, err)
		}
	}
	if app := findApplicationError(err, "ErrorBudgetExceeded"); app == nil || !app.NonRetryable() {
		t.Errorf("import error has no non-retryable ErrorBudgetExceeded cause: %v", err)
	}
}
