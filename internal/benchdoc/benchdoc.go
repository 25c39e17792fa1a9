// Package benchdoc maintains BENCHMARKS.md: each benchmark command owns one
// "## title" section and rewrites only that section, so figures from
// different commands (and runs) live side by side.
package benchdoc

import (
	"fmt"
	"os"
	"strings"
)

const preamble = "# Benchmarks\n\nEach section is written by the command named in it; re-run it to refresh the figures.\n"

// WriteSection replaces the section titled title in the file at path with
// body, or appends it; the file is created when missing.
func WriteSection(path, title, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	doc := string(old)
	if doc == "" {
		doc = preamble
	}
	header := "## " + title + "\n"
	section := header + "\n" + strings.TrimRight(body, "\n") + "\n"
	if i := strings.Index(doc, header); i >= 0 {
		rest := doc[i+len(header):]
		if end := strings.Index(rest, "\n## "); end >= 0 {
			doc = doc[:i] + section + rest[end:]
		} else {
			doc = doc[:i] + section
		}
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
