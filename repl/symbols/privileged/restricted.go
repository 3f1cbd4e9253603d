package privileged

import (
	"errors"
	"os"

	"github.com/pretrain-go/pretrain/repl/symbols"
)

// osExit replaces os.Exit: a plugin granted file access still must not end
// the host process.
func osExit(code int) { panic(symbols.Exit{Code: code}) }

// osFindProcess refuses the host's own process, so a plugin cannot signal it.
func osFindProcess(pid int) (*os.Process, error) {
	if pid == os.Getpid() {
		return nil, errors.New("os.FindProcess: the host process is off limits")
	}
	return os.FindProcess(pid)
}
