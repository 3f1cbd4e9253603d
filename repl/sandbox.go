package repl

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/traefik/yaegi/stdlib/unsafe"

	"github.com/pretrain-go/pretrain/repl/symbols"
	"github.com/pretrain-go/pretrain/repl/symbols/privileged"
)

// Permissions a plugin (or a script run with --allow) may be granted. Each
// unlocks a set of standard packages that are otherwise not importable.
const (
	PermFile    = "file"    // os, io/fs, io/ioutil, path/filepath
	PermNetwork = "network" // net, net/url
	PermExec    = "exec"    // os/exec
	PermUnsafe  = "unsafe"  // unsafe, syscall, reflect
)

// permissionOf maps each privileged import path to the permission it needs.
var permissionOf = map[string]string{
	"os": PermFile, "io/fs": PermFile, "io/ioutil": PermFile, "path/filepath": PermFile,
	"net": PermNetwork, "net/url": PermNetwork,
	"os/exec": PermExec,
	"unsafe":  PermUnsafe, "syscall": PermUnsafe, "reflect": PermUnsafe,
}

// Permissions lists the permission names, sorted.
func Permissions() []string {
	return []string{PermExec, PermFile, PermNetwork, PermUnsafe}
}

// PermissionOf returns the permission that unlocks an import path, or "" if
// no permission does.
func PermissionOf(importPath string) string { return permissionOf[importPath] }

// Policy is the sandbox of an interpreter: exactly the packages it is given
// are importable (DESIGN.md §5 rule 7). The zero Policy allows the SDK, the
// builtin packages and the whitelisted standard library, a restricted os
// (Args, Getenv, Exit, Stdout, Stderr), and no go statements.
type Policy struct {
	// Allow lists granted permissions (PermFile, PermNetwork, PermExec,
	// PermUnsafe).
	Allow []string
	// Goroutines allows go statements. A panic in a script goroutine cannot
	// be recovered by the host and ends the process, so only trusted code
	// (the user's own scripts) should get it.
	Goroutines bool
	// MemoryLimit, when > 0, is the interpreter's memory budget in bytes
	// for tensors and layers made through the SDK constructors
	// (tensor.Zeros, Ones, Full, Randn, Uniform, FromFloat32s, FromInts,
	// Arange, nn.NewLinear, nn.NewEmbedding): a call that would take the
	// live total past it panics with a *MemoryError, which the boundary
	// reports with the script position. Raw Go allocations (make, append)
	// cannot be counted; the child process of package isolate bounds
	// those (docs/plugins.md, "Containment").
	MemoryLimit int64
}

// String lists the grants.
func (p Policy) String() string {
	s := fmt.Sprintf("Policy{allow=[%s] goroutines=%t", strings.Join(p.Allow, " "), p.Goroutines)
	if p.MemoryLimit > 0 {
		s += " memory=" + formatBytes(p.MemoryLimit)
	}
	return s + "}"
}

func (p Policy) allows(perm string) bool {
	for _, a := range p.Allow {
		if a == perm {
			return true
		}
	}
	return false
}

// validate reports an unknown permission name.
func (p Policy) validate() error {
	for _, a := range p.Allow {
		if !contains(Permissions(), a) {
			return fmt.Errorf("unknown permission %q (known: %s)", a, strings.Join(Permissions(), ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// exports builds the symbol set passed to Use for a policy.
func (p Policy) exports() map[string]map[string]reflect.Value {
	out := map[string]map[string]reflect.Value{}
	for k, v := range symbols.Symbols {
		out[k] = v
	}
	// Scripts get a restricted os so that programs written for `go run`
	// (os.Args, os.Exit, os.Getenv) also run here; yaegi virtualises
	// Args, Getenv and the std streams of this table.
	out["os/os"] = restrictedOS()
	if p.MemoryLimit > 0 {
		(&budget{limit: p.MemoryLimit}).wrap(out)
	}
	for k, v := range privileged.Symbols {
		if p.allows(permissionOf[k[:strings.LastIndex(k, "/")]]) {
			if k == "os/os" {
				merged := restrictedOS()
				for n, s := range v {
					if _, keep := merged[n]; !keep {
						merged[n] = s
					}
				}
				v = merged
			}
			out[k] = v
		}
	}
	if p.allows(PermUnsafe) {
		for k, v := range unsafe.Symbols {
			out[k] = v
		}
	}
	return out
}

// Importable reports whether the policy lets code import path, given the
// import paths of source packages the interpreter knows.
func (p Policy) importable(path string, sources map[string]string) bool {
	if path == "os" {
		return true // restricted unless PermFile is granted
	}
	if perm := permissionOf[path]; perm != "" {
		return p.allows(perm)
	}
	if _, ok := symbols.Symbols[path+"/"+pathBase(path)]; ok {
		return true
	}
	for ip := range sources {
		if path == ip || strings.HasPrefix(path, ip+"/") {
			return true
		}
	}
	return false
}

func pathBase(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// SandboxError reports source that the policy refuses: an import that is
// not available or needs a permission, or a go statement.
type SandboxError struct {
	Pos        string // file:line:col
	Import     string // the refused import path, "" for a go statement
	Permission string // the permission that would allow it, "" if none
	Msg        string
}

// Error gives the position and what was refused.
func (e *SandboxError) Error() string {
	return e.Pos + ": " + e.Msg
}

// CheckSource applies the policy to one Go source file before the
// interpreter sees it. sources are the import paths of source packages the
// interpreter may load (plugins). filename is used in positions.
func (p Policy) CheckSource(filename string, src []byte, sources map[string]string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return nil // the interpreter reports syntax errors with positions
	}
	return p.checkFile(fset, f, sources)
}

// CheckTree applies the policy to every Go file under dir, in every
// sub-folder (none is skipped: the interpreter can import any of them);
// test files, which the interpreter never loads, are left out. The first
// refusal is returned with its file:line:col.
func (p Policy) CheckTree(dir string, sources map[string]string) error {
	allowed := map[string]string{}
	for k, v := range sources {
		allowed[k] = v
	}
	vendor := filepath.Join(dir, "vendor")
	_ = filepath.WalkDir(vendor, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path != vendor {
			rel, _ := filepath.Rel(vendor, path)
			allowed[filepath.ToSlash(rel)] = path
		}
		return nil
	})
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return p.CheckSource(path, src, allowed)
	})
}

func (p Policy) checkFile(fset *token.FileSet, f *ast.File, sources map[string]string) error {
	for _, im := range f.Imports {
		path := strings.Trim(im.Path.Value, "`\"")
		if p.importable(path, sources) {
			continue
		}
		pos := fset.Position(im.Path.Pos()).String()
		if perm := permissionOf[path]; perm != "" {
			return &SandboxError{Pos: pos, Import: path, Permission: perm,
				Msg: fmt.Sprintf("import %q needs permission %q (run with --allow %s; a plugin also declares it under \"permissions\" in plugin.json)", path, perm, perm)}
		}
		return &SandboxError{Pos: pos, Import: path,
			Msg: fmt.Sprintf("import %q is not available to scripts and plugins (importable: the SDK, builtin/corpus and %s)", path, strings.Join(safeStdlib(), ", "))}
	}
	if p.Goroutines {
		return nil
	}
	var bad *SandboxError
	ast.Inspect(f, func(n ast.Node) bool {
		if g, ok := n.(*ast.GoStmt); ok && bad == nil {
			bad = &SandboxError{Pos: fset.Position(g.Pos()).String(),
				Msg: "go statements are not allowed in untrusted code: a panic in a goroutine would end the host (trust a plugin with --trusted-plugins, or --trusted for plugin check; isolation still applies)"}
		}
		return bad == nil
	})
	if bad != nil {
		return bad
	}
	return nil
}

// safeStdlib lists the whitelisted standard packages.
func safeStdlib() []string {
	var out []string
	for k := range symbols.Symbols {
		ip := k[:strings.LastIndex(k, "/")]
		if !strings.Contains(ip, ".") {
			out = append(out, ip)
		}
	}
	sort.Strings(out)
	return out
}
