package kv

// Pairs is a reusable buffer of encoded KV pairs. Keys and values live in one
// byte arena; Reset keeps the memory, so an encoder loop allocates only until
// the buffer reaches its steady-state size.
type Pairs struct {
	buf  []byte
	ends []pairEnds
}

type pairEnds struct {
	keyStart, keyEnd, valEnd int
	kind                     KeyKind
}

// Reset removes all pairs.
func (p *Pairs) Reset() {
	p.buf = p.buf[:0]
	p.ends = p.ends[:0]
}

// Len is the number of pairs.
func (p *Pairs) Len() int { return len(p.ends) }

// Key returns the i-th key; it aliases the buffer until the next Reset.
func (p *Pairs) Key(i int) []byte {
	e := p.ends[i]
	return p.buf[e.keyStart:e.keyEnd:e.keyEnd]
}

// Value returns the i-th value; it aliases the buffer until the next Reset.
func (p *Pairs) Value(i int) []byte {
	e := p.ends[i]
	return p.buf[e.keyEnd:e.valEnd:e.valEnd]
}

// IsIndex reports whether the i-th pair is an index KV (otherwise a record KV).
func (p *Pairs) IsIndex(i int) bool { return p.ends[i].kind == KeyIndex }

// Size is the total key+value size of all pairs.
func (p *Pairs) Size() int { return len(p.buf) }

// Add appends a copy of key and value.
func (p *Pairs) Add(key, value []byte) {
	start := len(p.buf)
	p.buf = append(p.buf, key...)
	kend := len(p.buf)
	p.buf = append(p.buf, value...)
	p.ends = append(p.ends, pairEnds{keyStart: start, keyEnd: kend, valEnd: len(p.buf), kind: ClassifyKey(key)})
}

// begin returns the arena for appending a key in place.
func (p *Pairs) begin() (buf []byte, start int) { return p.buf, len(p.buf) }

// commit records the pair written in place at buf[start:keyEnd] (key) and
// buf[keyEnd:] (value).
func (p *Pairs) commit(buf []byte, start, keyEnd int, kind KeyKind) {
	p.buf = buf
	p.ends = append(p.ends, pairEnds{keyStart: start, keyEnd: keyEnd, valEnd: len(buf), kind: kind})
}

// mark is a rollback point of a Pairs buffer.
type mark struct{ pairs, buf int }

func (p *Pairs) mark() mark { return mark{pairs: len(p.ends), buf: len(p.buf)} }

// rollback drops everything appended after m, so a row that fails halfway
// leaves no partial KVs behind.
func (p *Pairs) rollback(m mark) {
	p.ends = p.ends[:m.pairs]
	p.buf = p.buf[:m.buf]
}
