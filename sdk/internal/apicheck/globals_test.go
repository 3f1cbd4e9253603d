package apicheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// immutableGlobals are the package-level variables of sdk/ that are
// written only while the package initialises (tables, sentinel errors) or
// are safe for concurrent use by construction, with the reason. Anything
// else would be process-wide state that two goroutines of a host program
// could fight over: modes and buffers travel in explicit values instead
// (tensor.Scope, tensor.Arena).
var immutableGlobals = map[string]string{
	"task.Default":                "the registry of names, guarded by its own mutex, like database/sql's drivers; hosts wanting isolation use task.NewRegistry",
	"tensor.binNames":             "constant table",
	"tensor.f32Gemm":              "constant kernel table",
	"tensor.bf16Gemm":             "constant kernel table",
	"tokenizer.asciiClass":        "table filled by init",
	"tokenizer.asciiKind":         "table filled by init",
	"tokenizer.byteToRune":        "table filled by init",
	"tokenizer.runeToByte":        "table filled by init",
	"tokenizer.cleanupReplacer":   "strings.Replacer, safe for concurrent use",
	"tokenizer.errCorpusTooLarge": "sentinel error",
	"tokenizer.tiktokenEncodings": "constant table",
	"train.ErrNonFinite":          "sentinel error",
	"dist.ErrLengthMismatch":      "sentinel error",
}

// TestNoMutableGlobals fails when a package of sdk/ declares a
// package-level variable that is not in immutableGlobals.
func TestNoMutableGlobals(t *testing.T) {
	var found []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if strings.Contains(filepath.ToSlash(path), "/internal/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if n.Name != "_" {
						found = append(found, f.Name.Name+"."+n.Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	if len(found) < 5 {
		t.Fatalf("found only %v: the walk missed the sources", found)
	}
	seen := map[string]bool{}
	for _, name := range found {
		seen[name] = true
		if _, ok := immutableGlobals[name]; !ok {
			t.Errorf("%s: a package-level variable in sdk/ is process-wide state; carry it in a value (tensor.Scope, a config, a struct field), or if it is truly immutable add it to immutableGlobals with the reason", name)
		}
	}
	for name := range immutableGlobals {
		if !seen[name] {
			t.Errorf("%s is listed in immutableGlobals but no longer declared: remove it", name)
		}
	}
}
