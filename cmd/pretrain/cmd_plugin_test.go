package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestPluginListAndCheck(t *testing.T) {
	code, out, errs := runCLI(t, "plugin", "list", "--plugin", "../../plugins/examples")
	if code != 0 || !strings.Contains(out, "neighbor-mlm") || !strings.Contains(out, "head:meanpool-classify") {
		t.Fatalf("list: code %d, out %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "plugin", "check", "../../plugins/examples")
	if code != 0 || strings.Count(out, "ok ") != 2 {
		t.Fatalf("check: code %d, out %q, stderr %q", code, out, errs)
	}
	code, out, _ = runCLI(t, "plugin", "check", "../../plugins/testdata/uses-exec")
	if code == 0 || !strings.Contains(out, `import "os/exec" needs permission "exec"`) {
		t.Fatalf("check of a refused plugin: code %d, out %q", code, out)
	}
}

func TestPluginNewThenCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mine")
	code, out, errs := runCLI(t, "plugin", "new", "--dir", dir, "my-objective")
	if code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("new: code %d, out %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "plugin", "check", dir)
	if code != 0 || !strings.Contains(out, "ok   my-objective 0.1.0: objective my-objective") {
		t.Fatalf("check of a scaffold: code %d, out %q, stderr %q", code, out, errs)
	}
	code, _, _ = runCLI(t, "plugin", "new", "--dir", dir, "my-objective")
	if code == 0 {
		t.Fatal("new must not overwrite")
	}
	code, _, _ = runCLI(t, "plugin", "frobnicate")
	if code != 2 {
		t.Fatalf("unknown subcommand: code %d", code)
	}
}
