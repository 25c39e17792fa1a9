//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package embedtemporal

// stateLock is a no-op on platforms without flock; concurrent use of one
// state directory is then the user's responsibility.
type stateLock struct{}

func acquireStateLock(string) (*stateLock, error) { return &stateLock{}, nil }

func (*stateLock) release() error { return nil }
