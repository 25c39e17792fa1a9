//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package embedtemporal

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// stateLock is an advisory flock on a file in the state directory. flock
// locks belong to the open file description, so a second Start in the same
// process is refused just like a second process is, and the kernel drops the
// lock if the process dies, so there is never a stale lock to clean up.
type stateLock struct {
	f *os.File
}

func acquireStateLock(path string) (*stateLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedtemporal: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedtemporal: %s: %w (another tempest process, or another embedded server in this one, is using it)", path, ErrStateLocked)
		}
		return nil, fmt.Errorf("embedtemporal: lock %s: %w", path, err)
	}
	return &stateLock{f: f}, nil
}

func (l *stateLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Closing the descriptor releases the flock.
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("embedtemporal: release state lock: %w", err)
	}
	return nil
}
