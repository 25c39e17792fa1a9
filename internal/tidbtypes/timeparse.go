package tidbtypes

import (
	"time"
)

// dtFields are parsed, not yet validated, datetime fields.
type dtFields struct {
	year, month, day     int
	hour, minute, second int
	frac                 []byte // fraction digits as written (may be longer than 6)
	yearDigits           int
	hasTZ                bool
	tzOffset             int // seconds east of UTC
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !isDigit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z')
}

func trimSpaces(s []byte) []byte {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// readInt reads up to maxDigits digits at s[i:], returning value, digits read.
func readInt(s []byte, i, maxDigits int) (int, int) {
	v, n := 0, 0
	for i+n < len(s) && n < maxDigits && isDigit(s[i+n]) {
		v = v*10 + int(s[i+n]-'0')
		n++
	}
	return v, n
}

// parseDatetimeFields parses the string forms MySQL accepts for DATE,
// DATETIME and TIMESTAMP: delimited ("2020-01-02 03:04:05.678", any
// punctuation as delimiter, 'T' or spaces between date and time, optional
// 'Z' / ±hh:mm offset) and digits-only ("20200102030405.678", "200102").
func parseDatetimeFields(s []byte) (dtFields, bool) {
	var f dtFields
	s = trimSpaces(s)
	if len(s) == 0 {
		return f, false
	}
	// Digits-only (optionally with a fraction).
	allDigits := true
	dot := -1
	for i, c := range s {
		if c == '.' && dot < 0 {
			dot = i
			continue
		}
		if !isDigit(c) {
			allDigits = false
			break
		}
	}
	if allDigits {
		intPart := s
		if dot >= 0 {
			intPart = s[:dot]
			f.frac = s[dot+1:]
		}
		return parseDigitsDatetime(intPart, f.frac)
	}
	i := 0
	var n int
	f.year, n = readInt(s, i, 4)
	if n == 0 || (i+n < len(s) && isDigit(s[i+n])) {
		return f, false
	}
	f.yearDigits = n
	i += n
	// date delimiters and month / day
	for k, dst := range []*int{&f.month, &f.day} {
		_ = k
		if i >= len(s) || !isPunct(s[i]) {
			return f, false
		}
		for i < len(s) && isPunct(s[i]) {
			i++
		}
		*dst, n = readInt(s, i, 2)
		if n == 0 || (i+n < len(s) && isDigit(s[i+n])) {
			return f, false
		}
		i += n
	}
	if i == len(s) {
		return f, true
	}
	// date/time separator
	if s[i] == 'T' || s[i] == 't' {
		i++
	} else if isSpace(s[i]) || isPunct(s[i]) {
		for i < len(s) && (isSpace(s[i]) || isPunct(s[i])) {
			i++
		}
	} else {
		return f, false
	}
	parts := []*int{&f.hour, &f.minute, &f.second}
	for k, dst := range parts {
		if k > 0 {
			// Any punctuation separates time fields ("11.30.45" is valid);
			// the fraction point only follows the seconds.
			if i+1 >= len(s) || !isPunct(s[i]) || !isDigit(s[i+1]) {
				break
			}
			i++
		}
		*dst, n = readInt(s, i, 2)
		if n == 0 || (i+n < len(s) && isDigit(s[i+n])) {
			return f, false
		}
		i += n
	}
	if i < len(s) && s[i] == '.' {
		i++
		st := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		f.frac = s[st:i]
	}
	if i < len(s) {
		switch c := s[i]; {
		case c == 'Z' || c == 'z':
			f.hasTZ = true
			i++
		case c == '+' || c == '-':
			h, nh := readInt(s, i+1, 2)
			j := i + 1 + nh
			if nh != 2 || j >= len(s) || s[j] != ':' {
				return f, false
			}
			m, nm := readInt(s, j+1, 2)
			if nm != 2 || m > 59 {
				return f, false
			}
			off := h*3600 + m*60
			if c == '-' {
				off = -off
			}
			if off < -(13*3600+59*60) || off > 14*3600 {
				return f, false
			}
			f.hasTZ = true
			f.tzOffset = off
			i = j + 1 + nm
		}
	}
	for ; i < len(s); i++ {
		if !isSpace(s[i]) {
			return f, false
		}
	}
	return f, true
}

// parseDigitsDatetime handles the delimiter-free forms by length, as TiDB
// does: 14 YYYYMMDDhhmmss, 12 YYMMDDhhmmss, 11 YYMMDDhhmms, 10 YYMMDDhhmm,
// 9 YYMMDDhhm, 8 YYYYMMDD, 7 YYMMDDh, 6 YYMMDD, 5 YYMMD.
func parseDigitsDatetime(d, frac []byte) (dtFields, bool) {
	var f dtFields
	f.frac = frac
	widths := [][]int{
		5: {2, 2, 1}, 6: {2, 2, 2}, 7: {2, 2, 2, 1}, 8: {4, 2, 2}, 9: {2, 2, 2, 2, 1},
		10: {2, 2, 2, 2, 2}, 11: {2, 2, 2, 2, 2, 1}, 12: {2, 2, 2, 2, 2, 2}, 13: nil, 14: {4, 2, 2, 2, 2, 2},
	}
	if len(d) >= len(widths) || widths[len(d)] == nil {
		return f, false
	}
	w := widths[len(d)]
	dst := []*int{&f.year, &f.month, &f.day, &f.hour, &f.minute, &f.second}
	pos := 0
	for k, n := range w {
		v, _ := readInt(d, pos, n)
		*dst[k] = v
		pos += n
	}
	f.yearDigits = w[0]
	if len(w) <= 3 {
		// Date-only digit strings ignore a fraction.
		f.frac = nil
	}
	return f, true
}

// timeFromNumber parses MySQL's numeric datetime forms (number_to_datetime):
// YYMMDD, YYYYMMDD, YYMMDDhhmmss, YYYYMMDDhhmmss with the usual 2-digit
// year windows; frac holds fraction digits.
func timeFromNumber(n uint64, frac []byte) (dtFields, bool) {
	var f dtFields
	f.frac = frac
	switch {
	case n == 0:
		return f, true
	case n < 101:
		return f, false
	case n <= 691231:
		n += 20000000
	case n < 700101:
		return f, false
	case n <= 991231:
		n += 19000000
	case n < 10000101:
		return f, false
	case n <= 99991231:
	case n < 101000000:
		return f, false
	case n <= 691231235959:
		n += 20000000000000
	case n < 700101000000:
		return f, false
	case n <= 991231235959:
		n += 19000000000000
	case n < 10000101000000:
		return f, false
	case n <= 99991231235959:
	default:
		return f, false
	}
	if n <= 99991231 {
		f.year, f.month, f.day = int(n/10000), int(n/100%100), int(n%100)
		f.frac = nil
		return f, true
	}
	date, tod := n/1000000, n%1000000
	f.year, f.month, f.day = int(date/10000), int(date/100%100), int(date%100)
	f.hour, f.minute, f.second = int(tod/10000), int(tod/100%100), int(tod%100)
	f.yearDigits = 4
	return f, true
}

// roundFracDigits turns fraction digits into microseconds rounded half up to
// fsp digits (or truncated); carry reports a rounding into the next second.
func roundFracDigits(frac []byte, fsp int, truncate bool) (us int, carry bool) {
	v := 0
	for k := 0; k < fsp; k++ {
		v *= 10
		if k < len(frac) {
			v += int(frac[k] - '0')
		}
	}
	if !truncate && fsp < len(frac) && frac[fsp] >= '5' {
		v++
	}
	scale := int(pow10u32[fsp])
	if v >= scale {
		return 0, true
	}
	return v * int(pow10u32[6-fsp]), false
}

// Timestamp range in UTC: 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999.
var (
	minTimestampUnix int64 = 1
	maxTimestampUnix int64 = 2147483647
)

// makeTime validates fields for column type tp with precision fsp under
// mode; loc is the session zone (TIMESTAMP range check and ±hh:mm suffix
// conversion). ok=false means the value is invalid for the column (MySQL
// 1292); callers then store the zero value or fail in strict mode.
func makeTime(f dtFields, tp byte, fsp int, mode SQLMode, loc *time.Location) (Time, bool) {
	if tp == TypeDate || tp == TypeNewDate {
		tp = TypeDate
		fsp = 0
	}
	if f.yearDigits == 2 && !(f.year == 0 && f.month == 0 && f.day == 0) {
		if f.year < 70 {
			f.year += 2000
		} else {
			f.year += 1900
		}
	}
	if f.year > 9999 || f.month > 12 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 59 {
		return Time{}, false
	}
	us, carry := roundFracDigits(f.frac, fsp, mode&ModeTimeTruncateFractional != 0)
	if tp == TypeDate {
		f.hour, f.minute, f.second, us, carry = 0, 0, 0, 0, false
	}
	t := Time{year: uint16(f.year), month: uint8(f.month), day: uint8(f.day), hour: uint8(f.hour),
		minute: uint8(f.minute), second: uint8(f.second), microsecond: uint32(us), tp: tp, fsp: int8(fsp)}
	zeroDate := f.year == 0 && f.month == 0 && f.day == 0
	zeroInDate := !zeroDate && (f.month == 0 || f.day == 0)
	if zeroDate {
		if mode&ModeNoZeroDate != 0 || (tp == TypeTimestamp && (f.hour|f.minute|f.second) != 0) {
			return Time{}, false
		}
	}
	if zeroInDate && (mode&ModeNoZeroInDate != 0 || tp == TypeTimestamp) {
		return Time{}, false
	}
	if !zeroDate && !zeroInDate && f.day > DaysInMonth(f.year, f.month) {
		if mode&ModeAllowInvalidDates == 0 || tp == TypeTimestamp {
			return Time{}, false
		}
	}
	if carry {
		var ok bool
		t.microsecond = uint32(us)
		t, ok = t.addSecond()
		if !ok {
			return Time{}, false
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	if f.hasTZ && !zeroDate && !zeroInDate && tp != TypeDate {
		g := t.goTime(time.FixedZone("", f.tzOffset)).In(loc)
		if g.Year() < 1 || g.Year() > 9999 {
			return Time{}, false
		}
		t = timeFromGo(g, t.tp, t.fsp)
	}
	if tp == TypeTimestamp && !zeroDate {
		g := t.goTime(loc)
		u := g.Unix()
		if u < minTimestampUnix || u > maxTimestampUnix {
			return Time{}, false
		}
		// A wall time inside a DST gap does not exist in loc; Go moves it,
		// keep the normalised value as TiDB stores a real instant.
		if g.Hour() != int(t.hour) || g.Minute() != int(t.minute) {
			t = timeFromGo(g, t.tp, t.fsp)
		}
	}
	return t, true
}

// addSecond adds one second to a valid date (used for fraction carry).
func (t Time) addSecond() (Time, bool) {
	if t.month == 0 || t.day == 0 {
		return t.addSecondFieldwise()
	}
	g := t.goTime(time.UTC).Add(time.Second)
	if g.Year() > 9999 {
		return t, false
	}
	return timeFromGo(g, t.tp, t.fsp), true
}

// ParseTime parses s as a value of column type tp (TypeDate, TypeDatetime,
// TypeTimestamp) with precision fsp under mode, using loc as the session
// zone. ok=false means the text is not a valid value for the column.
func ParseTime(s []byte, tp byte, fsp int, mode SQLMode, loc *time.Location) (Time, bool) {
	f, ok := parseDatetimeFields(s)
	if !ok {
		return Time{}, false
	}
	return makeTime(f, tp, clampFsp(fsp), mode, loc)
}

// ParseDate parses a DATE value.
func ParseDate(s string, mode SQLMode) (Time, bool) {
	return ParseTime(stringToBytes(s), TypeDate, 0, mode, nil)
}

// ParseDatetime parses a DATETIME value with precision fsp.
func ParseDatetime(s string, fsp int, mode SQLMode) (Time, bool) {
	return ParseTime(stringToBytes(s), TypeDatetime, fsp, mode, nil)
}

// ParseTimestamp parses a TIMESTAMP value in session zone loc; the result
// is wall-clock time in loc.
func ParseTimestamp(s string, fsp int, mode SQLMode, loc *time.Location) (Time, bool) {
	return ParseTime(stringToBytes(s), TypeTimestamp, fsp, mode, loc)
}

// durationFromParts builds a duration; ok=false if minute/second invalid.
func durationFromParts(neg bool, h, m, s int64, frac []byte, fsp int, truncate bool) (Duration, bool, bool) {
	if m > 59 || s > 59 {
		return Duration{}, false, false
	}
	us, carry := roundFracDigits(frac, fsp, truncate)
	total := (h*3600+m*60+s)*int64(time.Second) + int64(us)*int64(time.Microsecond)
	if carry {
		total += int64(time.Second)
	}
	overflow := false
	if h > 1000000 || total > int64(MaxDuration) {
		total = int64(MaxDuration)
		overflow = true
	}
	if neg {
		total = -total
	}
	return Duration{Duration: time.Duration(total), Fsp: fsp}, true, overflow
}

// ParseDuration parses a TIME value: "[-][D ]hh:mm[:ss][.frac]",
// "[-]hhmmss[.frac]" (digits right-aligned: "1234" is 00:12:34), and
// datetime strings (their time of day). overflow reports a value clamped to
// ±838:59:59; ok=false an invalid value.
func ParseDuration(s []byte, fsp int, mode SQLMode) (d Duration, ok bool, overflow bool) {
	fsp = clampFsp(fsp)
	trunc := mode&ModeTimeTruncateFractional != 0
	s = trimSpaces(s)
	if len(s) == 0 {
		return Duration{Fsp: fsp}, false, false
	}
	neg := false
	body := s
	if body[0] == '-' {
		neg = true
		body = body[1:]
	} else if body[0] == '+' {
		body = body[1:]
	}
	// A full datetime: take its time of day.
	if len(body) > 0 {
		if f, okDT := parseDatetimeFields(s); okDT && !neg && (hasDateDelims(s) || leadingDigits(s) >= 12) {
			if f.month <= 12 && f.day <= 31 && f.hour <= 23 && f.minute <= 59 && f.second <= 59 {
				return durationFromParts(false, int64(f.hour), int64(f.minute), int64(f.second), f.frac, fsp, trunc)
			}
			return Duration{Fsp: fsp}, false, false
		}
	}
	i := 0
	first, n := readInt64(body, 0)
	if n == 0 {
		return Duration{Fsp: fsp}, false, false
	}
	i = n
	var days, h, m, sec int64
	var frac []byte
	if i < len(body) && body[i] == ' ' {
		// "D hh[:mm[:ss]]"
		days = first
		for i < len(body) && body[i] == ' ' {
			i++
		}
		var nh int
		h, nh = readInt64(body, i)
		if nh == 0 || days > 34 {
			return Duration{Fsp: fsp}, false, false
		}
		i += nh
		if i < len(body) && body[i] == ':' {
			var nm int
			m, nm = readInt64(body, i+1)
			if nm == 0 {
				return Duration{Fsp: fsp}, false, false
			}
			i += 1 + nm
			if i < len(body) && body[i] == ':' {
				var ns int
				sec, ns = readInt64(body, i+1)
				if ns == 0 {
					return Duration{Fsp: fsp}, false, false
				}
				i += 1 + ns
			}
		}
		h += days * 24
	} else if i < len(body) && body[i] == ':' {
		h = first
		var nm int
		m, nm = readInt64(body, i+1)
		if nm == 0 {
			return Duration{Fsp: fsp}, false, false
		}
		i += 1 + nm
		if i < len(body) && body[i] == ':' {
			var ns int
			sec, ns = readInt64(body, i+1)
			if ns == 0 {
				return Duration{Fsp: fsp}, false, false
			}
			i += 1 + ns
		}
	} else {
		// hhmmss packed digits
		sec = first % 100
		m = first / 100 % 100
		h = first / 10000
	}
	if i < len(body) && body[i] == '.' {
		st := i + 1
		i = st
		for i < len(body) && isDigit(body[i]) {
			i++
		}
		frac = body[st:i]
	}
	if i != len(body) {
		return Duration{Fsp: fsp}, false, false
	}
	return durationFromParts(neg, h, m, sec, frac, fsp, trunc)
}

func hasDateDelims(s []byte) bool {
	for _, c := range s {
		if c == '-' || c == '/' {
			return true
		}
		if c == ' ' || c == ':' {
			return false
		}
	}
	return false
}

func readInt64(s []byte, i int) (int64, int) {
	var v int64
	n := 0
	for i+n < len(s) && isDigit(s[i+n]) {
		if v < 1e15 {
			v = v*10 + int64(s[i+n]-'0')
		}
		n++
	}
	return v, n
}

// DurationFromNumber converts a numeric TIME literal (hhmmss[.frac], or a
// datetime number whose time of day is taken).
func DurationFromNumber(neg bool, n uint64, frac []byte, fsp int, mode SQLMode) (Duration, bool, bool) {
	fsp = clampFsp(fsp)
	trunc := mode&ModeTimeTruncateFractional != 0
	if n >= 10000000000 && !neg {
		f, ok := timeFromNumber(n, frac)
		if !ok {
			return Duration{Fsp: fsp}, false, false
		}
		return durationFromParts(false, int64(f.hour), int64(f.minute), int64(f.second), f.frac, fsp, trunc)
	}
	if n > 1e15 {
		d, _, _ := durationFromParts(neg, 838, 59, 59, nil, fsp, trunc)
		return d, true, true
	}
	v := int64(n)
	return durationFromParts(neg, v/10000, v/100%100, v%100, frac, fsp, trunc)
}

func leadingDigits(s []byte) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}
