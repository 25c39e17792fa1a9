package tidbtypes

import (
	"errors"
	"math"
	"strconv"
)

// Decimal errors. They mirror MySQL's E_DEC_TRUNCATED / E_DEC_OVERFLOW /
// E_DEC_BAD_NUM: the value is still usable after ErrTruncated (digits were
// dropped or trailing garbage ignored) and after ErrOverflow (the value was
// saturated), while ErrBadNumber means nothing numeric was found (value 0).
var (
	ErrDecTruncated = errors.New("decimal: data truncated")
	ErrDecOverflow  = errors.New("decimal: value out of range")
	ErrDecBadNumber = errors.New("decimal: bad number")
)

const (
	digitsPerWord = 9
	wordBase      = 1000000000
	decWords      = 9                        // capacity in base-10^9 words
	maxDecDigits  = decWords * digitsPerWord // 81 digits total
)

// dig2bytes gives the storage size of a partial word of n digits (§2.3).
var dig2bytes = [10]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}

var pow10u32 = [10]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// MyDecimal is an exact decimal number of up to 81 digits, stored in a fixed
// array so it never allocates and can live inline in a Datum.
//
// Layout: the first ceil(digitsInt/9) words hold the integer part (most
// significant first; leading zeros are never stored, so digitsInt is the
// count of significant integer digits), the next ceil(digitsFrac/9) words hold
// the fraction, left-aligned (a partial last word holds its n digits as the
// high digits, value*10^(9-n)). digitsFrac counts fraction digits including
// trailing zeros, so "1.50" keeps scale 2 the way MySQL does.
type MyDecimal struct {
	digitsInt  int8
	digitsFrac int8
	negative   bool
	words      [decWords]uint32
}

// digits is an unpacked working form: integer digits then fraction digits,
// one decimal digit (0..9) per byte.
type digits struct {
	d     [maxDecDigits]byte
	nInt  int
	nFrac int
}

func wordsFor(n int) int { return (n + digitsPerWord - 1) / digitsPerWord }

func (d *MyDecimal) unpack(u *digits) {
	u.nInt = int(d.digitsInt)
	u.nFrac = int(d.digitsFrac)
	pos := 0
	iw := wordsFor(u.nInt)
	first := u.nInt - (iw-1)*digitsPerWord
	for w := 0; w < iw; w++ {
		n := digitsPerWord
		if w == 0 {
			n = first
		}
		v := d.words[w]
		for k := n - 1; k >= 0; k-- {
			u.d[pos+k] = byte(v % 10)
			v /= 10
		}
		pos += n
	}
	fw := wordsFor(u.nFrac)
	rem := u.nFrac
	for w := 0; w < fw; w++ {
		v := d.words[iw+w]
		var tmp [digitsPerWord]byte
		for k := digitsPerWord - 1; k >= 0; k-- {
			tmp[k] = byte(v % 10)
			v /= 10
		}
		n := digitsPerWord
		if rem < n {
			n = rem
		}
		copy(u.d[pos:], tmp[:n])
		pos += n
		rem -= n
	}
}

// pack stores u (leading integer zeros are stripped here). Callers guarantee
// the words fit.
func (d *MyDecimal) pack(u *digits, neg bool) {
	start := 0
	for start < u.nInt && u.d[start] == 0 {
		start++
	}
	nInt := u.nInt - start
	*d = MyDecimal{digitsInt: int8(nInt), digitsFrac: int8(u.nFrac), negative: neg}
	iw := wordsFor(nInt)
	first := nInt - (iw-1)*digitsPerWord
	pos := start
	for w := 0; w < iw; w++ {
		n := digitsPerWord
		if w == 0 {
			n = first
		}
		var v uint32
		for k := 0; k < n; k++ {
			v = v*10 + uint32(u.d[pos+k])
		}
		d.words[w] = v
		pos += n
	}
	fw := wordsFor(u.nFrac)
	rem := u.nFrac
	for w := 0; w < fw; w++ {
		n := digitsPerWord
		if rem < n {
			n = rem
		}
		var v uint32
		for k := 0; k < n; k++ {
			v = v*10 + uint32(u.d[pos+k])
		}
		d.words[iw+w] = v * pow10u32[digitsPerWord-n]
		pos += n
		rem -= n
	}
	if d.isZeroWords() {
		d.negative = false
	}
}

func (d *MyDecimal) isZeroWords() bool {
	n := wordsFor(int(d.digitsInt)) + wordsFor(int(d.digitsFrac))
	for i := 0; i < n; i++ {
		if d.words[i] != 0 {
			return false
		}
	}
	return true
}

// IsZero reports whether the value is 0.
func (d *MyDecimal) IsZero() bool { return d.isZeroWords() }

// IsNegative reports a negative (non-zero) value.
func (d *MyDecimal) IsNegative() bool { return d.negative }

// DigitsInt returns the number of significant integer digits.
func (d *MyDecimal) DigitsInt() int { return int(d.digitsInt) }

// DigitsFrac returns the number of fraction digits (the scale).
func (d *MyDecimal) DigitsFrac() int { return int(d.digitsFrac) }

// PrecisionAndFrac returns the value's own precision and scale; precision is
// at least 1 (a bare zero has precision 1).
func (d *MyDecimal) PrecisionAndFrac() (int, int) {
	p := int(d.digitsInt) + int(d.digitsFrac)
	if p == 0 {
		p = 1
	}
	return p, int(d.digitsFrac)
}

// FromInt sets d to v.
func (d *MyDecimal) FromInt(v int64) *MyDecimal {
	if v < 0 {
		d.FromUint(uint64(-(v + 1)) + 1)
		d.negative = true
		return d
	}
	return d.FromUint(uint64(v))
}

// FromUint sets d to v.
func (d *MyDecimal) FromUint(v uint64) *MyDecimal {
	*d = MyDecimal{}
	if v == 0 {
		return d
	}
	// v < 1.9e19: at most 3 words.
	var ws [3]uint32
	n := 0
	for v > 0 {
		ws[n] = uint32(v % wordBase)
		v /= wordBase
		n++
	}
	top := ws[n-1]
	nd := 0
	for t := top; t > 0; t /= 10 {
		nd++
	}
	d.digitsInt = int8((n-1)*digitsPerWord + nd)
	for i := 0; i < n; i++ {
		d.words[i] = ws[n-1-i]
	}
	return d
}

// FromFloat64 sets d from the shortest decimal representation of f (the way
// MySQL converts a double to decimal).
func (d *MyDecimal) FromFloat64(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		*d = MyDecimal{}
		return ErrDecOverflow
	}
	var buf [64]byte
	s := strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
	return d.FromString(s)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// FromString parses a decimal literal: optional spaces, sign, digits with an
// optional point, and an optional exponent. Trailing spaces are accepted;
// other trailing bytes give ErrDecTruncated (value kept); no digits at all
// gives ErrDecBadNumber (value 0); more than 81 integer digits give
// ErrDecOverflow (value saturated to 81 nines).
func (d *MyDecimal) FromString(s []byte) error {
	*d = MyDecimal{}
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	// Collect up to bufCap significant digits; remember where the point is.
	const bufCap = 2 * maxDecDigits
	var buf [bufCap]byte
	n := 0        // digits stored in buf
	intCount := 0 // integer digits seen after leading zeros (may exceed n)
	sawDigit := false
	lostNonZero := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		sawDigit = true
		c := s[i] - '0'
		if n == 0 && c == 0 {
			i++
			continue // leading zero
		}
		if n < bufCap {
			buf[n] = c
			n++
		}
		intCount++
		i++
	}
	fracCount := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			sawDigit = true
			if n < bufCap {
				buf[n] = s[i] - '0'
				n++
			} else if s[i] != '0' {
				lostNonZero = true
			}
			fracCount++
			i++
		}
	}
	if !sawDigit {
		return ErrDecBadNumber
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		eneg := false
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			eneg = s[j] == '-'
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				if exp < 1e9 {
					exp = exp*10 + int64(s[j]-'0')
				}
				j++
			}
			if eneg {
				exp = -exp
			}
			i = j
		}
	}
	var err error
	if !onlySpaces(s[i:]) {
		err = ErrDecTruncated
	}
	if intCount > bufCap {
		// More integer digits than we even buffer: certainly too large.
		d.setMax(neg)
		return ErrDecOverflow
	}
	// The value is 0.buf[0:n] * 10^point; its scale is the number of
	// fraction digits as written, shifted by the exponent ("1.50" keeps 2).
	point := int64(intCount) + exp
	scale := int64(fracCount) - exp
	if scale < 0 {
		scale = 0
	}
	allZero := true
	for k := 0; k < n; k++ {
		if buf[k] != 0 {
			allZero = false
			break
		}
	}
	// digitAt returns the k-th digit of the buffered significand, 0 outside.
	digitAt := func(idx int64) byte {
		if idx < 0 || idx >= int64(n) {
			return 0
		}
		return buf[idx]
	}
	var u digits
	nInt := 0
	if point > 0 && !allZero {
		// Skip leading zeros of the integer part (possible after an
		// exponent shifted fraction zeros left of the point).
		first := int64(0)
		for first < point && digitAt(first) == 0 {
			first++
		}
		if point-first > maxDecDigits {
			d.setMax(neg)
			return ErrDecOverflow
		}
		for k := first; k < point; k++ {
			u.d[nInt] = digitAt(k)
			nInt++
		}
	}
	u.nInt = nInt
	maxFrac := int64((decWords - wordsFor(nInt)) * digitsPerWord)
	if scale > maxFrac {
		// Digits beyond the capacity are cut; only non-zero ones matter.
		for k := max(point+maxFrac, 0); k < int64(n); k++ {
			if buf[k] != 0 {
				lostNonZero = true
				break
			}
		}
		scale = maxFrac
	}
	for k := int64(0); k < scale; k++ {
		u.d[nInt+int(k)] = digitAt(point + k)
	}
	u.nFrac = int(scale)
	d.pack(&u, neg)
	if lostNonZero && err == nil {
		err = ErrDecTruncated
	}
	return err
}

// setMax saturates d to 81 nines (internal maximum) with the given sign.
func (d *MyDecimal) setMax(neg bool) {
	*d = MyDecimal{digitsInt: maxDecDigits, negative: neg}
	for i := range d.words {
		d.words[i] = wordBase - 1
	}
}

// SetMaxForColumn sets d to the largest magnitude a DECIMAL(prec, frac)
// column holds (all nines), with the given sign; used to clamp overflows.
func (d *MyDecimal) SetMaxForColumn(prec, frac int, neg bool) {
	var u digits
	if prec > MaxDecimalWidth+16 || prec < 0 {
		prec = MaxDecimalWidth
	}
	if frac > prec || frac < 0 {
		frac = 0
	}
	u.nInt = prec - frac
	u.nFrac = frac
	for k := 0; k < prec; k++ {
		u.d[k] = 9
	}
	d.pack(&u, neg)
}

// String returns the decimal text ("-12.340", "0", "0.5").
func (d *MyDecimal) String() string {
	var buf [maxDecDigits + 3]byte
	return string(d.AppendString(buf[:0]))
}

// ToString returns the text form as bytes.
func (d *MyDecimal) ToString() []byte {
	return d.AppendString(nil)
}

// AppendString appends the text form to dst.
func (d *MyDecimal) AppendString(dst []byte) []byte {
	var u digits
	d.unpack(&u)
	if d.negative {
		dst = append(dst, '-')
	}
	if u.nInt == 0 {
		dst = append(dst, '0')
	}
	for k := 0; k < u.nInt; k++ {
		dst = append(dst, '0'+u.d[k])
	}
	if u.nFrac > 0 {
		dst = append(dst, '.')
		for k := 0; k < u.nFrac; k++ {
			dst = append(dst, '0'+u.d[u.nInt+k])
		}
	}
	return dst
}

// Round rounds d to frac fraction digits, half away from zero (MySQL
// ROUND_HALF_UP), padding with zeros when frac exceeds the current scale.
// frac is clamped to [0, 30]. A carry may add an integer digit; if that
// exceeds capacity ErrDecOverflow is returned and d saturated.
func (d *MyDecimal) Round(frac int) error {
	if frac < 0 {
		frac = 0
	}
	if frac > MaxDecimalScale {
		frac = MaxDecimalScale
	}
	cur := int(d.digitsFrac)
	if frac == cur {
		return nil
	}
	var u digits
	d.unpack(&u)
	neg := d.negative
	if frac > cur {
		if wordsFor(u.nInt)+wordsFor(frac) > decWords {
			frac = (decWords - wordsFor(u.nInt)) * digitsPerWord
			if frac <= cur {
				return nil
			}
		}
		for k := cur; k < frac; k++ {
			u.d[u.nInt+k] = 0
		}
		u.nFrac = frac
		d.pack(&u, neg)
		return nil
	}
	roundUp := u.d[u.nInt+frac] >= 5
	u.nFrac = frac
	if roundUp {
		// Add one unit in the last kept place, propagating the carry.
		k := u.nInt + frac - 1
		for k >= 0 {
			if u.d[k] == 9 {
				u.d[k] = 0
				k--
				continue
			}
			u.d[k]++
			break
		}
		if k < 0 {
			// Carry out of the most significant digit: prepend a 1.
			if wordsFor(u.nInt+1)+wordsFor(u.nFrac) > decWords {
				d.setMax(neg)
				return ErrDecOverflow
			}
			copy(u.d[1:u.nInt+u.nFrac+1], u.d[:u.nInt+u.nFrac])
			u.d[0] = 1
			u.nInt++
		}
	}
	d.pack(&u, neg)
	return nil
}

// Compare returns -1, 0 or 1 as d is less than, equal to or greater than o.
func (d *MyDecimal) Compare(o *MyDecimal) int {
	dz, oz := d.IsZero(), o.IsZero()
	dn := d.negative && !dz
	on := o.negative && !oz
	if dn != on {
		if dn {
			return -1
		}
		return 1
	}
	c := compareAbs(d, o)
	if dn {
		return -c
	}
	return c
}

func compareAbs(a, b *MyDecimal) int {
	if a.digitsInt != b.digitsInt {
		if a.digitsInt < b.digitsInt {
			return -1
		}
		return 1
	}
	var ua, ub digits
	a.unpack(&ua)
	b.unpack(&ub)
	n := ua.nInt + max(ua.nFrac, ub.nFrac)
	for k := 0; k < n; k++ {
		var x, y byte
		if k < ua.nInt+ua.nFrac {
			x = ua.d[k]
		}
		if k < ub.nInt+ub.nFrac {
			y = ub.d[k]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ToFloat64 converts to the nearest float64.
func (d *MyDecimal) ToFloat64() float64 {
	var buf [maxDecDigits + 3]byte
	f, err := strconv.ParseFloat(bytesToString(d.AppendString(buf[:0])), 64)
	if err != nil {
		// Only range errors are possible; ParseFloat returns ±Inf then.
		return f
	}
	return f
}

// ToInt rounds half away from zero to an int64. ErrDecOverflow is returned
// (with the saturated value) when out of range; ErrDecTruncated when the
// fraction was non-zero.
func (d *MyDecimal) ToInt() (int64, error) {
	r := *d
	hadFrac := r.hasNonZeroFrac()
	if err := r.Round(0); err != nil {
		if r.negative {
			return math.MinInt64, ErrDecOverflow
		}
		return math.MaxInt64, ErrDecOverflow
	}
	var u digits
	r.unpack(&u)
	var v uint64
	for k := 0; k < u.nInt; k++ {
		if v > (math.MaxUint64-9)/10 {
			if r.negative {
				return math.MinInt64, ErrDecOverflow
			}
			return math.MaxInt64, ErrDecOverflow
		}
		v = v*10 + uint64(u.d[k])
	}
	var err error
	if hadFrac {
		err = ErrDecTruncated
	}
	if r.negative {
		if v > 1<<63 {
			return math.MinInt64, ErrDecOverflow
		}
		return -int64(v-1) - 1, err
	}
	if v > math.MaxInt64 {
		return math.MaxInt64, ErrDecOverflow
	}
	return int64(v), err
}

// ToUint rounds half away from zero to a uint64; negative values give 0 and
// ErrDecOverflow.
func (d *MyDecimal) ToUint() (uint64, error) {
	r := *d
	hadFrac := r.hasNonZeroFrac()
	if err := r.Round(0); err != nil {
		if r.negative {
			return 0, ErrDecOverflow
		}
		return math.MaxUint64, ErrDecOverflow
	}
	if r.negative && !r.IsZero() {
		return 0, ErrDecOverflow
	}
	var u digits
	r.unpack(&u)
	var v uint64
	for k := 0; k < u.nInt; k++ {
		dg := uint64(u.d[k])
		if v > (math.MaxUint64-dg)/10 {
			return math.MaxUint64, ErrDecOverflow
		}
		v = v*10 + dg
	}
	if hadFrac {
		return v, ErrDecTruncated
	}
	return v, nil
}

func (d *MyDecimal) hasNonZeroFrac() bool {
	iw := wordsFor(int(d.digitsInt))
	for w := 0; w < wordsFor(int(d.digitsFrac)); w++ {
		if d.words[iw+w] != 0 {
			return true
		}
	}
	return false
}

// DecimalBinSize returns the number of bytes WriteBin produces for
// DECIMAL(prec, frac) (§2.3).
func DecimalBinSize(prec, frac int) int {
	i := prec - frac
	return i/digitsPerWord*4 + dig2bytes[i%digitsPerWord] + frac/digitsPerWord*4 + dig2bytes[frac%digitsPerWord]
}

func validPrecFrac(prec, frac int) bool {
	return prec >= 1 && prec <= maxDecDigits && frac >= 0 && frac <= prec && frac <= maxDecDigits
}

// WriteBin appends MySQL's binary decimal form (decimal2bin) of d for
// DECIMAL(prec, frac) to dst. Too many integer digits give ErrDecOverflow
// (nothing appended); more fraction digits than frac are cut and reported as
// ErrDecTruncated alongside the appended bytes (callers round first).
func (d *MyDecimal) WriteBin(prec, frac int, dst []byte) ([]byte, error) {
	if !validPrecFrac(prec, frac) {
		return dst, ErrDecBadNumber
	}
	intDigits := prec - frac
	if int(d.digitsInt) > intDigits {
		return dst, ErrDecOverflow
	}
	var u digits
	d.unpack(&u)
	var err error
	if u.nFrac > frac {
		for k := frac; k < u.nFrac; k++ {
			if u.d[u.nInt+k] != 0 {
				err = ErrDecTruncated
				break
			}
		}
	}
	// intDigit(k) returns integer digit k of a right-aligned intDigits-long
	// field; fracDigit(k) returns fraction digit k (0-based) or 0.
	intDigit := func(k int) uint32 {
		off := k - (intDigits - u.nInt)
		if off < 0 {
			return 0
		}
		return uint32(u.d[off])
	}
	fracDigit := func(k int) uint32 {
		if k < u.nFrac {
			return uint32(u.d[u.nInt+k])
		}
		return 0
	}
	start := len(dst)
	lead := intDigits % digitsPerWord
	k := 0
	if lead > 0 {
		var v uint32
		for ; k < lead; k++ {
			v = v*10 + intDigit(k)
		}
		dst = appendBE(dst, v, dig2bytes[lead])
	}
	for k < intDigits {
		var v uint32
		for e := k + digitsPerWord; k < e; k++ {
			v = v*10 + intDigit(k)
		}
		dst = appendBE(dst, v, 4)
	}
	fullFrac := frac / digitsPerWord
	k = 0
	for w := 0; w < fullFrac; w++ {
		var v uint32
		for e := k + digitsPerWord; k < e; k++ {
			v = v*10 + fracDigit(k)
		}
		dst = appendBE(dst, v, 4)
	}
	if tail := frac % digitsPerWord; tail > 0 {
		var v uint32
		for e := k + tail; k < e; k++ {
			v = v*10 + fracDigit(k)
		}
		dst = appendBE(dst, v, dig2bytes[tail])
	}
	out := dst[start:]
	if d.negative && !d.IsZero() {
		for j := range out {
			out[j] = ^out[j]
		}
	}
	if len(out) > 0 {
		out[0] ^= 0x80
	}
	return dst, err
}

func appendBE(dst []byte, v uint32, n int) []byte {
	switch n {
	case 1:
		return append(dst, byte(v))
	case 2:
		return append(dst, byte(v>>8), byte(v))
	case 3:
		return append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	return append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// FromBin decodes the binary form of DECIMAL(prec, frac) at the start of b,
// returning the number of bytes consumed.
func (d *MyDecimal) FromBin(b []byte, prec, frac int) (int, error) {
	*d = MyDecimal{}
	if !validPrecFrac(prec, frac) {
		return 0, ErrDecBadNumber
	}
	size := DecimalBinSize(prec, frac)
	if len(b) < size || size == 0 {
		return 0, ErrDecBadNumber
	}
	var buf [64]byte
	src := buf[:0]
	if size > len(buf) {
		src = make([]byte, 0, size)
	}
	src = append(src, b[:size]...)
	neg := src[0]&0x80 == 0
	src[0] ^= 0x80
	if neg {
		for j := range src {
			src[j] = ^src[j]
		}
	}
	intDigits := prec - frac
	var u digits
	u.nInt = intDigits
	u.nFrac = frac
	pos := 0
	readN := func(n int) uint32 {
		var v uint32
		for j := 0; j < n; j++ {
			v = v<<8 | uint32(src[pos+j])
		}
		pos += n
		return v
	}
	putDigits := func(at int, v uint32, n int) error {
		if v >= pow10u32[n] && n < 10 {
			return ErrDecBadNumber
		}
		for j := n - 1; j >= 0; j-- {
			u.d[at+j] = byte(v % 10)
			v /= 10
		}
		return nil
	}
	at := 0
	if lead := intDigits % digitsPerWord; lead > 0 {
		if err := putDigits(at, readN(dig2bytes[lead]), lead); err != nil {
			return 0, err
		}
		at += lead
	}
	for at < intDigits {
		if err := putDigits(at, readN(4), digitsPerWord); err != nil {
			return 0, err
		}
		at += digitsPerWord
	}
	for w := 0; w < frac/digitsPerWord; w++ {
		if err := putDigits(at, readN(4), digitsPerWord); err != nil {
			return 0, err
		}
		at += digitsPerWord
	}
	if tail := frac % digitsPerWord; tail > 0 {
		if err := putDigits(at, readN(dig2bytes[tail]), tail); err != nil {
			return 0, err
		}
	}
	d.pack(&u, neg)
	return size, nil
}
