package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// ExternalStorage is where a dump lives. Paths are slash-separated and
// relative to the storage root. Implementations: local filesystem (here), S3
// (later).
type ExternalStorage interface {
	// WalkDir calls fn for every regular file (following symlinks) under the
	// root in lexical path order.
	WalkDir(ctx context.Context, fn func(path string, size int64) error) error
	// Open returns a reader of the raw (still compressed) bytes of path.
	Open(ctx context.Context, path string) (ReadSeekCloser, error)
	// URI names the storage root for messages ("file:///data/dump").
	URI() string
}

// ReadSeekCloser is a seekable stream of a stored file.
type ReadSeekCloser interface {
	io.Reader
	io.Seeker
	io.Closer
}

// ErrNotSupported is returned (wrapped) for storage schemes and compression
// methods that are recognised but not implemented.
var ErrNotSupported = errors.New("not supported yet")

// Parse opens the storage named by uri: a plain path, or a URL with scheme
// file:// or local://. Cloud schemes are recognised and rejected with an
// error wrapping ErrNotSupported.
func Parse(uri string) (ExternalStorage, error) {
	if uri == "" {
		return nil, errors.New("storage: empty data source URI")
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		// No scheme: a filesystem path (relative or absolute). Windows-style
		// "C:\..." paths also land here because they have no "://".
		return NewLocal(uri)
	}
	switch strings.ToLower(scheme) {
	case "file", "local":
		return NewLocal(uri)
	case "s3", "ks3", "gcs", "gs", "azure", "azblob", "hdfs", "noop":
		return nil, fmt.Errorf("storage: data source %q: scheme %s:// is %w", redactURI(uri), scheme, ErrNotSupported)
	default:
		_ = rest
		return nil, fmt.Errorf("storage: data source %q: unknown scheme %q", redactURI(uri), scheme)
	}
}

// redactURI drops the query string (which may hold access keys) and any
// user info from uri before it is put into an error message.
func redactURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		if i := strings.IndexByte(uri, '?'); i >= 0 {
			return uri[:i] + "?..."
		}
		return uri
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "..."
	}
	return u.String()
}
