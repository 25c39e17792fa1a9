// Package tclient connects Tempest's processes to a Temporal cluster. It is
// separate from internal/launcher so that the worker binary does not link
// the embedded Temporal server.
package tclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/tlog"
)

// AddressFile, under the state directory, records the embedded server's
// frontend address and namespace so that `starter status|pause|resume|cancel`
// from another terminal find the running import.
const AddressFile = "temporal.address"

// DefaultStateDir is where the embedded default keeps its state when
// [temporal] state-dir is not set.
func DefaultStateDir() string {
	if d := os.Getenv("TEMPEST_STATE_DIR"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".tempest")
	}
	return ".tempest"
}

// Dial connects to an external Temporal cluster.
func Dial(ctx context.Context, t config.Temporal, logger *zap.Logger) (client.Client, error) {
	opts := client.Options{
		HostPort:  t.Address,
		Namespace: t.Namespace,
		Logger:    tlog.QuietSDKLogger(logger),
	}
	if t.TLS.CAPath != "" || t.TLS.CertPath != "" {
		tc, err := tlsConfig(t)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tc
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", t.Address, err)
	}
	return c, nil
}

// DialForControl connects for status/pause/resume/cancel: to the configured
// address, or to the embedded server of a running `starter import` found
// through its state directory.
func DialForControl(ctx context.Context, t config.Temporal, logger *zap.Logger) (client.Client, error) {
	if t.Address == "" {
		dir := t.StateDir
		if dir == "" {
			dir = DefaultStateDir()
		}
		b, err := os.ReadFile(filepath.Join(dir, AddressFile))
		if err != nil {
			return nil, fmt.Errorf("no Temporal address configured and no embedded server found under %s: %w", dir, err)
		}
		fields := strings.Fields(string(b))
		if len(fields) != 2 {
			return nil, fmt.Errorf("malformed %s under %s", AddressFile, dir)
		}
		t.Address, t.Namespace = fields[0], fields[1]
	}
	return Dial(ctx, t, logger)
}

func tlsConfig(t config.Temporal) (*tls.Config, error) {
	tc := &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
	if t.TLS.CAPath != "" {
		pem, err := os.ReadFile(t.TLS.CAPath)
		if err != nil {
			return nil, fmt.Errorf("read Temporal CA %s: %w", t.TLS.CAPath, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read Temporal CA %s: no certificate found", t.TLS.CAPath)
		}
		tc.RootCAs = pool
	}
	if t.TLS.CertPath != "" {
		cert, err := tls.LoadX509KeyPair(t.TLS.CertPath, t.TLS.KeyPath)
		if err != nil {
			return nil, fmt.Errorf("load Temporal client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
