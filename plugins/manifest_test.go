package plugins

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadManifestOfExamples(t *testing.T) {
	m, err := ReadManifest("examples/neighbormlm")
	require.NoError(t, err)
	assert.Equal(t, "neighbor-mlm", m.Name)
	assert.Equal(t, "github.com/pretrain-go/pretrain/plugins/examples/neighbormlm", m.EntryImport())
	assert.Equal(t, []string{KindObjective}, m.Kinds)
	assert.Contains(t, m.String(), "neighbor-mlm 0.1.0")
}

func TestManifestErrors(t *testing.T) {
	valid := `{"name":"x","version":"1.0.0","sdk":">=0.1.0","import":"example.com/x","entry":".","kinds":["objective"],"objectives":[{"name":"x","factory":"New"}]}`
	_, err := ParseManifest([]byte(valid), "plugin.json")
	require.NoError(t, err)
	for _, c := range []struct{ src, want string }{
		{"{\n  \"name\": \"x\",\n  \"version\": 1\n}", "plugin.json:3:"},
		{"{\n  \"name\": \"x\",\n  oops\n}", "plugin.json:3:"},
		{strings.Replace(valid, `"name":"x"`, `"name":"Bad Name"`, 1), "name \"Bad Name\""},
		{strings.Replace(valid, `"version":"1.0.0"`, `"version":"one"`, 1), "version"},
		{strings.Replace(valid, `"sdk":">=0.1.0"`, `"sdk":""`, 1), "sdk: the range"},
		{strings.Replace(valid, `"sdk":">=0.1.0"`, `"sdk":"~>0.1"`, 1), "sdk:"},
		{strings.Replace(valid, `"import":"example.com/x"`, `"import":"../x"`, 1), "import"},
		{strings.Replace(valid, `"kinds":["objective"]`, `"kinds":["head"]`, 1), "do not match"},
		{strings.Replace(valid, `"factory":"New"`, `"factory":"new"`, 1), "exported function"},
		{strings.Replace(valid, `"entry":"."`, `"entry":"../up"`, 1), "inside the plugin folder"},
		{strings.Replace(valid, `}]}`, `}],"permissions":["root"]}`, 1), `unknown permission "root"`},
		{strings.Replace(valid, `}]}`, `}],"surprise":1}`, 1), "unknown field"},
	} {
		_, err := ParseManifest([]byte(c.src), "plugin.json")
		require.Error(t, err, c.src)
		var me *ManifestError
		assert.True(t, errors.As(err, &me))
		assert.Contains(t, err.Error(), c.want, c.src)
	}
}

func TestMatchRange(t *testing.T) {
	for _, c := range []struct {
		rng, v string
		ok     bool
	}{
		{">=0.1.0 <0.2.0", "0.1.0", true},
		{">=0.1.0 <0.2.0", "0.1.9", true},
		{">=0.1.0 <0.2.0", "0.2.0", false},
		{">=0.1.0, <1", "0.9.3", true},
		{">0.1.0", "0.1.0", false},
		{"0.1.0", "0.1.0", true},
		{"<=v0.1.0", "0.1.1", false},
	} {
		ok, err := MatchRange(c.rng, c.v)
		require.NoError(t, err, c.rng)
		assert.Equal(t, c.ok, ok, "%s %s", c.rng, c.v)
	}
	_, err := MatchRange("!0.1", "0.1.0")
	assert.Error(t, err)
}

func TestSDKRangeEnforced(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Scaffold(dir, "future", KindObjective, ""))
	b, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	b = []byte(strings.Replace(string(b), ">=0.1.0 <0.2.0", ">=9.0.0", 1))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644))
	_, err := Load(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs SDK >=9.0.0")
}

func TestDiscover(t *testing.T) {
	found, err := Discover([]string{"examples"}, "")
	require.NoError(t, err)
	require.Len(t, found, 2)
	assert.Equal(t, "meanpool", filepath.Base(found[0]))

	// The search path adds folders, ignores missing ones, and dedups.
	found, err = Discover([]string{"examples/meanpool"}, "examples"+string(os.PathListSeparator)+"/no/such/folder")
	require.NoError(t, err)
	assert.Len(t, found, 2)

	_, err = Discover([]string{"/no/such/folder"}, "")
	assert.Error(t, err, "an explicit path must exist")
	_, err = Discover([]string{"testdata/uses-exec/.."}, "")
	require.NoError(t, err)
}

func TestScaffoldLoadsAndRefusesOverwrite(t *testing.T) {
	for _, kind := range []string{KindObjective, KindHead} {
		dir := filepath.Join(t.TempDir(), "p")
		require.NoError(t, Scaffold(dir, "my-"+kind, kind, "example.com/my/"+kind+"-plugin"))
		p, err := Load(dir, Options{})
		require.NoError(t, err, kind)
		assert.Equal(t, "my-"+kind, p.Manifest.Name)
		assert.Error(t, Scaffold(dir, "my-"+kind, kind, ""), "no overwrite")
	}
	assert.Error(t, Scaffold(t.TempDir(), "x", "tokenizer", ""))
}

func TestGenerateRegistration(t *testing.T) {
	a, _ := ReadManifest("examples/neighbormlm")
	b, _ := ReadManifest("examples/meanpool")
	src := string(GenerateRegistration([]*Manifest{a, b}))
	assert.Contains(t, src, `plugin0 "github.com/pretrain-go/pretrain/plugins/examples/neighbormlm"`)
	assert.Contains(t, src, `task.RegisterObjective("neighbor-mlm", `)
	assert.Contains(t, src, `plugin0.NewObjective)`)
	assert.Contains(t, src, `task.RegisterHead("meanpool-classify", `)
	assert.Contains(t, src, `plugin1.NewHead)`)
}

// TestBuildLinksPluginsNatively builds a pretrain binary with the example
// plugins and a scaffolded one from outside the module, then lists its
// objectives. It compiles the whole CLI (tens of seconds), so it runs
// when PRETRAIN_TEST_PLUGIN_BUILD is set.
func TestBuildLinksPluginsNatively(t *testing.T) {
	if os.Getenv("PRETRAIN_TEST_PLUGIN_BUILD") == "" {
		t.Skip("set PRETRAIN_TEST_PLUGIN_BUILD=1 to build a binary with plugins linked in")
	}
	ext := filepath.Join(t.TempDir(), "ext")
	require.NoError(t, Scaffold(ext, "outside", KindObjective, "example.com/outside"))
	bin := filepath.Join(t.TempDir(), "pretrain-plugins")
	_, err := Build(context.Background(), BuildOptions{Dirs: []string{"examples/neighbormlm", "examples/meanpool", ext}, Output: bin, Source: "..", Stderr: os.Stderr})
	require.NoError(t, err)
	out, err := exec.Command(bin, "train", "--objective", "list").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "neighbor-mlm")
	assert.Contains(t, string(out), "outside")
}

func FuzzParseManifest(f *testing.F) {
	b, _ := os.ReadFile("examples/neighbormlm/plugin.json")
	f.Add(b)
	f.Add([]byte(`{"name":"x"}`))
	f.Add([]byte(`{"sdk":">=0.1 <"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data, "plugin.json")
		if err == nil && (m.Name == "" || m.Import == "") {
			t.Fatalf("accepted a manifest without name or import: %+v", m)
		}
	})
}
