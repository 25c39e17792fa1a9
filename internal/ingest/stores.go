package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/tikvpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// storeConns caches one gRPC connection per TiKV store. Connections are
// created lazily from PD's store address and dropped on transport errors so
// a restarted store (new address) is picked up.
type storeConns struct {
	pd *PD

	mu    sync.Mutex
	conns map[uint64]*grpc.ClientConn
}

func newStoreConns(p *PD) *storeConns {
	return &storeConns{pd: p, conns: make(map[uint64]*grpc.ClientConn)}
}

func (s *storeConns) conn(ctx context.Context, storeID uint64) (*grpc.ClientConn, error) {
	s.mu.Lock()
	c, ok := s.conns[storeID]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	st, err := s.pd.Store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	addr := st.GetAddress()
	if isTiFlash(st) && st.GetPeerAddress() != "" {
		// TiFlash serves the import service on its proxy's peer address.
		addr = st.GetPeerAddress()
	}
	return s.dial(storeID, addr)
}

func (s *storeConns) dial(storeID uint64, addr string) (*grpc.ClientConn, error) {
	c, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{
			BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second,
		}, MinConnectTimeout: 5 * time.Second}),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 10 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20), grpc.MaxCallSendMsgSize(128<<20)),
	)
	if err != nil {
		return nil, fmt.Errorf("dial store %d at %s: %w", storeID, addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.conns[storeID]; ok {
		// Lost a race with another dialer; keep the first.
		_ = c.Close()
		return old, nil
	}
	s.conns[storeID] = c
	return c, nil
}

func (s *storeConns) importClient(ctx context.Context, storeID uint64) (import_sstpb.ImportSSTClient, error) {
	c, err := s.conn(ctx, storeID)
	if err != nil {
		return nil, err
	}
	return import_sstpb.NewImportSSTClient(c), nil
}

func (s *storeConns) tikvClient(ctx context.Context, storeID uint64) (tikvpb.TikvClient, error) {
	c, err := s.conn(ctx, storeID)
	if err != nil {
		return nil, err
	}
	return tikvpb.NewTikvClient(c), nil
}

func (s *storeConns) close() error {
	s.mu.Lock()
	conns := s.conns
	s.conns = make(map[uint64]*grpc.ClientConn)
	s.mu.Unlock()
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
