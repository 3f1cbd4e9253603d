//go:build linux || darwin

package repl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// The pseudo-terminal tests run the REPL in a child process (this test
// binary, re-executed) whose terminal is a pty, so that line editing,
// completion and Ctrl-C go through the real terminal paths.

const childEnv = "PRETRAIN_REPL_PTY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		s := &Session{History: os.Getenv("PRETRAIN_REPL_HISTORY")}
		if err := s.Run(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "session:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// term is the parent's end of a child REPL.
type term struct {
	t    *testing.T
	f    *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	buf  bytes.Buffer
	seen int
}

func startREPL(t *testing.T, history string) *term {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "PRETRAIN_REPL_HISTORY="+history, "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	require.NoError(t, err)
	tm := &term{t: t, f: f, cmd: cmd}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			tm.mu.Lock()
			tm.buf.Write(b[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
	})
	tm.expect(">>> ")
	return tm
}

// expect waits until want appears in the output after the last match.
func (tm *term) expect(want string) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		out := tm.buf.String()
		tm.mu.Unlock()
		if i := strings.Index(out[tm.seen:], want); i >= 0 {
			tm.seen += i + len(want)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.t.Fatalf("timed out waiting for %q; output after the last match:\n%s", want, tm.buf.String()[tm.seen:])
}

// waitSignals waits until the child's terminal has ISIG set (on: a
// statement is running and Ctrl-C raises SIGINT) or cleared (off: the line
// editor is reading and Ctrl-C is a key). The editor prints its prompt
// before it clears ISIG, so a Ctrl-C sent on seeing the prompt alone can
// arrive as a signal, and the kernel then flushes the typed-ahead line.
func (tm *term) waitSignals(on bool) {
	tm.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		got, err := ttySignals(tm.f)
		require.NoError(tm.t, err)
		if got == on {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	tm.t.Fatalf("timed out waiting for the terminal's ISIG to be %v", on)
}

func (tm *term) send(s string) {
	tm.t.Helper()
	_, err := io.WriteString(tm.f, s)
	require.NoError(tm.t, err)
}

func TestPTYCompletionMultiLineRecoveryCtrlC(t *testing.T) {
	history := filepath.Join(t.TempDir(), "history")
	tm := startREPL(t, history)

	// Tab completion of a package member, then of a method of a variable.
	tm.send("tensor.Zer\t")
	tm.expect("tensor.Zeros(")
	tm.send("2, 2)\r")
	tm.expect("shape=[2,2], dtype=f32")
	tm.expect(">>> ")
	tm.send("v := tensor.Ones(3)\r")
	tm.expect(">>> ")
	tm.send("v.Num\t")
	tm.expect("v.Numel(")
	tm.send(")\r")
	tm.expect("3\r\n")

	// Multi-line input.
	tm.send("func cube(x int) int {\r")
	tm.expect("... ")
	tm.send("return x * x * x\r")
	tm.expect("... ")
	tm.send("}\r")
	tm.expect(">>> ")
	tm.send("cube(3)\r")
	tm.expect("27")

	// Recovery after an error.
	tm.send("tensor.Ones(2, 3).MatMul(tensor.Ones(2, 3))\r")
	tm.expect("error: input:1:19: panic: tensor.MatMul")
	tm.send("cube(2) + 1\r")
	tm.expect("9")

	// Ctrl-C cancels a running statement and keeps the session.
	tm.send("n := 0\r")
	tm.expect(">>> ")
	tm.send("for { n++ }\r")
	tm.waitSignals(true)
	time.Sleep(100 * time.Millisecond) // let the loop run a while
	tm.send("\x03")
	tm.expect("interrupted")
	tm.send("n > 0\r")
	tm.expect("true")
	tm.expect(">>> ")

	// Ctrl-C at the prompt drops the line; Ctrl-D leaves.
	tm.waitSignals(false)
	tm.send("this is not go\x03")
	tm.expect("^C")
	tm.send("\x04")
	done := make(chan error, 1)
	go func() { done <- tm.cmd.Wait() }()
	select {
	case err := <-done:
		tm.mu.Lock()
		out := tm.buf.String()
		tm.mu.Unlock()
		require.NoError(t, err, "REPL output:\n%s", out)
	case <-time.After(10 * time.Second):
		t.Fatal("the REPL did not exit on Ctrl-D")
	}
	b, err := os.ReadFile(history)
	require.NoError(t, err)
	require.Contains(t, string(b), "cube(3)", "history is saved")
}

// BenchmarkColdStartToPrompt starts a REPL process on a pseudo-terminal
// and waits for its first prompt (the acceptance bound is 300 ms). The
// child is this test binary in REPL mode, which links the same packages as
// `pretrain repl`.
func BenchmarkColdStartToPrompt(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", "PRETRAIN_REPL_HISTORY=", "TERM=xterm")
		f, err := pty.Start(cmd)
		if err != nil {
			b.Fatal(err)
		}
		var out []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(out, []byte(">>> ")) {
			n, err := f.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, buf[:n]...)
		}
		b.StopTimer()
		_, _ = f.Write([]byte{4})
		_ = cmd.Wait()
		f.Close()
		b.StartTimer()
	}
}
