package repl

import (
	"os"

	"golang.org/x/sys/unix"
)

// ttySignals reports whether the terminal behind the pty master f turns
// Ctrl-C into SIGINT (ISIG). On Linux TCGETS on the master returns the
// slave's settings, which the child's line editor changes.
func ttySignals(f *os.File) (bool, error) {
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return false, err
	}
	return tio.Lflag&unix.ISIG != 0, nil
}
