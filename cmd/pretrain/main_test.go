package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/optim"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	if code != 0 || !strings.Contains(out, "demo") {
		t.Fatalf("help: code %d, output %q", code, out)
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, errs := runCLI(t, "frobnicate")
	if code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
}

func TestDemoLearns(t *testing.T) {
	code, out, errs := runCLI(t, "demo", "--steps", "60", "--chars", "512")
	if code != 0 {
		t.Fatalf("demo failed: code %d, stderr %q", code, errs)
	}
	var first, last float64
	for _, line := range strings.Split(out, "\n") {
		var step int
		var loss float64
		if n, _ := fmt.Sscanf(line, "step %d  loss %f", &step, &loss); n == 2 {
			if step == 1 {
				first = loss
			}
			last = loss
		}
	}
	if first == 0 || last >= first-1 {
		t.Fatalf("loss did not fall by a nat: first %.3f, last %.3f\n%s", first, last, out)
	}
}

func TestDemoBadFlag(t *testing.T) {
	code, _, errs := runCLI(t, "demo", "--steps", "zero")
	if code != 2 || !strings.Contains(errs, "invalid value") {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
}

// TestRunTurnsMisusePanicsIntoErrors: a command that panics with an error
// value (how the SDK reports misuse) exits 1 with the error as its message;
// a runtime error (a bug) is not swallowed.
func TestRunTurnsMisusePanicsIntoErrors(t *testing.T) {
	register(&command{Name: "test-misuse", Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		optim.WarmupCosine(1, 5, 2, 0) // warm-up longer than the schedule: a *optim.ConfigError panic
		return nil
	}})
	register(&command{Name: "test-bug", Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		var m map[string]int
		m["x"] = 1
		return nil
	}})
	defer delete(commands, "test-misuse")
	defer delete(commands, "test-bug")
	code, _, stderr := runCmd("test-misuse")
	if code != 1 || !strings.HasPrefix(stderr, "pretrain test-misuse: optim.WarmupCosine") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("a runtime error was swallowed")
		}
	}()
	runCmd("test-bug")
}
