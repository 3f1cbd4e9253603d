// Package apicheck lists the exported API of the sdk packages, so that a
// test can fail when it changes without sdk/api.txt being updated: API
// changes to the stable SDK must be deliberate.
package apicheck

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// List returns one line per exported declaration of every non-internal
// package under root (the sdk directory), sorted.
func List(root string) ([]string, error) {
	var lines []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (name == "internal" || name == "testdata" || strings.HasPrefix(name, ".")) {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		pkgLines, err := listDir(path, filepath.ToSlash(rel))
		lines = append(lines, pkgLines...)
		return err
	})
	sort.Strings(lines)
	return lines, err
}

func listDir(dir, rel string) ([]string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			if hasIgnoreTag(f) {
				continue
			}
			for _, decl := range f.Decls {
				out = append(out, declLines(fset, rel, decl)...)
			}
		}
	}
	return out, nil
}

// hasIgnoreTag skips files built only for other platforms or tags, so the
// listing is the same everywhere.
func hasIgnoreTag(f *ast.File) bool {
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") && c.Pos() < f.Package {
				return true
			}
		}
	}
	return false
}

func declLines(fset *token.FileSet, pkg string, decl ast.Decl) []string {
	var out []string
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return nil
		}
		recv := ""
		if d.Recv != nil && len(d.Recv.List) > 0 {
			t := d.Recv.List[0].Type
			if s, ok := t.(*ast.StarExpr); ok {
				t = s.X
			}
			id, ok := t.(*ast.Ident)
			if !ok || !id.IsExported() {
				return nil
			}
			recv = "(" + node(fset, d.Recv.List[0].Type) + ") "
		}
		out = append(out, pkg+": func "+recv+d.Name.Name+strings.TrimPrefix(node(fset, d.Type), "func"))
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				out = append(out, pkg+": type "+s.Name.Name+" "+oneLine(node(fset, s.Type)))
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.IsExported() {
						out = append(out, pkg+": "+d.Tok.String()+" "+n.Name)
					}
				}
			}
		}
	}
	return out
}

func node(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	printer.Fprint(&b, fset, n)
	return b.String()
}

// oneLine folds a struct or interface body onto one line, keeping only
// exported fields and methods.
func oneLine(s string) string {
	var kept []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "//"); i >= 0 {
			l = strings.TrimSpace(l[:i])
		}
		if l == "" {
			continue
		}
		first := l
		if i := strings.IndexAny(l, " \t("); i > 0 {
			first = l[:i]
		}
		if len(kept) > 0 && l != "}" && first != "" && !ast.IsExported(strings.TrimPrefix(first, "*")) {
			continue
		}
		kept = append(kept, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(kept, "; ")
}
