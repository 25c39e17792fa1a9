package sandbox

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// RPC names a kind of call the fault switch can intercept.
type RPC string

// RPCs that consult the fault switch.
const (
	// RPCWrite is ImportSST.Write (client stream).
	RPCWrite RPC = "Write"
	// RPCIngest is ImportSST.Ingest and ImportSST.MultiIngest (including the
	// empty MultiIngest used as a write-stall probe).
	RPCIngest RPC = "Ingest"
	// RPCSplitRegion is Tikv.SplitRegion.
	RPCSplitRegion RPC = "SplitRegion"
	// RPCSwitchMode is ImportSST.SwitchMode.
	RPCSwitchMode RPC = "SwitchMode"
	// RPCScatterRegion is PD.ScatterRegion (single and batch form).
	RPCScatterRegion RPC = "ScatterRegion"
)

// FaultKind is what an injected fault does.
type FaultKind int

// Fault kinds. The region-error kinds are returned as the matching errorpb
// variant in the RPC's region/store error field (for Write: in
// WriteResponse.error.store_error); transport kinds fail the RPC itself.
const (
	FaultNotLeader FaultKind = iota + 1
	FaultEpochNotMatch
	FaultServerIsBusy
	FaultRegionNotFound
	FaultDiskFull
	// FaultDropStream fails the call with gRPC Unavailable. On Write it
	// fires after AfterBatches batches were received, so the stream is
	// broken mid-flight; on unary RPCs the call fails outright.
	FaultDropStream
	// FaultSlowWrite delays each Write batch (and each unary call) by Delay.
	// It does not consume Count per batch: one Write stream counts once.
	FaultSlowWrite
	// FaultScatterRunning makes GetOperator report the scatter operator of
	// the regions of the affected ScatterRegion call as RUNNING for Polls
	// polls before SUCCESS. Only meaningful with RPCScatterRegion.
	FaultScatterRunning
	// FaultStaleCommand returns errorpb.StaleCommand (split retries it).
	FaultStaleCommand
	// FaultReadIndexNotReady returns errorpb.ReadIndexNotReady.
	FaultReadIndexNotReady
	// FaultMessage returns an errorpb.Error carrying only Message (e.g.
	// "raft: proposal dropped", or any error the importer does not know).
	FaultMessage
)

var faultKindNames = map[FaultKind]string{
	FaultNotLeader:         "NotLeader",
	FaultEpochNotMatch:     "EpochNotMatch",
	FaultServerIsBusy:      "ServerIsBusy",
	FaultRegionNotFound:    "RegionNotFound",
	FaultDiskFull:          "DiskFull",
	FaultDropStream:        "DropStream",
	FaultSlowWrite:         "SlowWrite",
	FaultScatterRunning:    "ScatterRunning",
	FaultStaleCommand:      "StaleCommand",
	FaultReadIndexNotReady: "ReadIndexNotReady",
	FaultMessage:           "Message",
}

func (k FaultKind) String() string {
	if s, ok := faultKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one injection rule.
type Fault struct {
	RPC  RPC
	Kind FaultKind
	// Store restricts the rule to one store ID; 0 matches every store (and
	// PD-side RPCs, which have no store).
	Store uint64
	// Region restricts the rule to calls for one region ID (the context's
	// region; for Write the meta's; for ScatterRegion the first region);
	// 0 matches every region.
	Region uint64
	// Count is how many matching calls the rule affects before it is
	// removed. 0 means unlimited (use Probability or remove with Clear).
	Count int
	// Probability, when in (0,1), makes each matching call fire with that
	// probability; calls that do not fire do not consume Count.
	Probability float64
	// Delay is the per-batch (Write) or per-call delay of FaultSlowWrite.
	Delay time.Duration
	// AfterBatches is how many Write batches are accepted before a
	// FaultDropStream breaks the stream.
	AfterBatches int
	// Polls is how many GetOperator polls a FaultScatterRunning keeps
	// reporting RUNNING (at least 1).
	Polls int
	// Message is the error message of FaultMessage.
	Message string
}

// FiredFault records one fault that took effect.
type FiredFault struct {
	RPC    RPC
	Kind   FaultKind
	Store  uint64
	Region uint64
}

// Faults is the sandbox's fault switch. All methods are safe for
// concurrent use. Rules are consulted in insertion order and the first
// matching rule that fires wins, so at most one fault applies per call.
type Faults struct {
	mu    sync.Mutex
	rng   *rand.Rand
	rules []*Fault
	fired []FiredFault
}

func newFaults(seed uint64) *Faults {
	return &Faults{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Inject adds a rule.
func (f *Faults) Inject(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := fault
	f.rules = append(f.rules, &c)
}

// Clear removes every rule (the fired log is kept).
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Pending reports how many rules are still active.
func (f *Faults) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rules)
}

// Fired returns a copy of the log of faults that took effect.
func (f *Faults) Fired() []FiredFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FiredFault(nil), f.fired...)
}

// FiredCount counts fired faults of the given RPC and kind.
func (f *Faults) FiredCount(rpc RPC, kind FaultKind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.fired {
		if x.RPC == rpc && x.Kind == kind {
			n++
		}
	}
	return n
}

// take returns the fault to apply to a call of rpc on store (0 for PD) for
// region, or nil. A returned fault has been consumed and logged.
func (f *Faults) take(rpc RPC, store, region uint64) *Fault {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.RPC != rpc || (r.Store != 0 && r.Store != store) || (r.Region != 0 && r.Region != region) {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && f.rng.Float64() >= r.Probability {
			continue
		}
		c := *r
		if r.Count > 0 {
			r.Count--
			if r.Count == 0 {
				f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			}
		}
		f.fired = append(f.fired, FiredFault{RPC: rpc, Kind: c.Kind, Store: store, Region: region})
		return &c
	}
	return nil
}
