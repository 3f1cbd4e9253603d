package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/peterh/liner"
)

// Session is an interactive REPL over an Interpreter: it reads Go
// statements (several lines while brackets are open), evaluates them and
// prints values; `:help`, `:load FILE`, `:reset` and `:quit` are commands.
type Session struct {
	// Options configure every interpreter the session creates (`:reset`
	// makes a new one); Preimport is forced on.
	Options Options
	// In and Out are used when the terminal is not interactive (pipes,
	// tests); an interactive terminal is driven through liner on the
	// process's standard streams.
	In  io.Reader
	Out io.Writer
	// History is the file of persistent history, "" for none.
	History string
	// Interactive selects line editing; by default it is on when
	// standard input and output are terminals.
	Interactive *bool

	in *Interpreter
}

// DefaultHistory is the history file in the user's home folder.
func DefaultHistory() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".pretrain_history")
}

const banner = "pretrain REPL: Go with the SDK packages pre-imported (tensor, nn, optim, data, task, ...). :help for help, Ctrl-D to quit."

const helpText = `Enter Go statements, declarations or expressions; a value is printed.
Input continues on "... " lines while brackets are open.
Tab completes package names, functions and methods (e.g. tensor.Ze<Tab>, x.Sh<Tab>).
Ctrl-C cancels the running statement (or the current input); Ctrl-D quits.

Commands:
  :help        this help
  :load FILE   evaluate a Go file in the session (its main runs if it has one)
  :reset       start again with a fresh interpreter
  :quit        leave

Packages: %s
The Go dialect is Go 1.21 without min/max/clear, range over int or func,
or slices/maps: see docs/scripting.md.
`

// Run reads and evaluates input until end of input or :quit. Errors of
// evaluated code are printed and the session continues; the returned error
// is for the session itself (e.g. the interpreter could not start).
func (s *Session) Run(ctx context.Context) error {
	if s.Out == nil {
		s.Out = os.Stdout
	}
	if err := s.reset(); err != nil {
		return err
	}
	interactive := liner.TerminalSupported() && isTerminal(os.Stdin) && isTerminal(os.Stdout)
	if s.Interactive != nil {
		interactive = *s.Interactive
	}
	var read func(prompt string) (string, error)
	if interactive {
		ln := liner.NewLiner()
		defer ln.Close()
		ln.SetCtrlCAborts(true)
		ln.SetTabCompletionStyle(liner.TabPrints)
		ln.SetWordCompleter(s.complete)
		if s.History != "" {
			if f, err := os.Open(s.History); err == nil {
				_, _ = ln.ReadHistory(f)
				f.Close()
			}
			defer func() {
				if f, err := os.Create(s.History); err == nil {
					_, _ = ln.WriteHistory(f)
					f.Close()
				}
			}()
		}
		read = func(prompt string) (string, error) {
			line, err := ln.Prompt(prompt)
			if err == nil && strings.TrimSpace(line) != "" {
				ln.AppendHistory(line)
			}
			return line, err
		}
	} else {
		in := s.In
		if in == nil {
			in = os.Stdin
		}
		br := bufio.NewReader(in)
		read = func(prompt string) (string, error) {
			fmt.Fprint(s.Out, prompt)
			line, err := br.ReadString('\n')
			if err == io.EOF && line != "" {
				err = nil
			}
			return strings.TrimRight(line, "\r\n"), err
		}
	}
	fmt.Fprintln(s.Out, banner)

	// Ctrl-C during evaluation cancels the statement, not the session.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)

	var buf []string
	for {
		prompt := ">>> "
		if len(buf) > 0 {
			prompt = "... "
		}
		line, err := read(prompt)
		if errors.Is(err, liner.ErrPromptAborted) {
			fmt.Fprintln(s.Out, "^C")
			buf = nil
			continue
		}
		if err != nil {
			if err == io.EOF {
				fmt.Fprintln(s.Out)
				return nil
			}
			return err
		}
		if len(buf) == 0 {
			cmd := strings.TrimSpace(line)
			if strings.HasPrefix(cmd, ":") {
				if quit := s.command(ctx, cmd, sig); quit {
					return nil
				}
				continue
			}
			if cmd == "" {
				continue
			}
		}
		buf = append(buf, line)
		src := strings.Join(buf, "\n")
		if incomplete(src) {
			continue
		}
		buf = nil
		s.eval(ctx, src, sig)
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
	}
}

// eval runs one input with Ctrl-C wired to cancel it, and prints the value.
func (s *Session) eval(parent context.Context, src string, sig chan os.Signal) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	defer cancel()
	// Drain an interrupt that arrived while at the prompt.
	select {
	case <-sig:
	default:
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-stop:
		}
	}()
	v, err := s.in.Eval(ctx, src)
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(s.Out, "interrupted")
	case err != nil:
		fmt.Fprintln(s.Out, "error:", err)
	default:
		// Only expressions with one value print: a declaration, a
		// statement or a call without results would show whatever value
		// yaegi has at hand.
		expr, perr := parser.ParseExpr(src)
		if perr != nil || s.void(expr, src) {
			return
		}
		if out := Format(v); out != "" {
			fmt.Fprintln(s.Out, out)
		}
	}
}

// void reports whether expr calls a function that does not have exactly
// one result (yaegi hands back only the first of several, e.g. the byte
// count of fmt.Println). The callee is looked up only when it is a name or
// a chain of selectors, which has no side effects; other calls are
// assumed to have one value.
func (s *Session) void(expr ast.Expr, src string) bool {
	call, ok := expr.(*ast.CallExpr)
	if !ok {
		return false
	}
	for e := call.Fun; ; {
		switch x := e.(type) {
		case *ast.Ident:
			fn, err := s.in.in.Eval(src[call.Fun.Pos()-1 : call.Fun.End()-1])
			return err == nil && fn.IsValid() && fn.Kind() == reflect.Func && fn.Type().NumOut() != 1
		case *ast.SelectorExpr:
			e = x.X
		default:
			return false
		}
	}
}

// command runs a ':' command; it reports whether the session should end.
func (s *Session) command(ctx context.Context, cmd string, sig chan os.Signal) bool {
	name, arg, _ := strings.Cut(cmd, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case ":q", ":quit", ":exit":
		return true
	case ":h", ":help":
		fmt.Fprintf(s.Out, helpText, strings.Join(shortNames(SDKPackages()), ", "))
	case ":reset":
		if err := s.reset(); err != nil {
			fmt.Fprintln(s.Out, "error:", err)
		} else {
			fmt.Fprintln(s.Out, "fresh interpreter")
		}
	case ":load":
		if arg == "" {
			fmt.Fprintln(s.Out, "usage: :load FILE")
			break
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			fmt.Fprintln(s.Out, "error:", err)
			break
		}
		if err := s.in.opts.Policy.CheckSource(arg, b, s.in.opts.Sources); err != nil {
			fmt.Fprintln(s.Out, "error:", err)
			break
		}
		abs, _ := filepath.Abs(arg)
		err = s.in.guard(context.WithoutCancel(ctx), 0, ":load "+arg, string(b), func() error {
			_, err := s.in.in.EvalPath(abs)
			return err
		})
		if err != nil {
			fmt.Fprintln(s.Out, "error:", err)
		} else {
			fmt.Fprintln(s.Out, "loaded", arg)
		}
	default:
		fmt.Fprintf(s.Out, "unknown command %s (:help lists them)\n", name)
	}
	return false
}

func (s *Session) reset() error {
	o := s.Options
	o.Preimport = true
	if o.Stdout == nil {
		o.Stdout = s.Out
	}
	if o.Stderr == nil {
		o.Stderr = s.Out
	}
	in, err := New(o)
	if err != nil {
		return err
	}
	s.in = in
	return nil
}

// String describes the session.
func (s *Session) String() string {
	return fmt.Sprintf("Session(history=%q, %v)", s.History, s.in)
}

// Interpreter returns the session's current interpreter.
func (s *Session) Interpreter() *Interpreter { return s.in }

func shortNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = pathBase(p)
	}
	return out
}

// incomplete reports whether src ends inside brackets, a block, a raw
// string or a comment, so the REPL should read another line.
func incomplete(src string) bool {
	fset := token.NewFileSet()
	var sc scanner.Scanner
	unterminated := false
	sc.Init(fset.AddFile("", -1, len(src)), []byte(src), func(_ token.Position, msg string) {
		if strings.Contains(msg, "not terminated") {
			unterminated = true
		}
	}, 0)
	depth := 0
	last := token.ILLEGAL
	for {
		_, tok, _ := sc.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		}
		if tok != token.SEMICOLON {
			last = tok
		}
	}
	if unterminated || depth > 0 {
		return true
	}
	// A trailing binary operator or comma continues the expression.
	switch last {
	case token.ADD, token.SUB, token.MUL, token.QUO, token.COMMA, token.PERIOD, token.LAND, token.LOR, token.ASSIGN, token.DEFINE:
		return true
	}
	return false
}

// Format renders a REPL value: a Stringer or error through its String
// (tensors print values, shape and dtype), anything else with %v and its type.
func Format(v reflect.Value) string {
	if !v.IsValid() {
		return ""
	}
	return format(v, 0)
}

// format avoids fmt and type assertions on struct types built by the
// interpreter (reflect.StructOf): with an embedded SDK pointer their method
// tables are broken and an interface check crashes the runtime.
func format(v reflect.Value, depth int) string {
	if depth > 3 {
		return "…"
	}
	switch v.Kind() {
	case reflect.Func:
		return v.Type().String()
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return fmt.Sprintf("%s(nil)", v.Type())
		}
	}
	if synthetic(v.Type()) {
		switch v.Kind() {
		case reflect.Pointer:
			return "&" + format(v.Elem(), depth)
		case reflect.Interface:
			return format(v.Elem(), depth)
		case reflect.Struct:
			var b strings.Builder
			b.WriteString("{")
			for i := 0; i < v.NumField(); i++ {
				if i > 0 {
					b.WriteString(" ")
				}
				f := v.Type().Field(i)
				b.WriteString(f.Name + ":")
				if f.IsExported() {
					b.WriteString(format(v.Field(i), depth+1))
				} else {
					b.WriteString("?")
				}
			}
			b.WriteString("}")
			return b.String()
		default:
			return v.Type().String()
		}
	}
	if !v.CanInterface() {
		return v.String()
	}
	x := v.Interface()
	switch t := x.(type) {
	case fmt.Stringer:
		return t.String()
	case error:
		return "error: " + t.Error()
	case string:
		return fmt.Sprintf("%q", t)
	}
	switch v.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return fmt.Sprintf("%v", x)
	}
	return fmt.Sprintf("%+v (%s)", x, v.Type())
}

// synthetic reports whether t is (or points to, or holds) an unnamed
// struct type, as the interpreter builds for script-defined types.
func synthetic(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t.Name() == "" && t.NumField() > 0
}

// complete is liner's word completer: packages, package members, and the
// methods and fields of session variables.
func (s *Session) complete(line string, pos int) (head string, completions []string, tail string) {
	if pos > len(line) {
		pos = len(line)
	}
	start := pos
	for start > 0 {
		r := rune(line[start-1])
		if r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || (r == ':' && start == 1) {
			start--
			continue
		}
		break
	}
	word := line[start:pos]
	head, tail = line[:start], line[pos:]
	for _, c := range s.Complete(word) {
		completions = append(completions, c)
	}
	return head, completions, tail
}

// Complete returns the completions of a word: "ten" → "tensor.",
// "tensor.Ze" → "tensor.Zeros(", "x.Sh" → "x.Shape(" for a variable x.
func (s *Session) Complete(word string) []string {
	var out []string
	if strings.HasPrefix(word, ":") {
		for _, c := range []string{":help", ":load ", ":reset", ":quit"} {
			if strings.HasPrefix(c, word) {
				out = append(out, c)
			}
		}
		return out
	}
	dot := strings.LastIndex(word, ".")
	if dot < 0 {
		for _, p := range SDKPackages() {
			if n := pathBase(p); strings.HasPrefix(n, word) {
				out = append(out, n+".")
			}
		}
		for _, p := range safeStdlib() {
			if n := pathBase(p); strings.HasPrefix(n, word) && !strings.Contains(p, "/") {
				out = append(out, n+".")
			}
		}
		sort.Strings(out)
		return out
	}
	base, part := word[:dot], word[dot+1:]
	for _, p := range append(SDKPackages(), safeStdlib()...) {
		if pathBase(p) != base {
			continue
		}
		for _, n := range s.in.Symbols(p) {
			if strings.HasPrefix(n, part) && token.IsExported(n) {
				out = append(out, base+"."+n+suffix(s.in, p, n))
			}
		}
		sort.Strings(out)
		return out
	}
	// A variable (or a chain of fields): evaluate it, it has no side effects.
	for _, r := range base {
		if !(r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return nil
		}
	}
	v, err := s.in.in.Eval(base)
	if err != nil || !v.IsValid() {
		return nil
	}
	for _, n := range members(v) {
		if strings.HasPrefix(n, part) {
			out = append(out, base+"."+n)
		}
	}
	sort.Strings(out)
	return out
}

// suffix adds "(" after a function name in completions.
func suffix(in *Interpreter, pkg, name string) string {
	syms := in.in.Symbols(pkg)[pkg]
	if v, ok := syms[name]; ok && v.Kind() == reflect.Func {
		return "("
	}
	return ""
}

// members lists exported methods (with "(") and fields of a value.
func members(v reflect.Value) []string {
	var out []string
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, t.Method(i).Name+"(")
	}
	if t.Kind() == reflect.Interface && !v.IsNil() {
		return members(v.Elem())
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		for i := 0; i < st.NumField(); i++ {
			if f := st.Field(i); f.IsExported() {
				out = append(out, f.Name)
			}
		}
	}
	return out
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
