package repl

import (
	"os"

	"golang.org/x/sys/unix"
)

// ttySignals reports whether the terminal behind the pty master f turns
// Ctrl-C into SIGINT (ISIG).
func ttySignals(f *os.File) (bool, error) {
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TIOCGETA)
	if err != nil {
		return false, err
	}
	return tio.Lflag&unix.ISIG != 0, nil
}
