package repl

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/repl/symbols"
)

// TestSymbolTablesCurrent compares the checked-in tables with the exported
// API of the packages, read from source: a package added to sdk/ or a name
// added, removed or renamed fails it. (TestSymbolTablesRegenerate and
// .ci/generated compare byte for byte with a fresh `yaegi extract`.)
func TestSymbolTablesCurrent(t *testing.T) {
	root := filepath.Join("..")
	var pkgs []string
	require.NoError(t, filepath.WalkDir(filepath.Join(root, "sdk"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "internal" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if files, _ := filepath.Glob(filepath.Join(p, "*.go")); len(files) > 0 {
				pkgs = append(pkgs, p)
			}
		}
		return nil
	}))
	// builtin packages that scripts reach: the corpus and the vision objectives.
	for _, b := range []string{"corpus", "vit", "mae", "clip"} {
		pkgs = append(pkgs, filepath.Join(root, "builtin", b))
	}
	var inTables []string
	for k := range symbols.Symbols {
		if strings.HasPrefix(k, "github.com/pretrain-go/pretrain/") {
			inTables = append(inTables, k[:strings.LastIndex(k, "/")])
		}
	}
	var onDisk []string
	for _, dir := range pkgs {
		rel, _ := filepath.Rel(root, dir)
		ip := "github.com/pretrain-go/pretrain/" + filepath.ToSlash(rel)
		name, exported := exportedNames(t, dir)
		if name == "" || name == "main" {
			continue
		}
		onDisk = append(onDisk, ip)
		table := symbols.Symbols[ip+"/"+name]
		var have []string
		for k := range table {
			if !strings.HasPrefix(k, "_") {
				have = append(have, k)
			}
		}
		sort.Strings(have)
		assert.Equal(t, exported, have, "%s: symbol table is stale; run go generate ./repl/...", ip)
	}
	sort.Strings(inTables)
	sort.Strings(onDisk)
	assert.Equal(t, onDisk, inTables, "packages with symbol tables; run go generate ./repl/...")
}

// exportedNames lists the exported non-generic package-level names of a
// package folder, as yaegi extract keeps them.
func exportedNames(t *testing.T, dir string) (string, []string) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	pkg := ""
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		if !buildable(af, f) {
			continue
		}
		pkg = af.Name.Name
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() && d.Type.TypeParams == nil {
					seen[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() && s.TypeParams == nil {
							seen[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								seen[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return pkg, out
}

// buildable drops files excluded from the default build on this
// platform (the tables are generated for it).
func buildable(_ *ast.File, name string) bool {
	ok, err := build.Default.MatchFile(filepath.Dir(name), filepath.Base(name))
	return err == nil && ok
}

// TestSymbolTablesRegenerate regenerates the tables with the pinned yaegi
// into a temporary folder and diffs them. It takes about a minute, so it
// runs when PRETRAIN_REGEN_CHECK is set (.ci/generated runs the same check).
func TestSymbolTablesRegenerate(t *testing.T) {
	if os.Getenv("PRETRAIN_REGEN_CHECK") == "" {
		t.Skip("set PRETRAIN_REGEN_CHECK=1 to regenerate and diff the symbol tables (about a minute)")
	}
	out, err := exec.Command("go", "run", "./internal/gensym", "-check", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
}
