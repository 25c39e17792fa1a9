package sandbox

import (
	"bufio"
	"bytes"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
)

// http2Preface starts every gRPC (HTTP/2 prior-knowledge) connection.
var http2Preface = []byte("PRI * HTTP/2.0")

// protoMux splits one listener into a gRPC listener and an HTTP/1 listener
// by sniffing the first bytes of each connection. Real PD serves gRPC and its
// HTTP API on the same port, and clients derive one from the other, so the
// sandbox does the same.
type protoMux struct {
	root net.Listener
	log  *zap.Logger
	grpc *chanListener
	http *chanListener
	wg   sync.WaitGroup
}

func newProtoMux(l net.Listener, log *zap.Logger) *protoMux {
	m := &protoMux{root: l, log: log, grpc: newChanListener(l.Addr()), http: newChanListener(l.Addr())}
	m.wg.Add(1)
	go m.serve()
	return m
}

func (m *protoMux) serve() {
	defer m.wg.Done()
	for {
		conn, err := m.root.Accept()
		if err != nil {
			m.grpc.close()
			m.http.close()
			return
		}
		go m.route(conn)
	}
}

func (m *protoMux) route(conn net.Conn) {
	// A client that connects but never speaks must not pin a goroutine.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	head, err := br.Peek(len(http2Preface))
	_ = conn.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: conn, r: br}
	if err != nil && len(head) == 0 {
		_ = conn.Close()
		return
	}
	target := m.http
	if bytes.Equal(head, http2Preface) {
		target = m.grpc
	}
	if !target.deliver(pc) {
		_ = conn.Close()
	}
}

// close stops accepting; the child listeners report closed afterwards.
func (m *protoMux) close() {
	_ = m.root.Close()
	m.wg.Wait()
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener is a net.Listener fed by protoMux.
type chanListener struct {
	addr   net.Addr
	ch     chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) close() { l.closed.Do(func() { close(l.done) }) }

func (l *chanListener) Close() error { l.close(); return nil }

func (l *chanListener) Addr() net.Addr { return l.addr }
