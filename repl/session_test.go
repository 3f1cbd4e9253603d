package repl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// session runs a non-interactive session over input and returns its output.
func session(t *testing.T, input string) (string, *Session) {
	t.Helper()
	var out bytes.Buffer
	no := false
	s := &Session{In: strings.NewReader(input), Out: &out, Interactive: &no}
	require.NoError(t, s.Run(context.Background()))
	return out.String(), s
}

func TestSessionMultiLineErrorsAndCommands(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.go")
	require.NoError(t, os.WriteFile(lib, []byte("package main\n\nfunc triple(x int) int { return 3 * x }\n"), 0o644))
	out, _ := session(t, strings.Join([]string{
		"func sq(x int) int {",
		"\treturn x * x",
		"}",
		"sq(7)",
		"x := tensor.Ones(2, 3)",
		"x.MatMul(x)",
		"x.Shape()",
		"1 +",
		"  2",
		":load " + lib,
		"triple(5)",
		":reset",
		"sq(2)",
		":nonsense",
		":help",
	}, "\n")+"\n")
	assert.Contains(t, out, "... ", "open brackets continue the input")
	assert.Contains(t, out, ">>> 49\n", "the multi-line function works")
	assert.Contains(t, out, "error: input:1:3: panic: tensor.MatMul: shape mismatch")
	assert.Contains(t, out, "[2 3] ([]int)", "the session recovers after the error")
	assert.Contains(t, out, "... 3\n", "a trailing operator continues the expression")
	assert.Contains(t, out, "loaded "+lib)
	assert.Contains(t, out, ">>> 15\n")
	assert.Contains(t, out, "fresh interpreter")
	assert.Contains(t, out, "error: input:1:1: undefined: sq", ":reset forgets definitions")
	assert.Contains(t, out, "unknown command :nonsense")
	assert.Contains(t, out, ":load FILE")
	assert.NotContains(t, out, "(*interface {})", "declarations print nothing")
	assert.NotContains(t, out, "x := tensor.Ones", "assignments print nothing")
}

func TestSessionCompletion(t *testing.T) {
	_, s := session(t, "myTensor := tensor.Ones(2)\n")
	assert.Equal(t, []string{"tensor."}, s.Complete("tens"))
	assert.Contains(t, s.Complete("tensor.Ze"), "tensor.Zeros(")
	assert.Contains(t, s.Complete("nn.NewLin"), "nn.NewLinear(")
	assert.Contains(t, s.Complete("tensor.Sh"), "tensor.ShapeError", "types complete without a paren")
	assert.Contains(t, s.Complete("myTensor.Sh"), "myTensor.Shape(", "methods of a session variable")
	assert.Contains(t, s.Complete(":lo"), ":load ")
	assert.Empty(t, s.Complete("nosuchpkg.X"))

	head, comps, tail := s.complete("y := tensor.On", len("y := tensor.On"))
	assert.Equal(t, "y := ", head)
	assert.Equal(t, []string{"tensor.Ones("}, comps)
	assert.Equal(t, "", tail)
}

func TestIncomplete(t *testing.T) {
	for src, want := range map[string]bool{
		"x := 1":                false,
		"func f() {":            true,
		"f(1,":                  true,
		"s := `raw":             true,
		"a := []int{1, 2}":      false,
		"if x {\n} else {":      true,
		"/* comment":            true,
		"x := 1 +":              true,
		"fmt.Println(\"{\")":    false,
		"m := map[string]int{}": false,
	} {
		assert.Equal(t, want, incomplete(src), "%q", src)
	}
}

func TestInputErrorsAfterLoadNameTheInput(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.go")
	require.NoError(t, os.WriteFile(lib, []byte("package main\n\nfunc one() int { return 1 }\n"), 0o644))
	out, _ := session(t, ":load "+lib+"\nx := one() + nosuch\n")
	assert.Contains(t, out, "error: input:1:14: undefined: nosuch")
}

func TestSessionPrintsOnlySingleValues(t *testing.T) {
	out, _ := session(t, "x := tensor.Ones(2).SetRequiresGrad(true)\ny := x.Sum()\ny.Backward()\nfmt.Println(\"hello\")\nx.Grad()\nfmt.Sprint(7)\n")
	assert.Equal(t, 1, strings.Count(out, "tensor("), "only x.Grad() prints a tensor:\n%s", out)
	assert.Contains(t, out, "tensor([1.0000, 1.0000], shape=[2], dtype=f32)")
	assert.Contains(t, out, ">>> hello\n>>> ", "fmt.Println's byte count is not printed")
	assert.Contains(t, out, `"7"`)
}
