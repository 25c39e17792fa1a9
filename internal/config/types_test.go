package config

import (
	"math"
	"testing"
	"time"
)

func TestParseByteSize(t *testing.T) {
	cases := []struct {
		in   string
		want ByteSize
		ok   bool
	}{
		{"123", 123, true},
		{"64KiB", 64 * KiB, true},
		{"96 KB", 96 * KiB, true},
		{"256MB", 256 * MiB, true},
		{"1.5GiB", 3 * GiB / 2, true},
		{"100gib", 100 * GiB, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"", 0, false},
		{"KiB", 0, false},
		{"12 parsecs", 0, false},
		{"9223372036854775807KiB", 0, false},
		{"1e30", 0, false},
	}
	for _, c := range cases {
		got, err := ParseByteSize(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	cases := map[ByteSize]string{
		0:                 "0B",
		1000:              "1000B",
		64 * KiB:          "64KiB",
		100 * GiB:         "100GiB",
		3 * MiB / 2:       "1536KiB",
		math.MaxInt64:     "9223372036854775807B",
		ByteSize(1 << 50): "1PiB",
	}
	for size, want := range cases {
		if got := size.String(); got != want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(size), got, want)
		}
		back, err := ParseByteSize(want)
		if err != nil || back != size {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", want, back, err, int64(size))
		}
	}
}

func TestByteSizeFromTOML(t *testing.T) {
	cfg, _, err := Parse([]byte("[tikv-importer]\nregion-split-size = 1024\nsend-kv-size = '32KiB'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TikvImporter.RegionSplitSize != 1024 || cfg.TikvImporter.SendKVSize != 32*KiB {
		t.Errorf("sizes = %d, %d", cfg.TikvImporter.RegionSplitSize, cfg.TikvImporter.SendKVSize)
	}
}

func TestDurationFromTOML(t *testing.T) {
	cfg, _, err := Parse([]byte("[cron]\nlog-progress = '30s'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cron.LogProgress.Duration() != 30*time.Second || cfg.Cron.SwitchMode.Duration() != 5*time.Minute {
		t.Errorf("cron = %+v", cfg.Cron)
	}
	if _, _, err := Parse([]byte("[cron]\nlog-progress = 'soon'\n")); err == nil {
		t.Error("log-progress = 'soon' accepted")
	}
}

func TestParseOpLevel(t *testing.T) {
	for in, want := range map[string]OpLevel{"off": OpLevelOff, "Optional": OpLevelOptional, "required": OpLevelRequired,
		"true": OpLevelRequired, "false": OpLevelOff, "1": OpLevelRequired, "0": OpLevelOff} {
		got, err := ParseOpLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseOpLevel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseOpLevel("maybe"); err == nil {
		t.Error(`ParseOpLevel("maybe") succeeded`)
	}
	if OpLevelOff.Enabled() || !OpLevelOptional.Enabled() {
		t.Error("Enabled is wrong")
	}
}
