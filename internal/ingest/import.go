package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tempestdb/tempest/internal/engine"
)

// ImportOptions are per-call parameters of ImportEngine.
type ImportOptions struct {
	// Finished are key ranges already imported by an earlier attempt (from
	// the Temporal heartbeat); they are skipped.
	Finished []KeyRange
	// SkipSplit disables region pre-splitting (e.g. a resumed import whose
	// split already happened; splitting again is harmless but costs scans).
	SkipSplit bool
}

// ImportStats summarize one ImportEngine call.
type ImportStats struct {
	Jobs      int64 // region jobs that ingested (including partial ones)
	Pairs     int64 // pairs written
	Bytes     int64 // key+value bytes written
	Retries   int64 // job retries of any kind
	Rescans   int64 // PD rescans after region errors
	SplitKeys int   // split keys computed from range properties
}

// ImportEngine writes the engine's pairs to TiKV and ingests them: compute
// split keys from range properties, split and scatter regions, then run one
// write→ingest job per region overlapping each pending range, at most
// RangeConcurrency at a time, with the retry state machine of §7.4–7.6.
//
// It can resume: ranges in opts.Finished are skipped, and progress (if not
// nil) is called, never concurrently, with each newly finished range, in
// raw-key space. Re-importing a finished range is safe (same keys, same
// commit TS), so a progress report lost to a crash only costs time.
//
// The engine's commit TS must be set (Engine.SetCommitTS).
func ImportEngine(ctx context.Context, eng *engine.Engine, c *Client, opts ImportOptions, progress func(finished []KeyRange)) (ImportStats, error) {
	var stats ImportStats
	ts := eng.CommitTS()
	if ts == 0 {
		return stats, fmt.Errorf("import engine %s: commit TS not set", eng.Name())
	}
	first, last, ok, err := eng.Bounds()
	if err != nil {
		return stats, fmt.Errorf("import engine %s: %w", eng.Name(), err)
	}
	if !ok {
		return stats, nil
	}
	whole := KeyRange{Start: first, End: nextKey(last)}
	pending := subtractRanges(whole, MergeRanges(opts.Finished))
	if len(pending) == 0 {
		return stats, nil
	}
	log := c.logger.With(zap.String("engine", eng.Name()))

	// Units: the engine cut at its split keys, restricted to what is left.
	splitKeys := eng.SplitKeys(c.opts.RegionSplitSize, c.opts.RegionSplitKeys)
	stats.SplitKeys = len(splitKeys)
	bounds := append(append([][]byte{first}, splitKeys...), whole.End)
	var units []KeyRange
	for i := 0; i+1 < len(bounds); i++ {
		u := KeyRange{Start: bounds[i], End: bounds[i+1]}
		for _, p := range pending {
			if x, ok := intersect(u, p); ok {
				units = append(units, x)
			}
		}
	}
	log.Info("import engine", zap.Int("units", len(units)), zap.Int("splitKeys", len(splitKeys)),
		zap.Int("finishedRanges", len(opts.Finished)), zap.Uint64("commitTS", ts))

	// An engine that fits one region is not split (§7.3).
	if !opts.SkipSplit && len(splitKeys) > 0 {
		var keys [][]byte
		for _, u := range units {
			keys = append(keys, u.Start, u.End)
		}
		if err := c.SplitAndScatter(ctx, keys); err != nil {
			return stats, fmt.Errorf("import engine %s: %w", eng.Name(), err)
		}
	}

	r := &importRun{c: c, eng: eng, ts: ts, log: log, progress: progress}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.ctx, r.cancel = runCtx, cancel
	r.sem = make(chan struct{}, c.opts.RangeConcurrency)

	// PD can briefly report a hole while fresh splits are being reported;
	// retry the initial scan like any job rescan.
	var regions []*Region
	for attempt := 1; ; attempt++ {
		regions, err = c.pd.ScanRegions(ctx, encodeKey(units[0].Start), encodeKey(units[len(units)-1].End))
		if err == nil {
			break
		}
		if attempt >= c.opts.MaxRetries {
			return stats, fmt.Errorf("import engine %s: %w", eng.Name(), err)
		}
		if serr := sleepCtx(ctx, c.opts.backoff(attempt)); serr != nil {
			return stats, fmt.Errorf("import engine %s: %w", eng.Name(), serr)
		}
	}
	for _, u := range units {
		for _, j := range jobsFor(u, regions, 0) {
			r.spawn(j)
		}
	}
	r.wg.Wait()
	stats.Jobs, stats.Pairs, stats.Bytes = r.jobs.Load(), r.pairs.Load(), r.bytes.Load()
	stats.Retries, stats.Rescans = r.retries.Load(), r.rescans.Load()
	if err := context.Cause(runCtx); err != nil {
		return stats, fmt.Errorf("import engine %s: %w", eng.Name(), err)
	}
	log.Info("engine imported", zap.Int64("jobs", stats.Jobs), zap.Int64("pairs", stats.Pairs),
		zap.Int64("bytes", stats.Bytes), zap.Int64("retries", stats.Retries))
	return stats, nil
}

// jobsFor cuts kr by the regions (in raw-key space).
func jobsFor(kr KeyRange, regions []*Region, retries int) []*regionJob {
	var out []*regionJob
	for _, reg := range regions {
		if x, ok := intersect(kr, reg.rawRange()); ok {
			out = append(out, &regionJob{kr: x, region: reg, retries: retries})
		}
	}
	return out
}

type jobStage int

const (
	stageScanned    jobStage = iota // region known, nothing written
	stageWrote                      // SSTs staged on every peer, metas kept
	stageIngested                   // durable in TiKV
	stageNeedRescan                 // region info stale: ask PD again
)

type regionJob struct {
	kr      KeyRange
	region  *Region
	stage   jobStage
	retries int

	// Set by a successful write.
	metas      []*import_sstpb.SSTMeta
	writtenEnd []byte // exclusive end of this pass; < kr.End for a partial job
	pairs      int64
	bytes      int64
}

type importRun struct {
	c   *Client
	eng *engine.Engine
	ts  uint64
	log *zap.Logger

	ctx    context.Context
	cancel context.CancelCauseFunc
	sem    chan struct{}
	wg     sync.WaitGroup

	progressMu sync.Mutex
	progress   func([]KeyRange)

	jobs, pairs, bytes, retries, rescans atomic.Int64
}

func (r *importRun) spawn(j *regionJob) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case r.sem <- struct{}{}:
		case <-r.ctx.Done():
			return
		}
		defer func() { <-r.sem }()
		if err := r.runJob(j); err != nil {
			r.cancel(err)
		}
	}()
}

// jobError is a failed step with what to do next.
type jobError struct {
	err   error
	next  jobStage
	fatal bool
	// wait overrides the exponential backoff (0 = use it; <0 = none).
	wait time.Duration
}

func (e *jobError) Error() string { return e.err.Error() }

// runJob drives one job through the state machine until it is ingested,
// spawning sibling jobs when a rescan splits it.
func (r *importRun) runJob(j *regionJob) error {
	for {
		if err := r.ctx.Err(); err != nil {
			return nil // the cause is already recorded
		}
		var jerr *jobError
		switch j.stage {
		case stageScanned:
			jerr = r.write(j)
		case stageWrote:
			jerr = r.ingest(j)
		case stageNeedRescan:
			jerr = r.rescan(j)
		case stageIngested:
			r.finish(j)
			if len(j.writtenEnd) > 0 && endCompare(j.writtenEnd, j.kr.End) < 0 {
				// Partial job (§7.5 step 5): continue after what was ingested.
				j.kr.Start = j.writtenEnd
				j.stage = stageScanned
				j.metas, j.writtenEnd = nil, nil
				continue
			}
			return nil
		}
		if jerr == nil {
			continue
		}
		if jerr.fatal {
			return jerr.err
		}
		if r.ctx.Err() != nil {
			// Failures caused by another job's fatal error or by the
			// caller's cancellation are not retries.
			return nil
		}
		j.retries++
		r.retries.Add(1)
		if j.retries > r.c.opts.MaxRetries {
			return fmt.Errorf("%w: %s: %w", ErrTooManyRetries, j.kr, jerr.err)
		}
		r.log.Debug("region job retry", zap.Stringer("range", j.kr), zap.Uint64("region", j.region.Meta.GetId()),
			zap.Int("retry", j.retries), zap.Int("next", int(jerr.next)), zap.Error(jerr.err))
		j.stage = jerr.next
		wait := jerr.wait
		if wait == 0 {
			wait = r.c.opts.backoff(j.retries)
		}
		if wait > 0 {
			if err := sleepCtx(r.ctx, wait); err != nil {
				return nil
			}
		}
	}
}

func (r *importRun) finish(j *regionJob) {
	end := j.kr.End
	if len(j.writtenEnd) > 0 {
		end = j.writtenEnd
	}
	r.jobs.Add(1)
	r.pairs.Add(j.pairs)
	r.bytes.Add(j.bytes)
	if r.progress != nil {
		r.progressMu.Lock()
		r.progress([]KeyRange{{Start: j.kr.Start, End: end}})
		r.progressMu.Unlock()
	}
}

// rescan asks PD for the regions of the job's range; the job continues
// with the first piece and siblings are spawned for the rest.
func (r *importRun) rescan(j *regionJob) *jobError {
	r.rescans.Add(1)
	regions, err := r.c.pd.ScanRegions(r.ctx, encodeKey(j.kr.Start), encodeKey(j.kr.End))
	if err != nil {
		return &jobError{err: err, next: stageNeedRescan}
	}
	jobs := jobsFor(j.kr, regions, j.retries)
	if len(jobs) == 0 {
		return &jobError{err: fmt.Errorf("no region covers %s", j.kr), next: stageNeedRescan}
	}
	*j = *jobs[0]
	for _, s := range jobs[1:] {
		r.spawn(s)
	}
	return nil
}

func (r *importRun) newUUID() ([]byte, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generate sst uuid: %w", err)
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id, nil
}

func (r *importRun) kvContext(reg *Region, peer *metapb.Peer) *kvrpcpb.Context {
	ctx := &kvrpcpb.Context{RequestSource: r.c.opts.RequestSource}
	if reg != nil {
		ctx.RegionId = reg.Meta.GetId()
		ctx.RegionEpoch = reg.Meta.GetRegionEpoch()
		ctx.Peer = peer
	}
	if r.c.opts.ResourceGroup != "" {
		ctx.ResourceControlContext = &kvrpcpb.ResourceControlContext{ResourceGroupName: r.c.opts.ResourceGroup}
	}
	return ctx
}

type peerStream struct {
	peer   *metapb.Peer
	stream import_sstpb.ImportSST_WriteClient
	lim    *rateLimiter
	broken bool // Send failed; CloseAndRecv tells why
}

// write streams the job's pairs to every peer (§7.5) and keeps the
// leader's metas.
func (r *importRun) write(j *regionJob) *jobError {
	leader := j.region.Leader
	if leader == nil || leader.GetId() == 0 {
		return &jobError{err: fmt.Errorf("%s has no leader", j.region), next: stageNeedRescan}
	}
	it, err := r.eng.Iterate(j.kr.Start, j.kr.End)
	if err != nil {
		return &jobError{err: err, fatal: true}
	}
	defer it.Close()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return &jobError{err: fmt.Errorf("read engine: %w", err), fatal: true}
		}
		// Nothing of the engine in this region.
		j.stage, j.writtenEnd, j.pairs, j.bytes = stageIngested, nil, 0, 0
		return nil
	}
	lastKey := append([]byte(nil), it.Key()...)
	it.First()
	firstKey := append([]byte(nil), it.Key()...)

	uuid, err := r.newUUID()
	if err != nil {
		return &jobError{err: err, fatal: true}
	}
	meta := &import_sstpb.SSTMeta{
		Uuid:        uuid,
		RegionId:    j.region.Meta.GetId(),
		RegionEpoch: j.region.Meta.GetRegionEpoch(),
		Range:       &import_sstpb.Range{Start: encodeKey(firstKey), End: encodeKey(lastKey)},
		ApiVersion:  kvrpcpb.APIVersion_V1,
	}
	wctx, cancel := context.WithTimeout(r.ctx, r.c.opts.WriteTimeout)
	defer cancel()

	var streams []*peerStream
	for _, p := range j.region.Meta.GetPeers() {
		cli, err := r.c.stores.importClient(wctx, p.GetStoreId())
		if err != nil {
			return &jobError{err: err, next: stageNeedRescan}
		}
		s, err := cli.Write(wctx, grpc.ForceCodecV2(newPreEncodedCodec()))
		if err != nil {
			return &jobError{err: fmt.Errorf("open write stream to store %d: %w", p.GetStoreId(), err), next: stageNeedRescan}
		}
		ps := &peerStream{peer: p, stream: s, lim: r.c.limiter(p.GetStoreId())}
		if err := s.Send(&import_sstpb.WriteRequest{Chunk: &import_sstpb.WriteRequest_Meta{Meta: meta}, Context: r.kvContext(nil, nil)}); err != nil {
			ps.broken = true
		}
		streams = append(streams, ps)
	}

	maxSize, maxKeys := r.c.opts.regionMaxSize(), r.c.opts.RegionSplitKeys
	var (
		batch      []*import_sstpb.Pair
		batchBytes int64
		arena      []byte
		slab       []import_sstpb.Pair
		marshalErr error
		pairs      int64
		written    int64
		remaining  []byte
	)
	send := func() {
		if len(batch) == 0 {
			return
		}
		req := &import_sstpb.WriteRequest{Chunk: &import_sstpb.WriteRequest_Batch{Batch: &import_sstpb.WriteBatch{CommitTs: r.ts, Pairs: batch}}}
		// Marshal once for all peers; each stream sends the same bytes.
		raw, err := req.Marshal()
		if err != nil {
			marshalErr = fmt.Errorf("marshal write batch: %w", err)
			return
		}
		msg := encodedMessage(raw)
		for _, ps := range streams {
			if ps.broken {
				continue
			}
			if err := ps.lim.wait(wctx, int(batchBytes)); err != nil {
				ps.broken = true
				continue
			}
			if err := ps.stream.SendMsg(msg); err != nil {
				ps.broken = true
			}
		}
		// The pairs are in raw now, which gRPC may still hold (a new one
		// is marshalled for every batch); their buffers are free again.
		batch, batchBytes, arena, slab = batch[:0], 0, arena[:0], slab[:0]
	}
	for ok := true; ok; ok = it.Next() {
		k := it.Key()
		if written >= maxSize || pairs >= maxKeys {
			remaining = append([]byte(nil), k...)
			break
		}
		v, err := it.Value()
		if err != nil {
			return &jobError{err: fmt.Errorf("read engine: %w", err), fatal: true}
		}
		// The iterator reuses its buffers: the batch needs copies. They go
		// into an arena and a Pair slab reused from batch to batch, not two
		// allocations per pair.
		n := int64(len(k) + len(v))
		if int64(cap(arena)-len(arena)) < n {
			arena = make([]byte, 0, max(n, r.c.opts.SendKVSize+r.c.opts.SendKVSize/8))
		}
		off := len(arena)
		arena = append(append(arena, k...), v...)
		if len(slab) == cap(slab) {
			slab = make([]import_sstpb.Pair, 0, 64)
		}
		slab = append(slab, import_sstpb.Pair{Key: arena[off : off+len(k) : off+len(k)], Value: arena[off+len(k) : len(arena) : len(arena)], Op: import_sstpb.Pair_Put})
		batch = append(batch, &slab[len(slab)-1])
		batchBytes += n
		written += n
		pairs++
		if batchBytes >= r.c.opts.SendKVSize {
			send()
		}
		if wctx.Err() != nil || allBroken(streams) || marshalErr != nil {
			// CloseAndRecv below reports why; reading on is wasted work.
			break
		}
	}
	if err := it.Error(); err != nil {
		return &jobError{err: fmt.Errorf("read engine: %w", err), fatal: true}
	}
	send()
	if marshalErr != nil {
		// wctx's cancel (deferred) aborts the streams.
		return &jobError{err: marshalErr, fatal: true}
	}

	var leaderMetas []*import_sstpb.SSTMeta
	var errs []error
	var worst *jobError
	for _, ps := range streams {
		resp, err := ps.stream.CloseAndRecv()
		if err != nil {
			jerr := &jobError{err: fmt.Errorf("write to store %d: %w", ps.peer.GetStoreId(), err), next: stageNeedRescan}
			errs = append(errs, jerr.err)
			worst = pickWorse(worst, jerr)
			continue
		}
		if e := resp.GetError(); e != nil {
			jerr := classifyWriteError(e, fmt.Errorf("write to store %d: %s", ps.peer.GetStoreId(), e.GetMessage()))
			errs = append(errs, jerr.err)
			worst = pickWorse(worst, jerr)
			continue
		}
		if ps.peer.GetId() == leader.GetId() {
			leaderMetas = resp.GetMetas()
		}
	}
	if worst != nil {
		worst.err = errors.Join(errs...)
		return worst
	}
	if err := wctx.Err(); err != nil {
		return &jobError{err: fmt.Errorf("write %s: %w", j.region, err), next: stageNeedRescan}
	}
	if len(leaderMetas) == 0 {
		return &jobError{err: fmt.Errorf("write %s: no metas from leader peer %d", j.region, leader.GetId()), next: stageNeedRescan}
	}
	j.metas = leaderMetas
	j.writtenEnd = remaining
	j.pairs, j.bytes = pairs, written
	j.stage = stageWrote
	return nil
}

func allBroken(streams []*peerStream) bool {
	for _, ps := range streams {
		if !ps.broken {
			return false
		}
	}
	return true
}

// pickWorse keeps the most severe of two outcomes: fatal beats rescan
// beats rewrite.
func pickWorse(a, b *jobError) *jobError {
	rank := func(e *jobError) int {
		switch {
		case e == nil:
			return -1
		case e.fatal:
			return 3
		case e.next == stageNeedRescan:
			return 2
		default:
			return 1
		}
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// classifyWriteError maps an error returned by a Write stream.
func classifyWriteError(e *import_sstpb.Error, err error) *jobError {
	se := e.GetStoreError()
	switch {
	case se.GetDiskFull() != nil:
		return &jobError{err: fmt.Errorf("%w: %w", ErrDiskFull, err), fatal: true}
	case se.GetServerIsBusy() != nil:
		return &jobError{err: err, next: stageScanned, wait: busyWait(se)}
	case strings.Contains(e.GetMessage(), "RequestTooNew"):
		return &jobError{err: err, next: stageScanned}
	default:
		// NotLeader, EpochNotMatch, RegionNotFound and anything else: the
		// region view is suspect.
		return &jobError{err: err, next: stageNeedRescan}
	}
}

func busyWait(se *errorpb.Error) time.Duration {
	if ms := se.GetServerIsBusy().GetBackoffMs(); ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return 0
}

// maxIngestTransportRetries bounds immediate retries of MultiIngest on
// transport errors before the job is rewritten (§7.6).
const maxIngestTransportRetries = 20

// ingest sends MultiIngest to the leader (§7.6) and maps the response to
// the next stage.
func (r *importRun) ingest(j *regionJob) *jobError {
	if r.c.opts.CheckWriteStall {
		if jerr := r.checkWriteStall(j); jerr != nil {
			return jerr
		}
	}
	leader := j.region.Leader
	var resp *import_sstpb.IngestResponse
	for attempt := 1; ; attempt++ {
		cli, err := r.c.stores.importClient(r.ctx, leader.GetStoreId())
		if err != nil {
			return &jobError{err: err, next: stageNeedRescan}
		}
		resp, err = cli.MultiIngest(r.ctx, &import_sstpb.MultiIngestRequest{Context: r.kvContext(j.region, leader), Ssts: j.metas})
		if err == nil {
			break
		}
		if status.Code(err) == codes.Unimplemented {
			return &jobError{err: fmt.Errorf("store %d does not support MultiIngest: %w", leader.GetStoreId(), err), fatal: true}
		}
		r.retries.Add(1)
		if attempt >= maxIngestTransportRetries || r.ctx.Err() != nil {
			return &jobError{err: fmt.Errorf("ingest %s: %w", j.region, err), next: stageScanned}
		}
		if err := sleepCtx(r.ctx, min(r.c.opts.backoff(attempt), time.Second)); err != nil {
			return &jobError{err: err, next: stageWrote}
		}
	}
	re := resp.GetError()
	if re == nil {
		j.stage = stageIngested
		return nil
	}
	err := fmt.Errorf("ingest %s: %s", j.region, describeRegionError(re))
	switch {
	case re.GetDiskFull() != nil:
		return &jobError{err: fmt.Errorf("%w: %w", ErrDiskFull, err), fatal: true}
	case re.GetNotLeader() != nil:
		// Retry the ingest right away at the new leader if it is one of the
		// peers we wrote to (it holds the SSTs); otherwise rescan.
		if nl := re.GetNotLeader().GetLeader(); nl != nil && nl.GetId() != leader.GetId() {
			for _, p := range j.region.Meta.GetPeers() {
				if p.GetId() == nl.GetId() {
					reg := *j.region
					reg.Leader = p
					j.region = &reg
					return &jobError{err: err, next: stageWrote, wait: -1}
				}
			}
		}
		return &jobError{err: err, next: stageNeedRescan}
	case re.GetEpochNotMatch() != nil:
		if reg := retarget(re.GetEpochNotMatch().GetCurrentRegions(), j.metas, leader.GetStoreId()); reg != nil {
			// The data still fits one current region that has a peer where
			// our leader was: rewrite to it without asking PD.
			if x, ok := intersect(j.kr, reg.rawRange()); ok && bytes.Equal(x.Start, j.kr.Start) && endCompare(x.End, j.kr.End) == 0 {
				j.region = reg
				return &jobError{err: err, next: stageScanned, wait: -1}
			}
		}
		return &jobError{err: err, next: stageNeedRescan}
	case re.GetServerIsBusy() != nil:
		return &jobError{err: err, next: stageWrote, wait: busyWait(re)}
	case re.GetRegionNotFound() != nil, re.GetReadIndexNotReady() != nil, re.GetKeyNotInRegion() != nil,
		re.GetStaleCommand() != nil, re.GetStoreNotMatch() != nil,
		strings.Contains(re.GetMessage(), "raft: proposal dropped"):
		return &jobError{err: err, next: stageNeedRescan}
	default:
		return &jobError{err: err, next: stageScanned}
	}
}

// retarget finds, among an EpochNotMatch's current regions, one containing
// every SST range and with a peer on leaderStore (§7.6).
func retarget(current []*metapb.Region, metas []*import_sstpb.SSTMeta, leaderStore uint64) *Region {
	for _, cr := range current {
		p := peerOnStore(cr, leaderStore)
		if p == nil {
			continue
		}
		all := true
		for _, m := range metas {
			s, e := m.GetRange().GetStart(), m.GetRange().GetEnd()
			if bytes.Compare(s, cr.GetStartKey()) < 0 || (len(cr.GetEndKey()) > 0 && bytes.Compare(e, cr.GetEndKey()) >= 0) {
				all = false
				break
			}
		}
		if all {
			return &Region{Meta: cr, Leader: p}
		}
	}
	return nil
}

// checkWriteStall probes every peer store with an empty MultiIngest and
// backs off while one reports server_is_busy (cron.switch-mode = 0 mode).
func (r *importRun) checkWriteStall(j *regionJob) *jobError {
	for _, p := range j.region.Meta.GetPeers() {
		cli, err := r.c.stores.importClient(r.ctx, p.GetStoreId())
		if err != nil {
			return &jobError{err: err, next: stageWrote}
		}
		resp, err := cli.MultiIngest(r.ctx, &import_sstpb.MultiIngestRequest{})
		if err != nil {
			return &jobError{err: fmt.Errorf("write stall probe on store %d: %w", p.GetStoreId(), err), next: stageWrote}
		}
		if se := resp.GetError(); se.GetServerIsBusy() != nil {
			return &jobError{err: fmt.Errorf("store %d write stall: %s", p.GetStoreId(), se.GetMessage()), next: stageWrote, wait: busyWait(se)}
		}
	}
	return nil
}
