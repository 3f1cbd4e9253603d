package repl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryBudgetRefusesBigTensors(t *testing.T) {
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out, Stderr: &out, Preimport: true, Policy: Policy{MemoryLimit: 1 << 20}})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = in.Eval(ctx, "a := tensor.Zeros(64, 64)") // 16 KB: fine
	require.NoError(t, err)
	for _, src := range []string{
		"tensor.Zeros(1024, 1024)", "tensor.Ones(1<<20)", "tensor.Full(2, 512, 1024)",
		"tensor.Randn(tensor.NewRNG(1), 1<<30, 1<<30)", "tensor.Uniform(tensor.NewRNG(1), 0, 1, 1<<19)",
		"tensor.Arange(0, 1<<20, 1)", "nn.NewLinear(1024, 1024, true, tensor.NewRNG(1))",
		"nn.NewEmbedding(1<<20, 64, tensor.NewRNG(1))",
	} {
		_, err = in.Eval(ctx, src)
		require.Error(t, err, src)
		var me *MemoryError
		require.True(t, errors.As(err, &me), "%s: %v", src, err)
		assert.Equal(t, int64(1<<20), me.Limit)
		assert.Contains(t, err.Error(), "input:1:", src)
		assert.Contains(t, err.Error(), "would exceed the memory budget of 1.0 MB", src)
	}
}

// TestMemoryBudgetFollowsLiveTensors: tensors that are garbage give their
// bytes back, so a loop making many small tensors under a small budget
// runs, while holding them all does not.
func TestMemoryBudgetFollowsLiveTensors(t *testing.T) {
	in, err := New(Options{Preimport: true, Policy: Policy{MemoryLimit: 1 << 20}})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = in.Eval(ctx, "for i := 0; i < 64; i++ { _ = tensor.Zeros(256, 256) }") // 64 × 256 KB made, 256 KB live
	require.NoError(t, err)
	_, err = in.Eval(ctx, "var keep []*tensor.Tensor")
	require.NoError(t, err)
	_, err = in.Eval(ctx, "for i := 0; i < 64; i++ { keep = append(keep, tensor.Zeros(256, 256)) }")
	var me *MemoryError
	require.True(t, errors.As(err, &me), "%v", err)
}

// TestCheckTreeSeesEverySubfolder: a script folder's sub-packages are
// importable, so a go statement in any of them (even in folders Go
// tooling skips) is refused with its position before anything runs.
func TestCheckTreeSeesEverySubfolder(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"_hidden", "testdata/x", ".dot"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, sub), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
		f := filepath.Join(dir, sub, "x.go")
		require.NoError(t, os.WriteFile(f, []byte("package x\n\nfunc F() {\n\tgo F()\n}\n"), 0o644))
		in, err := New(Options{})
		require.NoError(t, err)
		err = in.RunPath(context.Background(), dir)
		var se *SandboxError
		require.True(t, errors.As(err, &se), "%s: %v", sub, err)
		assert.Equal(t, f+":4:2", se.Pos)
		require.NoError(t, os.RemoveAll(filepath.Join(dir, sub)))
	}
}
