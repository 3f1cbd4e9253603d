package plugins

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/repl"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
	"github.com/pretrain-go/pretrain/sdk/train"
)

func TestSandboxRefusesPrivilegedImports(t *testing.T) {
	for _, c := range []struct{ dir, imp, perm string }{
		{"uses-exec", "os/exec", repl.PermExec},
		{"uses-net", "net", repl.PermNetwork},
		{"uses-unsafe", "unsafe", repl.PermUnsafe},
		{"uses-syscall", "syscall", repl.PermUnsafe},
	} {
		t.Run(c.dir, func(t *testing.T) {
			_, err := Load("testdata/"+c.dir, Options{})
			require.Error(t, err)
			var se *repl.SandboxError
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, c.imp, se.Import)
			assert.Equal(t, c.perm, se.Permission)
			msg := err.Error()
			assert.Contains(t, msg, fmt.Sprintf("plugin %q", c.dir))
			assert.Contains(t, msg, fmt.Sprintf("import %q needs permission %q", c.imp, c.perm))
			assert.Regexp(t, regexp.MustCompile(`testdata/`+c.dir+`/objective\.go:\d+:\d+`), msg)
		})
	}
}

func TestPermissionMustBeDeclaredAndGranted(t *testing.T) {
	// Declared in the manifest but not granted by the user.
	_, err := Load("testdata/uses-file", Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `asks for permission "file"`)
	assert.Contains(t, err.Error(), "--allow file")

	// Granted: the plugin loads and its objective works.
	p, err := Load("testdata/uses-file", Options{Allow: []string{repl.PermFile}})
	require.NoError(t, err)
	obj, err := p.NewObjective("uses-file", task.Config{})
	require.NoError(t, err)
	assert.Equal(t, float32(2), obj.Loss(nil).Item())

	// Granting a permission the manifest does not declare does not widen
	// the sandbox: exec stays refused.
	_, err = Load("testdata/uses-exec", Options{Allow: []string{repl.PermExec}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `needs permission "exec"`)
}

// lossOf calls Loss and returns what it panicked with.
func lossOf(obj task.Objective) (v any) {
	defer func() { v = recover() }()
	obj.Loss(&data.Batch{})
	return nil
}

func TestPanicIsContained(t *testing.T) {
	p, err := Load("testdata/panics", Options{})
	require.NoError(t, err)
	obj, err := p.NewObjective("panics", task.Config{})
	require.NoError(t, err)
	r := lossOf(obj)
	require.NotNil(t, r, "Loss must fail")
	err, ok := r.(error)
	require.True(t, ok, "the panic value is an error the Trainer can recover: %v", r)
	var pe *Error
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "panics", pe.Plugin)
	assert.Equal(t, "Loss", pe.Call)
	assert.Regexp(t, `testdata/panics/objective\.go:13:11$`, pe.Pos, "the position of w.MatMul")
	var shape *tensor.ShapeError
	assert.True(t, errors.As(err, &shape), "the SDK error stays reachable: %v", err)
	assert.Contains(t, err.Error(), `plugin "panics": Loss:`)

	// The interpreter survives a panic: the next call fails the same way.
	assert.NotNil(t, lossOf(obj))

	// Through the compiled training loop: an error, not a crash.
	opt := optim.NewSGD(optim.Groups(obj.Module().NamedParameters(), 0.1, 0), optim.SGDConfig{})
	_, err = train.New(obj, opt, data.LoaderConfig{
		Open: func(ctx context.Context, epoch int) (data.Reader, error) {
			return data.TextReader([]string{"abc", "def"}), nil
		},
		Encode:    func(s string) []int { return []int{1, 2, 3} },
		BatchSize: 1,
	}, train.Config{Steps: 1}).Run(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "panics": Loss:`)
}

func TestTimeoutDiscardsAndReloads(t *testing.T) {
	p, err := Load("testdata/loops", Options{Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	obj, err := p.NewObjective("loops", task.Config{})
	require.NoError(t, err)
	gen := p.gen
	before := runtime.NumGoroutine()
	start := time.Now()
	r := lossOf(obj)
	require.Less(t, time.Since(start), 5*time.Second)
	err, ok := r.(error)
	require.True(t, ok, "Loss must fail with an error, got %v", r)
	var te *repl.TimeoutError
	require.True(t, errors.As(err, &te), "%v", err)
	var pe *Error
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "loops", pe.Plugin)
	assert.Regexp(t, `testdata/loops/objective\.go:\d+:\d+$`, pe.Pos, "where the hook is defined")
	assert.Contains(t, err.Error(), "did not return within 300ms")
	// Stopping the interpreter ends the runaway loop too: no goroutine
	// keeps burning a core.
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "the looping call's goroutine must end")

	// The plugin was reloaded in a new interpreter; the old objective is dead.
	assert.Equal(t, gen+1, p.gen)
	assert.Contains(t, fmt.Sprint(lossOf(obj)), "discarded after a timeout")
	obj2, err := p.NewObjective("loops", task.Config{})
	require.NoError(t, err, "factories work again after the reload")
	assert.NotNil(t, obj2)
}

func TestGoStatementRefusedUnlessTrusted(t *testing.T) {
	_, err := Load("testdata/spawns", Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "spawns"`)
	assert.Contains(t, err.Error(), "go statements are not allowed")
	assert.Regexp(t, `testdata/spawns/objective\.go:\d+:2`, err.Error())

	_, err = Load("testdata/spawns", Options{Trusted: true})
	require.NoError(t, err, "trusted plugins may start goroutines")
}
