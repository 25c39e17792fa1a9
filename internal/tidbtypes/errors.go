package tidbtypes

// MySQL error codes produced by conversion.
const (
	ErrCodeBadNull             = 1048 // Column '%s' cannot be null
	ErrCodeDataTooLong         = 1406 // Data too long for column '%s' at row %d
	ErrCodeDataOutOfRange      = 1264 // Out of range value for column '%s' at row %d
	ErrCodeWarnDataTruncated   = 1265 // Data truncated for column '%s' at row %d
	ErrCodeTruncatedWrongValue = 1292 // Truncated incorrect %s value: '%s' / Incorrect datetime value
	ErrCodeIncorrectValue      = 1366 // Incorrect %s value: '%s' for column '%s' at row %d
	ErrCodeInvalidJSONText     = 3140 // Invalid JSON text: ...
	ErrCodeWrongValue          = 1525 // Incorrect %s value: '%s'
	ErrCodeInvalidDefault      = 1067
	ErrCodeUnsupportedConvert  = 8210 // TiDB: cannot convert datum from %s to type %s.
)

// ConvertError describes a value that could not be stored in its column.
// In strict SQL mode it is returned as an error; in non-strict mode the
// same information is recorded as a warning on the StmtContext and the
// adjusted value is returned.
type ConvertError struct {
	Column string // column name (set by ConvertColumn)
	Value  string // the offending value as text (shortened)
	Reason string // MySQL-style message without the column suffix
	Code   int    // MySQL error code
}

// Error renders a MySQL-like message.
func (e *ConvertError) Error() string {
	col := "'" + e.Column + "'"
	switch e.Code {
	case ErrCodeBadNull:
		return "Column " + col + " cannot be null"
	case ErrCodeDataTooLong:
		return "Data too long for column " + col
	case ErrCodeDataOutOfRange:
		return "Out of range value for column " + col
	case ErrCodeWarnDataTruncated:
		return "Data truncated for column " + col
	case ErrCodeIncorrectValue, ErrCodeTruncatedWrongValue:
		if e.Column != "" {
			return e.Reason + " for column " + col
		}
	}
	return e.Reason
}

// maxErrValueLen bounds Value so huge fields do not bloat error records.
const maxErrValueLen = 128

func errValue(b []byte) string {
	if len(b) > maxErrValueLen {
		return string(b[:maxErrValueLen]) + "..."
	}
	return string(b)
}
