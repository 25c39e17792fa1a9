package kv

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// Functions and operators whose results are DECIMAL, DOUBLE, JSON,
// DATETIME or binary strings (see the list in expr.go). Each follows TiDB's
// type inference for its result type; where TiDB's value depends on
// internal precision this evaluator does not reproduce (a decimal quotient
// that does not terminate within its scale, a fractional DOUBLE cast to an
// integer column), the row fails instead of receiving a guessed value.

const (
	// defaultDivPrecisionIncrement is TiDB's div_precision_increment
	// default: an integer or decimal quotient gets this many more fraction
	// digits than its dividend.
	defaultDivPrecisionIncrement = 4
	// maxAllowedPacket is TiDB's max_allowed_packet default; REPEAT results
	// beyond it are NULL in TiDB, which a session may raise — refused here.
	maxAllowedPacket = 64 << 20
	// maxFromUnixtime is the largest argument FROM_UNIXTIME accepts on
	// 64-bit builds (3001-01-19 03:14:07.999999 UTC); beyond it, NULL.
	maxFromUnixtime = 32536771199
	// defaultBlockEncryptionMode is TiDB's block_encryption_mode default.
	defaultBlockEncryptionMode = "aes-128-ecb"
)

// textable reports whether values of t have a string form usable as a
// string-function argument (MySQL's implicit cast to string). DOUBLE is
// left out: its text form follows formatting rules not reproduced here.
func textable(t exprType) bool {
	switch t {
	case etString, etInt, etUint, etDecimal, etTime:
		return true
	}
	return false
}

// appendText appends the string form of d (of type t) to dst.
func appendText(dst []byte, t exprType, d *tidbtypes.Datum) []byte {
	switch t {
	case etInt:
		return strconv.AppendInt(dst, d.GetInt64(), 10)
	case etUint:
		return strconv.AppendUint(dst, d.GetUint64(), 10)
	case etDecimal:
		return d.GetDecimal().AppendString(dst)
	case etTime:
		return d.GetTime().AppendString(dst)
	}
	return append(dst, d.GetBytes()...)
}

// compileDecimalDiv compiles `/` on integer and decimal operands: TiDB
// infers DECIMAL with the dividend's scale plus div_precision_increment
// (capped at 30). The quotient is computed exactly; one that does not
// terminate within that scale is a row error, because TiDB keeps extra
// internal digits (whole 9-digit words) that later casts observe.
func (e *Encoder) compileDecimalDiv(a, b *compiledExpr) (*compiledExpr, error) {
	exact := func(t exprType) bool { return t == etInt || t == etUint || t == etDecimal }
	if !exact(a.typ) || !exact(b.typ) {
		return nil, fmt.Errorf("operator / on these operand types is not supported")
	}
	incr := defaultDivPrecisionIncrement
	if e.opts.DivPrecisionIncrement != nil {
		incr = *e.opts.DivPrecisionIncrement
	}
	if incr < 0 || incr > tidbtypes.MaxDecimalScale {
		return nil, fmt.Errorf("div_precision_increment %d is out of range", incr)
	}
	var y tidbtypes.Datum
	var buf []byte
	return &compiledExpr{typ: etDecimal, eval: func(e *Encoder, out *tidbtypes.Datum) error {
		null, err := evalArgs(e, a, b, out, &y)
		if err != nil || null {
			if null {
				out.SetNull()
			}
			return err
		}
		p, pf := bigOf(a.typ, out)
		q, qf := bigOf(b.typ, &y)
		if q.Sign() == 0 {
			out.SetNull()
			return nil
		}
		scale := min(pf+incr, tidbtypes.MaxDecimalScale)
		// p/10^pf ÷ q/10^qf = R/10^scale  ⇒  R = p·10^(qf+scale) / (q·10^pf)
		num := new(big.Int).Mul(p, bigPow10(qf+scale))
		den := new(big.Int).Mul(q, bigPow10(pf))
		r, rem := new(big.Int).QuoRem(num, den, new(big.Int))
		if rem.Sign() != 0 {
			return fmt.Errorf("quotient %s / %s does not terminate within DECIMAL scale %d; the import encoder does not reproduce TiDB's internal division precision",
				appendText(nil, a.typ, out), appendText(nil, b.typ, &y), scale)
		}
		buf = appendScaled(buf[:0], r, scale)
		var dec tidbtypes.MyDecimal
		if err := dec.FromString(buf); err != nil {
			return fmt.Errorf("quotient %s: %w", buf, err)
		}
		out.SetDecimal(&dec, 0, 0)
		return nil
	}}, nil
}

// bigOf returns an exact numeric datum as mantissa and scale.
func bigOf(t exprType, d *tidbtypes.Datum) (*big.Int, int) {
	switch t {
	case etInt:
		return big.NewInt(d.GetInt64()), 0
	case etUint:
		return new(big.Int).SetUint64(d.GetUint64()), 0
	}
	dec := d.GetDecimal()
	txt := dec.AppendString(nil)
	frac := 0
	if i := strings.IndexByte(string(txt), '.'); i >= 0 {
		frac = len(txt) - i - 1
		txt = append(txt[:i], txt[i+1:]...)
	}
	v, _ := new(big.Int).SetString(string(txt), 10) // AppendString writes [-]digits only
	return v, frac
}

func bigPow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// appendScaled writes r/10^scale in decimal notation.
func appendScaled(dst []byte, r *big.Int, scale int) []byte {
	neg := r.Sign() < 0
	digits := new(big.Int).Abs(r).String()
	if neg {
		dst = append(dst, '-')
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	cut := len(digits) - scale
	dst = append(dst, digits[:cut]...)
	if scale > 0 {
		dst = append(dst, '.')
		dst = append(dst, digits[cut:]...)
	}
	return dst
}

// asReal converts a numeric datum to DOUBLE as TiDB's real evaluation of
// the argument does.
func asReal(d *tidbtypes.Datum, t exprType) float64 {
	if t == etDecimal {
		return d.GetDecimal().ToFloat64()
	}
	return asFloat(d, t)
}

func numericOrDecimal(t exprType) bool {
	return t == etInt || t == etUint || t == etReal || t == etDecimal
}

// compileMoreFunc compiles the functions of this file; ok is false for a
// name it does not know.
func (e *Encoder) compileMoreFunc(name string, args []*compiledExpr) (c *compiledExpr, ok bool, err error) {
	nargs := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return fmt.Errorf("wrong number of arguments to %s", strings.ToUpper(name))
		}
		return nil
	}
	switch name {
	case ast.Pow, ast.Power:
		if err := nargs(2, 2); err != nil {
			return nil, true, err
		}
		x, y := args[0], args[1]
		if !numericOrDecimal(x.typ) || !numericOrDecimal(y.typ) {
			return nil, true, fmt.Errorf("POW of non-numeric arguments is not supported")
		}
		var yd tidbtypes.Datum
		return &compiledExpr{typ: etReal, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			null, err := evalArgs(e, x, y, out, &yd)
			if err != nil || null {
				if null {
					out.SetNull()
				}
				return err
			}
			bx, by := asReal(out, x.typ), asReal(&yd, y.typ)
			r := math.Pow(bx, by)
			if math.IsInf(r, 0) || math.IsNaN(r) {
				return fmt.Errorf("DOUBLE value is out of range in 'pow(%v, %v)'", bx, by)
			}
			out.SetFloat64(r)
			return nil
		}}, true, nil

	case ast.Repeat:
		if err := nargs(2, 2); err != nil {
			return nil, true, err
		}
		s, n := args[0], args[1]
		if !textable(s.typ) || (n.typ != etInt && n.typ != etUint) {
			return nil, true, fmt.Errorf("REPEAT needs a string and an integer count")
		}
		var nd tidbtypes.Datum
		var buf, tmp []byte
		return &compiledExpr{typ: etString, binary: s.binary, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			null, err := evalArgs(e, s, n, out, &nd)
			if err != nil || null {
				if null {
					out.SetNull()
				}
				return err
			}
			var count uint64
			if n.typ == etUint {
				count = nd.GetUint64()
			} else if v := nd.GetInt64(); v > 0 {
				count = uint64(v)
			}
			tmp = appendText(tmp[:0], s.typ, out)
			buf = buf[:0]
			if count > 0 && len(tmp) > 0 {
				if count > maxAllowedPacket/uint64(len(tmp)) {
					return fmt.Errorf("REPEAT result of %d × %d bytes is larger than max_allowed_packet (%d)", count, len(tmp), maxAllowedPacket)
				}
				// Doubling copies: counts in the millions are ordinary.
				total := int(count) * len(tmp)
				buf = append(buf, tmp...)
				for len(buf) < total {
					buf = append(buf, buf[:min(len(buf), total-len(buf))]...)
				}
			}
			out.SetString(buf, "")
			return nil
		}}, true, nil

	case ast.SHA1, ast.SHA:
		if err := nargs(1, 1); err != nil {
			return nil, true, err
		}
		s := args[0]
		if !textable(s.typ) {
			return nil, true, fmt.Errorf("SHA1 of this argument type is not supported")
		}
		var tmp, buf []byte
		return &compiledExpr{typ: etString, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := s.eval(e, out); err != nil || out.IsNull() {
				return err
			}
			tmp = appendText(tmp[:0], s.typ, out)
			sum := sha1.Sum(tmp)
			buf = hex.AppendEncode(buf[:0], sum[:])
			out.SetString(buf, "")
			return nil
		}}, true, nil

	case ast.Unhex:
		if err := nargs(1, 1); err != nil {
			return nil, true, err
		}
		s := args[0]
		if !textable(s.typ) {
			return nil, true, fmt.Errorf("UNHEX of this argument type is not supported")
		}
		var tmp, buf []byte
		return &compiledExpr{typ: etString, binary: true, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := s.eval(e, out); err != nil || out.IsNull() {
				return err
			}
			tmp = appendText(tmp[:0], s.typ, out)
			if len(tmp)%2 == 1 {
				// An odd digit count reads as if led by '0'.
				tmp = append(tmp, 0)
				copy(tmp[1:], tmp)
				tmp[0] = '0'
			}
			var err error
			buf, err = hex.AppendDecode(buf[:0], tmp)
			if err != nil {
				out.SetNull() // not hexadecimal: NULL
				return nil
			}
			out.SetBytes(buf)
			return nil
		}}, true, nil

	case ast.JSONObject:
		if len(args)%2 != 0 {
			return nil, true, fmt.Errorf("incorrect parameter count in the call to native function 'json_object'")
		}
		for i, a := range args {
			if i%2 == 0 {
				if !textable(a.typ) {
					return nil, true, fmt.Errorf("JSON_OBJECT key of this type is not supported")
				}
				continue
			}
			switch {
			case a.typ == etString && !a.binary, a.typ == etInt, a.typ == etUint, a.typ == etReal, a.typ == etJSON:
			default:
				// Binary strings become opaque values, decimals and
				// times typed scalars whose encoding is not reproduced.
				return nil, true, fmt.Errorf("JSON_OBJECT value of this type is not supported")
			}
		}
		var tmp tidbtypes.Datum
		var text, key []byte
		return &compiledExpr{typ: etJSON, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			text = append(text[:0], '{')
			for i, a := range args {
				if err := a.eval(e, &tmp); err != nil {
					return err
				}
				if i%2 == 0 {
					if tmp.IsNull() {
						return fmt.Errorf("JSON documents may not contain NULL member names")
					}
					if i > 0 {
						text = append(text, ',')
					}
					key = appendText(key[:0], a.typ, &tmp)
					text = appendJSONString(text, key)
					text = append(text, ':')
					continue
				}
				switch {
				case tmp.IsNull():
					text = append(text, "null"...)
				case a.typ == etString:
					text = appendJSONString(text, tmp.GetBytes())
				case a.typ == etInt:
					text = strconv.AppendInt(text, tmp.GetInt64(), 10)
				case a.typ == etUint:
					text = strconv.AppendUint(text, tmp.GetUint64(), 10)
				case a.typ == etReal:
					// Exponent form keeps the value a DOUBLE when parsed.
					f := tmp.GetFloat64()
					if math.IsInf(f, 0) || math.IsNaN(f) {
						return fmt.Errorf("JSON_OBJECT value %v is not a JSON number", f)
					}
					text = strconv.AppendFloat(text, f, 'e', -1, 64)
				case a.typ == etJSON:
					text = append(text, tmp.GetJSON().String()...)
				}
			}
			text = append(text, '}')
			j, err := tidbtypes.ParseBinaryJSON(text, nil)
			if err != nil {
				return fmt.Errorf("JSON_OBJECT: %w", err)
			}
			out.SetJSON(j)
			return nil
		}}, true, nil

	case ast.AesEncrypt:
		if err := nargs(2, 3); err != nil {
			return nil, true, err
		}
		mode := e.opts.BlockEncryptionMode
		if mode == "" {
			mode = defaultBlockEncryptionMode
		}
		keyLen, cbc, err := parseBlockEncryptionMode(mode)
		if err != nil {
			return nil, true, err
		}
		if cbc && len(args) != 3 {
			return nil, true, fmt.Errorf("AES_ENCRYPT needs an initialization vector under block_encryption_mode %s", mode)
		}
		for _, a := range args {
			if !textable(a.typ) {
				return nil, true, fmt.Errorf("AES_ENCRYPT of this argument type is not supported")
			}
		}
		var sd, kd, ivd tidbtypes.Datum
		var data, key, iv, buf []byte
		rkey := make([]byte, keyLen)
		return &compiledExpr{typ: etString, binary: true, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if null, err := evalArgs(e, args[0], args[1], &sd, &kd); err != nil || null {
				if null {
					out.SetNull()
				}
				return err
			}
			if cbc {
				// Under ECB a third argument is ignored (with a warning).
				if err := args[2].eval(e, &ivd); err != nil {
					return err
				}
				if ivd.IsNull() {
					out.SetNull()
					return nil
				}
				iv = appendText(iv[:0], args[2].typ, &ivd)
				if len(iv) < aes.BlockSize {
					return fmt.Errorf("the initialization vector supplied to aes_encrypt is too short. Must be at least %d bytes long", aes.BlockSize)
				}
				iv = iv[:aes.BlockSize]
			}
			data = appendText(data[:0], args[0].typ, &sd)
			key = appendText(key[:0], args[1].typ, &kd)
			// MySQL derives the key by XOR-folding the given bytes into
			// a zeroed buffer of the mode's key size.
			clear(rkey)
			for i, c := range key {
				rkey[i%keyLen] ^= c
			}
			block, err := aes.NewCipher(rkey)
			if err != nil {
				return fmt.Errorf("AES_ENCRYPT: %w", err)
			}
			// PKCS#7 padding: always 1..16 bytes.
			pad := aes.BlockSize - len(data)%aes.BlockSize
			buf = append(buf[:0], data...)
			for range pad {
				buf = append(buf, byte(pad))
			}
			if cbc {
				cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
			} else {
				for i := 0; i < len(buf); i += aes.BlockSize {
					block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
				}
			}
			out.SetBytes(buf)
			return nil
		}}, true, nil

	case ast.FromUnixTime:
		if len(args) != 1 {
			return nil, true, fmt.Errorf("FROM_UNIXTIME with a format argument is not supported")
		}
		a := args[0]
		if a.typ != etInt && a.typ != etUint && a.typ != etDecimal {
			return nil, true, fmt.Errorf("FROM_UNIXTIME of this argument type is not supported")
		}
		return &compiledExpr{typ: etTime, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := a.eval(e, out); err != nil || out.IsNull() {
				return err
			}
			var sec, usec int64
			fsp := 0
			switch a.typ {
			case etInt:
				sec = out.GetInt64()
			case etUint:
				u := out.GetUint64()
				if u > maxFromUnixtime {
					out.SetNull()
					return nil
				}
				sec = int64(u)
			default:
				m, frac := bigOf(etDecimal, out)
				if frac > tidbtypes.MaxFsp {
					return fmt.Errorf("FROM_UNIXTIME of %s: more than %d fraction digits are not supported", out.GetDecimal(), tidbtypes.MaxFsp)
				}
				if m.Sign() < 0 {
					out.SetNull()
					return nil
				}
				q, r := new(big.Int).QuoRem(m, bigPow10(frac), new(big.Int))
				if !q.IsInt64() {
					out.SetNull()
					return nil
				}
				sec, usec, fsp = q.Int64(), r.Int64()*int64(math.Pow10(tidbtypes.MaxFsp-frac)), frac
			}
			if sec < 0 || sec > maxFromUnixtime {
				out.SetNull()
				return nil
			}
			g := time.Unix(sec, usec*1000).In(e.loc)
			out.SetTime(tidbtypes.NewTime(g.Year(), int(g.Month()), g.Day(), g.Hour(), g.Minute(), g.Second(), g.Nanosecond()/1000, tidbtypes.TypeDatetime, fsp))
			return nil
		}}, true, nil
	}
	return nil, false, nil
}

// parseBlockEncryptionMode reads block_encryption_mode ("aes-256-cbc");
// ECB and CBC are the modes implemented.
func parseBlockEncryptionMode(mode string) (keyLen int, cbc bool, err error) {
	parts := strings.Split(strings.ToLower(mode), "-")
	if len(parts) != 3 || parts[0] != "aes" {
		return 0, false, fmt.Errorf("block_encryption_mode %q is not an AES mode", mode)
	}
	switch parts[1] {
	case "128", "192", "256":
		bits, _ := strconv.Atoi(parts[1])
		keyLen = bits / 8
	default:
		return 0, false, fmt.Errorf("block_encryption_mode %q: unknown key size", mode)
	}
	switch parts[2] {
	case "ecb":
	case "cbc":
		cbc = true
	default:
		return 0, false, fmt.Errorf("block_encryption_mode %q is not supported by the import encoder (ECB and CBC are)", mode)
	}
	return keyLen, cbc, nil
}

// appendJSONString appends s as a JSON string literal; invalid UTF-8 is
// left to the JSON parser, which replaces it as TiDB does.
func appendJSONString(dst, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for len(s) > 0 {
		c := s[0]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			_, n := utf8.DecodeRune(s)
			dst = append(dst, s[:n]...)
			s = s[n:]
			continue
		}
		s = s[1:]
	}
	return append(dst, '"')
}
