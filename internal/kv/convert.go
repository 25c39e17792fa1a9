package kv

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// convertStrict casts values the encoder generated itself (auto IDs,
// generated columns, partition bounds, defaults): any loss is an error
// regardless of sql_mode, because a clamped value would be silently wrong.
func (e *Encoder) convertStrict(f parser.Field, ft *tidbtypes.FieldType) (tidbtypes.Datum, error) {
	w := e.sc.WarningCount
	d, err := tidbtypes.Convert(f, ft, e.sc)
	if err == nil && e.sc.WarningCount != w {
		err = fmt.Errorf("value %q does not fit column type %s", f.Bytes, tidbtypes.TypeName(ft.Tp))
		e.sc.WarningCount = w
		if n := len(e.sc.Warnings); n > 0 {
			e.sc.Warnings = e.sc.Warnings[:n-1]
		}
	}
	return d, err
}
