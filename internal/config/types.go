package config

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Byte-size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
)

// ByteSize is a size in bytes that TOML may give as an integer or as a
// human string ("96KiB", "256MB", "1.5 GiB").
type ByteSize int64

// UnmarshalText parses a human-readable size. Units are binary (KB = KiB), as
// in Lightning.
func (b *ByteSize) UnmarshalText(text []byte) error {
	n, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = n
	return nil
}

// UnmarshalTOML accepts both integers and strings.
func (b *ByteSize) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		*b = ByteSize(x)
		return nil
	case float64:
		*b = ByteSize(x)
		return nil
	case string:
		return b.UnmarshalText([]byte(x))
	default:
		return fmt.Errorf("invalid size %v (%T)", v, v)
	}
}

// UnmarshalJSON accepts both integers and strings.
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var n int64
	if err := json.Unmarshal(data, &n); err == nil {
		*b = ByteSize(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("invalid size %s", data)
	}
	return b.UnmarshalText([]byte(s))
}

// ParseByteSize parses "123", "64KiB", "96 KB", "1.5GiB", "256MB" (binary
// units, as Lightning reads them). Plain integers are parsed exactly so that
// values such as MaxInt64 (the disk-quota default) survive a round trip.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "ib"), "b")
	shift, ok := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50}[unit]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit", s)
	}
	numText := t[:i]
	if !strings.Contains(numText, ".") {
		n, err := strconv.ParseInt(numText, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid size %q: %w", s, err)
		}
		if n > math.MaxInt64>>shift {
			return 0, fmt.Errorf("invalid size %q: overflows 64 bits", s)
		}
		return ByteSize(n << shift), nil
	}
	num, err := strconv.ParseFloat(numText, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	bytes := num * float64(uint64(1)<<shift)
	if bytes >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: overflows 64 bits", s)
	}
	return ByteSize(bytes), nil
}

// String renders the size with the largest binary unit that divides it
// exactly ("64KiB", "100GiB"), or as plain bytes ("1000B").
func (b ByteSize) String() string {
	units := []struct {
		size ByteSize
		name string
	}{{1 << 50, "PiB"}, {TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}}
	for _, u := range units {
		if b != 0 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// Bytes returns the size as a plain int64.
func (b ByteSize) Bytes() int64 { return int64(b) }

// Duration is a time.Duration that TOML gives as a string ("5m").
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", text, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText renders the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Duration returns the value as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String renders the duration as a Go duration string ("5m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// StringList is a TOML value that may be a single string or an array of
// strings ([mydumper.csv].null).
type StringList []string

// UnmarshalTOML accepts a string or an array of strings.
func (l *StringList) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		*l = StringList{x}
	case []any:
		out := make(StringList, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("invalid string list element %v (%T)", e, e)
			}
			out = append(out, s)
		}
		*l = out
	default:
		return fmt.Errorf("invalid string or string list %v (%T)", v, v)
	}
	return nil
}

// OpLevel is the level of a post-restore operation (checksum, analyze):
// OpLevelOff, OpLevelOptional or OpLevelRequired. A TOML boolean is accepted
// too, as in Lightning: true means required, false means off.
type OpLevel string

// ParseOpLevel accepts "off", "optional", "required" (any case) and the
// boolean spellings of strconv.ParseBool ("true", "false", "1", "0", ...),
// which is what --checksum / --analyze take on the command line.
func ParseOpLevel(s string) (OpLevel, error) {
	switch lower := strings.ToLower(strings.TrimSpace(s)); lower {
	case string(OpLevelOff), string(OpLevelOptional), string(OpLevelRequired):
		return OpLevel(lower), nil
	}
	enabled, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("invalid level %q: want off, optional, required, true or false", s)
	}
	return opLevelFromBool(enabled), nil
}

func opLevelFromBool(enabled bool) OpLevel {
	if enabled {
		return OpLevelRequired
	}
	return OpLevelOff
}

// UnmarshalTOML accepts a boolean or one of the level names.
func (l *OpLevel) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case bool:
		*l = opLevelFromBool(x)
		return nil
	case string:
		level, err := ParseOpLevel(x)
		if err != nil {
			return err
		}
		*l = level
		return nil
	default:
		return fmt.Errorf("invalid level %v (%T): want off, optional, required or a boolean", v, v)
	}
}

// Enabled reports whether the operation runs at all.
func (l OpLevel) Enabled() bool { return l != OpLevelOff && l != "" }

// KeepAfterSuccess is [checkpoint].keep-after-success. Tempest has no
// checkpoint store, so the value is only validated; booleans are accepted
// as in Lightning (true means rename, false means remove).
type KeepAfterSuccess string

// UnmarshalTOML accepts a boolean or one of remove, rename, origin.
func (k *KeepAfterSuccess) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case bool:
		if x {
			*k = KeepCheckpointRename
		} else {
			*k = KeepCheckpointRemove
		}
		return nil
	case string:
		switch option := KeepAfterSuccess(strings.ToLower(x)); option {
		case KeepCheckpointRemove, KeepCheckpointRename, KeepCheckpointOrigin:
			*k = option
			return nil
		}
	}
	return fmt.Errorf("invalid keep-after-success %v: want remove, rename, origin or a boolean", v)
}

// UnmarshalTOML accepts max-error either as an integer, which is the budget
// of type errors, or as a table {syntax, charset, type, conflict}. Keys the
// table leaves out keep their current (default) values. Negative budgets are
// rejected rather than silently ignored.
func (m *MaxError) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return fmt.Errorf("invalid max-error %d: must not be negative", x)
		}
		m.Type = x
		return nil
	case map[string]any:
		for key, raw := range x {
			n, ok := raw.(int64)
			if !ok {
				return fmt.Errorf("invalid max-error.%s %v (%T): want an integer", key, raw, raw)
			}
			if n < 0 {
				return fmt.Errorf("invalid max-error.%s %d: must not be negative", key, n)
			}
			switch key {
			case "syntax":
				m.Syntax = n
			case "charset":
				m.Charset = n
			case "type":
				m.Type = n
			case "conflict":
				m.Conflict = n
			default:
				return fmt.Errorf("unknown key max-error.%s: want syntax, charset, type or conflict", key)
			}
		}
		return nil
	default:
		return fmt.Errorf("invalid max-error %v (%T): want an integer or a table {syntax, charset, type, conflict}", v, v)
	}
}
