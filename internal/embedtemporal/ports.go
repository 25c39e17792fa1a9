package embedtemporal

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// portReservation keeps a listener open on every chosen port until all ports
// are chosen. Without it, asking the kernel for "a free port" several times
// in a row can return the same port twice, because a closed probe listener
// frees the port immediately.
type portReservation struct {
	ip        string
	listeners []net.Listener
}

func newPortReservation(ip string) *portReservation {
	return &portReservation{ip: ip}
}

// exact reserves port, failing with ErrPortInUse if it cannot be bound.
func (r *portReservation) exact(port int, what string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(r.ip, strconv.Itoa(port)))
	if err != nil {
		return 0, fmt.Errorf("embedtemporal: %s port %s: %w (%v)",
			what, net.JoinHostPort(r.ip, strconv.Itoa(port)), ErrPortInUse, err)
	}
	r.listeners = append(r.listeners, l)
	return port, nil
}

// preferred reserves port if it can be bound, else any free port. A port
// outside 1..65535 goes straight to the fallback.
func (r *portReservation) preferred(port int, what string) (int, error) {
	if port > 0 && port <= 65535 {
		if p, err := r.exact(port, what); err == nil {
			return p, nil
		} else if !errors.Is(err, ErrPortInUse) {
			return 0, err
		}
	}
	return r.free(what)
}

// free reserves a kernel-chosen free port.
func (r *portReservation) free(what string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(r.ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("embedtemporal: find free port for %s on %s: %w", what, r.ip, err)
	}
	r.listeners = append(r.listeners, l)
	return l.Addr().(*net.TCPAddr).Port, nil
}

// release closes all reservation listeners so the real servers can bind. The
// window between release and bind is the only remaining race with other
// processes; a lost race surfaces as a server start error, not a crash,
// except for the UI (see doc.go), which is why its port is re-checked last.
func (r *portReservation) release() {
	for _, l := range r.listeners {
		_ = l.Close()
	}
	r.listeners = nil
}
