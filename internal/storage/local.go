package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// localStorage is a dump on a mounted filesystem.
type localStorage struct {
	root string // absolute, cleaned
}

// NewLocal opens the directory root: a plain path or a file:// / local://
// URL. The directory must exist.
func NewLocal(root string) (ExternalStorage, error) {
	dir := root
	for _, prefix := range []string{"file://", "local://"} {
		if len(dir) >= len(prefix) && strings.EqualFold(dir[:len(prefix)], prefix) {
			dir = dir[len(prefix):]
			break
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("storage: data source %q: empty path", root)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: resolving data source %q: %w", root, err)
	}
	// Stat (not Lstat) so that a symlinked root directory is accepted.
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("storage: opening data source %q: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("storage: data source %q is not a directory", root)
	}
	return &localStorage{root: abs}, nil
}

func (s *localStorage) URI() string { return "file://" + filepath.ToSlash(s.root) }

type walkEntry struct {
	path string
	size int64
}

// WalkDir lists every regular file, following symlinks to files and
// directories. All paths are collected and sorted before fn is called: a
// recursive directory walk visits "a/x" before "a.b" although "a.b" sorts
// first byte-wise, and callers rely on plain lexical order.
func (s *localStorage) WalkDir(ctx context.Context, fn func(path string, size int64) error) error {
	var entries []walkEntry
	// ancestors holds the real paths of the directories on the current
	// descent, so a symlink pointing back up the tree is reported instead of
	// recursing forever.
	ancestors := map[string]bool{}
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return fmt.Errorf("storage: resolving directory %q: %w", dir, err)
		}
		if ancestors[real] {
			return fmt.Errorf("storage: symlink loop at %q", dir)
		}
		ancestors[real] = true
		defer delete(ancestors, real)

		des, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("storage: listing directory %q: %w", dir, err)
		}
		for _, de := range des {
			full := filepath.Join(dir, de.Name())
			relPath := de.Name()
			if rel != "" {
				relPath = path.Join(rel, de.Name())
			}
			mode := de.Type()
			var info fs.FileInfo
			if mode&fs.ModeSymlink != 0 {
				info, err = os.Stat(full)
				if err != nil {
					return fmt.Errorf("storage: following symlink %q: %w", full, err)
				}
			} else {
				info, err = de.Info()
				if err != nil {
					return fmt.Errorf("storage: stat %q: %w", full, err)
				}
			}
			switch {
			case info.IsDir():
				if err := walk(full, relPath); err != nil {
					return err
				}
			case info.Mode().IsRegular():
				entries = append(entries, walkEntry{path: relPath, size: info.Size()})
			default:
				// Sockets, devices, FIFOs: not dump files.
			}
		}
		return nil
	}
	if err := walk(s.root, ""); err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].path < entries[j].path })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e.path, e.size); err != nil {
			return err
		}
	}
	return nil
}

// Open opens a file below the root. Paths that would leave the root are
// refused: they come from config templates and checkpoints, not only from
// WalkDir.
func (s *localStorage) Open(ctx context.Context, p string) (ReadSeekCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	native := filepath.FromSlash(p)
	if !filepath.IsLocal(native) {
		return nil, fmt.Errorf("storage: opening %q in %s: path is not inside the data source", p, s.URI())
	}
	f, err := os.Open(filepath.Join(s.root, native))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("storage: opening %q in %s: %w", p, s.URI(), fs.ErrNotExist)
		}
		return nil, fmt.Errorf("storage: opening %q in %s: %w", p, s.URI(), err)
	}
	return f, nil
}
