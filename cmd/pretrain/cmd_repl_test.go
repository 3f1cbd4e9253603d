package main

import (
	"strings"
	"testing"
)

func TestREPLCommand(t *testing.T) {
	old := replStdin
	defer func() { replStdin = old }()
	replStdin = strings.NewReader("x := tensor.Ones(2, 2)\nx.Sum()\nfunc f(a int) int {\nreturn a + 1\n}\nf(41)\n")
	code, out, errs := runCLI(t, "repl", "--history", "")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	for _, want := range []string{"pretrain REPL", "tensor(4.0000, shape=[], dtype=f32)", "42"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
