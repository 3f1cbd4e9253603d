package repl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func newSDK(t *testing.T, out *bytes.Buffer) *Interpreter {
	t.Helper()
	in, err := New(Options{Stdout: out, Stderr: out, Preimport: true})
	require.NoError(t, err)
	return in
}

func TestEvalPrintsTensors(t *testing.T) {
	in := newSDK(t, &bytes.Buffer{})
	v, err := in.Eval(context.Background(), "tensor.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2).Sum(1)")
	require.NoError(t, err)
	s := Format(v)
	assert.Contains(t, s, "3.0000")
	assert.Contains(t, s, "7.0000")
	assert.Contains(t, s, "shape=[2]")
	assert.Contains(t, s, "dtype=f32")
	v, err = in.Eval(context.Background(), "6 * 7")
	require.NoError(t, err)
	assert.Equal(t, "42", Format(v))
}

func TestShapeErrorHasInputPosition(t *testing.T) {
	in := newSDK(t, &bytes.Buffer{})
	_, err := in.Eval(context.Background(), "x := 1\ny := tensor.Ones(2,3).MatMul(tensor.Ones(4,4))")
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e), "%T %v", err, err)
	assert.Equal(t, "input:2:23", e.Pos, "the MatMul call on line 2")
	var se *tensor.ShapeError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, "MatMul", se.Op)
	assert.Contains(t, err.Error(), "inner dimensions differ")

	// The session survives and keeps its state.
	v, err := in.Eval(context.Background(), "x + 1")
	require.NoError(t, err)
	assert.Equal(t, "2", Format(v))
}

func TestRunFileReportsPanicPosition(t *testing.T) {
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out, Stderr: &out})
	require.NoError(t, err)
	err = in.RunPath(context.Background(), "testdata/shape.go")
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, "testdata/shape.go:13:11", relPos(t, e.Pos), "a.MatMul(b) on line 13")
	assert.Contains(t, out.String(), "about to multiply", "output before the panic is kept")
	assert.NotContains(t, out.String(), "panic:", "yaegi's unwinding lines are folded into the error")
}

func relPos(t *testing.T, pos string) string {
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, pos)
	if err != nil {
		return pos
	}
	return rel
}

func TestRunFolderArgsEnvExit(t *testing.T) {
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out, Env: []string{"GREETING=hi"}, Args: []string{"multi", "a", "b"}})
	require.NoError(t, err)
	require.NoError(t, in.RunPath(context.Background(), "testdata/multi"))
	assert.Equal(t, "args [a b] answer 42 env hi home true\n", out.String(), "only Options.Env is visible")

	in, err = New(Options{Stdout: &out, Args: []string{"multi", "fail"}})
	require.NoError(t, err)
	err = in.RunPath(context.Background(), "testdata/multi")
	var ex *ExitError
	require.True(t, errors.As(err, &ex), "%v", err)
	assert.Equal(t, 3, ex.Code)
}

func TestCompileErrorPositionAndDialectHint(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.go")
	require.NoError(t, os.WriteFile(f, []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(undefinedThing)\n}\n"), 0o644))
	in, err := New(Options{})
	require.NoError(t, err)
	err = in.RunPath(context.Background(), f)
	var e *Error
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, f+":6:14", e.Pos)
	assert.Contains(t, e.Msg, "undefined: undefinedThing")
	assert.Empty(t, e.Hint)

	require.NoError(t, os.WriteFile(f, []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(min(1, 2))\n}\n"), 0o644))
	in, _ = New(Options{})
	err = in.RunPath(context.Background(), f)
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Contains(t, e.Hint, "docs/scripting.md", "constructs outside the dialect point to the docs")

	in, _ = New(Options{})
	_, err = in.Eval(context.Background(), "for i := range 3 { _ = i }")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "docs/scripting.md")
}

func TestScriptSandbox(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "exec.go")
	require.NoError(t, os.WriteFile(f, []byte("package main\n\nimport \"os/exec\"\n\nfunc main() { _ = exec.Command }\n"), 0o644))
	in, err := New(Options{})
	require.NoError(t, err)
	err = in.RunPath(context.Background(), f)
	var se *SandboxError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, "os/exec", se.Import)
	assert.Equal(t, PermExec, se.Permission)
	assert.Equal(t, f+":3:8", se.Pos)

	// Granted, the import works.
	in, err = New(Options{Policy: Policy{Allow: []string{PermExec}}})
	require.NoError(t, err)
	require.NoError(t, in.RunPath(context.Background(), f))

	// The restricted os has no file access without the permission.
	in, _ = New(Options{})
	_, err = in.Eval(context.Background(), "import \"os\"\nos.ReadFile(\"/etc/hostname\")")
	require.Error(t, err)

	_, err = New(Options{Policy: Policy{Allow: []string{"everything"}}})
	require.Error(t, err, "unknown permissions are refused")
}

func TestCancelStopsStatementAndKeepsSession(t *testing.T) {
	in := newSDK(t, &bytes.Buffer{})
	_, err := in.Eval(context.Background(), "n := 5")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = in.Eval(ctx, "for { n++ }")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	v, err := in.Eval(context.Background(), "n > 5")
	require.NoError(t, err)
	assert.Equal(t, "true", Format(v))
}

func TestCallRecoversAndTimesOut(t *testing.T) {
	in, err := New(Options{})
	require.NoError(t, err)
	_, err = in.Eval(context.Background(), "func boom() { var s []int; _ = s[3] }\nfunc spin() { for {} }")
	require.NoError(t, err)
	boom, err := in.Eval(context.Background(), "boom")
	require.NoError(t, err)
	err = in.Call(context.Background(), 0, "boom", boom.Interface().(func()))
	var e *Error
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Contains(t, e.Msg, "index out of range")

	spin, err := in.Eval(context.Background(), "spin")
	require.NoError(t, err)
	err = in.Call(context.Background(), 50*time.Millisecond, "spin", spin.Interface().(func()))
	var te *TimeoutError
	require.True(t, errors.As(err, &te), "%v", err)
	_, err = in.Eval(context.Background(), "1")
	require.ErrorIs(t, err, ErrDiscarded)
}

func TestFormatScriptStructWithEmbeddedSDKType(t *testing.T) {
	// fmt on such a value crashes the Go runtime (reflect.StructOf with an
	// embedded pointer that has methods); Format must not.
	in := newSDK(t, &bytes.Buffer{})
	_, err := in.Eval(context.Background(), "type M struct { *nn.Base }\nfunc (m *M) Hello() string { return \"hi\" }")
	require.NoError(t, err)
	v, err := in.Eval(context.Background(), "&M{nn.NewBase()}")
	require.NoError(t, err)
	assert.Contains(t, Format(v), "Module(0 params")
}

func TestFlagPackageParsesScriptArgs(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "flags.go")
	require.NoError(t, os.WriteFile(f, []byte("package main\n\nimport (\n\t\"flag\"\n\t\"fmt\"\n)\n\nfunc main() {\n\tn := flag.Int(\"n\", 1, \"count\")\n\tflag.Parse()\n\tfmt.Println(*n, flag.Args())\n}\n"), 0o644))
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out, Args: []string{"flags.go", "-n", "5", "rest"}})
	require.NoError(t, err)
	require.NoError(t, in.RunPath(context.Background(), f))
	assert.Equal(t, "5 [rest]\n", out.String(), "flag reads the script's arguments, not the host's")

	in, err = New(Options{Args: []string{"flags.go", "-bad"}})
	require.NoError(t, err)
	var ex *ExitError
	require.True(t, errors.As(in.RunPath(context.Background(), f), &ex))
	assert.Equal(t, 2, ex.Code)
}

func TestRunContextReachesScripts(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "wait.go")
	require.NoError(t, os.WriteFile(f, []byte("package main\n\nimport (\n\t\"context\"\n\t\"fmt\"\n)\n\nfunc main() {\n\tctx := context.Background()\n\t<-ctx.Done()\n\tfmt.Println(\"stopped:\", ctx.Err())\n}\n"), 0o644))
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.NoError(t, in.RunPath(ctx, f), "the script ends by itself when its context is cancelled")
	assert.Less(t, time.Since(start), cancelGrace, "no need to stop it by force")
	assert.Equal(t, "stopped: context deadline exceeded\n", out.String())

	// Outside a run, context.Background is never cancelled.
	in, err = New(Options{})
	require.NoError(t, err)
	_, err = in.Eval(context.Background(), "import \"context\"")
	require.NoError(t, err)
	v, err := in.Eval(context.Background(), "context.Background().Err() == nil")
	require.NoError(t, err)
	assert.Equal(t, "true", Format(v))
}
