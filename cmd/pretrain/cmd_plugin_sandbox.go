package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pretrain-go/pretrain/plugins"
	"github.com/pretrain-go/pretrain/repl/isolate"
)

// In an isolated child (see sandboxFlags.supervise) the limits apply
// before any command runs.
func init() {
	if err := isolate.Init(); err != nil {
		fmt.Fprintln(os.Stderr, "pretrain:", err)
		os.Exit(2)
	}
}

// sandboxFlags are the containment flags of the commands that run
// untrusted interpreted code (train, run, repl): see docs/plugins.md,
// "Containment".
type sandboxFlags struct {
	timeout  time.Duration
	memoryMB int64
	stackMB  int64
	cpu      time.Duration
	isolate  bool
	trusted  bool
}

// Defaults of the containment flags.
const (
	defaultChildMemoryMB = 16384 // address space of the child (RLIMIT_AS)
	defaultStackMB       = 256   // largest goroutine stack in the child
)

func (s *sandboxFlags) register(fs *flag.FlagSet, what string) {
	fs.DurationVar(&s.timeout, "plugin-timeout", 0, "bound on each call into a plugin (0: the manifest's timeout, else adaptive: 1m for the first calls, then 20x the median call time, at least 5s; negative: none)")
	fs.Int64Var(&s.memoryMB, "plugin-memory", defaultChildMemoryMB, "memory limit in MB: what the isolated child process may map beyond its size at start (RLIMIT_AS), and each plugin's budget for SDK tensors (0: none)")
	fs.Int64Var(&s.stackMB, "plugin-stack", defaultStackMB, "largest goroutine stack in MB in the isolated child: deeper recursion ends the child with \"stack overflow\" (0: Go's default)")
	fs.DurationVar(&s.cpu, "plugin-cpu", 0, "CPU-time limit of the isolated child, whole seconds (0: none)")
	fs.BoolVar(&s.isolate, "isolate", true, "run "+what+" in a child process with the limits above, so that an out-of-memory, a stack overflow or a panic in a goroutine ends only the child (Linux)")
	fs.BoolVar(&s.trusted, "trusted-plugins", false, "allow go statements in plugins (isolation still applies)")
}

// pluginOptions are the plugins.Options these flags give.
func (s *sandboxFlags) pluginOptions(allow []string, stdout, stderr io.Writer) plugins.Options {
	mem := s.memoryMB << 20
	if s.memoryMB <= 0 {
		mem = -1
	}
	return plugins.Options{Allow: allow, Trusted: s.trusted, Timeout: s.timeout, MemoryLimit: mem, Stdout: stdout, Stderr: stderr}
}

// limits are the child's resource limits.
func (s *sandboxFlags) limits() isolate.Limits {
	return isolate.Limits{Memory: s.memoryMB << 20, Stack: s.stackMB << 20, CPU: s.cpu}
}

// supervise runs the command (name and its args) in an isolated child
// when isolation is on and this process is not already the child; done
// reports whether it did. The child prints its own errors; a child that
// died is reported by the parent with the plugin and position it was in.
func (s *sandboxFlags) supervise(ctx context.Context, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) (done bool, err error) {
	if !s.isolate || isolate.InChild() || !isolate.Supported() {
		return false, nil
	}
	if s.memoryMB < 0 || s.stackMB < 0 || s.cpu < 0 {
		return true, errors.New("--plugin-memory, --plugin-stack and --plugin-cpu must not be negative")
	}
	if s.cpu > 0 && s.cpu < time.Second {
		return true, errors.New("--plugin-cpu: the limit is whole seconds, at least 1s")
	}
	return true, isolate.Run(ctx, s.limits(), append([]string{name}, args...), stdin, stdout, stderr)
}
