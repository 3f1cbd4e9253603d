package plugins

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/pretrain-go/pretrain/repl"
	"github.com/pretrain-go/pretrain/repl/isolate"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Adaptive call bounds, used when neither Options.Timeout nor the
// manifest sets one: until a hook has returned AdaptiveWarmup times, a call
// may take FirstCallTimeout (the first calls include compiling the
// plugin's code paths); after that, TimeoutMultiple times the median of
// its recent durations, but never less than MinTimeout. An endless loop in
// a Loss that normally takes 30 ms is thus stopped after MinTimeout, not
// minutes later.
const (
	FirstCallTimeout = time.Minute
	AdaptiveWarmup   = 3
	TimeoutMultiple  = 20
	MinTimeout       = 5 * time.Second
)

// DefaultMemoryMB is the budget, in MB, for SDK tensors a plugin makes
// (repl.Policy.MemoryLimit) when neither Options.MemoryLimit nor the
// manifest sets one.
const DefaultMemoryMB = 4096

// Options configure loading.
type Options struct {
	// Allow lists the permissions the user grants (repl.PermFile, ...). A
	// plugin whose manifest asks for a permission not granted is refused.
	Allow []string
	// Trusted allows go statements in the plugin's code.
	Trusted bool
	// Timeout bounds each call into the plugin (a factory, one Loss, one
	// Collate); 0 means the manifest's timeout, or else an adaptive bound
	// (FirstCallTimeout, then TimeoutMultiple × the median call time, at
	// least MinTimeout); negative means no bound.
	Timeout time.Duration
	// MemoryLimit is the plugin's budget in bytes for tensors made through
	// SDK constructors (repl.Policy.MemoryLimit); 0 means the manifest's
	// memory_mb or DefaultMemoryMB, negative means no budget.
	MemoryLimit int64
	// Stdout, Stderr and Env are the plugin's; nil discards, nil Env is
	// empty.
	Stdout, Stderr io.Writer
	Env            []string
}

// memoryLimit is the budget for plugin m.
func (o Options) memoryLimit(m *Manifest) int64 {
	switch {
	case o.MemoryLimit < 0:
		return 0
	case o.MemoryLimit > 0:
		return o.MemoryLimit
	case m.Memory > 0:
		return m.Memory << 20
	}
	return DefaultMemoryMB << 20
}

// timings keeps the recent durations of one hook's calls.
type timings struct {
	n     int
	last  [32]time.Duration
	limit time.Duration // the bound, recomputed by add
}

func (t *timings) add(d time.Duration) {
	t.last[t.n%len(t.last)] = d
	t.n++
	// The median moves slowly: recompute it on every 8th call (and when
	// warm-up ends), so the guard stays cheap.
	if t.n == AdaptiveWarmup || t.n%8 == 0 {
		t.limit = t.compute()
	}
}

// bound is the adaptive timeout of the next call.
func (t *timings) bound() time.Duration {
	if t == nil || t.n < AdaptiveWarmup {
		return FirstCallTimeout
	}
	return t.limit
}

// compute is TimeoutMultiple × the median of the recent durations, at
// least MinTimeout (an insertion sort on a copy: no allocation).
func (t *timings) compute() time.Duration {
	k := t.n
	if k > len(t.last) {
		k = len(t.last)
	}
	var d [len(t.last)]time.Duration
	copy(d[:], t.last[:k])
	for i := 1; i < k; i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
	b := TimeoutMultiple * d[k/2]
	if b < MinTimeout {
		b = MinTimeout
	}
	return b
}

// Timeout is the bound the next call of hook gets (0: none): the
// Options.Timeout, else the manifest's, else the adaptive one.
func (p *Plugin) Timeout(hook string) time.Duration {
	switch {
	case p.opts.Timeout < 0:
		return 0
	case p.opts.Timeout > 0:
		return p.opts.Timeout
	case p.manifestTimeout > 0:
		return p.manifestTimeout
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.times[hook].bound()
}

// Error is a plugin failure: refused by the sandbox, failed to compile,
// panicked or timed out. It names the plugin, the call and the position.
type Error struct {
	Plugin string // plugin name (or folder when the manifest is unreadable)
	Call   string // "load", a factory name, "Loss", "Collate", "Predict"
	Pos    string // file:line:col in the plugin's sources, "" if unknown
	Err    error
}

// Error names the plugin, the call, the position and the failure.
func (e *Error) Error() string {
	msg := e.Err.Error()
	var re *repl.Error
	var se *repl.SandboxError
	if e.Pos != "" && !errors.As(e.Err, &re) && !errors.As(e.Err, &se) {
		msg = e.Pos + ": " + msg
	}
	return fmt.Sprintf("plugin %q: %s: %s", e.Plugin, e.Call, msg)
}

// Unwrap returns the underlying error (*repl.SandboxError, *repl.Error,
// *repl.TimeoutError, ...).
func (e *Error) Unwrap() error { return e.Err }

// Plugin is a loaded plugin: its manifest and the interpreter holding its
// code. Objectives and heads it builds route every call through a guard
// that turns panics and timeouts into *Error.
type Plugin struct {
	Manifest *Manifest
	Dir      string

	opts Options
	mu   sync.Mutex
	in   *repl.Interpreter
	gen  int // bumped on each reload; values from older generations are dead
	fact map[string]reflect.Value

	times map[string]*timings // call durations per hook, for the adaptive timeout
	pos   map[string]string   // hookPos per hook, cached
	names map[string]string   // callName per hook, cached

	manifestTimeout time.Duration // Manifest.CallTimeout, parsed once
}

// String names the plugin and its folder.
func (p *Plugin) String() string {
	return fmt.Sprintf("Plugin(%s %s at %s)", p.Manifest.Name, p.Manifest.Version, p.Dir)
}

// Load reads a plugin folder, checks its manifest and sources against the
// sandbox, and compiles it in a fresh interpreter.
func Load(dir string, opts Options) (*Plugin, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(abs)
	if err != nil {
		return nil, &Error{Plugin: filepath.Base(abs), Call: "load", Err: err}
	}
	if ok, _ := MatchRange(m.SDK, SDKVersion); !ok {
		return nil, &Error{Plugin: m.Name, Call: "load", Err: fmt.Errorf("needs SDK %s, this is SDK %s", m.SDK, SDKVersion)}
	}
	for _, perm := range m.Permissions {
		if !contains(opts.Allow, perm) {
			return nil, &Error{Plugin: m.Name, Call: "load",
				Err: fmt.Errorf("asks for permission %q; grant it with --allow %s if you trust it", perm, perm)}
		}
	}
	p := &Plugin{Manifest: m, Dir: abs, opts: opts, manifestTimeout: m.CallTimeout()}
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := p.load(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plugin) policy() repl.Policy {
	return repl.Policy{Allow: p.Manifest.Permissions, Goroutines: p.opts.Trusted, MemoryLimit: p.opts.memoryLimit(p.Manifest)}
}

// check applies the sandbox to every Go file under the plugin's folder
// (all sub-folders, vendored dependencies included: the interpreter can
// import any of them) before the interpreter sees any of them.
func (p *Plugin) check() error {
	err := p.policy().CheckTree(p.Dir, map[string]string{p.Manifest.Import: p.Dir})
	if err == nil {
		return nil
	}
	var se *repl.SandboxError
	pos := ""
	if errors.As(err, &se) {
		pos = se.Pos
	}
	return &Error{Plugin: p.Manifest.Name, Call: "load", Pos: pos, Err: err}
}

// entryName is the identifier the entry package is imported as.
const entryName = "pluginentry"

// load compiles the plugin in a new interpreter and looks up its factories.
func (p *Plugin) load() error {
	in, err := repl.New(repl.Options{
		Stdout:  p.opts.Stdout,
		Stderr:  p.opts.Stderr,
		Env:     p.opts.Env,
		Args:    []string{p.Manifest.Name},
		Policy:  p.policy(),
		Sources: map[string]string{p.Manifest.Import: p.Dir},
	})
	if err != nil {
		return &Error{Plugin: p.Manifest.Name, Call: "load", Err: err}
	}
	ctx := context.Background()
	if _, err := in.Eval(ctx, fmt.Sprintf("import %s %q", entryName, p.Manifest.EntryImport())); err != nil {
		return p.wrap("load", err)
	}
	fact := map[string]reflect.Value{}
	check := func(list []Provided, want reflect.Type, kind string) error {
		for _, pr := range list {
			v, err := in.Eval(ctx, entryName+"."+pr.Factory)
			if err != nil {
				return p.wrap("load", fmt.Errorf("%s %s: factory %s: %w", kind, pr.Name, pr.Factory, err))
			}
			if !v.IsValid() || !v.Type().ConvertibleTo(want) {
				got := "nothing"
				if v.IsValid() {
					got = v.Type().String()
				}
				return p.wrap("load", fmt.Errorf("%s %s: factory %s has type %s, want %s", kind, pr.Name, pr.Factory, got, want))
			}
			fact[kind+":"+pr.Name] = v.Convert(want)
		}
		return nil
	}
	if err := check(p.Manifest.Objectives, reflect.TypeOf(task.ObjectiveFactory(nil)), KindObjective); err != nil {
		return err
	}
	if err := check(p.Manifest.Heads, reflect.TypeOf(task.HeadFactory(nil)), KindHead); err != nil {
		return err
	}
	p.in, p.fact = in, fact
	p.gen++
	return nil
}

// wrap turns an interpreter error into an *Error naming the plugin.
func (p *Plugin) wrap(call string, err error) error {
	e := &Error{Plugin: p.Manifest.Name, Call: call, Err: err}
	var re *repl.Error
	if errors.As(err, &re) {
		e.Pos = re.Pos
	}
	return e
}

// Register adds the plugin's objectives and heads to r under the names in
// its manifest.
func (p *Plugin) Register(r *task.Registry) error {
	for _, pr := range p.Manifest.Objectives {
		name := pr.Name
		if err := r.RegisterObjective(name, pr.Doc, func(cfg task.Config) (task.Objective, error) {
			return p.NewObjective(name, cfg)
		}); err != nil {
			return &Error{Plugin: p.Manifest.Name, Call: "register", Err: err}
		}
	}
	for _, pr := range p.Manifest.Heads {
		name := pr.Name
		if err := r.RegisterHead(name, pr.Doc, func(bb task.Backbone, cfg task.Config) (task.Head, error) {
			return p.NewHead(name, bb, cfg)
		}); err != nil {
			return &Error{Plugin: p.Manifest.Name, Call: "register", Err: err}
		}
	}
	return nil
}

// LoadAll loads every plugin folder and registers it into r; the first
// failure stops it.
func LoadAll(dirs []string, opts Options, r *task.Registry) ([]*Plugin, error) {
	var out []*Plugin
	for _, d := range dirs {
		p, err := Load(d, opts)
		if err != nil {
			return out, err
		}
		if err := p.Register(r); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// call runs fn, a call into the plugin's code, under the guard. A timeout
// discards the interpreter and reloads the plugin; values built by the old
// interpreter then fail with an error.
func (p *Plugin) call(gen int, hook string, fn func()) error {
	p.mu.Lock()
	in, cur := p.in, p.gen
	p.mu.Unlock()
	if gen != cur {
		return &Error{Plugin: p.Manifest.Name, Call: hook, Err: errors.New("this value belongs to an interpreter discarded after a timeout; build it again")}
	}
	isolate.Enter(p.callName(hook), p.cachedHookPos(hook))
	start := time.Now()
	err := in.Call(context.Background(), p.Timeout(hook), hook, fn)
	isolate.Leave()
	if err == nil {
		p.mu.Lock()
		if p.times == nil {
			p.times = map[string]*timings{}
		}
		t := p.times[hook]
		if t == nil {
			t = &timings{}
			p.times[hook] = t
		}
		t.add(time.Since(start))
		p.mu.Unlock()
		return nil
	}
	var te *repl.TimeoutError
	if errors.As(err, &te) {
		e := &Error{Plugin: p.Manifest.Name, Call: hook, Pos: p.cachedHookPos(hook), Err: err}
		p.mu.Lock()
		if p.gen == cur {
			if rerr := p.load(); rerr != nil {
				e.Err = fmt.Errorf("%w; reloading failed: %v", err, rerr)
			}
		}
		p.mu.Unlock()
		return e
	}
	return p.wrap(hook, err)
}

// callName names a call for isolate.Enter, built once per hook.
func (p *Plugin) callName(hook string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.names[hook]; ok {
		return s
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	s := fmt.Sprintf("plugin %q: %s", p.Manifest.Name, hook)
	p.names[hook] = s
	return s
}

// cachedHookPos is hookPos, computed once per hook.
func (p *Plugin) cachedHookPos(hook string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pos, ok := p.pos[hook]; ok {
		return pos
	}
	if p.pos == nil {
		p.pos = map[string]string{}
	}
	pos := p.hookPos(hook)
	p.pos[hook] = pos
	return pos
}

// hookPos finds where the plugin defines a hook, for errors without a
// runtime position (timeouts): a LossFunc-style field value or a method.
func (p *Plugin) hookPos(hook string) string {
	var pos string
	_ = filepath.WalkDir(p.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || pos != "" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if path != p.Dir && (d.Name() == "vendor" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if pos != "" {
				return false
			}
			switch x := n.(type) {
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && (id.Name == hook+"Func" || id.Name == hook) {
					pos = fset.Position(x.Value.Pos()).String()
				}
			case *ast.FuncDecl:
				if x.Recv != nil && x.Name.Name == hook || x.Recv == nil && x.Name.Name == hook {
					pos = fset.Position(x.Name.Pos()).String()
				}
			}
			return pos == ""
		})
		return nil
	})
	return pos
}

// NewObjective builds the plugin objective registered under name.
func (p *Plugin) NewObjective(name string, cfg task.Config) (task.Objective, error) {
	p.mu.Lock()
	f, ok := p.fact[KindObjective+":"+name]
	gen := p.gen
	p.mu.Unlock()
	if !ok {
		return nil, &Error{Plugin: p.Manifest.Name, Call: "NewObjective", Err: fmt.Errorf("no objective %q", name)}
	}
	factory := f.Interface().(task.ObjectiveFactory)
	var obj task.Objective
	var ferr error
	if err := p.call(gen, factoryName(p.Manifest.Objectives, name), func() { obj, ferr = factory(cfg) }); err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, &Error{Plugin: p.Manifest.Name, Call: factoryName(p.Manifest.Objectives, name), Err: ferr}
	}
	if obj == nil {
		return nil, &Error{Plugin: p.Manifest.Name, Call: factoryName(p.Manifest.Objectives, name), Err: errors.New("factory returned a nil objective")}
	}
	return &objective{p: p, gen: gen, inner: obj}, nil
}

// NewHead builds the plugin head registered under name over backbone.
func (p *Plugin) NewHead(name string, backbone task.Backbone, cfg task.Config) (task.Head, error) {
	p.mu.Lock()
	f, ok := p.fact[KindHead+":"+name]
	gen := p.gen
	p.mu.Unlock()
	if !ok {
		return nil, &Error{Plugin: p.Manifest.Name, Call: "NewHead", Err: fmt.Errorf("no head %q", name)}
	}
	factory := f.Interface().(task.HeadFactory)
	var h task.Head
	var ferr error
	if err := p.call(gen, factoryName(p.Manifest.Heads, name), func() { h, ferr = factory(backbone, cfg) }); err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, &Error{Plugin: p.Manifest.Name, Call: factoryName(p.Manifest.Heads, name), Err: ferr}
	}
	if h == nil {
		return nil, &Error{Plugin: p.Manifest.Name, Call: factoryName(p.Manifest.Heads, name), Err: errors.New("factory returned a nil head")}
	}
	return &head{p: p, gen: gen, inner: h}, nil
}

func factoryName(list []Provided, name string) string {
	for _, pr := range list {
		if pr.Name == name {
			return pr.Factory
		}
	}
	return name
}

// objective guards a plugin objective. Loss has no error result, so a
// failure panics with the *Error (an error value, which the Trainer and
// every other boundary recover); Collate returns it.
type objective struct {
	p     *Plugin
	gen   int
	inner task.Objective
}

func (o *objective) Name() string      { return o.inner.Name() }
func (o *objective) Module() nn.Module { return o.inner.Module() }
func (o *objective) String() string    { return fmt.Sprintf("%v from %v", o.inner, o.p) }

func (o *objective) Collator() data.Collator {
	c := o.inner.Collator()
	if c == nil || isSDKValue(c) {
		return c // compiled SDK code needs no guard
	}
	return &collator{p: o.p, gen: o.gen, inner: c}
}

func (o *objective) Loss(b *data.Batch) *tensor.Tensor {
	var out *tensor.Tensor
	if err := o.p.call(o.gen, "Loss", func() { out = o.inner.Loss(b) }); err != nil {
		panic(err)
	}
	return out
}

// Unwrap returns the plugin's own objective.
func (o *objective) Unwrap() task.Objective { return o.inner }

type head struct {
	p     *Plugin
	gen   int
	inner task.Head
}

func (h *head) Name() string      { return h.inner.Name() }
func (h *head) Module() nn.Module { return h.inner.Module() }
func (h *head) String() string    { return fmt.Sprintf("%v from %v", h.inner, h.p) }

func (h *head) Loss(b *data.Batch) *tensor.Tensor {
	var out *tensor.Tensor
	if err := h.p.call(h.gen, "Loss", func() { out = h.inner.Loss(b) }); err != nil {
		panic(err)
	}
	return out
}

func (h *head) Predict(b *data.Batch) *tensor.Tensor {
	var out *tensor.Tensor
	if err := h.p.call(h.gen, "Predict", func() { out = h.inner.Predict(b) }); err != nil {
		panic(err)
	}
	return out
}

// Unwrap returns the plugin's own head.
func (h *head) Unwrap() task.Head { return h.inner }

type collator struct {
	p     *Plugin
	gen   int
	inner data.Collator
}

func (c *collator) Collate(seqs [][]int, rng *data.RNG) (b *data.Batch, err error) {
	if cerr := c.p.call(c.gen, "Collate", func() { b, err = c.inner.Collate(seqs, rng) }); cerr != nil {
		return nil, cerr
	}
	return b, err
}

func (c *collator) String() string { return fmt.Sprintf("%v from %v", c.inner, c.p) }

// isSDKValue reports whether v's type is compiled SDK code rather than a
// type defined by interpreted code.
func isSDKValue(v any) bool {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.HasPrefix(t.PkgPath(), "github.com/pretrain-go/pretrain/sdk/")
}
