package repl

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"reflect"
	"strconv"
	"strings"
)

// yaegi v0.16.1 reports a panic at the entry of each interpreted frame,
// not at the statement that panicked (runCfg's deferred report reads a
// shadowed variable). refinePos narrows that position down: within the
// innermost function it finds the call of the SDK operation named by the
// panic value (every SDK error type has an Op field), and otherwise keeps
// the function's position.

// wrapPrefix is what yaegi puts before REPL input it parses, by first token.
func wrapPrefix(src string) string {
	var s scannerLite
	switch s.first(src) {
	case token.PACKAGE:
		return ""
	case token.CONST, token.FUNC, token.IMPORT, token.TYPE, token.VAR:
		return "package main;"
	default:
		return "package main; func main() {"
	}
}

// refinePos maps a yaegi frame position to the failing call where it can.
// input is the REPL source for positions without a file name.
func (i *Interpreter) refinePos(pos string, r any, input string) string {
	file, line, col, ok := splitPos(pos)
	if !ok {
		return pos
	}
	var src []byte
	prefix := ""
	if file == "" || file == "_.go" {
		prefix = wrapPrefix(input)
		src = []byte(prefix + input)
		if input == "" {
			return pos
		}
	} else {
		file = i.realPath(file)
		b, err := os.ReadFile(file)
		if err != nil {
			return formatPos(file, line, col)
		}
		src = b
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.SkipObjectResolution)
	if err != nil && f == nil {
		return pos
	}
	tf := fset.File(f.Pos())
	if line < 1 || line > tf.LineCount() {
		return pos
	}
	at := tf.LineStart(line) + token.Pos(col-1)
	// The innermost function body around the frame position.
	var body ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil || at < n.Pos() || at > n.End() {
			return false
		}
		switch fn := n.(type) {
		case *ast.FuncDecl:
			body = fn.Body
		case *ast.FuncLit:
			body = fn.Body
		}
		return true
	})
	if op := opOf(r); op != "" && body != nil {
		var hit token.Pos
		ast.Inspect(body, func(n ast.Node) bool {
			if hit.IsValid() {
				return false
			}
			if _, lit := n.(*ast.FuncLit); lit && n != body {
				return false
			}
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := c.Fun.(type) {
			case *ast.SelectorExpr:
				if fn.Sel.Name == op {
					hit = fn.Sel.Pos()
				}
			case *ast.Ident:
				if fn.Name == op {
					hit = fn.Pos()
				}
			}
			return true
		})
		if hit.IsValid() {
			at = hit
		}
	}
	p := fset.Position(at)
	l, c := p.Line, p.Column
	if prefix != "" && l == 1 {
		c -= len(prefix)
	}
	if file == "" || file == "_.go" {
		file = "input"
	}
	return formatPos(file, l, c)
}

// opOf returns the Op field of an SDK error value (e.g. "MatMul").
func opOf(r any) string {
	v := reflect.ValueOf(r)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := v.FieldByName("Op")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	op := f.String()
	return op[strings.LastIndex(op, ".")+1:]
}

func splitPos(pos string) (file string, line, col int, ok bool) {
	parts := strings.Split(pos, ":")
	if len(parts) < 2 {
		return "", 0, 0, false
	}
	l, err1 := strconv.Atoi(parts[len(parts)-2])
	c, err2 := strconv.Atoi(parts[len(parts)-1])
	if err1 != nil || err2 != nil {
		return "", 0, 0, false
	}
	return strings.Join(parts[:len(parts)-2], ":"), l, c, true
}

func formatPos(file string, line, col int) string {
	if file == "" {
		return fmt.Sprintf("%d:%d", line, col)
	}
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

// realPath maps a file under the virtual GOPATH to its folder on disk.
func (i *Interpreter) realPath(file string) string {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	return realPath(i.fs.sources, file)
}

func realPath(sources map[string]string, file string) string {
	rel := strings.TrimPrefix(file, gopath+"/src/")
	if rel == file {
		return file
	}
	best := ""
	for ip := range sources {
		if strings.HasPrefix(rel, ip+"/") && len(ip) > len(best) {
			best = ip
		}
	}
	if best == "" {
		return file
	}
	return strings.TrimSuffix(sources[best], "/") + strings.TrimPrefix(rel, best)
}

// scannerLite finds the first token of REPL input as yaegi does.
type scannerLite struct{}

func (scannerLite) first(src string) token.Token {
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	_, tok, _ := s.Scan()
	return tok
}
