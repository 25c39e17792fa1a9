package tidbtypes

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tempestdb/tempest/internal/collate"
	"github.com/tempestdb/tempest/internal/parser"
)

// ErrDefaultField is returned for a DEFAULT keyword field: the column default
// lives in the schema, so the caller substitutes it before converting.
var ErrDefaultField = errors.New("tidbtypes: DEFAULT field must be resolved by the caller")

// srcKind is the TiDB datum kind a source field stands for. Lightning's SQL
// parser turns unquoted integers into uint64 (int64 when negative) datums —
// tidb-lightning PR #161, so that 1 into BIT(1) is 1 and not '1' = 0x31 —
// while every other literal, including unquoted decimals and floats, stays a
// string datum. The distinction matters because TiDB casts them differently
// (e.g. an integer datum cannot become a TIMESTAMP).
type srcKind uint8

const (
	srcString srcKind = iota
	srcUint           // u
	srcInt            // i (negative integer literal, TRUE/FALSE)
	srcBinLit         // hex / bit literal bytes
)

type source struct {
	kind srcKind
	b    []byte // text / bytes (for numbers: the literal as written)
	u    uint64
	i    int64
}

func classify(f *parser.Field) source {
	s := source{b: f.Bytes}
	switch f.Kind {
	case parser.KindHex, parser.KindBits:
		s.kind = srcBinLit
		return s
	case parser.KindBool:
		s.kind = srcInt
		if len(f.Bytes) == 1 && f.Bytes[0] == '1' {
			s.i = 1
		}
		return s
	case parser.KindNumber:
		return classifyNumber(f.Bytes)
	}
	return s
}

// classifyNumber maps an unquoted number to its datum kind: integers that
// fit 64 bits become uint64 (int64 when negative); anything else (a point,
// an exponent, an integer too long) is kept as a string.
func classifyNumber(b []byte) source {
	s := source{kind: srcString, b: b}
	i := 0
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	u, ok := parseUintDigits(b[i:])
	if !ok || !allDigits(b[i:]) {
		return s
	}
	switch {
	case !neg:
		s.kind, s.u = srcUint, u
	case u == 0:
		s.kind = srcInt
	case u <= 1<<63:
		s.kind, s.i = srcInt, -int64(u-1)-1
	}
	return s
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// parseUintDigits parses an all-digit slice; ok=false on overflow or empty.
func parseUintDigits(d []byte) (uint64, bool) {
	if len(d) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range d {
		dg := uint64(c - '0')
		if v > (math.MaxUint64-dg)/10 {
			return 0, false
		}
		v = v*10 + dg
	}
	return v, true
}

// floatPrefix returns the length of the longest prefix of b (after leading
// spaces, which are included in the count) that is a valid decimal/float
// literal, and whether any digit was seen.
func floatPrefix(b []byte) (int, bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	digits := 0
	for i < len(b) && isDigit(b[i]) {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		j := i + 1
		fd := 0
		for j < len(b) && isDigit(b[j]) {
			j++
			fd++
		}
		if digits > 0 || fd > 0 {
			i = j
			digits += fd
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '-' || b[j] == '+') {
			j++
		}
		if j < len(b) && isDigit(b[j]) {
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			i = j
		}
	}
	return i, true
}

func onlySpaces(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// numStatus classifies how much of a text was numeric.
type numStatus uint8

const (
	numOK        numStatus = iota
	numTruncated           // trailing non-numeric bytes ignored
	numBad                 // no number at all (value 0)
)

// conv carries one conversion's context.
type conv struct {
	sc   *StmtContext
	ft   *FieldType
	name string
	raw  []byte
}

// problem reports a lossy conversion: an error in strict mode, a warning
// (and nil) otherwise.
func (c *conv) problem(code int, reason string) error {
	e := &ConvertError{Column: c.name, Value: errValue(c.raw), Reason: reason, Code: code}
	if c.sc.Strict() {
		return e
	}
	c.sc.AppendWarning(e)
	return nil
}

// hardError reports a problem that is an error in every sql_mode.
func (c *conv) hardError(code int, reason string) error {
	return &ConvertError{Column: c.name, Value: errValue(c.raw), Reason: reason, Code: code}
}

func (c *conv) quoted() string { return "'" + errValue(c.raw) + "'" }

// Convert casts a source field to a value of column type ft under sc's
// sql_mode (see the package doc). sc must not be nil.
func Convert(f parser.Field, ft *FieldType, sc *StmtContext) (Datum, error) {
	var d Datum
	err := convertInto(&d, &f, ft, sc, "")
	return d, err
}

// ConvertColumn is Convert for a named column: errors and warnings carry
// the column name.
func ConvertColumn(f parser.Field, name string, ft *FieldType, sc *StmtContext) (Datum, error) {
	var d Datum
	err := convertInto(&d, &f, ft, sc, name)
	return d, err
}

// ConvertInto is ConvertColumn writing into *dst; it avoids copying datums
// on the per-row hot path (dst is fully overwritten; on error it holds the
// adjusted value or NULL).
func ConvertInto(dst *Datum, f *parser.Field, name string, ft *FieldType, sc *StmtContext) error {
	return convertInto(dst, f, ft, sc, name)
}

func convertInto(out *Datum, f *parser.Field, ft *FieldType, sc *StmtContext, name string) error {
	*out = Datum{}
	if ft == nil {
		return errors.New("tidbtypes: nil field type")
	}
	if sc == nil {
		sc = &StmtContext{}
	}
	switch f.Kind {
	case parser.KindDefault:
		return ErrDefaultField
	case parser.KindNull:
		return convertNull(out, ft, sc, name)
	}
	c := conv{sc: sc, ft: ft, name: name, raw: f.Bytes}
	// A _binary introducer changes nothing here: the bytes are stored as
	// written in string columns and parsed as text for other types.
	src := classify(f)
	switch ft.Tp {
	case TypeTiny, TypeShort, TypeInt24, TypeLong, TypeLonglong:
		return c.toInt(&src, out)
	case TypeYear:
		return c.toYear(&src, out)
	case TypeFloat, TypeDouble:
		return c.toFloat(&src, out)
	case TypeNewDecimal, TypeDecimal:
		return c.toDecimal(&src, out)
	case TypeDate, TypeNewDate, TypeDatetime, TypeTimestamp:
		return c.toTime(&src, out)
	case TypeDuration:
		return c.toDuration(&src, out)
	case TypeString, TypeVarchar, TypeVarString, TypeTinyBlob, TypeBlob, TypeMediumBlob, TypeLongBlob:
		return c.toString(&src, out)
	case TypeEnum:
		return c.toEnum(&src, out)
	case TypeSet:
		return c.toSet(&src, out)
	case TypeBit:
		return c.toBit(&src, out)
	case TypeJSON:
		return c.toJSON(&src, out)
	case TypeNull:
		return nil
	}
	return c.hardError(ErrCodeUnsupportedConvert, "unsupported column type "+TypeName(ft.Tp))
}

// convertNull handles NULL: fine for nullable columns; for NOT NULL ones
// error 1048 in strict mode, else the type's zero value and a warning.
func convertNull(out *Datum, ft *FieldType, sc *StmtContext, name string) error {
	if !ft.IsNotNull() {
		return nil
	}
	e := &ConvertError{Column: name, Value: "NULL", Reason: "cannot be null", Code: ErrCodeBadNull}
	if sc.Strict() {
		return e
	}
	sc.AppendWarning(e)
	*out = ZeroDatum(ft)
	return nil
}

// ZeroDatum returns the value TiDB stores for NULL in a NOT NULL column in
// non-strict mode (the type's zero value).
func ZeroDatum(ft *FieldType) Datum {
	switch ft.Tp {
	case TypeTiny, TypeShort, TypeInt24, TypeLong, TypeLonglong:
		if ft.IsUnsigned() {
			return NewUintDatum(0)
		}
		return NewIntDatum(0)
	case TypeYear:
		return NewIntDatum(0)
	case TypeFloat:
		return NewFloat32Datum(0)
	case TypeDouble:
		return NewFloat64Datum(0)
	case TypeNewDecimal, TypeDecimal:
		var d Datum
		var z MyDecimal
		p, f := decimalPrecFrac(ft)
		d.SetDecimal(&z, p, f)
		return d
	case TypeDate, TypeNewDate, TypeDatetime, TypeTimestamp:
		tp := ft.Tp
		if tp == TypeNewDate {
			tp = TypeDate
		}
		return NewTimeDatum(Time{tp: tp, fsp: int8(timeFsp(ft))})
	case TypeDuration:
		return NewDurationDatum(Duration{Fsp: timeFsp(ft)})
	case TypeEnum:
		return NewEnumDatum(Enum{}, collationOf(ft))
	case TypeSet:
		return NewSetDatum(Set{}, collationOf(ft))
	case TypeBit:
		return bitDatum(0, ft)
	case TypeJSON:
		return NewJSONDatum(BinaryJSON{TypeCode: JSONTypeCodeLiteral, Value: []byte{JSONLiteralNil}})
	}
	if ft.IsBinary() {
		if ft.Tp == TypeString && ft.Flen > 0 && ft.Flen <= 255 {
			return NewBytesDatum(make([]byte, ft.Flen))
		}
		return NewBytesDatum([]byte{})
	}
	return NewCollationStringDatum([]byte{}, collationOf(ft))
}

func collationOf(ft *FieldType) string {
	if ft.Collate != "" {
		return ft.Collate
	}
	if ft.Charset == CharsetBin {
		return CollationBin
	}
	return DefaultCollation
}

func timeFsp(ft *FieldType) int {
	if ft.Tp == TypeDate || ft.Tp == TypeNewDate || ft.Decimal < 0 {
		return 0
	}
	return clampFsp(ft.Decimal)
}

func decimalPrecFrac(ft *FieldType) (int, int) {
	p, f := ft.Flen, ft.Decimal
	if p <= 0 {
		p = 10
	}
	if p > MaxDecimalWidth {
		p = MaxDecimalWidth
	}
	if f < 0 {
		f = 0
	}
	if f > MaxDecimalScale {
		f = MaxDecimalScale
	}
	if f > p {
		f = p
	}
	return p, f
}

// ---- numbers -------------------------------------------------------------

// parseIntText converts a numeric text to a rounded integer magnitude the
// way MySQL stores a string into an integer column: leading spaces skipped,
// the longest numeric prefix (decimal point and exponent allowed) rounded
// half away from zero, trailing garbage reported as numTruncated.
func parseIntText(b []byte) (neg bool, mag uint64, overflow bool, st numStatus) {
	// Fast path: optional sign and plain digits.
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	if j < len(b) && (b[j] == '-' || b[j] == '+') {
		neg = b[j] == '-'
		j++
	}
	k := j
	for k < len(b) && isDigit(b[k]) {
		k++
	}
	if k > j && k-j <= 19 && (k == len(b) || (b[k] != '.' && b[k] != 'e' && b[k] != 'E')) {
		v, _ := parseUintDigits(b[j:k])
		if !onlySpaces(b[k:]) {
			st = numTruncated
		}
		if v == 0 {
			neg = false
		}
		return neg, v, false, st
	}
	n, ok := floatPrefix(b)
	if !ok {
		return false, 0, false, numBad
	}
	if !onlySpaces(b[n:]) {
		st = numTruncated
	}
	var d MyDecimal
	err := d.FromString(b[:n])
	if errors.Is(err, ErrDecOverflow) {
		return d.IsNegative(), math.MaxUint64, true, st
	}
	neg = d.IsNegative()
	d.negative = false
	u, err := d.ToUint()
	if errors.Is(err, ErrDecOverflow) {
		return neg, math.MaxUint64, true, st
	}
	if u == 0 {
		neg = false
	}
	return neg, u, false, st
}

func (c *conv) textNumProblem(st numStatus, typeWord string) error {
	if st == numOK {
		return nil
	}
	return c.problem(ErrCodeIncorrectValue, "Incorrect "+typeWord+" value: "+c.quoted())
}

func (c *conv) outOfRange() error {
	return c.problem(ErrCodeDataOutOfRange, "Out of range value")
}

// sourceInteger returns the source as a sign + magnitude integer (rounding
// decimals/floats, reading binary literals as unsigned). err is already the
// strict/non-strict outcome of a text problem.
func (c *conv) sourceInteger(s *source) (neg bool, mag uint64, overflow bool, err error) {
	switch s.kind {
	case srcUint:
		return false, s.u, false, nil
	case srcInt:
		if s.i < 0 {
			return true, uint64(-(s.i + 1)) + 1, false, nil
		}
		return false, uint64(s.i), false, nil
	case srcBinLit:
		v, ok := BinaryLiteral(s.b).ToUint64()
		if !ok {
			return false, math.MaxUint64, true, nil
		}
		return false, v, false, nil
	}
	var st numStatus
	neg, mag, overflow, st = parseIntText(s.b)
	return neg, mag, overflow, c.textNumProblem(st, "integer")
}

func (c *conv) toInt(s *source, out *Datum) error {
	neg, mag, overflow, err := c.sourceInteger(s)
	if err != nil {
		return err
	}
	tp := c.ft.Tp
	if c.ft.IsUnsigned() {
		hi := UnsignedUpperBound(tp)
		if neg && mag != 0 {
			*out = NewUintDatum(0)
			return c.outOfRange()
		}
		if overflow || mag > hi {
			*out = NewUintDatum(hi)
			return c.outOfRange()
		}
		*out = NewUintDatum(mag)
		return nil
	}
	lo, hi := IntegerRange(tp)
	if neg {
		if overflow || mag > uint64(-(lo+1))+1 {
			*out = NewIntDatum(lo)
			return c.outOfRange()
		}
		*out = NewIntDatum(-int64(mag-1) - 1)
		return nil
	}
	if overflow || mag > uint64(hi) {
		*out = NewIntDatum(hi)
		return c.outOfRange()
	}
	*out = NewIntDatum(int64(mag))
	return nil
}

func (c *conv) toYear(s *source, out *Datum) error {
	neg, mag, overflow, err := c.sourceInteger(s)
	if err != nil {
		return err
	}
	var y int64
	if !neg && !overflow && mag <= 1<<32 {
		y = int64(mag)
	} else {
		*out = NewIntDatum(0)
		return c.outOfRange()
	}
	if s.kind == srcString && y == 0 {
		// The strings '0', '00', '000' mean 2000; '0000' means 0.
		t := trimSpaces(s.b)
		if len(t) > 0 && len(t) != 4 {
			if p, ok := floatPrefix(t); ok && p == len(t) {
				*out = NewIntDatum(2000)
				return nil
			}
		}
	}
	switch {
	case y == 0:
		*out = NewIntDatum(0)
		return nil
	case y >= 1 && y <= 69:
		y += 2000
	case y >= 70 && y <= 99:
		y += 1900
	case y >= 1901 && y <= 2155:
	default:
		*out = NewIntDatum(0)
		return c.outOfRange()
	}
	*out = NewIntDatum(y)
	return nil
}

// parseFloatText parses the numeric prefix of b as a float64.
func parseFloatText(b []byte) (float64, bool, numStatus) {
	n, ok := floatPrefix(b)
	if !ok {
		return 0, false, numBad
	}
	st := numOK
	if !onlySpaces(b[n:]) {
		st = numTruncated
	}
	f, err := strconv.ParseFloat(bytesToString(trimSpaces(b[:n])), 64)
	if err != nil && math.IsInf(f, 0) {
		if f > 0 {
			return math.MaxFloat64, true, st
		}
		return -math.MaxFloat64, true, st
	}
	return f, false, st
}

func (c *conv) toFloat(s *source, out *Datum) error {
	var f float64
	overflow := false
	switch s.kind {
	case srcUint:
		f = float64(s.u)
	case srcInt:
		f = float64(s.i)
	case srcBinLit:
		v, ok := BinaryLiteral(s.b).ToUint64()
		if !ok {
			v = math.MaxUint64
		}
		f = float64(v)
	default:
		var st numStatus
		f, overflow, st = parseFloatText(s.b)
		word := "double"
		if c.ft.Tp == TypeFloat {
			word = "float"
		}
		if err := c.textNumProblem(st, word); err != nil {
			return err
		}
	}
	var err error
	if overflow {
		err = c.outOfRange()
		if err != nil {
			return err
		}
	}
	ft := c.ft
	if ft.Flen > 0 && ft.Decimal >= 0 && ft.Decimal != UnspecifiedLength {
		var ovf bool
		f, ovf = truncateFloat(f, ft.Flen, ft.Decimal)
		if ovf {
			if err := c.outOfRange(); err != nil {
				return err
			}
		}
	}
	if ft.IsUnsigned() && f < 0 {
		f = 0
		if err := c.outOfRange(); err != nil {
			return err
		}
	}
	if ft.Tp == TypeFloat {
		if math.Abs(f) > math.MaxFloat32 {
			f = math.Copysign(math.MaxFloat32, f)
			if err := c.outOfRange(); err != nil {
				return err
			}
		}
		*out = NewFloat32Datum(float32(f))
		return nil
	}
	*out = NewFloat64Datum(f)
	return nil
}

// truncateFloat rounds f to dec decimals and clamps it to the largest value
// of FLOAT/DOUBLE(flen, dec), as MySQL does for columns declared with (M,D).
func truncateFloat(f float64, flen, dec int) (float64, bool) {
	if dec > 30 {
		dec = 30
	}
	if flen > 255 {
		flen = 255
	}
	if dec > flen {
		dec = flen
	}
	shift := math.Pow10(dec)
	maxF := math.Pow10(flen-dec) - 1/shift
	if !math.IsInf(f*shift, 0) {
		f = math.Round(f*shift) / shift
	}
	if f > maxF {
		return maxF, true
	}
	if f < -maxF {
		return -maxF, true
	}
	return f, false
}

func (c *conv) toDecimal(s *source, out *Datum) error {
	prec, frac := decimalPrecFrac(c.ft)
	var d MyDecimal
	overflow := false
	switch s.kind {
	case srcUint:
		d.FromUint(s.u)
	case srcInt:
		d.FromInt(s.i)
	case srcBinLit:
		v, ok := BinaryLiteral(s.b).ToUint64()
		if !ok {
			overflow = true
		}
		d.FromUint(v)
	default:
		err := d.FromString(s.b)
		switch {
		case errors.Is(err, ErrDecOverflow):
			overflow = true
		case errors.Is(err, ErrDecBadNumber):
			if e := c.problem(ErrCodeIncorrectValue, "Incorrect decimal value: "+c.quoted()); e != nil {
				return e
			}
			d = MyDecimal{}
		case err != nil:
			// Trailing garbage (or lost digits): keep the numeric prefix.
			if !onlySpaces(s.b) {
				if e := c.problem(ErrCodeIncorrectValue, "Incorrect decimal value: "+c.quoted()); e != nil {
					return e
				}
			}
		}
	}
	if !overflow {
		if err := d.Round(frac); err != nil {
			overflow = true
		}
	}
	if !overflow && int(d.digitsInt) > prec-frac {
		overflow = true
	}
	if overflow {
		neg := d.IsNegative()
		d.SetMaxForColumn(prec, frac, neg)
		if c.ft.IsUnsigned() && neg {
			d = MyDecimal{}
		}
		out.SetDecimal(&d, prec, frac)
		return c.outOfRange()
	}
	if c.ft.IsUnsigned() && d.IsNegative() {
		d = MyDecimal{}
		_ = d.Round(frac)
		out.SetDecimal(&d, prec, frac)
		return c.outOfRange()
	}
	out.SetDecimal(&d, prec, frac)
	return nil
}

// ---- temporal ------------------------------------------------------------

func timeTypeWord(tp byte) string {
	switch tp {
	case TypeDate, TypeNewDate:
		return "date"
	case TypeTimestamp:
		return "timestamp"
	}
	return "datetime"
}

func (c *conv) toTime(s *source, out *Datum) error {
	tp := c.ft.Tp
	if tp == TypeNewDate {
		tp = TypeDate
	}
	fsp := timeFsp(c.ft)
	zero := NewTimeDatum(Time{tp: tp, fsp: int8(fsp)})
	loc := c.sc.location()
	var t Time
	ok := false
	switch s.kind {
	case srcString, srcBinLit:
		t, ok = ParseTime(s.b, tp, fsp, c.sc.SQLMode, loc)
	case srcUint:
		// TiDB has no cast from an unsigned integer datum to a time type;
		// Lightning hands unquoted integers over as uint64, so this fails.
		if err := c.problem(ErrCodeUnsupportedConvert,
			"cannot convert datum from unsigned bigint to type "+timeTypeWord(tp)+"."); err != nil {
			return err
		}
		*out = zero
		return nil
	case srcInt:
		if s.i >= 0 {
			var f dtFields
			f, ok = timeFromNumber(uint64(s.i), nil)
			if ok {
				t, ok = makeTime(f, tp, fsp, c.sc.SQLMode, loc)
			}
		}
	}
	if !ok {
		if err := c.problem(ErrCodeTruncatedWrongValue, "Incorrect "+timeTypeWord(tp)+" value: "+c.quoted()); err != nil {
			return err
		}
		*out = zero
		return nil
	}
	*out = NewTimeDatum(t)
	return nil
}

func (c *conv) toDuration(s *source, out *Datum) error {
	fsp := timeFsp(c.ft)
	mode := c.sc.SQLMode
	var d Duration
	var ok, overflow bool
	switch s.kind {
	case srcString, srcBinLit:
		d, ok, overflow = ParseDuration(s.b, fsp, mode)
	case srcUint:
		d, ok, overflow = DurationFromNumber(false, s.u, nil, fsp, mode)
	case srcInt:
		neg := s.i < 0
		mag := uint64(s.i)
		if neg {
			mag = uint64(-(s.i + 1)) + 1
		}
		d, ok, overflow = DurationFromNumber(neg, mag, nil, fsp, mode)
	}
	if !ok {
		if err := c.problem(ErrCodeTruncatedWrongValue, "Incorrect time value: "+c.quoted()); err != nil {
			return err
		}
		*out = NewDurationDatum(Duration{Fsp: fsp})
		return nil
	}
	if overflow {
		if err := c.problem(ErrCodeTruncatedWrongValue, "Incorrect time value: "+c.quoted()); err != nil {
			return err
		}
	}
	*out = NewDurationDatum(d)
	return nil
}

// ---- strings -------------------------------------------------------------

// countsBytes reports charsets whose length limit is in bytes. TiDB treats
// latin1/ascii data as raw bytes (a 4-byte emoji in a latin1 VARCHAR(1)
// keeps only its first byte), and binary strings are bytes by definition.
func countsBytes(ft *FieldType) bool {
	switch ft.Charset {
	case CharsetBin, "latin1", "ascii":
		return true
	}
	return ft.Collate == CollationBin
}

// cutChars returns the byte length of the first n characters of b.
func cutChars(b []byte, n int) int {
	i := 0
	for k := 0; k < n && i < len(b); k++ {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, sz := utf8.DecodeRune(b[i:])
		i += sz
	}
	return i
}

func isBlobType(tp byte) bool {
	return tp == TypeTinyBlob || tp == TypeBlob || tp == TypeMediumBlob || tp == TypeLongBlob
}

func blobMaxBytes(ft *FieldType) int {
	switch ft.Tp {
	case TypeTinyBlob:
		return 255
	case TypeBlob:
		return 65535
	case TypeMediumBlob:
		return 16777215
	}
	return math.MaxUint32 // LONGBLOB / LONGTEXT: 4 GiB - 1
}

func (c *conv) toString(s *source, out *Datum) error {
	b := s.b
	switch s.kind {
	case srcUint:
		if len(b) == 0 || b[0] == '0' && len(b) > 1 || b[0] == '+' {
			b = strconv.AppendUint(nil, s.u, 10)
		}
	case srcInt:
		if len(b) < 2 || b[0] != '-' || b[1] == '0' {
			b = strconv.AppendInt(nil, s.i, 10)
		}
	}
	ft := c.ft
	binary := ft.Charset == CharsetBin || ft.Collate == CollationBin
	var err error
	// The limit is Flen, in characters for character strings (TiDB counts
	// runes for TEXT too) and in bytes for binary and single-byte charsets.
	// TEXT/BLOB columns without a recorded length use their type maximum.
	flen := ft.Flen
	if flen < 0 && isBlobType(ft.Tp) {
		flen = blobMaxBytes(ft)
	}
	// A string never has more characters than bytes, so only values longer
	// (in bytes) than the limit need counting.
	if flen >= 0 && len(b) > flen {
		var cut int
		if binary || countsBytes(ft) {
			cut = min(flen, len(b))
		} else {
			cut = cutChars(b, flen)
		}
		if cut < len(b) {
			rest := b[cut:]
			b = b[:cut]
			// Excess trailing spaces are cut in every sql_mode (MySQL and
			// TiDB since PR #20987): silently for CHAR, with a warning for
			// VARCHAR/TEXT. Anything else is data loss.
			switch {
			case binary || !allSpaces(rest):
				err = c.problem(ErrCodeDataTooLong, "Data too long")
			case ft.Tp != TypeString:
				c.sc.AppendWarning(&ConvertError{Column: c.name, Value: errValue(c.raw),
					Reason: "Data too long", Code: ErrCodeDataTooLong})
			}
		}
	}
	if err != nil {
		return err
	}
	if ft.Tp == TypeString {
		if binary {
			if ft.Flen > len(b) && ft.Flen <= 255 {
				p := make([]byte, ft.Flen)
				copy(p, b)
				b = p
			}
		} else {
			for len(b) > 0 && b[len(b)-1] == ' ' {
				b = b[:len(b)-1]
			}
		}
	}
	if b == nil {
		b = []byte{}
	}
	if binary {
		*out = NewBytesDatum(b)
		return nil
	}
	*out = NewCollationStringDatum(b, collationOf(ft))
	return nil
}

func allSpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

// ---- enum / set ----------------------------------------------------------

// collator returns (and caches) the comparison for the column collation.
func (sc *StmtContext) collator(name string) collate.Collator {
	if sc.collCache == nil {
		sc.collCache = make(map[string]collate.Collator, 4)
	}
	if c, ok := sc.collCache[name]; ok {
		return c
	}
	c, err := collate.Get(name)
	if err != nil {
		c = nil
	}
	sc.collCache[name] = c
	return c
}

func (c *conv) elemEqual(coll collate.Collator, elem string, in []byte) bool {
	if coll != nil {
		return coll.Compare(stringToBytes(elem), in) == 0
	}
	// Fallback for collations without a bundled table: PAD SPACE, and
	// ASCII case folding for _ci.
	e := bytes.TrimRight(stringToBytes(elem), " ")
	in = bytes.TrimRight(in, " ")
	if len(c.ft.Collate) > 3 && c.ft.Collate[len(c.ft.Collate)-3:] == "_ci" {
		return bytes.EqualFold(e, in)
	}
	return bytes.Equal(e, in)
}

func (c *conv) enumCollator() collate.Collator {
	return c.sc.collator(collationOf(c.ft))
}

func (c *conv) toEnum(s *source, out *Datum) error {
	elems := c.ft.Elems
	coll := collationOf(c.ft)
	var idx uint64
	switch s.kind {
	case srcString, srcBinLit:
		cl := c.enumCollator()
		for i, e := range elems {
			if c.elemEqual(cl, e, s.b) {
				idx = uint64(i + 1)
				break
			}
		}
		if idx == 0 {
			// A number written as a string selects by index.
			if t := trimSpaces(s.b); len(t) > 0 {
				if v, ok := parseUintDigits(t); ok && v >= 1 && v <= uint64(len(elems)) {
					idx = v
				}
			}
		}
	default:
		neg, mag, overflow, err := c.sourceInteger(s)
		if err != nil {
			return err
		}
		if !neg && !overflow && mag >= 1 && mag <= uint64(len(elems)) {
			idx = mag
		}
	}
	if idx == 0 {
		if err := c.problem(ErrCodeWarnDataTruncated, ""); err != nil {
			return err
		}
		*out = NewEnumDatum(Enum{}, coll)
		return nil
	}
	*out = NewEnumDatum(Enum{Name: elems[idx-1], Value: idx}, coll)
	return nil
}

func (c *conv) toSet(s *source, out *Datum) error {
	elems := c.ft.Elems
	coll := collationOf(c.ft)
	var mask uint64
	ok := true
	switch s.kind {
	case srcString, srcBinLit:
		if len(s.b) == 0 {
			*out = NewSetDatum(Set{}, coll)
			return nil
		}
		cl := c.enumCollator()
		rest := s.b
		for {
			part := rest
			j := bytes.IndexByte(rest, ',')
			if j >= 0 {
				part = rest[:j]
			}
			found := false
			for i, e := range elems {
				if i < 64 && c.elemEqual(cl, e, part) {
					mask |= 1 << uint(i)
					found = true
					break
				}
			}
			if !found {
				ok = false
				break
			}
			if j < 0 {
				break
			}
			rest = rest[j+1:]
		}
		if !ok {
			if t := trimSpaces(s.b); len(t) > 0 {
				if v, okn := parseUintDigits(t); okn && setMaskValid(v, len(elems)) {
					mask, ok = v, true
				}
			}
		}
	default:
		neg, mag, overflow, err := c.sourceInteger(s)
		if err != nil {
			return err
		}
		if neg || overflow || !setMaskValid(mag, len(elems)) {
			ok = false
		} else {
			mask = mag
		}
	}
	if !ok {
		if err := c.problem(ErrCodeWarnDataTruncated, ""); err != nil {
			return err
		}
		*out = NewSetDatum(Set{}, coll)
		return nil
	}
	*out = NewSetDatum(Set{Name: setName(elems, mask), Value: mask}, coll)
	return nil
}

func setMaskValid(v uint64, n int) bool {
	return n >= 64 || v>>uint(n) == 0
}

// setName joins the members present in mask in declaration order.
func setName(elems []string, mask uint64) string {
	if mask == 0 {
		return ""
	}
	if mask&(mask-1) == 0 {
		for i := range elems {
			if mask == 1<<uint(i) {
				return elems[i]
			}
		}
	}
	var b []byte
	for i, e := range elems {
		if i < 64 && mask&(1<<uint(i)) != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, e...)
		}
	}
	return string(b)
}

// ---- bit / json ----------------------------------------------------------

func bitWidth(ft *FieldType) int {
	if ft.Flen <= 0 {
		return 1
	}
	if ft.Flen > 64 {
		return 64
	}
	return ft.Flen
}

// bitDatum stores a BIT value numerically (no byte slice to allocate); the
// byte width is kept for GetBinaryLiteral.
func bitDatum(v uint64, ft *FieldType) Datum {
	return Datum{k: KindBinaryLiteral, i: int64(v), x1: uint8((bitWidth(ft) + 7) / 8)}
}

func (c *conv) toBit(s *source, out *Datum) error {
	var v uint64
	overflow := false
	switch s.kind {
	case srcString, srcBinLit:
		var ok bool
		v, ok = BinaryLiteral(s.b).ToUint64()
		overflow = !ok
	default:
		neg, mag, ovf, err := c.sourceInteger(s)
		if err != nil {
			return err
		}
		v, overflow = mag, ovf
		if neg {
			v = -mag // two's complement, as MySQL stores -1 into BIT(64)
		}
	}
	w := bitWidth(c.ft)
	if overflow || (w < 64 && v>>uint(w) != 0) {
		max := uint64(math.MaxUint64)
		if w < 64 {
			max = 1<<uint(w) - 1
		}
		if err := c.problem(ErrCodeDataTooLong, "Data too long"); err != nil {
			return err
		}
		*out = bitDatum(max, c.ft)
		return nil
	}
	*out = bitDatum(v, c.ft)
	return nil
}

func (c *conv) toJSON(s *source, out *Datum) error {
	switch s.kind {
	case srcUint:
		*out = NewJSONDatum(BinaryJSON{TypeCode: JSONTypeCodeUint64, Value: le64(s.u)})
		return nil
	case srcInt:
		*out = NewJSONDatum(BinaryJSON{TypeCode: JSONTypeCodeInt64, Value: le64(uint64(s.i))})
		return nil
	}
	j, err := c.sc.json.parse(s.b, nil)
	if err != nil {
		return c.hardError(ErrCodeInvalidJSONText, err.Error())
	}
	*out = NewJSONDatum(j)
	return nil
}

func le64(v uint64) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32), byte(v >> 40), byte(v >> 48), byte(v >> 56)}
}
