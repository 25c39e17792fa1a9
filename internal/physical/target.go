package physical

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/kv"
)

// statusClient talks to TiDB's status API (tidb.host:tidb.status-port).
type statusClient struct {
	base string
	http *http.Client
}

func newStatusClient(cfg *config.Config) *statusClient {
	host := cfg.TiDB.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return &statusClient{
		base: "http://" + net.JoinHostPort(host, strconv.Itoa(cfg.TiDB.StatusPort)),
		http: &http.Client{Timeout: 30 * time.Second},
	}
}

// maxStatusBody bounds what is read from one status API answer; a table's
// schema JSON is far smaller.
const maxStatusBody = 64 << 20

func (s *statusClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: %w", s.base, path, err)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: %w", s.base, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBody))
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: read body: %w", s.base, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s%s: %s: %s", s.base, path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// TableInfo reads the target table's schema from the status API
// (/schema/{db}/{table}): IDs, columns, indexes exactly as TiDB holds them,
// which the encoder needs byte for byte.
func TableInfo(ctx context.Context, cfg *config.Config, db, table string) (*kv.TableInfo, error) {
	body, err := newStatusClient(cfg).get(ctx, "/schema/"+url.PathEscape(db)+"/"+url.PathEscape(table))
	if err != nil {
		return nil, fmt.Errorf("read schema of `%s`.`%s` from TiDB status API: %w", db, table, err)
	}
	info, err := kv.TableInfoFromJSON(body)
	if err != nil {
		return nil, fmt.Errorf("decode schema of `%s`.`%s`: %w", db, table, err)
	}
	return info, nil
}

// Settings is what the importer needs of TiDB's /settings.
type Settings struct {
	// PDAddrs are the PD endpoints ("path", comma separated).
	PDAddrs []string
	// NewCollation is new_collations_enabled_on_first_bootstrap.
	NewCollation bool
}

// ReadSettings reads /settings.
func ReadSettings(ctx context.Context, cfg *config.Config) (Settings, error) {
	body, err := newStatusClient(cfg).get(ctx, "/settings")
	if err != nil {
		return Settings{}, fmt.Errorf("read TiDB settings: %w", err)
	}
	var raw struct {
		Path         string `json:"path"`
		NewCollation *bool  `json:"new_collations_enabled_on_first_bootstrap"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Settings{}, fmt.Errorf("decode TiDB settings: %w", err)
	}
	// TiDB ≥ 4 bootstraps with new collations unless told otherwise.
	s := Settings{NewCollation: raw.NewCollation == nil || *raw.NewCollation}
	s.PDAddrs = splitAddrs(raw.Path)
	return s, nil
}

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		a = strings.TrimPrefix(strings.TrimPrefix(a, "http://"), "https://")
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// PDAddrs is tidb.pd-addr, or the PD path TiDB reports in /settings.
func PDAddrs(ctx context.Context, cfg *config.Config) ([]string, error) {
	if addrs := splitAddrs(cfg.TiDB.PdAddr); len(addrs) > 0 {
		return addrs, nil
	}
	s, err := ReadSettings(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("find PD (tidb.pd-addr is not set): %w", err)
	}
	if len(s.PDAddrs) == 0 {
		return nil, fmt.Errorf("find PD: tidb.pd-addr is not set and TiDB /settings reports no path")
	}
	return s.PDAddrs, nil
}
