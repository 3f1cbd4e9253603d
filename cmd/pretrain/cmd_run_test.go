package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestRunTour(t *testing.T) {
	code, out, errs := runCLI(t, "run", "../../scripts/tour")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	for _, want := range []string{"shape=[2,3], dtype=f32", "dy/dx = tensor([2.0000, 4.0000, 6.0000]", "fit: weight 2.000 bias 1.000", "is ShapeError: true"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// lossesOf reads "loss A -> B" from a script's last line.
func lossesOf(t *testing.T, out string) (first, last float64) {
	t.Helper()
	m := regexp.MustCompile(`loss ([0-9.]+) -> ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no loss summary in:\n%s", out)
	}
	first, _ = strconv.ParseFloat(m[1], 64)
	last, _ = strconv.ParseFloat(m[2], 64)
	return first, last
}

func TestRunObjectiveScriptTrains(t *testing.T) {
	code, out, errs := runCLI(t, "run", "../../scripts/objective", "-steps", "40")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "Objective(neighbor-mlm)") {
		t.Errorf("the objective is built from the registry:\n%s", out)
	}
	first, last := lossesOf(t, out)
	if !(last < first-1) {
		t.Errorf("loss must fall by more than 1 nat in 40 steps: %.3f -> %.3f", first, last)
	}
}

func TestRunHeadScriptTrains(t *testing.T) {
	code, out, errs := runCLI(t, "run", "../../scripts/head", "-steps", "60", "-seq-len", "64")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "Head(attn-pool)") {
		t.Errorf("the head is built from the registry:\n%s", out)
	}
	m := regexp.MustCompile(`eval accuracy ([0-9.]+) -> ([0-9.]+) \(chance ([0-9.]+)\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no accuracy in:\n%s", out)
	}
	after, _ := strconv.ParseFloat(m[2], 64)
	chance, _ := strconv.ParseFloat(m[3], 64)
	if after < chance+0.05 {
		t.Errorf("head accuracy %.3f is not above chance %.3f", after, chance)
	}
}

func TestRunReportsPositionsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shape := write("shape.go", "package main\n\nimport \"github.com/pretrain-go/pretrain/sdk/tensor\"\n\nfunc main() {\n\ta := tensor.Ones(2, 3)\n\t_ = a.Add(tensor.Ones(4))\n}\n")
	code, _, errs := runCLI(t, "run", shape)
	if code == 0 || !strings.Contains(errs, shape+":7:8: panic: tensor.Add") {
		t.Errorf("shape error: code %d, stderr %q", code, errs)
	}
	compile := write("compile.go", "package main\n\nfunc main() {\n\tx := 1 +\n}\n")
	code, _, errs = runCLI(t, "run", compile)
	if code == 0 || !strings.Contains(errs, compile+":5:1:") {
		t.Errorf("compile error: code %d, stderr %q", code, errs)
	}
	exit := write("exit.go", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(4) }\n")
	code, _, errs = runCLI(t, "run", exit)
	if code == 0 || !strings.Contains(errs, "exit status 4") {
		t.Errorf("exit: code %d, stderr %q", code, errs)
	}
	code, _, _ = runCLI(t, "run")
	if code != 2 {
		t.Errorf("no path: code %d, want 2", code)
	}
}
