package tidbtypes

import (
	"time"
)

// Time is a MySQL DATE, DATETIME or TIMESTAMP value: broken-down calendar
// fields (not a time.Time, because MySQL allows zero and partially-zero
// dates such as 2020-00-00 that time.Time cannot represent), the column
// type it belongs to and its fractional-seconds precision.
type Time struct {
	year        uint16
	month       uint8
	day         uint8
	hour        uint8
	minute      uint8
	second      uint8
	tp          byte // TypeDate, TypeDatetime or TypeTimestamp
	fsp         int8
	microsecond uint32
}

// ZeroTime is 0000-00-00 00:00:00 as a DATETIME.
var ZeroTime = Time{tp: TypeDatetime}

// NewTime builds a Time from its fields. Out-of-range fields are clamped to
// their bit widths (validity is checked by the parsers, not here).
func NewTime(year, month, day, hour, minute, second, microsecond int, tp byte, fsp int) Time {
	return Time{
		year:        uint16(clampInt(year, 0, 9999)),
		month:       uint8(clampInt(month, 0, 12)),
		day:         uint8(clampInt(day, 0, 31)),
		hour:        uint8(clampInt(hour, 0, 23)),
		minute:      uint8(clampInt(minute, 0, 59)),
		second:      uint8(clampInt(second, 0, 59)),
		microsecond: uint32(clampInt(microsecond, 0, 999999)),
		tp:          tp,
		fsp:         int8(clampFsp(fsp)),
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func clampFsp(fsp int) int { return clampInt(fsp, MinFsp, MaxFsp) }

// Year .. Microsecond return the calendar fields.
func (t Time) Year() int        { return int(t.year) }
func (t Time) Month() int       { return int(t.month) }
func (t Time) Day() int         { return int(t.day) }
func (t Time) Hour() int        { return int(t.hour) }
func (t Time) Minute() int      { return int(t.minute) }
func (t Time) Second() int      { return int(t.second) }
func (t Time) Microsecond() int { return int(t.microsecond) }

// Type returns TypeDate, TypeDatetime or TypeTimestamp.
func (t Time) Type() byte { return t.tp }

// Fsp returns the fractional-seconds precision (0..6).
func (t Time) Fsp() int { return int(t.fsp) }

// SetType changes the type; converting to DATE drops the time of day.
func (t *Time) SetType(tp byte) {
	t.tp = tp
	if tp == TypeDate {
		t.hour, t.minute, t.second, t.microsecond = 0, 0, 0, 0
		t.fsp = 0
	}
}

// SetFsp changes the precision without rounding (see RoundFrac).
func (t *Time) SetFsp(fsp int) { t.fsp = int8(clampFsp(fsp)) }

// IsZero reports 0000-00-00 00:00:00(.000000).
func (t Time) IsZero() bool {
	return t.year == 0 && t.month == 0 && t.day == 0 && t.hour == 0 && t.minute == 0 &&
		t.second == 0 && t.microsecond == 0
}

// ToPackedUint packs the fields as TiDB stores times (§2.4):
// ((((year*13+month)<<5|day)<<17 | hour<<12|minute<<6|second) << 24) | microsecond.
// The zero date packs to 0 naturally.
func (t Time) ToPackedUint() uint64 {
	ymd := (uint64(t.year)*13+uint64(t.month))<<5 | uint64(t.day)
	hms := uint64(t.hour)<<12 | uint64(t.minute)<<6 | uint64(t.second)
	return (ymd<<17|hms)<<24 | uint64(t.microsecond)
}

// TimeFromPackedUint unpacks ToPackedUint's output. The type is left as
// DATETIME and fsp 0; callers set them from the column.
func TimeFromPackedUint(p uint64) Time {
	var t Time
	t.microsecond = uint32(p & (1<<24 - 1))
	p >>= 24
	hms := p & (1<<17 - 1)
	ymd := p >> 17
	t.second = uint8(hms & 63)
	t.minute = uint8(hms >> 6 & 63)
	t.hour = uint8(hms >> 12)
	t.day = uint8(ymd & 31)
	ym := ymd >> 5
	t.year = uint16(ym / 13)
	t.month = uint8(ym % 13)
	t.tp = TypeDatetime
	return t
}

// FromPackedUint replaces t's fields by the packed value, keeping type/fsp.
func (t *Time) FromPackedUint(p uint64) {
	tp, fsp := t.tp, t.fsp
	*t = TimeFromPackedUint(p)
	t.tp, t.fsp = tp, fsp
}

// String formats as MySQL displays the value: "YYYY-MM-DD" for DATE,
// "YYYY-MM-DD hh:mm:ss[.ffffff]" otherwise with fsp fraction digits.
func (t Time) String() string {
	var buf [32]byte
	return string(t.AppendString(buf[:0]))
}

// AppendString appends the String form to dst.
func (t Time) AppendString(dst []byte) []byte {
	dst = appendDigits(dst, int(t.year), 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(t.month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(t.day), 2)
	if t.tp == TypeDate {
		return dst
	}
	dst = append(dst, ' ')
	dst = appendDigits(dst, int(t.hour), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, int(t.minute), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, int(t.second), 2)
	if t.fsp > 0 {
		dst = append(dst, '.')
		frac := int(t.microsecond)
		dst = appendDigits(dst, frac/int(pow10u32[6-int(t.fsp)]), int(t.fsp))
	}
	return dst
}

func appendDigits(dst []byte, v, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, tmp[i:]...)
}

// IsLeapYear reports a Gregorian leap year.
func IsLeapYear(y int) bool { return (y%4 == 0 && y%100 != 0) || y%400 == 0 }

var daysInMonth = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// DaysInMonth returns the number of days of month m (1..12) in year y.
func DaysInMonth(y, m int) int {
	if m == 2 && IsLeapYear(y) {
		return 29
	}
	if m < 1 || m > 12 {
		return 31
	}
	return daysInMonth[m]
}

// goTime converts a fully valid (non-zero) date in loc to time.Time.
func (t Time) goTime(loc *time.Location) time.Time {
	return time.Date(int(t.year), time.Month(t.month), int(t.day), int(t.hour), int(t.minute),
		int(t.second), int(t.microsecond)*1000, loc)
}

func timeFromGo(g time.Time, tp byte, fsp int8) Time {
	return Time{
		year: uint16(g.Year()), month: uint8(g.Month()), day: uint8(g.Day()),
		hour: uint8(g.Hour()), minute: uint8(g.Minute()), second: uint8(g.Second()),
		microsecond: uint32(g.Nanosecond() / 1000), tp: tp, fsp: fsp,
	}
}

// ConvertTimeZone reinterprets t (wall clock in from) as wall clock in to.
// Zero dates and dates with zero parts are left unchanged, as MySQL does.
func (t Time) ConvertTimeZone(from, to *time.Location) Time {
	if t.month == 0 || t.day == 0 || from == nil || to == nil || from == to {
		return t
	}
	g := t.goTime(from).In(to)
	return timeFromGo(g, t.tp, t.fsp)
}

// RoundFrac rounds the microseconds to fsp digits (half up), carrying into
// seconds and beyond; a carry past 9999-12-31 23:59:59 gives ok=false.
func (t Time) RoundFrac(fsp int) (Time, bool) {
	fsp = clampFsp(fsp)
	unit := pow10u32[6-fsp]
	us := t.microsecond
	r := (us + unit/2) / unit * unit
	t.fsp = int8(fsp)
	if r < 1000000 {
		t.microsecond = r
		return t, true
	}
	t.microsecond = 0
	if t.month == 0 || t.day == 0 {
		// Partially-zero dates cannot carry through the calendar; MySQL
		// adds the second field-wise. Keep it simple: carry within h:m:s.
		return t.addSecondFieldwise()
	}
	g := t.goTime(time.UTC).Add(time.Second)
	if g.Year() > 9999 {
		return t, false
	}
	return timeFromGo(g, t.tp, t.fsp), true
}

func (t Time) addSecondFieldwise() (Time, bool) {
	t.second++
	if t.second < 60 {
		return t, true
	}
	t.second = 0
	t.minute++
	if t.minute < 60 {
		return t, true
	}
	t.minute = 0
	t.hour++
	if t.hour < 24 {
		return t, true
	}
	t.hour = 23
	t.minute, t.second = 59, 59
	return t, false
}

// Duration is a MySQL TIME value: a signed nanosecond count with a
// fractional-seconds precision. Range ±838:59:59(.000000).
type Duration struct {
	Duration time.Duration
	Fsp      int
}

func durationNs(i int64) time.Duration { return time.Duration(i) }

// MaxDuration is 838:59:59 in nanoseconds.
const MaxDuration = time.Duration((838*3600 + 59*60 + 59) * int64(time.Second))

// Hour/Minute/Second/Microsecond return the absolute components.
func (d Duration) parts() (neg bool, h, m, s, us int64) {
	ns := int64(d.Duration)
	if ns < 0 {
		neg = true
		ns = -ns
	}
	us = ns / 1000 % 1000000
	sec := ns / int64(time.Second)
	return neg, sec / 3600, sec / 60 % 60, sec % 60, us
}

// String formats as [-]HH:MM:SS[.fff].
func (d Duration) String() string {
	var buf [24]byte
	return string(d.AppendString(buf[:0]))
}

// AppendString appends the String form to dst.
func (d Duration) AppendString(dst []byte) []byte {
	neg, h, m, s, us := d.parts()
	if neg {
		dst = append(dst, '-')
	}
	dst = appendDigits(dst, int(h), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, int(m), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, int(s), 2)
	if fsp := clampFsp(d.Fsp); fsp > 0 {
		dst = append(dst, '.')
		dst = appendDigits(dst, int(us)/int(pow10u32[6-fsp]), fsp)
	}
	return dst
}

// RoundFrac rounds to fsp digits (half away from zero).
func (d Duration) RoundFrac(fsp int) Duration {
	fsp = clampFsp(fsp)
	unit := int64(time.Microsecond) * int64(pow10u32[6-fsp])
	ns := int64(d.Duration)
	neg := ns < 0
	if neg {
		ns = -ns
	}
	ns = (ns + unit/2) / unit * unit
	if neg {
		ns = -ns
	}
	return Duration{Duration: time.Duration(ns), Fsp: fsp}
}
