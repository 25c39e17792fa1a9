package benchdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSectionReplacesOnlyItsSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	for _, step := range []struct{ title, body string }{
		{"A", "first a"}, {"B", "first b"}, {"A", "second a"},
	} {
		if err := WriteSection(path, step.title, step.body); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if strings.Contains(doc, "first a") || !strings.Contains(doc, "second a") || !strings.Contains(doc, "first b") {
		t.Fatalf("unexpected document:\n%s", doc)
	}
	if strings.Index(doc, "## A") > strings.Index(doc, "## B") {
		t.Fatalf("section A moved after B:\n%s", doc)
	}
}
