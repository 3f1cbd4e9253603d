package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/repl/isolate"
)

// TestAttackPluginsCannotKillTheHost trains each attack plugin of
// plugins/testdata/attacks through the real CLI path: `pretrain train
// --plugin` runs it in an isolated child (this test binary, see TestMain).
// Each Loss behaves for three calls and attacks on the fourth (step 4),
// after the step-2 checkpoint. The host (this process) must survive, the
// error must name the plugin and a position, the runtime's stack dump must
// not reach the user, and the checkpoint must be intact: training resumes
// from it.
func TestAttackPluginsCannotKillTheHost(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory breaks RLIMIT_AS")
	}
	if !isolate.Supported() {
		t.Skip("isolation needs Linux")
	}
	attacks := "../../plugins/testdata/attacks/"
	cases := []struct {
		name  string
		extra []string
		want  string // regexp on stderr
	}{
		{"membomb", nil, `plugin "membomb": Loss at \S*attacks/membomb/objective\.go:\d+:\d+: out of memory \(limit 1024 MB\): cannot allocate a 34359738368-byte block`},
		{"recursion", nil, `plugin "recursion": Loss at \S*attacks/recursion/objective\.go:\d+:\d+: stack overflow \(limit 32 MB\)`},
		{"gopanic", []string{"--trusted-plugins"}, `plugin "gopanic": Loss at \S*attacks/gopanic/objective\.go:23:\d+: panic: boom from a goroutine`},
		{"tensorbomb", nil, `step 4: plugin "tensorbomb": Loss: \S*attacks/tensorbomb/objective\.go:22:\d+: panic: tensor\.Zeros\[1048576 16384\]: allocating 64\.0 GB would exceed the memory budget of 1024\.0 MB`},
		// Adaptive timeout: three calls of a few ms, so the fourth gets
		// MinTimeout (5s), not minutes.
		{"endless", nil, `step 4: plugin "endless": Loss: \S*attacks/endless/objective\.go:\d+:\d+: Loss did not return within 5s`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			common := append([]string{"train", "--plugin", attacks + c.name, "--objective", c.name,
				"--save-every", "2", "--out", out, "--opt", "seq-len=8", "--opt", "batch=2",
				"--plugin-memory", "1024", "--plugin-stack", "32"}, c.extra...)
			code, _, errs := runCLI(t, append(common, "--steps", "6")...)
			if code != 1 {
				t.Fatalf("exit code %d, want 1; stderr:\n%s", code, errs)
			}
			if !regexp.MustCompile(c.want).MatchString(errs) {
				t.Fatalf("stderr does not match %s:\n%s", c.want, errs)
			}
			if strings.Contains(errs, "goroutine ") || strings.Contains(errs, "runtime.") {
				t.Fatalf("the Go crash report reached the user:\n%s", errs)
			}
			ckpts, _ := filepath.Glob(filepath.Join(out, "checkpoints", "step-*"))
			if len(ckpts) != 1 || filepath.Base(ckpts[0]) != "step-00000002" {
				t.Fatalf("checkpoints %v, want the step-2 one only", ckpts)
			}
			// The checkpoint is intact: a fresh child resumes from it and
			// trains steps 3-4 (the plugin's calls 1-2, before its attack).
			code, _, errs = runCLI(t, append(common, "--steps", "4", "--resume")...)
			if code != 0 {
				t.Fatalf("resume from the step-2 checkpoint: code %d\n%s", code, errs)
			}
			if _, err := os.Stat(filepath.Join(out, "checkpoints", "step-00000004")); err != nil {
				t.Fatalf("resumed training wrote no step-4 checkpoint: %v\n%s", err, errs)
			}
		})
	}
	runtime.GC()
}

// TestAttackRefusedAtLoad: a go statement anywhere in a plugin's folder,
// including one Go tooling skips (_spawn/), is refused before any code
// runs, with its position; so is one in the plugin's own files unless the
// user trusts it.
func TestAttackRefusedAtLoad(t *testing.T) {
	attacks := "../../plugins/testdata/attacks/"
	for _, c := range []struct{ name, pos string }{
		{"gosub", `attacks/gosub/_spawn/spawn\.go:6:2: go statements are not allowed`},
		{"gopanic", `attacks/gopanic/objective\.go:23:5: go statements are not allowed`},
	} {
		code, _, errs := runCLI(t, "train", "--plugin", attacks+c.name, "--objective", c.name, "--steps", "1", "--out", t.TempDir(), "--isolate=false")
		if code != 1 || !regexp.MustCompile(`plugin "`+c.name+`": load: \S*`+c.pos).MatchString(errs) {
			t.Fatalf("%s: code %d, stderr:\n%s", c.name, code, errs)
		}
	}
}

// writeScript writes a Go script into a temporary folder.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(p, []byte("package main\n\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunIsolatesScripts: `pretrain run` runs the script in an isolated
// child, so runaway recursion and a raw memory bomb end the child with a
// message naming the script; with --isolate=false the same 1.5 GB
// allocation (never touched, so it costs no real memory) succeeds, which
// shows the limit is the child's.
func TestRunIsolatesScripts(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory breaks RLIMIT_AS")
	}
	if !isolate.Supported() {
		t.Skip("isolation needs Linux")
	}
	rec := writeScript(t, "func f(n int) int { return f(n+1) + 1 }\n\nfunc main() { println(f(0)) }\n")
	code, _, errs := runCLI(t, "run", "--plugin-stack", "32", rec)
	if code != 1 || !strings.Contains(errs, `script "`+rec+`": stack overflow (limit 32 MB)`) || strings.Contains(errs, "goroutine ") {
		t.Fatalf("recursion: code %d\n%s", code, errs)
	}
	big := writeScript(t, "import \"fmt\"\n\nfunc main() {\n\tb := make([]byte, 1536<<20)\n\tfmt.Println(len(b))\n}\n")
	code, _, errs = runCLI(t, "run", "--plugin-memory", "1024", big)
	if code != 1 || !strings.Contains(errs, `script "`+big+`": out of memory (limit 1024 MB)`) {
		t.Fatalf("memory bomb: code %d\n%s", code, errs)
	}
	code, out, errs := runCLI(t, "run", "--plugin-memory", "1024", "--isolate=false", big)
	if code != 0 || strings.TrimSpace(out) != "1610612736" {
		t.Fatalf("--isolate=false: code %d, out %q\n%s", code, out, errs)
	}
}

// TestPluginCPULimit: with no call timeout, --plugin-cpu ends an endless
// Loss by the child's CPU-time limit.
func TestPluginCPULimit(t *testing.T) {
	if !isolate.Supported() {
		t.Skip("isolation needs Linux")
	}
	code, _, errs := runCLI(t, "train", "--plugin", "../../plugins/testdata/attacks/endless", "--objective", "endless",
		"--steps", "6", "--out", t.TempDir(), "--opt", "seq-len=8", "--opt", "batch=2",
		"--plugin-timeout", "-1s", "--plugin-cpu", "2s")
	if code != 1 || !regexp.MustCompile(`plugin "endless": Loss at \S*endless/objective\.go:\d+:\d+: CPU time limit \(limit 2s\)`).MatchString(errs) {
		t.Fatalf("code %d\n%s", code, errs)
	}
}

// TestREPLSurvivesAnOOM: the session's child dies, the parent says why and
// starts a new session.
func TestREPLSurvivesAnOOM(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory breaks RLIMIT_AS")
	}
	if !isolate.Supported() {
		t.Skip("isolation needs Linux")
	}
	old := replStdin
	defer func() { replStdin = old }()
	replStdin = strings.NewReader("b := make([]byte, 1<<34)\nb[1<<33] = 1\n")
	code, _, errs := runCLI(t, "repl", "--history", "", "--plugin-memory", "1024")
	t.Logf("stderr:\n%s", errs)
	if code != 0 || !strings.Contains(errs, "out of memory (limit 1024 MB)") || !strings.Contains(errs, "starting a new one") {
		t.Fatalf("code %d\n%s", code, errs)
	}
}

// TestFlagsOnRunAndREPL: the containment flags do what they say on `run`
// and `repl` too: --plugin-timeout bounds calls into a plugin a script
// builds by name, --trusted-plugins lets a plugin with a go statement load
// (its goroutine's panic then ends only the child), --plugin-stack bounds
// recursion typed into the REPL.
func TestFlagsOnRunAndREPL(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory breaks RLIMIT_AS")
	}
	if !isolate.Supported() {
		t.Skip("isolation needs Linux")
	}
	attacks := "../../plugins/testdata/attacks/"
	script := func(name string) string {
		return writeScript(t, `import (
	"fmt"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func main() {
	obj, err := task.NewObjective("`+name+`", task.Config{})
	if err != nil {
		panic(err)
	}
	for i := 0; i < 4; i++ {
		obj.Loss(&data.Batch{})
		fmt.Println("call", i+1)
	}
}
`)
	}
	endless := script("endless")
	code, out, errs := runCLI(t, "run", "--plugin", attacks+"endless", "--plugin-timeout", "300ms", endless)
	if code != 1 || !strings.Contains(out, "call 3") || !regexp.MustCompile(`plugin "endless": Loss: \S*endless/objective\.go:\d+:\d+: Loss did not return within 300ms`).MatchString(errs) {
		t.Fatalf("run --plugin-timeout: code %d\nout %s\nerr %s", code, out, errs)
	}
	gopanic := script("gopanic")
	code, _, errs = runCLI(t, "run", "--plugin", attacks+"gopanic", gopanic)
	if code != 1 || !strings.Contains(errs, "go statements are not allowed") {
		t.Fatalf("run without --trusted-plugins: code %d\n%s", code, errs)
	}
	code, _, errs = runCLI(t, "run", "--plugin", attacks+"gopanic", "--trusted-plugins", gopanic)
	if code != 1 || !regexp.MustCompile(`plugin "gopanic": Loss at \S*gopanic/objective\.go:23:\d+: panic: boom from a goroutine`).MatchString(errs) {
		t.Fatalf("run --trusted-plugins: code %d\n%s", code, errs)
	}

	old := replStdin
	defer func() { replStdin = old }()
	replStdin = strings.NewReader("func f(n int) int { return f(n+1) + 1 }\nf(0)\n")
	code, _, errs = runCLI(t, "repl", "--history", "", "--plugin-stack", "16")
	if code != 0 || !strings.Contains(errs, "stack overflow (limit 16 MB)") || !strings.Contains(errs, "starting a new one") {
		t.Fatalf("repl --plugin-stack: code %d\n%s", code, errs)
	}
}
