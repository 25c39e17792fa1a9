package physical

import (
	"context"
	"testing"
	"time"
)

// TestReadSession reads the session settings the encoding depends on from the sandbox front, defaults and changed.
func TestReadSession(t *testing.T) {
	env := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	one := env.interpolatingDB(t)
	one.SetMaxOpenConns(1)
	got, err := ReadSession(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Session{TimeZone: got.TimeZone, BlockEncryptionMode: "aes-128-ecb", DivPrecisionIncrement: 4}); got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
	if _, err := one.ExecContext(ctx, "SET block_encryption_mode = 'aes-256-cbc', div_precision_increment = 7, time_zone = '+05:30'"); err != nil {
		t.Fatal(err)
	}
	got, err = ReadSession(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Session{TimeZone: "+05:30", BlockEncryptionMode: "aes-256-cbc", DivPrecisionIncrement: 7}); got != want {
		t.Errorf("after SET: got %+v, want %+v", got, want)
	}
}
