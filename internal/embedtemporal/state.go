package embedtemporal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/headers"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	dbFileName   = "temporal.db"
	markerSuffix = ".version"
	lockFileName = "temporal.lock"

	// clusterName is the single local cluster's name; it is stored in the
	// namespace replication config, so it must never change for a state dir.
	clusterName = "active"
	// numHistoryShards is persisted in the database on first start and can
	// never change afterwards. One shard is plenty for one importer process
	// and keeps SQLite's single writer uncontended.
	numHistoryShards = 1

	markerFormat       = 1
	markerInitializing = "initializing"
	markerReady        = "ready"
)

// stateMarker is the JSON sidecar next to the database. The SQLite plugin
// stores no schema version itself, so this is the only record of which
// server built the file.
type stateMarker struct {
	Format                  int       `json:"format"`
	State                   string    `json:"state"`
	SQLiteSchemaVersion     string    `json:"sqlite_schema_version"`
	VisibilitySchemaVersion string    `json:"visibility_schema_version"`
	ServerVersion           string    `json:"server_version"`
	HistoryShards           int32     `json:"history_shards"`
	CreatedAt               time.Time `json:"created_at"`
}

func currentMarker(state string) stateMarker {
	return stateMarker{
		Format:                  markerFormat,
		State:                   state,
		SQLiteSchemaVersion:     sqliteschema.Version,
		VisibilitySchemaVersion: sqliteschema.VisibilityVersion,
		ServerVersion:           headers.ServerVersion,
		HistoryShards:           numHistoryShards,
		CreatedAt:               time.Now().UTC(),
	}
}

// customSearchAttributes are registered in every namespace we create.
func customSearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchAttributeImportPhase: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchAttributeImportTask:  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// sqlConfig builds the persistence config. File mode uses WAL so readers
// (visibility queries from the UI) do not block the single writer, and a
// busy timeout so a momentary lock is waited out instead of failing a
// persistence call. Pragmas are given without the "_" prefix because the
// plugin turns every unknown key into _pragma=key=value itself.
func sqlConfig(o Options) (*config.SQL, error) {
	if o.Ephemeral {
		// A random name keeps concurrent ephemeral servers in one test
		// binary apart: the plugin shares connections by DSN.
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("embedtemporal: random database name: %w", err)
		}
		return &config.SQL{
			PluginName:   sqliteplugin.PluginName,
			DatabaseName: "tempest-" + hex.EncodeToString(b[:]),
			ConnectAttributes: map[string]string{
				"mode":  "memory",
				"cache": "shared",
			},
		}, nil
	}
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: filepath.Join(o.StateDir, dbFileName),
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
			"busy_timeout": "5000",
		},
	}, nil
}

// prepareState makes sure the database exists with the expected schema and
// that the namespace is registered in it. The caller holds the state lock.
// In ephemeral mode the plugin creates the schema itself when it opens the
// in-memory database, so only the namespace is needed.
func prepareState(o Options, sqlCfg *config.SQL, logger *zap.Logger) (firstRun bool, err error) {
	if !o.Ephemeral {
		firstRun, err = ensureSchema(sqlCfg.DatabaseName, sqlCfg, logger)
		if err != nil {
			return false, err
		}
	}
	nsCfg, err := sqliteschema.NewNamespaceConfig(clusterName, o.Namespace, false, customSearchAttributes())
	if err != nil {
		return false, fmt.Errorf("embedtemporal: namespace config: %w", err)
	}
	// NewNamespaceConfig hard-codes 24h; we want finished imports to stay
	// inspectable for longer.
	nsCfg.Detail.Config.Retention = durationpb.New(o.Retention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, nsCfg); err != nil {
		return false, fmt.Errorf("embedtemporal: create namespace %q: %w", o.Namespace, err)
	}
	return firstRun, nil
}

// ensureSchema creates the schema on first use and validates the marker on
// every later use. It reports whether the schema was created.
func ensureSchema(dbPath string, sqlCfg *config.SQL, logger *zap.Logger) (bool, error) {
	markerPath := dbPath + markerSuffix
	marker, markerErr := readMarker(markerPath)
	hasMarker := markerErr == nil
	if markerErr != nil && !errors.Is(markerErr, os.ErrNotExist) {
		return false, markerErr
	}
	dbExists, err := fileExists(dbPath)
	if err != nil {
		return false, err
	}

	switch {
	case hasMarker && marker.State == markerInitializing:
		// A previous first run died during schema setup; nothing but the
		// half-built schema can be in the file, so rebuild it.
		logger.Warn("embedded Temporal: previous schema setup was interrupted, rebuilding database",
			zap.String("db", dbPath))
		if err := removeDB(dbPath); err != nil {
			return false, err
		}
	case dbExists && !hasMarker:
		return false, fmt.Errorf("%w: %s exists but has no version marker %s; it was not created by this tool "+
			"or the marker was lost. Remove the directory %s to start fresh (previous import state will be lost) "+
			"or restore the marker", ErrStateMismatch, dbPath, markerPath, filepath.Dir(dbPath))
	case dbExists && hasMarker:
		return false, checkMarker(marker, markerPath, dbPath, logger)
	case !dbExists && hasMarker:
		logger.Warn("embedded Temporal: database file missing but marker present, creating a new database",
			zap.String("db", dbPath))
	}

	// First run (or rebuild). Mark "initializing" before touching the
	// database so a crash in between is recognisable next time.
	if err := writeMarker(markerPath, currentMarker(markerInitializing)); err != nil {
		return false, err
	}
	if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
		return false, fmt.Errorf("embedtemporal: set up SQLite schema in %s: %w", dbPath, err)
	}
	if err := writeMarker(markerPath, currentMarker(markerReady)); err != nil {
		return false, err
	}
	return true, nil
}

// checkMarker refuses databases whose schema differs from the compiled-in
// one: the SQLite plugin neither checks nor migrates, and running a newer
// server on an older schema fails later in confusing ways (missing tables in
// the middle of an import).
func checkMarker(m stateMarker, markerPath, dbPath string, logger *zap.Logger) error {
	if m.Format != markerFormat {
		return fmt.Errorf("%w: marker %s has format %d, this binary understands %d",
			ErrStateMismatch, markerPath, m.Format, markerFormat)
	}
	if m.SQLiteSchemaVersion != sqliteschema.Version ||
		m.VisibilitySchemaVersion != sqliteschema.VisibilityVersion ||
		m.HistoryShards != numHistoryShards {
		return fmt.Errorf("%w: %s was created by Temporal server %s (SQLite schema %s, visibility %s, %d shards); "+
			"this binary embeds server %s (schema %s, visibility %s, %d shards) and cannot migrate it. "+
			"Finish or abandon the imports in it with the old binary, then remove %s",
			ErrStateMismatch, dbPath, m.ServerVersion, m.SQLiteSchemaVersion, m.VisibilitySchemaVersion, m.HistoryShards,
			headers.ServerVersion, sqliteschema.Version, sqliteschema.VisibilityVersion, numHistoryShards,
			filepath.Dir(dbPath))
	}
	if m.ServerVersion != headers.ServerVersion {
		// Same schema, different patch release: compatible. Record the new
		// version so a later schema check names the right creator.
		logger.Info("embedded Temporal: server version changed with identical schema",
			zap.String("previous", m.ServerVersion), zap.String("current", headers.ServerVersion))
		m.ServerVersion = headers.ServerVersion
		return writeMarker(markerPath, m)
	}
	return nil
}

func readMarker(path string) (stateMarker, error) {
	var m stateMarker
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return m, err
		}
		return m, fmt.Errorf("embedtemporal: read marker: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: marker %s is unreadable: %v", ErrStateMismatch, path, err)
	}
	return m, nil
}

// writeMarker replaces the marker atomically (temp file + rename) so a crash
// never leaves a truncated marker that would lock the user out.
func writeMarker(path string, m stateMarker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("embedtemporal: encode marker: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("embedtemporal: write marker: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return fmt.Errorf("embedtemporal: write marker: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("embedtemporal: sync marker: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("embedtemporal: close marker: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("embedtemporal: install marker: %w", err)
	}
	return nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("embedtemporal: stat %s: %w", path, err)
	}
}

// removeDB deletes the database together with its WAL side files; leaving a
// stale -wal next to a new database would replay old pages into it.
func removeDB(dbPath string) error {
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("embedtemporal: remove %s: %w", p, err)
		}
	}
	return nil
}
