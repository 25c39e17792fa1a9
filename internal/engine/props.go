package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"slices"
)

// propPoint says: the key range (previous point of the same SST, key]
// holds size bytes (key+value) in keys pairs.
type propPoint struct {
	key  []byte
	size int64
	keys int64
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodePropsBlock frames the points of one SST for range.props. The
// payload uses the tikv.range_index layout of §7.8 (cumulative values):
// BE32(len(key)) || key || BE64(cumSize) || BE64(cumKeys); the frame is
// BE32(len(payload)) || payload || BE32(crc32c(payload)) so a torn append
// after a crash is detected and dropped on reopen.
func encodePropsBlock(points []propPoint) []byte {
	var payload []byte
	var cumSize, cumKeys int64
	for _, p := range points {
		cumSize += p.size
		cumKeys += p.keys
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(p.key)))
		payload = append(payload, p.key...)
		payload = binary.BigEndian.AppendUint64(payload, uint64(cumSize))
		payload = binary.BigEndian.AppendUint64(payload, uint64(cumKeys))
	}
	out := make([]byte, 0, len(payload)+8)
	out = binary.BigEndian.AppendUint32(out, uint32(len(payload)))
	out = append(out, payload...)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(payload, castagnoli))
}

func decodePropsPayload(payload []byte) ([]propPoint, error) {
	var points []propPoint
	var prevSize, prevKeys int64
	for len(payload) > 0 {
		if len(payload) < 4 {
			return nil, errors.New("truncated key length")
		}
		n := int(binary.BigEndian.Uint32(payload))
		payload = payload[4:]
		if len(payload) < n+16 {
			return nil, errors.New("truncated entry")
		}
		key := append([]byte(nil), payload[:n]...)
		cumSize := int64(binary.BigEndian.Uint64(payload[n:]))
		cumKeys := int64(binary.BigEndian.Uint64(payload[n+8:]))
		payload = payload[n+16:]
		points = append(points, propPoint{key: key, size: cumSize - prevSize, keys: cumKeys - prevKeys})
		prevSize, prevKeys = cumSize, cumKeys
	}
	return points, nil
}

// loadProps reads range.props, stopping at the first torn or corrupt block
// (which can only be the tail written during a crash) and truncating it
// away so later appends stay readable.
func loadProps(path string) ([]propPoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read range properties: %w", err)
	}
	var points []propPoint
	off := 0
	for off < len(b) {
		if len(b)-off < 8 {
			break
		}
		n := int(binary.BigEndian.Uint32(b[off:]))
		if len(b)-off < 8+n {
			break
		}
		payload := b[off+4 : off+4+n]
		if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(b[off+4+n:]) {
			break
		}
		ps, err := decodePropsPayload(payload)
		if err != nil {
			break
		}
		points = append(points, ps...)
		off += 8 + n
	}
	if off < len(b) {
		if err := os.Truncate(path, int64(off)); err != nil {
			return nil, fmt.Errorf("truncate torn range properties: %w", err)
		}
	}
	return points, nil
}

// propCollector builds the points of one SST as its sorted pairs are added.
type propCollector struct {
	sizeInterval, keysInterval int64
	points                     []propPoint
	curSize, curKeys           int64
	lastKey                    []byte
}

func (c *propCollector) add(key []byte, size int64) {
	c.curSize += size
	c.curKeys++
	c.lastKey = key
	// The first key gets its own point so SplitKeys knows where data
	// begins, as in Lightning's collector.
	if len(c.points) == 0 || c.curSize >= c.sizeInterval || c.curKeys >= c.keysInterval {
		c.flushPoint()
	}
}

func (c *propCollector) flushPoint() {
	c.points = append(c.points, propPoint{key: append([]byte(nil), c.lastKey...), size: c.curSize, keys: c.curKeys})
	c.curSize, c.curKeys = 0, 0
}

func (c *propCollector) finish() []propPoint {
	if c.curKeys > 0 {
		c.flushPoint()
	}
	return c.points
}

// appendProps persists the points of an SST that is about to be ingested.
func (e *Engine) appendProps(points []propPoint) error {
	block := encodePropsBlock(points)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.propsFile == nil {
		return ErrClosed
	}
	if _, err := e.mu.propsFile.Write(block); err != nil {
		return fmt.Errorf("append range properties: %w", err)
	}
	e.mu.props = append(e.mu.props, points...)
	for _, p := range points {
		e.mu.size += p.size
		e.mu.keys += p.keys
	}
	return nil
}

// SplitKeys returns the raw keys at which the engine's data should be cut
// into regions of about regionSplitSize bytes or regionSplitKeys pairs
// (whichever is reached first; a value <= 0 disables that limit). The keys
// are strictly increasing and lie strictly after the engine's first key and
// at or before its last key, so an engine that fits one region yields none.
// Each key is the successor (key || 0x00) of a property point, so the
// point's own data stays in the range before the cut.
func (e *Engine) SplitKeys(regionSplitSize, regionSplitKeys int64) [][]byte {
	e.mu.Lock()
	points := slices.Clone(e.mu.props)
	e.mu.Unlock()
	return splitKeysFromProps(points, regionSplitSize, regionSplitKeys)
}

func splitKeysFromProps(points []propPoint, splitSize, splitKeys int64) [][]byte {
	if len(points) == 0 {
		return nil
	}
	slices.SortStableFunc(points, func(a, b propPoint) int { return bytes.Compare(a.key, b.key) })
	lastKey := points[len(points)-1].key
	var out [][]byte
	var accSize, accKeys int64
	for i := 0; i < len(points); {
		// Merge points with equal keys (from different SSTs) so a cut never
		// lands between them.
		key := points[i].key
		for ; i < len(points) && bytes.Equal(points[i].key, key); i++ {
			accSize += points[i].size
			accKeys += points[i].keys
		}
		if bytes.Equal(key, lastKey) {
			break
		}
		if (splitSize > 0 && accSize >= splitSize) || (splitKeys > 0 && accKeys >= splitKeys) {
			out = append(out, append(append([]byte(nil), key...), 0))
			accSize, accKeys = 0, 0
		}
	}
	return out
}
