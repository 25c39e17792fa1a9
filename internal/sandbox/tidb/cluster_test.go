package tidb

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/sandbox"
)

// The sandbox cluster is the store this front is built for; it must satisfy
// both interfaces without an adapter.
var (
	_ KVStore  = (*sandbox.Cluster)(nil)
	_ KVWriter = (*sandbox.Cluster)(nil)
)

// TestOnSandboxCluster runs DDL, logical writes, reads and ADMIN CHECKSUM
// against the real sandbox PD + TiKV stores, and checks the checksum
// against pairs encoded independently with kv.Encoder.
func TestOnSandboxCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	log := zaptest.NewLogger(t)
	cl, err := sandbox.StartKV(ctx, sandbox.Options{DataDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatalf("StartKV: %v", err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	srv, err := Start(ctx, Options{KV: cl, DataDir: t.TempDir(), PDAddress: cl.PDAddress(), Logger: log})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db, err := sql.Open("mysql", "root@tcp("+srv.SQLAddress()+")/")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	e := &testEnv{srv: srv, db: db}

	e.exec(t, "CREATE DATABASE c")
	e.exec(t, "CREATE TABLE c.t (id INT PRIMARY KEY, v VARCHAR(10), KEY iv (v))")
	e.exec(t, "INSERT INTO c.t VALUES (1, 'a'), (2, 'b'), (3, NULL)")
	e.expect(t, "SELECT id, v FROM c.t ORDER BY id DESC", "[[3 NULL] [2 b] [1 a]]")

	snap, err := srv.b.cat.table("c", "t")
	if err != nil {
		t.Fatal(err)
	}
	// Independent expectation: encode the same rows with the codec.
	enc, err := kv.NewEncoder(snap.Info, kv.EncoderOptions{RowFormatVersion: 2})
	if err != nil {
		t.Fatal(err)
	}
	var pairs kv.Pairs
	rows := [][]parser.Field{
		{{Kind: parser.KindNumber, Bytes: []byte("1")}, {Kind: parser.KindString, Bytes: []byte("a")}},
		{{Kind: parser.KindNumber, Bytes: []byte("2")}, {Kind: parser.KindString, Bytes: []byte("b")}},
		{{Kind: parser.KindNumber, Bytes: []byte("3")}, {Kind: parser.KindNull}},
	}
	for i, r := range rows {
		if err := enc.EncodeFields(r, []int{0, 1}, int64(i+1), &pairs); err != nil {
			t.Fatal(err)
		}
	}
	var want kv.Checksum
	want.Update(&pairs)
	var stored kv.Checksum
	if err := cl.Scan(ctx, kv.AppendTablePrefix(nil, snap.ID), kv.AppendTablePrefix(nil, snap.ID+1), func(k, v []byte) error {
		stored.UpdateOne(k, v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want.KVs() != 6 || stored != want {
		t.Errorf("cluster holds %+v, codec says %+v", stored, want)
	}
	e.expect(t, "ADMIN CHECKSUM TABLE c.t", fmt.Sprintf("[[c t %d %d %d]]", want.Sum(), want.KVs(), want.Bytes()))
}
