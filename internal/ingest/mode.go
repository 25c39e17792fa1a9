package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"go.uber.org/zap"
)

// SwitchMode sends SwitchMode(mode) to every TiKV store (TiFlash
// excluded), all stores in parallel. It returns the joined per-store
// errors and how many stores accepted the switch.
func (c *Client) SwitchMode(ctx context.Context, mode import_sstpb.SwitchMode) (switched int, err error) {
	stores, err := c.pd.TiKVStores(ctx)
	if err != nil {
		return 0, fmt.Errorf("switch tikv mode to %s: %w", mode, err)
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, s := range stores {
		// Import mode is not sent to disconnected stores (the keeper repeats
		// it anyway); Normal is attempted everywhere so nothing is left in
		// import mode.
		if mode == import_sstpb.SwitchMode_Import && s.GetNodeState() == metapb.NodeState_Removed {
			continue
		}
		wg.Add(1)
		go func(s *metapb.Store) {
			defer wg.Done()
			err := c.switchStore(ctx, s.GetId(), mode)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			switched++
		}(s)
	}
	wg.Wait()
	c.logger.Info("switch tikv mode", zap.Stringer("mode", mode), zap.Int("stores", switched), zap.Int("failed", len(errs)))
	return switched, errors.Join(errs...)
}

func (c *Client) switchStore(ctx context.Context, storeID uint64, mode import_sstpb.SwitchMode) error {
	cli, err := c.stores.importClient(ctx, storeID)
	if err != nil {
		return fmt.Errorf("switch store %d to %s: %w", storeID, mode, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.SwitchMode(cctx, &import_sstpb.SwitchModeRequest{Mode: mode}); err != nil {
		return fmt.Errorf("switch store %d to %s: %w", storeID, mode, err)
	}
	return nil
}

// ModeKeeper holds the TiKV stores in import mode: TiKV reverts to normal
// on its own after import-mode-timeout, so the mode is re-asserted every
// cron.switch-mode. Stop switches back to normal.
type ModeKeeper struct {
	c        *Client
	interval time.Duration

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartModeKeeper switches all stores to import mode and keeps them there
// every interval until Stop. interval <= 0 disables import mode entirely
// (Lightning then checks write stall before each ingest instead, see
// Options.CheckWriteStall) and returns a keeper whose Stop does nothing.
// It fails only if no store at all accepted the switch.
func (c *Client) StartModeKeeper(ctx context.Context, interval time.Duration) (*ModeKeeper, error) {
	k := &ModeKeeper{c: c, interval: interval, done: make(chan struct{})}
	if interval <= 0 {
		close(k.done)
		k.once.Do(func() {})
		return k, nil
	}
	n, err := c.SwitchMode(ctx, import_sstpb.SwitchMode_Import)
	if n == 0 && err != nil {
		return nil, err
	}
	if err != nil {
		c.logger.Warn("some stores did not enter import mode; will retry", zap.Error(err))
	}
	// The loop must outlive a cancelled request context only until Stop,
	// so it derives from ctx's values but not its cancellation, and stops
	// when either Stop is called or ctx is done.
	kctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k.cancel = cancel
	go k.loop(ctx, kctx)
	return k, nil
}

func (k *ModeKeeper) loop(parent, ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(k.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-parent.Done():
			return
		case <-t.C:
			if _, err := k.c.SwitchMode(ctx, import_sstpb.SwitchMode_Import); err != nil && ctx.Err() == nil {
				k.c.logger.Warn("re-assert import mode failed", zap.Error(err))
			}
		}
	}
}

// Stop ends the keeper and switches every store back to normal mode using
// ctx. Pass a fresh context (e.g. context.WithoutCancel plus a timeout) when
// the import's own context was cancelled, or the switch-back cannot be sent.
// Calling Stop again is a no-op.
func (k *ModeKeeper) Stop(ctx context.Context) error {
	var err error
	k.once.Do(func() {
		k.cancel()
		<-k.done
		_, err = k.c.SwitchMode(ctx, import_sstpb.SwitchMode_Normal)
	})
	return err
}

// SwitchToNormal is the compensation step for a crashed worker that never
// ran ModeKeeper.Stop.
func (c *Client) SwitchToNormal(ctx context.Context) error {
	_, err := c.SwitchMode(ctx, import_sstpb.SwitchMode_Normal)
	return err
}
