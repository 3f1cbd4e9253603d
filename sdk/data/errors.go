package data

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// InputError reports bad input: a missing, empty, truncated or malformed
// file. It names the file and, where known, the 1-based line and the byte
// offset in the (decompressed) stream where the problem was found.
type InputError struct {
	File   string // file or source name
	Line   int    // 1-based line, 0 when unknown
	Offset int64  // byte offset in the decompressed stream, -1 when unknown
	Msg    string // what is wrong
	Err    error  // underlying cause, may be nil
}

// Error formats the error as "file:line: msg (byte N): cause".
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " (byte %d)", e.Offset)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *InputError) Unwrap() error { return e.Err }

// ParamError is the panic value for misuse of the API (a non-positive
// size, an id out of range, an inconsistent config). Constructors that
// validate a config return it as an error instead of panicking.
type ParamError struct {
	Op  string // the function or method
	Msg string // what is wrong
}

// Error formats the error as "data: op: msg".
func (e *ParamError) Error() string { return "data: " + e.Op + ": " + e.Msg }

// clip shortens s to at most n bytes without splitting a rune, marking the
// cut with "...".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
