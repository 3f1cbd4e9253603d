package plugins

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/repl"
	"github.com/pretrain-go/pretrain/sdk/task"
)

// The attacks that need a child process (raw memory bombs, recursion, a
// panic in a goroutine) are tested through the CLI in cmd/pretrain
// (TestAttackPluginsCannotKillTheHost); these run in this process.

func TestGoStatementInSkippedFolderIsRefused(t *testing.T) {
	_, err := Load("testdata/attacks/gosub", Options{})
	var se *repl.SandboxError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Regexp(t, regexp.MustCompile(`testdata/attacks/gosub/_spawn/spawn\.go:6:2$`), se.Pos)
	assert.Contains(t, err.Error(), `plugin "gosub": load:`)
}

func TestTensorBombHitsTheBudget(t *testing.T) {
	p, err := Load("testdata/attacks/tensorbomb", Options{MemoryLimit: 64 << 20})
	require.NoError(t, err)
	obj, err := p.NewObjective("tensorbomb", task.Config{})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.Nil(t, lossOf(obj), "call %d behaves", i+1)
	}
	r := lossOf(obj)
	err, ok := r.(error)
	require.True(t, ok, "Loss must panic with an error, got %v", r)
	var me *repl.MemoryError
	require.True(t, errors.As(err, &me), "%v", err)
	assert.Equal(t, int64(64<<20), me.Limit)
	assert.Equal(t, int64(64)<<30, me.Bytes)
	assert.Regexp(t, regexp.MustCompile(`^plugin "tensorbomb": Loss: \S*testdata/attacks/tensorbomb/objective\.go:22:\d+: panic: tensor\.Zeros`), err.Error())
	// The interpreter survives the refusal: a new objective works.
	obj, err = p.NewObjective("tensorbomb", task.Config{})
	require.NoError(t, err)
	require.Nil(t, lossOf(obj))
}

func TestMemoryLimitPrecedence(t *testing.T) {
	m := &Manifest{Memory: 100}
	assert.Equal(t, int64(7), Options{MemoryLimit: 7}.memoryLimit(m))
	assert.Equal(t, int64(100<<20), Options{}.memoryLimit(m))
	assert.Equal(t, int64(DefaultMemoryMB<<20), Options{}.memoryLimit(&Manifest{}))
	assert.Equal(t, int64(0), Options{MemoryLimit: -1}.memoryLimit(m))
}

func TestAdaptiveTimeout(t *testing.T) {
	var tm *timings
	assert.Equal(t, FirstCallTimeout, tm.bound(), "no calls yet")
	tm = &timings{}
	for i := 0; i < AdaptiveWarmup-1; i++ {
		tm.add(time.Millisecond)
	}
	assert.Equal(t, FirstCallTimeout, tm.bound(), "still warming up")
	tm.add(time.Millisecond)
	assert.Equal(t, MinTimeout, tm.bound(), "fast calls get the floor")
	for i := 0; i < 40; i++ {
		tm.add(time.Second)
	}
	assert.Equal(t, TimeoutMultiple*time.Second, tm.bound(), "a multiple of the median")
}

// TestManifestTimeout: the manifest's timeout bounds the endless Loss
// (after three good calls), and the user's Options.Timeout wins over it.
func TestManifestTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "endless")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, f := range []string{"objective.go", "plugin.json"} {
		b, err := os.ReadFile(filepath.Join("testdata/attacks/endless", f))
		require.NoError(t, err)
		if f == "plugin.json" {
			b = []byte(strings.Replace(string(b), `"kinds"`, `"timeout": "300ms", "kinds"`, 1))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	p, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, 300*time.Millisecond, p.Timeout("Loss"))
	q, err := Load(dir, Options{Timeout: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, q.Timeout("Loss"), "the user's bound wins")

	obj, err := p.NewObjective("endless", task.Config{})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.Nil(t, lossOf(obj))
	}
	t0 := time.Now()
	r := lossOf(obj)
	err, _ = r.(error)
	var te *repl.TimeoutError
	require.True(t, errors.As(err, &te), "%v", r)
	assert.Equal(t, 300*time.Millisecond, te.Timeout)
	assert.Less(t, time.Since(t0), 5*time.Second)
	assert.Regexp(t, regexp.MustCompile(`plugin "endless": Loss: \S*endless/objective\.go:\d+:\d+: Loss did not return within 300ms`), err.Error())
}

func TestManifestRejectsBadTimeout(t *testing.T) {
	for _, bad := range []string{`"timeout": "soon"`, `"timeout": "-1s"`, `"memory_mb": -5`} {
		src := `{"name": "x", "version": "0.1.0", "sdk": ">=0.1.0", "import": "example.com/x", "entry": ".", "kinds": ["objective"],
			"objectives": [{"name": "x", "factory": "New"}], ` + bad + `}`
		_, err := ParseManifest([]byte(src), "plugin.json")
		require.Error(t, err, bad)
	}
}
