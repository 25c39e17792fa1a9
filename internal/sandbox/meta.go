package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/pingcap/kvproto/pkg/metapb"
)

// regionState is the sandbox's authoritative record of one region. Keys are
// in the encoded (memcomparable) key space; an empty StartKey is -inf and an
// empty EndKey is +inf, exactly as PD and TiKV represent them.
type regionState struct {
	ID       uint64
	StartKey []byte
	EndKey   []byte
	ConfVer  uint64
	Version  uint64
	// Peers holds one peer per store, in store order.
	Peers []peerState
	// Leader is the store ID of the leader peer.
	Leader uint64
}

type peerState struct {
	ID      uint64
	StoreID uint64
}

func (r *regionState) clone() *regionState {
	c := *r
	c.StartKey = slices.Clone(r.StartKey)
	c.EndKey = slices.Clone(r.EndKey)
	c.Peers = slices.Clone(r.Peers)
	return &c
}

// containsEncoded reports whether the encoded key k lies in [StartKey, EndKey).
func (r *regionState) containsEncoded(k []byte) bool {
	return bytes.Compare(k, r.StartKey) >= 0 && (len(r.EndKey) == 0 || bytes.Compare(k, r.EndKey) < 0)
}

// overlaps reports whether [start, end) (end empty = +inf) intersects the region.
func (r *regionState) overlaps(start, end []byte) bool {
	if len(end) > 0 && bytes.Compare(end, r.StartKey) <= 0 {
		return false
	}
	return len(r.EndKey) == 0 || bytes.Compare(start, r.EndKey) < 0
}

func (r *regionState) peerOn(store uint64) (peerState, bool) {
	for _, p := range r.Peers {
		if p.StoreID == store {
			return p, true
		}
	}
	return peerState{}, false
}

func (r *regionState) toProto() *metapb.Region {
	m := &metapb.Region{
		Id:          r.ID,
		StartKey:    slices.Clone(r.StartKey),
		EndKey:      slices.Clone(r.EndKey),
		RegionEpoch: &metapb.RegionEpoch{ConfVer: r.ConfVer, Version: r.Version},
	}
	for _, p := range r.Peers {
		m.Peers = append(m.Peers, &metapb.Peer{Id: p.ID, StoreId: p.StoreID, Role: metapb.PeerRole_Voter})
	}
	return m
}

func (r *regionState) leaderProto() *metapb.Peer {
	p, ok := r.peerOn(r.Leader)
	if !ok {
		return nil
	}
	return &metapb.Peer{Id: p.ID, StoreId: p.StoreID, Role: metapb.PeerRole_Voter}
}

// persistedMeta is the on-disk form of the PD metadata (JSON; []byte fields
// are base64). It is rewritten atomically (temp file + rename) on every
// change so a restart with the same data dir sees the same regions.
type persistedMeta struct {
	ClusterID    uint64
	NextID       uint64
	LastPhysical int64
	Regions      []*regionState
}

// regionTable is the region model shared in-process by the PD service and
// the three stores. It plays the role of both PD's region cache and each
// TiKV's raft state: since every region has a peer on every store and there
// is no real replication, one table is the truth for all of them.
//
// Invariants (checked by checkLocked in tests): regions are sorted by
// StartKey, adjacent regions share boundaries, the first starts at "" and the
// last ends at "".
type regionTable struct {
	mu      sync.RWMutex
	path    string // "" = not persisted
	meta    persistedMeta
	byID    map[uint64]*regionState
	stores  []uint64
	splits  int
	scatter int
}

const metaFileName = "pd-meta.json"

// openRegionTable loads the table from dir, or creates the initial single
// region covering the whole key space with peers on stores.
func openRegionTable(dir string, stores []uint64, clusterID uint64) (*regionTable, error) {
	t := &regionTable{byID: map[uint64]*regionState{}, stores: stores}
	if dir != "" {
		t.path = filepath.Join(dir, metaFileName)
		data, err := os.ReadFile(t.path)
		switch {
		case err == nil:
			if err := json.Unmarshal(data, &t.meta); err != nil {
				return nil, fmt.Errorf("sandbox: decode %s: %w", t.path, err)
			}
			for _, r := range t.meta.Regions {
				t.byID[r.ID] = r
			}
			if err := t.checkLocked(); err != nil {
				return nil, fmt.Errorf("sandbox: %s: %w", t.path, err)
			}
			return t, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("sandbox: read region metadata: %w", err)
		}
	}
	t.meta.ClusterID = clusterID
	// IDs below 100 are left for stores and the PD member so that region and
	// peer IDs never collide with them (PD allocates all IDs from one space).
	t.meta.NextID = 100
	r := &regionState{ID: t.allocIDLocked(), ConfVer: 1, Version: 1}
	for _, s := range stores {
		r.Peers = append(r.Peers, peerState{ID: t.allocIDLocked(), StoreID: s})
	}
	r.Leader = stores[0]
	t.meta.Regions = []*regionState{r}
	t.byID[r.ID] = r
	if err := t.saveLocked(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *regionTable) allocIDLocked() uint64 {
	id := t.meta.NextID
	t.meta.NextID++
	return id
}

func (t *regionTable) clusterID() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.meta.ClusterID
}

func (t *regionTable) saveLocked() error {
	if t.path == "" {
		return nil
	}
	data, err := json.Marshal(&t.meta)
	if err != nil {
		return fmt.Errorf("sandbox: encode region metadata: %w", err)
	}
	tmp := t.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("sandbox: write region metadata: %w", err)
	}
	if err := os.Rename(tmp, t.path); err != nil {
		return fmt.Errorf("sandbox: write region metadata: %w", err)
	}
	return nil
}

// checkLocked verifies the table invariants.
func (t *regionTable) checkLocked() error {
	rs := t.meta.Regions
	if len(rs) == 0 {
		return errors.New("no regions")
	}
	if len(rs[0].StartKey) != 0 || len(rs[len(rs)-1].EndKey) != 0 {
		return errors.New("regions do not cover the key space")
	}
	for i := 1; i < len(rs); i++ {
		if !bytes.Equal(rs[i-1].EndKey, rs[i].StartKey) {
			return fmt.Errorf("gap or overlap between regions %d and %d", rs[i-1].ID, rs[i].ID)
		}
		if bytes.Compare(rs[i].StartKey, rs[i-1].StartKey) <= 0 {
			return fmt.Errorf("regions %d and %d out of order", rs[i-1].ID, rs[i].ID)
		}
	}
	if len(t.byID) != len(rs) {
		return errors.New("region index out of sync")
	}
	return nil
}

// indexLocked returns the index of the region containing encoded key k.
func (t *regionTable) indexLocked(k []byte) int {
	rs := t.meta.Regions
	// First region whose StartKey > k, minus one.
	i := sort.Search(len(rs), func(i int) bool { return bytes.Compare(rs[i].StartKey, k) > 0 })
	return max(i-1, 0)
}

// byKey returns a copy of the region containing encoded key k.
func (t *regionTable) byKey(k []byte) *regionState {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.meta.Regions[t.indexLocked(k)].clone()
}

// prevOf returns a copy of the region before the one containing k, or nil.
func (t *regionTable) prevOf(k []byte) *regionState {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i := t.indexLocked(k)
	if i == 0 {
		return nil
	}
	return t.meta.Regions[i-1].clone()
}

func (t *regionTable) get(id uint64) *regionState {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.byID[id]
	if !ok {
		return nil
	}
	return r.clone()
}

// scan returns copies of the regions overlapping encoded [start, end)
// (end empty = +inf), at most limit of them (limit <= 0 = no limit).
func (t *regionTable) scan(start, end []byte, limit int) []*regionState {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.scanLocked(start, end, limit)
}

func (t *regionTable) scanLocked(start, end []byte, limit int) []*regionState {
	var out []*regionState
	rs := t.meta.Regions
	for i := t.indexLocked(start); i < len(rs); i++ {
		if !rs[i].overlaps(start, end) {
			break
		}
		out = append(out, rs[i].clone())
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out
}

func (t *regionTable) all() []*regionState {
	return t.scan(nil, nil, 0)
}

// splitError describes why a split was refused, in terms the TiKV service
// maps onto errorpb variants.
type splitError struct {
	notFound     bool
	staleEpoch   bool
	keyNotInside []byte
}

func (e *splitError) Error() string {
	switch {
	case e.notFound:
		return "region not found"
	case e.staleEpoch:
		return "epoch not match"
	default:
		return fmt.Sprintf("split key %x not in region", e.keyNotInside)
	}
}

// split splits region id at the sorted, deduplicated encoded keys. Like TiKV
// with right-derive-when-split (the default), the original region ID keeps
// the rightmost part and new IDs are allocated for the left parts; every
// resulting region's version is the old version plus the number of new
// regions. A nil epoch skips the epoch check (PD-initiated splits). Keys equal
// to the region's start key are ignored. It returns the resulting regions in
// key order.
func (t *regionTable) split(id uint64, epoch *metapb.RegionEpoch, keys [][]byte) ([]*regionState, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.byID[id]
	if !ok {
		return nil, &splitError{notFound: true}
	}
	if epoch != nil && (epoch.GetVersion() != r.Version || epoch.GetConfVer() != r.ConfVer) {
		return nil, &splitError{staleEpoch: true}
	}
	keys = slices.Clone(keys)
	slices.SortFunc(keys, bytes.Compare)
	keys = slices.CompactFunc(keys, bytes.Equal)
	var cut [][]byte
	for _, k := range keys {
		if bytes.Equal(k, r.StartKey) {
			continue
		}
		if !r.containsEncoded(k) {
			return nil, &splitError{keyNotInside: k}
		}
		cut = append(cut, k)
	}
	if len(cut) == 0 {
		return []*regionState{r.clone()}, nil
	}
	newVersion := r.Version + uint64(len(cut))
	var created []*regionState
	start := r.StartKey
	for _, k := range cut {
		n := &regionState{ID: t.allocIDLocked(), StartKey: start, EndKey: k, ConfVer: r.ConfVer, Version: newVersion, Leader: r.Leader}
		for _, p := range r.Peers {
			n.Peers = append(n.Peers, peerState{ID: t.allocIDLocked(), StoreID: p.StoreID})
		}
		created = append(created, n)
		start = k
	}
	r.StartKey = start
	r.Version = newVersion
	idx := slices.Index(t.meta.Regions, r)
	t.meta.Regions = slices.Insert(t.meta.Regions, idx, created...)
	for _, n := range created {
		t.byID[n.ID] = n
	}
	t.splits += len(cut)
	if err := t.saveLocked(); err != nil {
		return nil, err
	}
	out := make([]*regionState, 0, len(created)+1)
	for _, n := range created {
		out = append(out, n.clone())
	}
	return append(out, r.clone()), nil
}

// scatterRegions moves the leader of each region to the next store. With
// every region replicated on every store, moving leaders is the only
// placement change "scatter" can make. It returns the unknown IDs and saves
// once for the whole batch.
func (t *regionTable) scatterRegions(ids []uint64) (unknown []uint64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		r, ok := t.byID[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		i := slices.IndexFunc(r.Peers, func(p peerState) bool { return p.StoreID == r.Leader })
		r.Leader = r.Peers[(i+1)%len(r.Peers)].StoreID
		t.scatter++
	}
	return unknown, t.saveLocked()
}

// transferLeader makes store the leader of region id.
func (t *regionTable) transferLeader(id, store uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.byID[id]
	if !ok {
		return fmt.Errorf("sandbox: region %d not found", id)
	}
	if _, ok := r.peerOn(store); !ok {
		return fmt.Errorf("sandbox: region %d has no peer on store %d", id, store)
	}
	r.Leader = store
	return t.saveLocked()
}

// advancePhysical records the highest TSO physical time handed out so a
// restarted sandbox never goes back in time.
func (t *regionTable) lastPhysical() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.meta.LastPhysical
}

func (t *regionTable) saveLastPhysical(p int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p <= t.meta.LastPhysical {
		return nil
	}
	t.meta.LastPhysical = p
	return t.saveLocked()
}

func (t *regionTable) counters() (regions, splits, scatters int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.meta.Regions), t.splits, t.scatter
}
