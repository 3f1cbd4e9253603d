//go:build linux

package isolate

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Supported reports whether this platform can isolate (Linux).
func Supported() bool { return true }

// The shared page: the current call at callOff, the last panic position
// at panicOff. Each record is a flag byte, a 2-byte length and the text.
const (
	pageSize = 4096
	callOff  = 0
	panicOff = 2048
	maxText  = 2000
)

// child is the state of an isolated child process; page is nil elsewhere.
var child struct {
	mu       sync.Mutex
	page     []byte
	lastWhat string
	lastPos  string
}

// InChild reports whether this process is an isolated child.
func InChild() bool { return child.page != nil }

// Init applies the limits when this process is an isolated child (the
// environment holds EnvChild) and does nothing otherwise. Call it first in
// main, before any work.
func Init() error {
	enc, ok := os.LookupEnv(EnvChild)
	if !ok {
		return nil
	}
	os.Unsetenv(EnvChild) // processes the child starts are not children of ours
	lim, err := decode(enc)
	if err != nil {
		return err
	}
	page, err := syscall.Mmap(3, 0, pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("isolate: mapping the shared page: %w", err)
	}
	syscall.CloseOnExec(3)
	if lim.Stack > 0 {
		debug.SetMaxStack(int(lim.Stack))
		if err := setrlimit(syscall.RLIMIT_STACK, uint64(lim.Stack)); err != nil {
			return err
		}
	}
	if lim.CPU > 0 {
		if err := setrlimit(syscall.RLIMIT_CPU, uint64(lim.CPU/time.Second)); err != nil {
			return err
		}
	}
	if lim.Memory > 0 {
		// The Go runtime reserves about 1.2 GB of address space at start
		// that it does not use (heap metadata); the limit is the memory
		// the child may map beyond what it holds now.
		if err := setrlimit(syscall.RLIMIT_AS, vmSize()+uint64(lim.Memory)); err != nil {
			return err
		}
	}
	child.page = page
	return nil
}

// vmSize is the process's current address-space size in bytes.
func vmSize() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var pages uint64
	if _, err := fmt.Sscan(string(b), &pages); err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

func setrlimit(res int, v uint64) error {
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(res, &cur); err != nil {
		return fmt.Errorf("isolate: getrlimit: %w", err)
	}
	if v > cur.Max {
		v = cur.Max // an unprivileged process cannot raise its hard limit
	}
	if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
		return fmt.Errorf("isolate: setrlimit(%d, %d): %w", res, v, err)
	}
	return nil
}

// Enter records, in a child, that what (e.g. `plugin "x": Loss`) defined
// at pos is running; Leave ends it. Outside a child both do nothing.
func Enter(what, pos string) {
	if child.page == nil {
		return
	}
	child.mu.Lock()
	if what != child.lastWhat || pos != child.lastPos {
		child.lastWhat, child.lastPos = what, pos
		putText(child.page[callOff:], what+"\x00"+pos)
	}
	child.page[callOff] = 1
	child.mu.Unlock()
}

// Leave marks the call recorded by Enter as finished.
func Leave() {
	if child.page == nil {
		return
	}
	child.mu.Lock()
	child.page[callOff] = 0
	child.mu.Unlock()
}

// Panicked records, in a child, the source position of a panic that is
// unwinding interpreted code: if it ends the process (a panic in a
// goroutine), Run reports it.
func Panicked(pos string) {
	if child.page == nil {
		return
	}
	child.mu.Lock()
	putText(child.page[panicOff:], pos)
	child.page[panicOff] = 1
	child.mu.Unlock()
}

func putText(rec []byte, s string) {
	if len(s) > maxText {
		s = s[:maxText]
	}
	binary.LittleEndian.PutUint16(rec[1:3], uint16(len(s)))
	copy(rec[3:], s)
}

func getText(rec []byte) (bool, string) {
	n := int(binary.LittleEndian.Uint16(rec[1:3]))
	if n > maxText {
		return false, ""
	}
	return rec[0] == 1, string(rec[3 : 3+n])
}

// crashRE matches the first line of the Go runtime's report of a fatal
// error or an unrecovered panic.
var crashRE = regexp.MustCompile(`^(fatal error: |panic: |runtime: out of memory|runtime: goroutine stack exceeds|runtime: cannot allocate|unexpected fault address|SIGSEGV)`)

// Run executes the current binary with args as an isolated child under
// lim, with stdin, stdout and stderr connected to the given ones (the Go
// runtime's crash report is held back from stderr). It returns nil when
// the child exits 0, an *ExitError when it exits with another status by
// itself, and an *Error when it dies. Cancelling ctx interrupts the child
// (SIGINT), then kills it after grace.
func Run(ctx context.Context, lim Limits, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	page, err := os.CreateTemp("", "pretrain-isolate-*")
	if err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	defer os.Remove(page.Name())
	defer page.Close()
	if err := page.Truncate(pageSize); err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), EnvChild+"="+lim.encode())
	cmd.ExtraFiles = []*os.File{page}
	cmd.Stdin, cmd.Stdout = stdin, stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("isolate: starting the child: %w", err)
	}
	filt := &filter{}
	copied := make(chan struct{})
	go func() { defer close(copied); filt.copy(errPipe, stderr) }()
	waited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-waited:
			case <-time.After(grace):
				_ = cmd.Process.Kill()
			}
		case <-waited:
		}
	}()
	<-copied // the pipe closes when the child exits
	werr := cmd.Wait()
	close(waited)
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			return fmt.Errorf("isolate: %w", werr)
		}
	}
	buf := make([]byte, pageSize)
	_, _ = page.ReadAt(buf, 0)
	return classify(cmd.ProcessState, lim, filt, buf, stderr)
}

// grace is how long a cancelled child may take to stop after SIGINT.
const grace = 30 * time.Second

// classify turns the child's end into Run's result.
func classify(ps *os.ProcessState, lim Limits, filt *filter, page []byte, stderr io.Writer) error {
	ws, _ := ps.Sys().(syscall.WaitStatus)
	active, call := getText(page[callOff:])
	what, pos, _ := strings.Cut(call, "\x00")
	hasPanic, panicPos := getText(page[panicOff:])
	e := &Error{}
	if active {
		e.What, e.Pos = what, pos
	}
	if ws.Signaled() {
		filt.flush(stderr)
		var cpu time.Duration
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		switch {
		case ws.Signal() == syscall.SIGXCPU || lim.CPU > 0 && ws.Signal() == syscall.SIGKILL && cpu >= lim.CPU-500*time.Millisecond:
			e.Kind, e.Limit = CPULimit, cpuString(lim.CPU)
		default:
			e.Kind, e.Detail = Killed, "by signal "+ws.Signal().String()
			if ws.Signal() == syscall.SIGKILL {
				e.Detail += " (the system's out-of-memory killer, or another process)"
			}
		}
		return e
	}
	code := ps.ExitCode()
	if code == 0 {
		filt.flush(stderr)
		return nil
	}
	if len(filt.crash) == 0 || code != 2 {
		filt.flush(stderr)
		return &ExitError{Code: code}
	}
	first := filt.crash[0]
	all := strings.Join(filt.crash, "\n")
	switch {
	case strings.Contains(all, "out of memory") || strings.Contains(all, "cannot allocate"):
		e.Kind, e.Limit = OutOfMemory, mb(lim.Memory)
		if m := allocRE.FindStringSubmatch(all); m != nil {
			e.Detail = "cannot allocate a " + m[1] + "-byte block"
		}
	case strings.Contains(all, "stack overflow") || strings.Contains(all, "stack exceeds"):
		e.Kind, e.Limit = StackOverflow, mb(lim.Stack)
		e.Detail = "recursion too deep"
	case strings.HasPrefix(first, "panic: "):
		e.Kind = Panic
		e.Detail = strings.TrimSpace(panicSuffixRE.ReplaceAllString(strings.TrimPrefix(first, "panic: "), ""))
		if hasPanic && panicPos != "" {
			e.What, e.Pos = what, panicPos
			if strings.Contains(all, "goroutine") && !active {
				e.Detail += " (in a goroutine)"
			}
		}
	default:
		e.Kind, e.Detail = Fatal, strings.TrimPrefix(first, "fatal error: ")
	}
	return e
}

var (
	allocRE       = regexp.MustCompile(`cannot allocate (\d+)-byte block`)
	panicSuffixRE = regexp.MustCompile(`\s*\[recovered.*\]$`)
)

// filter forwards the child's stderr line by line until the runtime's
// crash report starts; it keeps that report's first lines and holds the
// rest back (flush writes it when the child did not crash after all).
type filter struct {
	crash []string
	held  []string
	size  int
}

func (f *filter) copy(r io.Reader, w io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if f.crash == nil && !crashRE.MatchString(line) {
			fmt.Fprintln(w, line)
			continue
		}
		if len(f.crash) < 8 {
			f.crash = append(f.crash, line)
		}
		if f.size < 1<<20 {
			f.held = append(f.held, line)
			f.size += len(line)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// flush writes the held lines: the child exited by itself, so they were
// its own output.
func (f *filter) flush(w io.Writer) {
	for _, l := range f.held {
		fmt.Fprintln(w, l)
	}
	f.held = nil
}
