package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The subset of PD's HTTP API (/pd/api/v1/...) that BR/Lightning use to
// pause schedulers, tune the schedule config and set key-range label rules.
// The sandbox only records the state so tests can assert the importer
// paused and later restored it.

const sandboxVersion = "8.5.0"

const (
	storeCapacity  = 1 << 40
	storeAvailable = 900 << 30
)

var defaultSchedulers = []string{
	"balance-hot-region-scheduler",
	"balance-leader-scheduler",
	"balance-region-scheduler",
	"evict-slow-store-scheduler",
}

func defaultScheduleConfig() map[string]any {
	return map[string]any{
		"max-snapshot-count":          64,
		"max-pending-peer-count":      64,
		"max-merge-region-size":       54,
		"max-merge-region-keys":       540000,
		"leader-schedule-limit":       4,
		"region-schedule-limit":       2048,
		"replica-schedule-limit":      64,
		"merge-schedule-limit":        8,
		"hot-region-schedule-limit":   4,
		"enable-location-replacement": "true",
	}
}

// PDState is a snapshot of the scheduler-related state set through PD's
// HTTP API.
type PDState struct {
	// Schedulers are the registered schedulers.
	Schedulers []string
	// Paused maps paused schedulers to when their pause expires.
	Paused map[string]time.Time
	// ScheduleConfig is the current schedule config.
	ScheduleConfig map[string]any
	// LabelRules are the region label rules by ID, as posted (JSON).
	LabelRules map[string]json.RawMessage
	// ServiceSafePoints are the live service GC safe points by service ID.
	ServiceSafePoints map[string]uint64
}

type pdHTTP struct {
	c *Cluster

	mu         sync.Mutex
	schedulers []string
	paused     map[string]time.Time
	config     map[string]any
	rules      map[string]json.RawMessage
}

func newPDHTTP(c *Cluster) *pdHTTP {
	return &pdHTTP{
		c:          c,
		schedulers: slices.Clone(defaultSchedulers),
		paused:     map[string]time.Time{},
		config:     defaultScheduleConfig(),
		rules:      map[string]json.RawMessage{},
	}
}

func (h *pdHTTP) state() PDState {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	paused := map[string]time.Time{}
	for k, v := range h.paused {
		if now.Before(v) {
			paused[k] = v
		}
	}
	return PDState{
		Schedulers:     slices.Clone(h.schedulers),
		Paused:         paused,
		ScheduleConfig: maps.Clone(h.config),
		LabelRules:     maps.Clone(h.rules),
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}

func (h *pdHTTP) handler() http.Handler {
	mux := http.NewServeMux()
	const p = "/pd/api/v1"
	mux.HandleFunc("GET "+p+"/version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": "v" + sandboxVersion})
	})
	mux.HandleFunc("GET "+p+"/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, []map[string]any{{"name": "pd-sandbox", "member_id": pdMemberID, "health": true}})
	})
	mux.HandleFunc("GET "+p+"/status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"version": sandboxVersion, "start_timestamp": h.c.started.Unix()})
	})
	mux.HandleFunc("GET "+p+"/cluster", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": h.c.table.clusterID(), "max_peer_count": len(h.c.stores)})
	})
	mux.HandleFunc("GET "+p+"/config/replicate", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"max-replicas": len(h.c.stores), "location-labels": "", "enable-placement-rules": "true"})
	})
	mux.HandleFunc("GET "+p+"/config/cluster-version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, sandboxVersion)
	})
	mux.HandleFunc("GET "+p+"/stores", h.getStores)
	mux.HandleFunc("GET "+p+"/config/schedule", func(w http.ResponseWriter, _ *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		writeJSON(w, http.StatusOK, h.config)
	})
	mux.HandleFunc("GET "+p+"/config", func(w http.ResponseWriter, _ *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"schedule": h.config, "replication": map[string]any{"max-replicas": len(h.c.stores)}})
	})
	mux.HandleFunc("POST "+p+"/config", h.setConfig)
	mux.HandleFunc("POST "+p+"/config/schedule", h.setConfig)
	mux.HandleFunc("GET "+p+"/schedulers", h.listSchedulers)
	mux.HandleFunc("POST "+p+"/schedulers", h.addScheduler)
	mux.HandleFunc("POST "+p+"/schedulers/{name}", h.pauseScheduler)
	mux.HandleFunc("DELETE "+p+"/schedulers/{name}", h.deleteScheduler)
	mux.HandleFunc("POST "+p+"/config/region-label/rule", h.setRule)
	mux.HandleFunc("DELETE "+p+"/config/region-label/rule/{id}", h.deleteRule)
	mux.HandleFunc("GET "+p+"/config/region-label/rule/{id}", h.getRule)
	mux.HandleFunc("GET "+p+"/config/region-label/rules", h.listRules)
	mux.HandleFunc("PATCH "+p+"/config/region-label/rules", h.patchRules)
	return mux
}

func (h *pdHTTP) getStores(w http.ResponseWriter, _ *http.Request) {
	type storeJSON struct {
		Store  map[string]any `json:"store"`
		Status map[string]any `json:"status"`
	}
	var out []storeJSON
	for _, st := range h.c.stores {
		m := h.c.storeMeta(st.id)
		out = append(out, storeJSON{
			Store: map[string]any{
				"id": m.Id, "address": m.Address, "state": int(m.State), "state_name": "Up",
				"version": m.Version, "status_address": m.StatusAddress,
				"start_timestamp": m.StartTimestamp, "labels": []map[string]string{{"key": "sandbox", "value": "true"}},
			},
			Status: map[string]any{"capacity": "1TiB", "available": "900GiB", "used_size": "1GiB", "region_count": 0, "leader_count": 0},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "stores": out})
}

func (h *pdHTTP) setConfig(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, v := range body {
		// BR sends flat keys, possibly prefixed "schedule.".
		h.config[strings.TrimPrefix(k, "schedule.")] = v
	}
	writeJSON(w, http.StatusOK, "The config is updated.")
}

func (h *pdHTTP) listSchedulers(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.URL.Query().Get("status") == "paused" {
		now := time.Now()
		var out []string
		for _, s := range h.schedulers {
			if until, ok := h.paused[s]; ok && now.Before(until) {
				out = append(out, s)
			}
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	writeJSON(w, http.StatusOK, h.schedulers)
}

func (h *pdHTTP) addScheduler(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := readJSON(r, &body); err != nil || body.Name == "" {
		writeJSON(w, http.StatusBadRequest, "missing scheduler name")
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Contains(h.schedulers, body.Name) {
		h.schedulers = append(h.schedulers, body.Name)
		slices.Sort(h.schedulers)
	}
	writeJSON(w, http.StatusOK, "The scheduler is created.")
}

func (h *pdHTTP) pauseScheduler(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var body struct {
		Delay int64 `json:"delay"`
	}
	if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Contains(h.schedulers, name) {
		writeJSON(w, http.StatusInternalServerError, "scheduler not found")
		return
	}
	if body.Delay <= 0 {
		delete(h.paused, name)
		writeJSON(w, http.StatusOK, "Resume the scheduler successfully.")
		return
	}
	h.paused[name] = time.Now().Add(time.Duration(body.Delay) * time.Second)
	writeJSON(w, http.StatusOK, "Pause the scheduler successfully.")
}

func (h *pdHTTP) deleteScheduler(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.Index(h.schedulers, name)
	if i < 0 {
		writeJSON(w, http.StatusNotFound, "scheduler not found")
		return
	}
	h.schedulers = slices.Delete(h.schedulers, i, i+1)
	delete(h.paused, name)
	writeJSON(w, http.StatusOK, "The scheduler is removed.")
}

func ruleID(raw json.RawMessage) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", err
	}
	if r.ID == "" {
		return "", fmt.Errorf("label rule without id")
	}
	return r.ID, nil
}

func (h *pdHTTP) setRule(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if err := readJSON(r, &raw); err != nil {
		writeJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	id, err := ruleID(raw)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules[id] = raw
	writeJSON(w, http.StatusOK, "Update region label rule successfully.")
}

func (h *pdHTTP) deleteRule(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.rules, r.PathValue("id"))
	writeJSON(w, http.StatusOK, "Delete region label rule successfully.")
}

func (h *pdHTTP) getRule(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	raw, ok := h.rules[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, "rule not found")
		return
	}
	writeJSON(w, http.StatusOK, raw)
}

func (h *pdHTTP) listRules(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]json.RawMessage, 0, len(h.rules))
	for _, id := range slices.Sorted(maps.Keys(h.rules)) {
		out = append(out, h.rules[id])
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *pdHTTP) patchRules(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Sets    []json.RawMessage `json:"sets"`
		Deletes []string          `json:"deletes"`
	}
	if err := readJSON(r, &body); err != nil {
		writeJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range body.Deletes {
		delete(h.rules, id)
	}
	for _, raw := range body.Sets {
		id, err := ruleID(raw)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, err.Error())
			return
		}
		h.rules[id] = raw
	}
	writeJSON(w, http.StatusOK, "Update region label rules successfully.")
}
