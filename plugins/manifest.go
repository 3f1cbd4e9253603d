// Package plugins loads third-party pretraining objectives and fine-tuning
// heads written in Go into the task registry, through the sandboxed yaegi
// interpreter of package repl.
//
// A plugin is a folder holding a manifest (plugin.json), Go sources and
// optionally vendored dependencies under vendor/. The manifest names the
// plugin, its version, the SDK versions it works with, its Go import path,
// the entry package, the objectives and heads it provides (each a typed
// factory function of the entry package) and the permissions it needs:
//
//	{
//	  "name": "charlm",
//	  "version": "0.1.0",
//	  "sdk": ">=0.1.0 <0.2.0",
//	  "import": "example.com/charlm",
//	  "entry": ".",
//	  "kinds": ["objective"],
//	  "objectives": [{"name": "charlm", "factory": "NewObjective", "doc": "next-byte LM"}],
//	  "permissions": []
//	}
//
// An objective factory has the type task.ObjectiveFactory, a head factory
// task.HeadFactory. By default a plugin may import only the SDK, builtin
// packages and a whitelisted standard library; "file", "network", "exec"
// and "unsafe" permissions must be both declared in the manifest and
// granted by the user. Untrusted plugins may not start goroutines. A
// plugin's panics become errors naming the plugin and the source position;
// a call that exceeds its timeout discards the interpreter and reloads the
// plugin.
//
// Because a plugin is plain Go, the same folder compiles natively: Build
// links plugins into a pretrain binary with no interpreter in the training
// loop.
package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/repl"
)

// SDKVersion is the version of the SDK the host implements, matched
// against a manifest's "sdk" range.
const SDKVersion = "0.1.0"

// ManifestFile is the manifest's file name inside a plugin folder.
const ManifestFile = "plugin.json"

// Kinds of things a plugin provides.
const (
	KindObjective = "objective"
	KindHead      = "head"
)

// Manifest describes a plugin.
type Manifest struct {
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	SDK         string     `json:"sdk"`    // range of SDK versions, e.g. ">=0.1.0 <0.2.0"
	Import      string     `json:"import"` // Go import path of the plugin folder
	Entry       string     `json:"entry"`  // entry package, relative to the folder ("." for the root)
	Kinds       []string   `json:"kinds"`  // "objective", "head"
	Objectives  []Provided `json:"objectives,omitempty"`
	Heads       []Provided `json:"heads,omitempty"`
	Permissions []string   `json:"permissions,omitempty"`
	Description string     `json:"description,omitempty"`
	// Timeout bounds each call into the plugin (a Go duration such as
	// "30s"); "" sizes the bound from measured call times (see
	// Options.Timeout). A --plugin-timeout given by the user wins.
	Timeout string `json:"timeout,omitempty"`
	// Memory is the plugin's budget for SDK tensors in MB (0: the host's
	// default); the user's --plugin-memory wins.
	Memory int64 `json:"memory_mb,omitempty"`
}

// CallTimeout is the manifest's Timeout parsed; 0 when unset.
func (m *Manifest) CallTimeout() time.Duration {
	d, _ := time.ParseDuration(m.Timeout)
	return d
}

// Provided is one objective or head a plugin registers.
type Provided struct {
	Name    string `json:"name"`    // registry name
	Factory string `json:"factory"` // exported factory function of the entry package
	Doc     string `json:"doc,omitempty"`
}

// String summarises the manifest.
func (m *Manifest) String() string {
	return fmt.Sprintf("%s %s (%s; kinds=%s; permissions=[%s])", m.Name, m.Version, m.Import,
		strings.Join(m.Kinds, ","), strings.Join(m.Permissions, " "))
}

// EntryImport is the import path of the entry package.
func (m *Manifest) EntryImport() string {
	if m.Entry == "" || m.Entry == "." {
		return m.Import
	}
	return m.Import + "/" + strings.Trim(filepath.ToSlash(m.Entry), "/")
}

// ManifestError reports an invalid manifest, with its file and, for a
// syntax error, the line and column.
type ManifestError struct {
	File      string
	Line, Col int // 0 when not a syntax error
	Msg       string
}

// Error gives the file, the position of a syntax error and the problem.
func (e *ManifestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ReadManifest reads and validates dir/plugin.json.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(b, path)
}

// ParseManifest decodes and validates a manifest; file names it in errors.
func ParseManifest(b []byte, file string) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		me := &ManifestError{File: file, Msg: err.Error()}
		var off int64 = -1
		switch e := err.(type) {
		case *json.SyntaxError:
			off = e.Offset
		case *json.UnmarshalTypeError:
			off = e.Offset
		}
		if off >= 0 {
			me.Line, me.Col = lineCol(b, int(off))
		}
		return nil, me
	}
	if dec.More() {
		return nil, &ManifestError{File: file, Msg: "trailing data after the manifest object"}
	}
	if err := m.validate(); err != nil {
		return nil, &ManifestError{File: file, Msg: err.Error()}
	}
	return &m, nil
}

func lineCol(b []byte, off int) (line, col int) {
	if off > len(b) {
		off = len(b)
	}
	line = 1 + bytes.Count(b[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

func (m *Manifest) validate() error {
	if m.Timeout != "" {
		if d, err := time.ParseDuration(m.Timeout); err != nil || d <= 0 {
			return fmt.Errorf("timeout %q: want a positive Go duration such as \"30s\"", m.Timeout)
		}
	}
	if m.Memory < 0 {
		return fmt.Errorf("memory_mb %d must not be negative", m.Memory)
	}
	if !validName(m.Name) {
		return fmt.Errorf("name %q: use lower-case letters, digits, '-', '_' and '.'", m.Name)
	}
	if _, err := parseVersion(m.Version); err != nil {
		return fmt.Errorf("version: %v", err)
	}
	if m.SDK == "" {
		return fmt.Errorf("sdk: the range of SDK versions is required, e.g. \">=%s\"", SDKVersion)
	}
	if _, err := MatchRange(m.SDK, SDKVersion); err != nil {
		return fmt.Errorf("sdk: %v", err)
	}
	if m.Import == "" || strings.ContainsAny(m.Import, " \\") || strings.HasPrefix(m.Import, "/") || strings.HasPrefix(m.Import, ".") {
		return fmt.Errorf("import %q: a Go import path is required, e.g. example.com/%s", m.Import, m.Name)
	}
	if strings.Contains(m.Entry, "..") {
		return fmt.Errorf("entry %q must stay inside the plugin folder", m.Entry)
	}
	kinds := map[string]bool{}
	for _, k := range m.Kinds {
		if k != KindObjective && k != KindHead {
			return fmt.Errorf("kinds: unknown kind %q (objective, head)", k)
		}
		kinds[k] = true
	}
	if kinds[KindObjective] != (len(m.Objectives) > 0) || kinds[KindHead] != (len(m.Heads) > 0) {
		return fmt.Errorf("kinds %v do not match the objectives and heads listed", m.Kinds)
	}
	seen := map[string]bool{}
	for _, p := range append(append([]Provided{}, m.Objectives...), m.Heads...) {
		if !validName(p.Name) {
			return fmt.Errorf("provided name %q: use lower-case letters, digits, '-', '_' and '.'", p.Name)
		}
		if p.Factory == "" || !isExported(p.Factory) {
			return fmt.Errorf("%s: factory %q must be an exported function of the entry package", p.Name, p.Factory)
		}
		if seen[p.Name] {
			return fmt.Errorf("%s is listed twice", p.Name)
		}
		seen[p.Name] = true
	}
	for _, p := range m.Permissions {
		if !contains(repl.Permissions(), p) {
			return fmt.Errorf("permissions: unknown permission %q (known: %s)", p, strings.Join(repl.Permissions(), ", "))
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func isExported(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseVersion parses MAJOR.MINOR.PATCH (a leading "v" and a pre-release
// suffix are ignored).
func parseVersion(s string) ([3]int, error) {
	var v [3]int
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(t, "-+"); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 1 || len(parts) > 3 || t == "" {
		return v, fmt.Errorf("%q is not a version (MAJOR.MINOR.PATCH)", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("%q is not a version (MAJOR.MINOR.PATCH)", s)
		}
		v[i] = n
	}
	return v, nil
}

func cmpVersion(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// MatchRange reports whether version satisfies a range: space- or
// comma-separated comparisons (>=, >, <=, <, =) that must all hold, e.g.
// ">=0.1.0 <0.2.0"; a bare version means "=".
func MatchRange(rng, version string) (bool, error) {
	v, err := parseVersion(version)
	if err != nil {
		return false, err
	}
	ok := true
	fields := strings.FieldsFunc(rng, func(r rune) bool { return r == ' ' || r == ',' })
	if len(fields) == 0 {
		return false, fmt.Errorf("empty range")
	}
	for _, f := range fields {
		op := strings.TrimRight(f[:len(f)-len(strings.TrimLeft(f, "<>=!"))], " ")
		w, err := parseVersion(f[len(op):])
		if err != nil {
			return false, fmt.Errorf("range %q: %v", rng, err)
		}
		c := cmpVersion(v, w)
		switch op {
		case ">=":
			ok = ok && c >= 0
		case ">":
			ok = ok && c > 0
		case "<=":
			ok = ok && c <= 0
		case "<":
			ok = ok && c < 0
		case "=", "==", "":
			ok = ok && c == 0
		default:
			return false, fmt.Errorf("range %q: unknown comparison %q", rng, op)
		}
	}
	return ok, nil
}

// Discover lists plugin folders: each path is a plugin folder (it holds a
// plugin.json) or a folder of plugin folders. pluginPath is a
// list separated by os.PathListSeparator (the PRETRAIN_PLUGIN_PATH
// variable), searched after the explicit paths. Duplicates are dropped.
func Discover(paths []string, pluginPath string) ([]string, error) {
	var all []string
	all = append(all, paths...)
	if pluginPath != "" {
		all = append(all, filepath.SplitList(pluginPath)...)
	}
	seen := map[string]bool{}
	var out []string
	add := func(d string) {
		abs, err := filepath.Abs(d)
		if err == nil && !seen[abs] {
			seen[abs] = true
			out = append(out, abs)
		}
	}
	for i, p := range all {
		if p == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(p, ManifestFile)); err == nil {
			add(p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			if i < len(paths) {
				return nil, fmt.Errorf("plugin path %s: %w", p, err)
			}
			continue // a missing folder on the search path is not an error
		}
		var found []string
		for _, e := range ents {
			if e.IsDir() {
				if _, err := os.Stat(filepath.Join(p, e.Name(), ManifestFile)); err == nil {
					found = append(found, filepath.Join(p, e.Name()))
				}
			}
		}
		sort.Strings(found)
		if len(found) == 0 && i < len(paths) {
			return nil, fmt.Errorf("plugin path %s: no %s in it or in its subfolders", p, ManifestFile)
		}
		for _, f := range found {
			add(f)
		}
	}
	return out, nil
}
