// Package isolate runs untrusted interpreted code (plugins and scripts) in
// a child process with operating-system resource limits, so that what Go
// cannot recover from — a fatal out-of-memory, a stack overflow, a panic
// in a goroutine, an endless compiled loop — ends only the child.
//
// The parent re-executes its own binary with the same command line and the
// environment variable named by EnvChild; Init, called first thing in
// main, recognises the child, applies the limits (RLIMIT_AS for memory,
// debug.SetMaxStack and RLIMIT_STACK for the stack, RLIMIT_CPU for CPU
// time) and lets the program run as usual. The child's stdout and stderr
// are streamed to the parent's writers. While the child runs plugin code it
// records the plugin, the call and the call's source position (Enter) in a
// page of memory shared with the parent (a file mapped by both), which
// costs a few stores and no system call per call. When the child dies,
// Run reads that page and the child's last words on stderr, drops the Go
// stack dump, and returns an *Error such as
//
//	plugin "bomb": Loss at bomb/objective.go:20:3: out of memory (limit 512 MB)
//
// Isolation is implemented on Linux; elsewhere Supported reports false and
// callers run the code in-process.
package isolate

import (
	"fmt"
	"strings"
	"time"
)

// EnvChild is the environment variable that marks a child process; it
// holds the encoded Limits.
const EnvChild = "PRETRAIN_ISOLATE_CHILD"

// Limits bound a child process. Zero fields mean no limit.
type Limits struct {
	Memory int64         // bytes of address space the child may map beyond its size at start (RLIMIT_AS)
	Stack  int64         // largest goroutine stack in bytes (debug.SetMaxStack; also RLIMIT_STACK)
	CPU    time.Duration // CPU time of the whole child (RLIMIT_CPU, whole seconds)
}

// String lists the limits in MB and seconds.
func (l Limits) String() string {
	return fmt.Sprintf("Limits{memory=%s stack=%s cpu=%s}", mb(l.Memory), mb(l.Stack), cpuString(l.CPU))
}

func mb(n int64) string {
	if n <= 0 {
		return "none"
	}
	return fmt.Sprintf("%d MB", n>>20)
}

func cpuString(d time.Duration) string {
	if d <= 0 {
		return "none"
	}
	return d.String()
}

func (l Limits) encode() string {
	return fmt.Sprintf("mem=%d,stack=%d,cpu=%d", l.Memory, l.Stack, int64(l.CPU/time.Second))
}

func decode(s string) (Limits, error) {
	var l Limits
	var cpu int64
	if _, err := fmt.Sscanf(s, "mem=%d,stack=%d,cpu=%d", &l.Memory, &l.Stack, &cpu); err != nil {
		return l, fmt.Errorf("isolate: bad %s=%q: %v", EnvChild, s, err)
	}
	l.CPU = time.Duration(cpu) * time.Second
	return l, nil
}

// Kind classifies how a child died.
type Kind string

// The ways a child can die that Run reports.
const (
	OutOfMemory   Kind = "out of memory"
	StackOverflow Kind = "stack overflow"
	CPULimit      Kind = "CPU time limit"
	Panic         Kind = "panic"
	Killed        Kind = "killed"
	Fatal         Kind = "fatal error"
)

// Error reports a child that died. What is the plugin call or script that
// was running ("" when none was recorded), Pos its source position.
type Error struct {
	What   string // e.g. `plugin "bomb": Loss`
	Pos    string // file:line:col, "" if unknown
	Kind   Kind
	Detail string // the panic value or the runtime's message
	Limit  string // the limit that applies, e.g. "512 MB"
}

// Error names the call, the position and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	if e.What != "" {
		b.WriteString(e.What)
		if e.Pos != "" {
			b.WriteString(" at " + e.Pos)
		}
		b.WriteString(": ")
	} else if e.Pos != "" {
		b.WriteString(e.Pos + ": ")
	}
	b.WriteString(string(e.Kind))
	if e.Limit != "" {
		b.WriteString(" (limit " + e.Limit + ")")
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.What == "" {
		b.WriteString(" (the isolated child process died; the host is unharmed)")
	}
	return b.String()
}

// ExitError is a child that exited by itself with a non-zero status; it
// has already printed its own error message.
type ExitError struct{ Code int }

// Error names the status.
func (e *ExitError) Error() string {
	return fmt.Sprintf("isolated child exited with status %d", e.Code)
}

// ExitCode returns the child's exit status.
func (e *ExitError) ExitCode() int { return e.Code }
