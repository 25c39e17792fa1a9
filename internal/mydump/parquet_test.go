package mydump

import (
	"math/rand"
	"testing"
)

func TestFooterNumRowsGarbage(t *testing.T) {
	// Hand-built FileMetaData: version=1 (i32), schema=list of 1 empty
	// struct, num_rows=300 (i64, zigzag 600), then stop.
	footer := []byte{0x15, 0x02, 0x19, 0x1c, 0x00, 0x16, 0xd8, 0x04, 0x00}
	if n, err := footerNumRows(footer); err != nil || n != 300 {
		t.Fatalf("footerNumRows = %d, %v", n, err)
	}
	// Truncations and random bytes must fail cleanly, never panic.
	for i := 0; i < len(footer)-1; i++ {
		if _, err := footerNumRows(footer[:i]); err == nil && i < 8 {
			t.Errorf("truncated at %d: no error", i)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		b := make([]byte, rng.Intn(64))
		rng.Read(b)
		footerNumRows(b)
	}
}
