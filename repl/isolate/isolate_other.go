//go:build !linux

package isolate

import (
	"context"
	"errors"
	"io"
)

// Supported reports whether this platform can isolate (Linux only).
func Supported() bool { return false }

// InChild reports whether this process is an isolated child: never here.
func InChild() bool { return false }

// Init does nothing on this platform.
func Init() error { return nil }

// Enter does nothing on this platform.
func Enter(what, pos string) {}

// Leave does nothing on this platform.
func Leave() {}

// Panicked does nothing on this platform.
func Panicked(pos string) {}

// Run is not available on this platform.
func Run(ctx context.Context, lim Limits, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("isolate: child processes with resource limits need Linux")
}
