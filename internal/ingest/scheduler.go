package ingest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Scheduler pause scopes (tikv-importer.pause-pd-scheduler-scope).
const (
	ScopeTable  = "table"
	ScopeGlobal = "global"
)

// pausedSchedulerPrefixes are the PD schedulers BR pauses in global scope.
var pausedSchedulerPrefixes = []string{
	"balance-leader-scheduler", "balance-region-scheduler", "balance-hot-region-scheduler",
	"shuffle-", "evict-slow-store-scheduler",
}

// pausedConfig is what global scope sets in PD's schedule config. BR also
// scales leader/region-schedule-limit and max-snapshot-count with the store
// count; we leave those alone (see doc.go).
var pausedConfig = map[string]any{
	"merge-schedule-limit":        0,
	"max-merge-region-size":       0,
	"max-merge-region-keys":       0,
	"enable-location-replacement": "false",
	"max-pending-peer-count":      int64(1<<31 - 1),
}

// errEndpointMissing marks a PD without the HTTP endpoint (404), e.g. a
// test cluster; pausing is then skipped with a warning.
var errEndpointMissing = errors.New("PD HTTP endpoint not found")

// SchedulerPauser pauses PD scheduling for the duration of an import
// through PD's HTTP API.
type SchedulerPauser struct {
	base   string
	http   *http.Client
	logger *zap.Logger
}

// NewSchedulerPauser targets the PD at addr (host:port or a URL).
func NewSchedulerPauser(addr string, logger *zap.Logger) *SchedulerPauser {
	if logger == nil {
		logger = zap.NewNop()
	}
	base := addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &SchedulerPauser{base: strings.TrimRight(base, "/") + "/pd/api/v1", http: &http.Client{Timeout: 10 * time.Second}, logger: logger}
}

func (p *SchedulerPauser) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented {
		return fmt.Errorf("%s %s: %w (%s)", method, path, errEndpointMissing, resp.Status)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// PausedSchedulers is an active pause; Resume undoes it.
type PausedSchedulers struct {
	p      *SchedulerPauser
	scope  string
	ruleID string
	rule   map[string]any
	paused []string
	oldCfg map[string]any
	ttl    time.Duration

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Pause stops PD from moving regions of ranges (raw keys) during import.
//
// Table scope posts a key-range region-label rule schedule=deny named
// ruleID with a TTL (so a crashed importer does not block PD forever).
// Global scope pauses the balance/shuffle/evict-slow-store schedulers with
// a delay and turns off region merge. Either way a goroutine refreshes the
// pause every ttl/3 (ttl defaults to 5 minutes) until Resume.
//
// If PD lacks the endpoint (HTTP 404) Pause logs a warning and returns a
// no-op pause.
func (p *SchedulerPauser) Pause(ctx context.Context, scope, ruleID string, ranges []KeyRange, ttl time.Duration) (*PausedSchedulers, error) {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	ps := &PausedSchedulers{p: p, scope: scope, ruleID: ruleID, ttl: ttl, done: make(chan struct{})}
	var err error
	switch scope {
	case ScopeTable, "":
		ps.scope = ScopeTable
		err = ps.pauseTable(ctx, ranges)
	case ScopeGlobal:
		err = ps.pauseGlobal(ctx)
	default:
		return nil, fmt.Errorf("pause PD schedulers: unknown scope %q", scope)
	}
	if errors.Is(err, errEndpointMissing) {
		p.logger.Warn("PD lacks the scheduler HTTP API; not pausing schedulers", zap.String("scope", ps.scope), zap.Error(err))
		close(ps.done)
		ps.once.Do(func() {})
		return ps, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pause PD schedulers (%s): %w", ps.scope, err)
	}
	kctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ps.cancel = cancel
	go ps.refresh(kctx)
	return ps, nil
}

func (ps *PausedSchedulers) pauseTable(ctx context.Context, ranges []KeyRange) error {
	if ps.ruleID == "" {
		return errors.New("table scope needs a rule id")
	}
	var data []map[string]string
	for _, r := range MergeRanges(ranges) {
		data = append(data, map[string]string{
			"start_key": hex.EncodeToString(encodeKey(r.Start)),
			"end_key":   hex.EncodeToString(encodeKey(r.End)),
		})
	}
	ps.rule = map[string]any{
		"id":        ps.ruleID,
		"index":     0,
		"labels":    []map[string]string{{"key": "schedule", "value": "deny", "ttl": ps.ttl.String()}},
		"rule_type": "key-range",
		"data":      data,
	}
	return ps.p.do(ctx, http.MethodPost, "/config/region-label/rule", ps.rule, nil)
}

func (ps *PausedSchedulers) pauseGlobal(ctx context.Context) error {
	var all []string
	if err := ps.p.do(ctx, http.MethodGet, "/schedulers", nil, &all); err != nil {
		return err
	}
	for _, s := range all {
		for _, pre := range pausedSchedulerPrefixes {
			if strings.HasPrefix(s, pre) {
				ps.paused = append(ps.paused, s)
				break
			}
		}
	}
	var cfg map[string]any
	if err := ps.p.do(ctx, http.MethodGet, "/config/schedule", nil, &cfg); err != nil {
		return err
	}
	ps.oldCfg = map[string]any{}
	for k := range pausedConfig {
		if v, ok := cfg[k]; ok {
			ps.oldCfg[k] = v
		}
	}
	if err := ps.pauseSchedulers(ctx, int64(ps.ttl/time.Second)); err != nil {
		return err
	}
	return ps.p.do(ctx, http.MethodPost, "/config", pausedConfig, nil)
}

func (ps *PausedSchedulers) pauseSchedulers(ctx context.Context, delay int64) error {
	var errs []error
	for _, s := range ps.paused {
		if err := ps.p.do(ctx, http.MethodPost, "/schedulers/"+url.PathEscape(s), map[string]int64{"delay": delay}, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (ps *PausedSchedulers) refresh(ctx context.Context) {
	defer close(ps.done)
	t := time.NewTicker(ps.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			var err error
			if ps.scope == ScopeTable {
				err = ps.p.do(ctx, http.MethodPost, "/config/region-label/rule", ps.rule, nil)
			} else {
				err = ps.pauseSchedulers(ctx, int64(ps.ttl/time.Second))
			}
			if err != nil && ctx.Err() == nil {
				ps.p.logger.Warn("refresh PD scheduler pause failed", zap.String("scope", ps.scope), zap.Error(err))
			}
		}
	}
}

// Resume removes the pause using ctx (pass a fresh context after a
// failure). Calling it again is a no-op.
func (ps *PausedSchedulers) Resume(ctx context.Context) error {
	var err error
	ps.once.Do(func() {
		ps.cancel()
		<-ps.done
		if ps.scope == ScopeTable {
			err = ps.p.do(ctx, http.MethodDelete, "/config/region-label/rule/"+url.PathEscape(ps.ruleID), nil, nil)
			if errors.Is(err, errEndpointMissing) {
				err = nil // already gone
			}
		} else {
			err = errors.Join(ps.pauseSchedulers(ctx, 0), ps.p.do(ctx, http.MethodPost, "/config", ps.oldCfg, nil))
		}
		if err != nil {
			err = fmt.Errorf("resume PD schedulers (%s): %w", ps.scope, err)
		}
	})
	return err
}
