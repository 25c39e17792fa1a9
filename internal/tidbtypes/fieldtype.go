package tidbtypes

// MySQL column type codes (the values of mysql.Type* in the MySQL protocol and
// in TiDB's model.ColumnInfo). They are stored in FieldType.Tp and also used as
// Time.Type() for DATE/DATETIME/TIMESTAMP values.
const (
	TypeDecimal    byte = 0 // old-style DECIMAL, never produced by modern servers
	TypeTiny       byte = 1
	TypeShort      byte = 2
	TypeLong       byte = 3
	TypeFloat      byte = 4
	TypeDouble     byte = 5
	TypeNull       byte = 6
	TypeTimestamp  byte = 7
	TypeLonglong   byte = 8
	TypeInt24      byte = 9
	TypeDate       byte = 10
	TypeDuration   byte = 11 // TIME
	TypeDatetime   byte = 12
	TypeYear       byte = 13
	TypeNewDate    byte = 14
	TypeVarchar    byte = 15
	TypeBit        byte = 16
	TypeVector     byte = 0xe1 // TiDB VECTOR(FLOAT32)
	TypeJSON       byte = 0xf5
	TypeNewDecimal byte = 0xf6
	TypeEnum       byte = 0xf7
	TypeSet        byte = 0xf8
	TypeTinyBlob   byte = 0xf9
	TypeMediumBlob byte = 0xfa
	TypeLongBlob   byte = 0xfb
	TypeBlob       byte = 0xfc
	TypeVarString  byte = 0xfd
	TypeString     byte = 0xfe // CHAR / BINARY
	TypeGeometry   byte = 0xff
)

// Column flags (mysql.*Flag).
const (
	NotNullFlag        uint32 = 1 << 0
	PriKeyFlag         uint32 = 1 << 1
	UniqueKeyFlag      uint32 = 1 << 2
	MultipleKeyFlag    uint32 = 1 << 3
	BlobFlag           uint32 = 1 << 4
	UnsignedFlag       uint32 = 1 << 5
	ZerofillFlag       uint32 = 1 << 6
	BinaryFlag         uint32 = 1 << 7
	EnumFlag           uint32 = 1 << 8
	AutoIncrementFlag  uint32 = 1 << 9
	TimestampFlag      uint32 = 1 << 10
	SetFlag            uint32 = 1 << 11
	NoDefaultValueFlag uint32 = 1 << 12
	OnUpdateNowFlag    uint32 = 1 << 13
	PartKeyFlag        uint32 = 1 << 14
	NumFlag            uint32 = 1 << 15
)

// UnspecifiedLength marks Flen/Decimal as "not given in the DDL".
const UnspecifiedLength = -1

// Fractional-seconds precision bounds.
const (
	MinFsp     = 0
	MaxFsp     = 6
	DefaultFsp = 0
)

// Decimal limits of MySQL/TiDB.
const (
	MaxDecimalWidth = 65
	MaxDecimalScale = 30
)

// Character set / collation names used for binary data.
const (
	CharsetBin       = "binary"
	CollationBin     = "binary"
	CharsetUTF8MB4   = "utf8mb4"
	DefaultCollation = "utf8mb4_bin"
)

// FieldType is the declared type of a column as far as value conversion and
// encoding need it. Flen is the display width / character length (-1 when
// unspecified), Decimal the scale for DECIMAL/FLOAT/DOUBLE or the fsp for
// temporal types (-1 when unspecified).
type FieldType struct {
	Tp      byte
	Flag    uint32
	Flen    int
	Decimal int
	Charset string
	Collate string
	// Elems are the members of an ENUM or SET, in declaration order.
	Elems []string
}

// NewFieldType returns a FieldType of type tp with unspecified length/scale.
func NewFieldType(tp byte) *FieldType {
	return &FieldType{Tp: tp, Flen: UnspecifiedLength, Decimal: UnspecifiedLength}
}

// IsUnsigned reports the UNSIGNED flag.
func (ft *FieldType) IsUnsigned() bool { return ft.Flag&UnsignedFlag != 0 }

// IsNotNull reports the NOT NULL flag.
func (ft *FieldType) IsNotNull() bool { return ft.Flag&NotNullFlag != 0 }

// IsBinary reports whether the column stores bytes rather than characters:
// the binary charset/collation or the BINARY flag on a string type.
func (ft *FieldType) IsBinary() bool {
	return ft.Charset == CharsetBin || ft.Collate == CollationBin
}

// EvalType is the evaluation class of a type; it decides which casting rules
// apply to it.
type EvalType byte

// Evaluation classes.
const (
	ETInt EvalType = iota
	ETReal
	ETDecimal
	ETString
	ETDatetime
	ETTimestamp
	ETDuration
	ETJson
)

// EvalType returns the evaluation class of the column type.
func (ft *FieldType) EvalType() EvalType {
	switch ft.Tp {
	case TypeTiny, TypeShort, TypeInt24, TypeLong, TypeLonglong, TypeBit, TypeYear:
		return ETInt
	case TypeFloat, TypeDouble:
		return ETReal
	case TypeNewDecimal, TypeDecimal:
		return ETDecimal
	case TypeDate, TypeDatetime, TypeNewDate:
		return ETDatetime
	case TypeTimestamp:
		return ETTimestamp
	case TypeDuration:
		return ETDuration
	case TypeJSON:
		return ETJson
	}
	return ETString
}

// IsIntegerType reports TINYINT..BIGINT (not YEAR, not BIT).
func IsIntegerType(tp byte) bool {
	switch tp {
	case TypeTiny, TypeShort, TypeInt24, TypeLong, TypeLonglong:
		return true
	}
	return false
}

// IsStringType reports CHAR/VARCHAR/TEXT/BLOB family (not ENUM/SET/JSON).
func IsStringType(tp byte) bool {
	switch tp {
	case TypeString, TypeVarchar, TypeVarString, TypeTinyBlob, TypeBlob, TypeMediumBlob, TypeLongBlob:
		return true
	}
	return false
}

// IsTimeType reports DATE/DATETIME/TIMESTAMP.
func IsTimeType(tp byte) bool {
	return tp == TypeDate || tp == TypeDatetime || tp == TypeTimestamp || tp == TypeNewDate
}

// IntegerRange returns the inclusive signed range of an integer column type.
func IntegerRange(tp byte) (lo, hi int64) {
	switch tp {
	case TypeTiny:
		return -1 << 7, 1<<7 - 1
	case TypeShort:
		return -1 << 15, 1<<15 - 1
	case TypeInt24:
		return -1 << 23, 1<<23 - 1
	case TypeLong:
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}

// UnsignedUpperBound returns the largest value of an unsigned integer column type.
func UnsignedUpperBound(tp byte) uint64 {
	switch tp {
	case TypeTiny:
		return 1<<8 - 1
	case TypeShort:
		return 1<<16 - 1
	case TypeInt24:
		return 1<<24 - 1
	case TypeLong:
		return 1<<32 - 1
	case TypeBit:
		return 1<<64 - 1
	}
	return 1<<64 - 1
}

// TypeName returns the SQL name of a type code (for error messages).
func TypeName(tp byte) string {
	switch tp {
	case TypeTiny:
		return "tinyint"
	case TypeShort:
		return "smallint"
	case TypeInt24:
		return "mediumint"
	case TypeLong:
		return "int"
	case TypeLonglong:
		return "bigint"
	case TypeFloat:
		return "float"
	case TypeDouble:
		return "double"
	case TypeNewDecimal, TypeDecimal:
		return "decimal"
	case TypeDate, TypeNewDate:
		return "date"
	case TypeDatetime:
		return "datetime"
	case TypeTimestamp:
		return "timestamp"
	case TypeDuration:
		return "time"
	case TypeYear:
		return "year"
	case TypeVarchar, TypeVarString:
		return "varchar"
	case TypeString:
		return "char"
	case TypeBit:
		return "bit"
	case TypeJSON:
		return "json"
	case TypeEnum:
		return "enum"
	case TypeSet:
		return "set"
	case TypeTinyBlob:
		return "tinyblob"
	case TypeBlob:
		return "blob"
	case TypeMediumBlob:
		return "mediumblob"
	case TypeLongBlob:
		return "longblob"
	case TypeGeometry:
		return "geometry"
	case TypeNull:
		return "null"
	}
	return "unknown"
}
