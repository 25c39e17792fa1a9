package main

import (
	"io"
	"os"
)

// isTerminal reports whether w is a character device (an interactive
// terminal), where progress is redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
