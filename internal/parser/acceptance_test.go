package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
)

const acceptanceRoot = "/work/shared/acceptance/lightning"

// csvConfigFor mirrors the [mydumper.csv] sections of the acceptance
// configs (the defaults otherwise).
func csvConfigFor(test string) (config.CSV, CSVOptions) {
	cfg := defaultCSV()
	switch test {
	case "lightning_csv":
		cfg.Header = false
	case "lightning_issue_519":
		cfg.Delimiter = "'"
		cfg.BackslashEscape = false
	case "lightning_column_permutation":
		cfg.Terminator = "\n"
	}
	return cfg, CSVOptions{ShouldParseHeader: cfg.Header}
}

func acceptanceFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(acceptanceRoot, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if !info.IsDir() && (ext == ".sql" || ext == ".csv") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Skipf("acceptance corpus not available: %v", err)
	}
	if len(files) < 50 {
		t.Fatalf("only %d acceptance files found", len(files))
	}
	return files
}

// parseAcceptance parses one file with the given block size; oneByte also
// makes every Read return a single byte.
func parseAcceptance(t *testing.T, path string, block int, oneByte bool) ([]gotRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(acceptanceRoot, path)
	test := strings.Split(rel, string(filepath.Separator))[0]
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		cfg, opts := csvConfigFor(test)
		opts.ReadBlockSize = block
		return csvRows(t, data, cfg, opts, oneByte)
	}
	return sqlRows(t, data, SQLOptions{ReadBlockSize: block}, oneByte)
}

func TestAcceptanceFilesParse(t *testing.T) {
	counts := map[string]int{}
	for _, path := range acceptanceFiles(t) {
		rel, _ := filepath.Rel(acceptanceRoot, path)
		full, err := parseAcceptance(t, path, 0, false)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		counts[rel] = len(full)
		for _, bs := range []int{1, 512} {
			tiny, err := parseAcceptance(t, path, bs, bs == 1)
			if err != nil {
				t.Errorf("%s block %d: %v", rel, bs, err)
				continue
			}
			sameRows(t, rel+" block "+itoa(int64(bs)), full, tiny)
		}
	}
	want := map[string]int{
		"lightning_examples/data/mocker_test.tbl_autoid.sql":      10000,
		"lightning_examples/data/mocker_test.tbl_multi_index.sql": 10000,
		"lightning_examples/data/mocker_test.ı.sql":               1,
		"lightning_csv/data/csv.threads.csv":                      43,
		"lightning_csv/data/csv.escapes.CSV":                      3,
		"lightning_csv/data/csv.empty_strings.csv":                4,
		"lightning_issue_410/data/issue410.row_flow_d.0.csv":      1,
		"lightning_issue_519/data/issue519.t.csv":                 9,
		"lightning_column_permutation/data/perm.test_perm.0.csv":  5,
		"lightning_various_types/data/vt.bit.sql":                 16,
		"lightning_various_types/data/vt.json.sql":                92,
		"lightning_various_types/data/vt.enum-set.sql":            26,
		"lightning_various_types/data/vt.empty_strings.sql":       6,
		"lightning_various_types/data/vt.decimal.sql":             50,
		"lightning_various_types/data/vt.double.sql":              41,
		"lightning_various_types/data/vt.datetime.sql":            70,
		"lightning_various_types/data/vt.char.sql":                50,
		"lightning_various_types/data/vt.binary.sql":              51,
		"lightning_various_types/data/vt.bigint.0.sql":            6,
		"lightning_default-columns/data/defcol.t.1.sql":           6,
		"lightning_black-white-list/data/firstdb.second.1.sql":    1,
		"lightning_tidb_rowid/data/rowid.specific_auto_inc.sql":   5,
		"lightning_tool_1472/data/EE1472.pk.1.sql":                1,
		"lightning_exotic_filenames/data/xfn.etn.sql":             5,
		"lightning_issue_282/data/issue282.t_access3.sql":         2,
		"lightning_tool_241/data/qyjc.q_alarm_group.sql":          0,
	}
	for f, n := range want {
		if got, ok := counts[f]; !ok || got != n {
			t.Errorf("%s: %d rows (present %v), want %d", f, got, ok, n)
		}
	}
}

func TestAcceptanceExpectations(t *testing.T) {
	if _, err := os.Stat(acceptanceRoot); err != nil {
		t.Skip("acceptance corpus not available")
	}
	rows, err := parseAcceptance(t, acceptanceRoot+"/lightning_issue_282/data/issue282.t_access3.sql", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Fields != `string:"@P&FLASHSHA"` || rows[1].Fields != `string:"\x1a"` {
		t.Errorf("issue 282: %v", rows)
	}
	rows, err = parseAcceptance(t, acceptanceRoot+"/lightning_issue_410/data/issue410.row_flow_d.0.csv", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	cols := strings.Split(rows[0].Cols, ",")
	if len(cols) != 26 || cols[0] != "A123456789012345678901234567890123456789" || cols[25] != "Z" {
		t.Errorf("issue 410 columns: %v", cols)
	}
	if !strings.HasPrefix(rows[0].Fields, `string:"A" | string:"B"`) || !strings.HasSuffix(rows[0].Fields, `string:"Z"`) {
		t.Errorf("issue 410 row: %v", rows[0].Fields)
	}
	rows, err = parseAcceptance(t, acceptanceRoot+"/lightning_csv/data/csv.escapes.CSV", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`string:"1" | string:"\\" | string:"{\"?\": []}" | string:"\xff\xff\xff\xff"`,
		`string:"2" | string:"\"" | string:"\"\\n\\n\\n\"" | string:"\r\n\r\n"`,
		`string:"3" | string:"\n" | string:"[\",,,\"]" | string:"\\,\\,"`,
	}
	for i, w := range want {
		if rows[i].Fields != w {
			t.Errorf("escapes row %d: %s want %s", i, rows[i].Fields, w)
		}
	}
	rows, err = parseAcceptance(t, acceptanceRoot+"/lightning_various_types/data/vt.bit.sql", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if rows[1].Fields != `number:"2" | bits:"\x01"` || rows[6].Fields != `number:"13" | bits:"\x02"` || rows[11].Fields != `number:"24" | hex:"\x03"` {
		t.Errorf("bit rows: %v %v %v", rows[1], rows[6], rows[11])
	}
	rows, err = parseAcceptance(t, acceptanceRoot+"/lightning_various_types/data/vt.empty_strings.sql", 1, true)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, r.Fields)
	}
	if strings.Join(got, ";") != `number:"1" | string:"";number:"2" | string:"\"";number:"4" | string:"";number:"8" | string:"'";number:"16" | string:"\"";number:"32" | string:"'"` {
		t.Errorf("empty strings: %v", got)
	}
	// Resume at every row of a few SQL files.
	for _, f := range []string{"lightning_tidb_rowid/data/rowid.specific_auto_inc.sql", "lightning_various_types/data/vt.bit.sql",
		"lightning_tidb_rowid/data/rowid.non_pk_auto_inc.sql", "lightning_default-columns/data/defcol.t.1.sql"} {
		data, err := os.ReadFile(acceptanceRoot + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		resumeSQL(t, data, SQLOptions{ReadBlockSize: 16})
	}
}
