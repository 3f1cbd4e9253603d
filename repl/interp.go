// Package repl hosts the yaegi interpreter for the pretrain SDK: an
// embeddable Interpreter used by the CLI (`pretrain repl`, `pretrain run`),
// by package plugins and by host applications; the interactive REPL; and
// the script runner.
//
// The interpreter's sandbox is exactly the symbol tables it is given (see
// Policy): by default the SDK, builtin/corpus, a whitelisted standard
// library and a restricted os. Every evaluation and every host→script call
// recovers panics, including *tensor.ShapeError from SDK calls, and turns
// them into an *Error that carries the script position.
package repl

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"go/scanner"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traefik/yaegi/interp"

	"github.com/pretrain-go/pretrain/repl/isolate"
	"github.com/pretrain-go/pretrain/repl/symbols"
)

// Options configure an Interpreter. Stdout, Stderr and Env are always set
// for the interpreter (DESIGN.md §5 rule 7): nil writers discard, a nil Env
// is empty, so a script never sees the host's environment by accident.
type Options struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	Env    []string // KEY=VALUE pairs visible to os.Getenv
	Args   []string // os.Args as the script sees it
	Policy Policy   // sandbox
	// Sources maps import paths to folders of Go sources (plugin folders):
	// code in the interpreter may import them, and they may vendor their
	// own dependencies under vendor/.
	Sources map[string]string
	// Preimport imports every SDK package and fmt under their names, as
	// the REPL does.
	Preimport bool
}

// Interpreter is a sandboxed yaegi interpreter. Its methods are safe for
// use by one goroutine at a time; a panic or a timeout never escapes it.
type Interpreter struct {
	opts   Options
	in     *interp.Interpreter
	stderr *panicWriter
	dead   error  // set when a timeout stopped the interpreter; it must be discarded
	input  string // the last REPL input, to resolve its positions
	fs     *sourceFS
	mu     sync.Mutex // guards dead, set from timer goroutines
	intr   sync.Mutex // one interrupt at a time
	runCtx atomic.Pointer[context.Context]
}

func (i *Interpreter) discarded() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.dead
}

// gopath is the virtual GOPATH where Sources are mapped.
const gopath = "/_pretrain"

// New returns an interpreter with the policy's symbol tables loaded.
func New(opts Options) (*Interpreter, error) {
	if err := opts.Policy.validate(); err != nil {
		return nil, err
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Stdin == nil {
		opts.Stdin = strings.NewReader("")
	}
	if opts.Env == nil {
		opts.Env = []string{}
	}
	if opts.Args == nil {
		opts.Args = []string{"script"}
	}
	pw := &panicWriter{w: opts.Stderr}
	sfs := &sourceFS{sources: map[string]string{}}
	for k, v := range opts.Sources {
		sfs.sources[k] = v
	}
	in := interp.New(interp.Options{
		GoPath:               gopath,
		Stdin:                opts.Stdin,
		Stdout:               opts.Stdout,
		Stderr:               pw,
		Env:                  opts.Env,
		Args:                 opts.Args,
		SourcecodeFilesystem: sfs,
	})
	ex := opts.Policy.exports()
	os := ex["os/os"]
	var so, se io.Writer = opts.Stdout, opts.Stderr
	var si io.Reader = opts.Stdin
	os["Stdout"], os["Stderr"], os["Stdin"] = reflect.ValueOf(&so).Elem(), reflect.ValueOf(&se).Elem(), reflect.ValueOf(&si).Elem()
	if err := in.Use(ex); err != nil {
		return nil, fmt.Errorf("repl: loading symbol tables: %w", err)
	}
	if err := in.Use(map[string]map[string]reflect.Value{"flag/flag": flagTable(opts.Args, opts.Stderr)}); err != nil {
		return nil, fmt.Errorf("repl: loading symbol tables: %w", err)
	}
	i := &Interpreter{opts: opts, in: in, stderr: pw, fs: sfs}
	pw.mapPos = func(pos string) string {
		if file, line, col, ok := splitPos(pos); ok {
			return formatPos(i.realPath(file), line, col)
		}
		return pos
	}
	if err := in.Use(map[string]map[string]reflect.Value{"context/context": {
		"Background": reflect.ValueOf(i.background),
		"TODO":       reflect.ValueOf(i.background),
	}}); err != nil {
		return nil, fmt.Errorf("repl: loading symbol tables: %w", err)
	}
	if opts.Preimport {
		var b strings.Builder
		b.WriteString("import \"fmt\"\n")
		for _, p := range SDKPackages() {
			fmt.Fprintf(&b, "import %q\n", p)
		}
		if _, err := i.Eval(context.Background(), b.String()); err != nil {
			return nil, fmt.Errorf("repl: pre-importing the SDK: %w", err)
		}
	}
	return i, nil
}

// restrictedOS is the os package every script gets: the program-shaped
// subset (arguments, environment, standard streams, exit). yaegi binds
// Args and the environment functions to the interpreter's Options.
func restrictedOS() map[string]reflect.Value {
	var w io.Writer
	var r io.Reader
	return map[string]reflect.Value{
		"Args":      reflect.ValueOf(&[]string{}).Elem(),
		"Getenv":    reflect.ValueOf(func(string) string { return "" }),
		"LookupEnv": reflect.ValueOf(func(string) (string, bool) { return "", false }),
		"Environ":   reflect.ValueOf(func() []string { return nil }),
		"ExpandEnv": reflect.ValueOf(func(s string) string { return s }),
		"Stdout":    reflect.ValueOf(&w).Elem(),
		"Stderr":    reflect.ValueOf(&w).Elem(),
		"Stdin":     reflect.ValueOf(&r).Elem(),
		"Exit":      reflect.ValueOf(func(code int) { panic(symbols.Exit{Code: code}) }),
	}
}

// flagTable binds the package-level functions of flag to a flag set of the
// interpreter's own, parsing its Args: the compiled flag package would
// define flags on, and parse, the host's command line.
func flagTable(args []string, stderr io.Writer) map[string]reflect.Value {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	t := map[string]reflect.Value{"CommandLine": reflect.ValueOf(&fs).Elem()}
	for _, name := range []string{"Arg", "Args", "Bool", "BoolFunc", "BoolVar", "Duration", "DurationVar",
		"Float64", "Float64Var", "Func", "Int", "Int64", "Int64Var", "IntVar", "Lookup", "NArg", "NFlag",
		"Parsed", "PrintDefaults", "Set", "String", "StringVar", "TextVar", "Uint", "Uint64", "Uint64Var",
		"UintVar", "Var", "Visit", "VisitAll"} {
		if m := reflect.ValueOf(fs).MethodByName(name); m.IsValid() {
			t[name] = m
		}
	}
	// Parse behaves like flag.ExitOnError: -h exits 0, a bad flag 2.
	t["Parse"] = reflect.ValueOf(func() {
		if err := fs.Parse(args[1:]); err != nil {
			code := 2
			if errors.Is(err, flag.ErrHelp) {
				code = 0
			}
			panic(symbols.Exit{Code: code})
		}
	})
	return t
}

// SDKPackages lists the import paths of the project packages scripts can
// import, sorted.
func SDKPackages() []string {
	var out []string
	for k := range symbols.Symbols {
		ip := k[:strings.LastIndex(k, "/")]
		if strings.HasPrefix(ip, "github.com/pretrain-go/pretrain/") {
			out = append(out, ip)
		}
	}
	sort.Strings(out)
	return out
}

// Error is a failure inside interpreted code: a compile error, a panic
// (including SDK misuse such as *tensor.ShapeError) or a timeout, with the
// script position when one is known.
type Error struct {
	Pos   string // file:line:col, "" when unknown
	Msg   string // readable message
	Panic any    // the recovered value for a panic, nil otherwise
	Hint  string // pointer to the docs when a construct outside the dialect failed
}

// Error formats the position, the message and any dialect hint.
func (e *Error) Error() string {
	s := e.Msg
	if e.Pos != "" {
		s = e.Pos + ": " + s
	}
	if e.Hint != "" {
		s += "\n\t" + e.Hint
	}
	return s
}

// Unwrap returns the panic value when it is an error (e.g. *tensor.ShapeError).
func (e *Error) Unwrap() error {
	if err, ok := e.Panic.(error); ok {
		return err
	}
	return nil
}

// ExitError reports os.Exit with a non-zero code from a script.
type ExitError struct{ Code int }

// Error names the exit status.
func (e *ExitError) Error() string { return fmt.Sprintf("script exited with status %d", e.Code) }

// TimeoutError reports a call that did not return in time; the
// interpreter that ran it is discarded.
type TimeoutError struct {
	What    string // the call, e.g. `objective "x" Loss`
	Timeout time.Duration
}

// Error names the call and the bound.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not return within %v; the interpreter was discarded", e.What, e.Timeout)
}

// ErrDiscarded is returned by an interpreter abandoned after a timeout.
var ErrDiscarded = errors.New("repl: interpreter discarded after a timeout; create a new one")

// Eval compiles and runs src (statements, declarations or an expression)
// and returns the value of the last expression. Cancelling ctx stops
// interpreted code at its next loop or call.
func (i *Interpreter) Eval(ctx context.Context, src string) (reflect.Value, error) {
	if i.discarded() != nil {
		return reflect.Value{}, ErrDiscarded
	}
	if err := i.opts.Policy.CheckSource("input", []byte(src), i.opts.Sources); err != nil && !isPackageless(src) {
		return reflect.Value{}, err
	}
	i.stderr.reset()
	i.input = src
	var v reflect.Value
	var err error
	eval := func() {
		defer func() {
			if r := recover(); r != nil {
				v, err = reflect.Value{}, interp.Panic{Value: r}
			}
		}()
		v, err = i.in.Eval(src)
	}
	if ctx.Done() == nil {
		eval()
	} else {
		defer i.setRunContext(ctx)()
		done := make(chan struct{})
		go func() {
			defer close(done)
			eval()
		}()
		select {
		case <-done:
		case <-ctx.Done():
			// Stop the statement and wait until it has really stopped, so
			// the next Eval never runs beside it (yaegi's own
			// EvalWithContext returns at once and races with the next one).
			i.interrupt()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for waiting := true; waiting; {
				select {
				case <-done:
					waiting = false
				case <-tick.C:
					i.interrupt() // it may have been inside a compiled call
				}
			}
			return reflect.Value{}, ctx.Err()
		}
	}
	if err != nil {
		err = i.convert(err, src)
		var e *Error
		if errors.As(err, &e) && e.Panic == nil {
			// A compile error is in the input, whatever file name yaegi
			// kept from the last file it loaded.
			e.Pos = i.inputPos(e.Pos)
		}
		return reflect.Value{}, err
	}
	return v, nil
}

// inputPos renames a compile-error position to the REPL input, unless
// it is in a source package the input imported.
func (i *Interpreter) inputPos(pos string) string {
	file, line, col, ok := splitPos(pos)
	if !ok || file == "input" {
		return pos
	}
	i.fs.mu.Lock()
	for _, dir := range i.fs.sources {
		if strings.HasPrefix(file, strings.TrimSuffix(dir, "/")+"/") {
			i.fs.mu.Unlock()
			return pos // an error in an imported source package
		}
	}
	i.fs.mu.Unlock()
	if line == 1 {
		col -= len(wrapPrefix(i.input))
	}
	return formatPos("input", line, col)
}

// isPackageless reports whether src is REPL input without a package
// clause; its imports are checked by the symbol tables alone.
func isPackageless(src string) bool { return !strings.HasPrefix(strings.TrimSpace(src), "package ") }

// RunPath runs a Go script: a file, or a folder holding one package main.
// The main function runs; os.Exit(n) with n != 0 returns an *ExitError.
func (i *Interpreter) RunPath(ctx context.Context, p string) error {
	if i.discarded() != nil {
		return ErrDiscarded
	}
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	files := []string{p}
	if st.IsDir() {
		if files, err = goFiles(p); err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("%s: no Go files", p)
		}
	}
	var src bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := i.opts.Policy.CheckSource(f, b, i.opts.Sources); err != nil {
			return err
		}
		src.Write(b)
	}
	if st.IsDir() {
		// A script folder is mapped as an import path, so its sub-folders
		// are importable packages: check every file it could load.
		if err := i.opts.Policy.CheckTree(p, i.opts.Sources); err != nil {
			return err
		}
	}
	for _, dir := range i.opts.Sources {
		if err := i.opts.Policy.CheckTree(dir, i.opts.Sources); err != nil {
			return err
		}
	}
	i.stderr.reset()
	abs, _ := filepath.Abs(p)
	var run func() error
	if st.IsDir() {
		// yaegi loads a folder as an import path under GOPATH: map it there.
		i.fs.add(scriptImport, abs)
		run = func() error {
			// Loading a package main runs its main.
			_, err := i.in.EvalPath(scriptImport)
			return err
		}
	} else {
		run = func() error { _, err := i.in.EvalPath(abs); return err }
	}
	isolate.Enter(fmt.Sprintf("script %q", p), "")
	err = i.guard(ctx, 0, "script "+p, src.String(), run)
	isolate.Leave()
	var ex *Error
	if errors.As(err, &ex) {
		if e, ok := ex.Panic.(symbols.Exit); ok {
			if e.Code == 0 {
				return nil
			}
			return &ExitError{Code: e.Code}
		}
	}
	return err
}

// goFiles lists the non-test Go files of a folder.
func goFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out, nil
}

// Call runs fn, a host call into interpreted code (e.g. an objective's
// Loss), recovering panics into an *Error with the script position. With
// timeout > 0, a call that does not return in time stops the interpreter
// (yaegi cannot cancel just the function the host is calling), which is
// then discarded, and a *TimeoutError is returned; load the code again into
// a new Interpreter.
func (i *Interpreter) Call(ctx context.Context, timeout time.Duration, what string, fn func()) error {
	if i.discarded() != nil {
		return ErrDiscarded
	}
	i.stderr.reset()
	return i.guard(ctx, timeout, what, "", func() error { fn(); return nil })
}

// guard runs fn with panics recovered. fn runs on the caller's goroutine
// (a host→script call costs no goroutine switch); a timeout or a cancelled
// context stops the interpreter from a timer, which ends interpreted code
// at its next loop or call, and the call then reports the timeout. Code
// blocked inside one compiled call cannot be interrupted this way.
func (i *Interpreter) guard(ctx context.Context, timeout time.Duration, what, src string, fn func() error) (err error) {
	var fired atomic.Pointer[error]
	stop := func(reason error) {
		if fired.CompareAndSwap(nil, &reason) {
			i.kill(reason)
		}
	}
	if timeout > 0 {
		t := time.AfterFunc(timeout, func() { stop(&TimeoutError{What: what, Timeout: timeout}) })
		defer t.Stop()
	}
	run := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = i.panicError(r)
			}
		}()
		if err := fn(); err != nil {
			return i.convert(err, src)
		}
		return nil
	}
	if ctx.Done() == nil {
		err = run()
	} else {
		// While fn runs, a script's context.Background() is ctx, so SDK
		// calls that take a context (Trainer.Run) stop cleanly on cancel.
		defer i.setRunContext(ctx)()
		done := make(chan error, 1)
		go func() { done <- run() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			// Let code that watches ctx finish; then stop interpreted
			// frames; then give up on code stuck in a compiled call.
			select {
			case err = <-done:
			case <-time.After(cancelGrace):
				stop(ctx.Err())
				select {
				case err = <-done:
				case <-time.After(cancelGrace):
					return ctx.Err()
				}
			}
		}
	}
	if reason := fired.Load(); reason != nil {
		return *reason
	}
	return err
}

// cancelGrace is how long a cancelled run may take to stop by itself,
// then after its interpreted code is stopped.
const cancelGrace = 2 * time.Second

// setRunContext makes ctx what scripts get from context.Background and
// context.TODO, and returns the function that restores the previous one.
func (i *Interpreter) setRunContext(ctx context.Context) func() {
	old := i.runCtx.Swap(&ctx)
	return func() { i.runCtx.Store(old) }
}

// background is the script's context.Background: the context of the
// current run, or a never-cancelled one.
func (i *Interpreter) background() context.Context {
	if p := i.runCtx.Load(); p != nil {
		return *p
	}
	return context.Background()
}

// kill stops every running frame of the interpreter and marks it dead.
func (i *Interpreter) kill(reason error) {
	i.mu.Lock()
	i.dead = reason
	i.mu.Unlock()
	i.interrupt()
}

// interrupt makes running interpreted code stop at its next loop or call.
// yaegi stops frames only from EvalWithContext/EvalPathWithContext: give
// the latter a cancelled context and a path that does not exist, which
// loads nothing, so it touches little interpreter state while code runs.
//
// EvalPathWithContext's helper goroutine writes the results the function
// has already returned; holding that goroutine in sourceFS.Open until the
// call is over orders the two writes.
func (i *Interpreter) interrupt() {
	i.intr.Lock()
	defer i.intr.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gate := make(chan struct{})
	i.fs.mu.Lock()
	i.fs.gate = gate
	i.fs.mu.Unlock()
	_, _ = i.in.EvalPathWithContext(ctx, interruptPath)
	close(gate)
}

// interruptPath is the path interrupt loads; sourceFS holds it at the gate.
const interruptPath = "/_pretrain/interrupt/none"

// convert turns an error from yaegi into an *Error with a position.
func (i *Interpreter) convert(err error, src string) error {
	var p interp.Panic
	if errors.As(err, &p) {
		e := i.panicError(p.Value)
		if pe, ok := e.(*Error); ok && pe.Pos == "" {
			return withHint(pe, src)
		}
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return withHint(&Error{Pos: i.fixPos(e.Pos.String()), Msg: e.Msg}, src)
	}
	msg := err.Error()
	if m := posRE.FindStringSubmatch(msg); m != nil {
		return withHint(&Error{Pos: i.fixPos(m[1]), Msg: m[2]}, src)
	}
	return withHint(&Error{Msg: msg}, src)
}

// fixPos maps a compile-error position to the user's view: REPL input
// loses yaegi's wrapper, plugin files get their folder on disk.
func (i *Interpreter) fixPos(pos string) string {
	file, line, col, ok := splitPos(pos)
	if !ok {
		return pos
	}
	if file == "" || file == "_.go" {
		if line == 1 {
			col -= len(wrapPrefix(i.input))
		}
		return formatPos("input", line, col)
	}
	return formatPos(i.realPath(file), line, col)
}

var posRE = regexp.MustCompile(`(?s)^(\S*?:?\d+:\d+): (.*)$`)

// panicError builds the error for a recovered panic, taking the position
// from the first panic line yaegi wrote to stderr (the innermost frame).
func (i *Interpreter) panicError(r any) error {
	if e, ok := r.(*Error); ok {
		return e
	}
	msg := fmt.Sprint(r)
	if err, ok := r.(error); ok {
		msg = err.Error()
	}
	e := &Error{Msg: "panic: " + msg, Panic: r}
	if pos := i.stderr.first(); pos != "" {
		e.Pos = i.refinePos(pos, r, i.input)
	}
	return e
}

// dialect lists constructs outside the supported Go dialect, matched in
// compile errors, and the hint appended.
var dialect = []*regexp.Regexp{
	regexp.MustCompile(`undefined: (min|max|clear)\b`),
	regexp.MustCompile(`cannot range over|range over .*func|nil type`),
	regexp.MustCompile(`generic|type parameter|instantiat`),
	regexp.MustCompile(`"(slices|maps|iter|cmp)"`),
}

// dialectSource matches the same constructs in the failing source.
var dialectSource = regexp.MustCompile(`\b(min|max|clear)\(|\brange\s+(\d+|len\(|func\b)|"(slices|maps|iter)"`)

const dialectHint = "scripts use Go 1.21 minus min/max/clear, range over int or func, generics from the SDK and slices/maps (see docs/scripting.md, \"The Go dialect\")"

func withHint(e *Error, src string) *Error {
	if dialectSource.MatchString(src) {
		e.Hint = dialectHint
		return e
	}
	for _, d := range dialect {
		if d.MatchString(e.Msg) {
			e.Hint = dialectHint
			break
		}
	}
	return e
}

// Symbols returns the exported names of an importable package (for
// completion), sorted; nil when the package is unknown.
func (i *Interpreter) Symbols(importPath string) []string {
	var names []string
	for k, v := range i.in.Symbols(importPath) {
		if k != importPath {
			continue
		}
		for n := range v {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Value returns the value of a global of the main package (a script
// variable or function), for host code that calls into scripts.
func (i *Interpreter) Value(name string) (reflect.Value, error) {
	return i.Eval(context.Background(), name)
}

// String describes the interpreter's sandbox and source folders.
func (i *Interpreter) String() string {
	state := "live"
	if err := i.discarded(); err != nil {
		state = "discarded"
	}
	return fmt.Sprintf("Interpreter(%v, %d source folders, %s)", i.opts.Policy, len(i.opts.Sources), state)
}

// Yaegi exposes the underlying interpreter to host code that needs more;
// calls through it are not guarded.
func (i *Interpreter) Yaegi() *interp.Interpreter { return i.in }

// panicWriter forwards the interpreter's stderr, except the
// "file:line:col: panic: ..." lines yaegi writes while unwinding, which it
// keeps to give recovered panics a position.
type panicWriter struct {
	mu     sync.Mutex
	w      io.Writer
	part   []byte
	lines  []string
	mapPos func(string) string // virtual GOPATH position to the file on disk
}

var panicLineRE = regexp.MustCompile(`^(\S*?:?\d+:\d+): panic`)

func (p *panicWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		nl := bytes.IndexByte(p.part, '\n')
		if nl < 0 {
			break
		}
		line := string(p.part[:nl+1])
		p.part = p.part[nl+1:]
		if m := panicLineRE.FindStringSubmatch(line); m != nil {
			if len(p.lines) == 0 && p.mapPos != nil {
				// In an isolated child, a panic that ends the process (one
				// in a goroutine) is reported with this position.
				isolate.Panicked(p.mapPos(m[1]))
			}
			p.lines = append(p.lines, m[1])
			continue
		}
		if _, err := io.WriteString(p.w, line); err != nil {
			return len(b), err
		}
	}
	return len(b), nil
}

func (p *panicWriter) reset() {
	p.mu.Lock()
	p.lines = nil
	p.mu.Unlock()
}

func (p *panicWriter) first() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lines) == 0 {
		return ""
	}
	return p.lines[0]
}

// sourceFS serves interpreter sources: import paths under the virtual
// GOPATH map to the Sources folders, other paths are read from disk (the
// script files named on the command line).
type sourceFS struct {
	mu      sync.Mutex
	sources map[string]string
	gate    chan struct{} // see Interpreter.interrupt
}

// scriptImport is the import path a script folder is mapped to.
const scriptImport = "pretrain.script/main"

func (s *sourceFS) add(importPath, dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[importPath] = dir
}

func (s *sourceFS) Open(name string) (fs.File, error) {
	name = filepath.ToSlash(name)
	if name == interruptPath {
		s.mu.Lock()
		gate := s.gate
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(name, gopath+"/src/") || name == gopath+"/src" || name == gopath {
		rel := strings.TrimPrefix(strings.TrimPrefix(name, gopath), "/src")
		rel = strings.TrimPrefix(rel, "/")
		best := ""
		for ip := range s.sources {
			if (rel == ip || strings.HasPrefix(rel, ip+"/")) && len(ip) > len(best) {
				best = ip
			}
		}
		if best == "" {
			// Intermediate folders of a mapped import path must exist.
			for ip := range s.sources {
				if rel == "" || strings.HasPrefix(ip, rel+"/") {
					return emptyDir(path.Base(name)), nil
				}
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return os.Open(path.Join(filepath.ToSlash(s.sources[best]), strings.TrimPrefix(rel, best)))
	}
	return os.Open(filepath.FromSlash(name))
}

// emptyDir is a folder with nothing in it: the parents of a mapped import
// path inside the virtual GOPATH.
type emptyDir string

func (d emptyDir) Stat() (fs.FileInfo, error)         { return d, nil }
func (d emptyDir) Read([]byte) (int, error)           { return 0, io.EOF }
func (d emptyDir) Close() error                       { return nil }
func (d emptyDir) ReadDir(int) ([]fs.DirEntry, error) { return nil, nil }
func (d emptyDir) Name() string                       { return string(d) }
func (d emptyDir) Size() int64                        { return 0 }
func (d emptyDir) Mode() fs.FileMode                  { return fs.ModeDir | 0o555 }
func (d emptyDir) ModTime() time.Time                 { return time.Time{} }
func (d emptyDir) IsDir() bool                        { return true }
func (d emptyDir) Sys() any                           { return nil }
