package main

import (
	"context"
	"os"
	"testing"

	"github.com/pretrain-go/pretrain/repl/isolate"
)

// TestMain lets the test binary serve as the isolated child: commands that
// isolate re-execute os.Executable(), which under `go test` is this binary,
// and init (cmd_plugin_sandbox.go) has already applied the limits.
func TestMain(m *testing.M) {
	if isolate.InChild() {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
