package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pretrain-go/pretrain/plugins"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func init() {
	register(&command{
		Name:    "plugin",
		Summary: "list, check, scaffold and natively build objective and head plugins",
		Run:     runPlugin,
	})
}

const pluginSynopsis = `list|check|new|build [flags] [ARGS]

  list [--plugin DIR]...         plugins found in --plugin folders and on PRETRAIN_PLUGIN_PATH
  check [--allow PERM]... DIR... load each plugin in the sandbox and build its objectives and heads
  new [--kind objective|head] [--import PATH] [--dir DIR] NAME
                                 scaffold a plugin folder that loads and compiles as is
  build -o BINARY [--src DIR] DIR...
                                 link plugins natively into a pretrain binary (no interpreter)

A plugin is a folder with plugin.json and Go sources: see docs/scripting.md.`

func runPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: pretrain plugin "+pluginSynopsis)
		return errUsage
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		return pluginList(args, stdout, stderr)
	case "check":
		return pluginCheck(args, stdout, stderr)
	case "new":
		return pluginNew(args, stdout, stderr)
	case "build":
		return pluginBuild(ctx, args, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, "Usage: pretrain plugin "+pluginSynopsis)
		return nil
	}
	fmt.Fprintf(stderr, "pretrain plugin: unknown subcommand %q (list, check, new, build)\n", sub)
	return errUsage
}

func pluginList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plugin list", "[--plugin DIR]...", stderr)
	var dirs listFlag
	fs.Var(&dirs, "plugin", "plugin folder, or a folder of plugin folders (repeatable)")
	if err := parseFlags(fs, "plugin list", args, stderr); err != nil {
		return err
	}
	dirs = append(dirs, fs.Args()...)
	found, err := plugins.Discover(dirs, os.Getenv("PRETRAIN_PLUGIN_PATH"))
	if err != nil {
		return err
	}
	if len(found) == 0 {
		fmt.Fprintln(stdout, "no plugins (use --plugin DIR or set PRETRAIN_PLUGIN_PATH)")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tPROVIDES\tPERMISSIONS\tFOLDER")
	var bad []string
	for _, d := range found {
		m, err := plugins.ReadManifest(d)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		var provides []string
		for _, o := range m.Objectives {
			provides = append(provides, "objective:"+o.Name)
		}
		for _, h := range m.Heads {
			provides = append(provides, "head:"+h.Name)
		}
		perms := strings.Join(m.Permissions, ",")
		if perms == "" {
			perms = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.Version, strings.Join(provides, ","), perms, d)
	}
	tw.Flush()
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "\n"))
	}
	return nil
}

func pluginCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plugin check", "[--allow PERM]... DIR...", stderr)
	var allow listFlag
	fs.Var(&allow, "allow", "grant a permission the plugin declares: file, network, exec, unsafe (repeatable)")
	trusted := fs.Bool("trusted", false, "allow go statements")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on each call into the plugin")
	if err := parseFlags(fs, "plugin check", args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	dirs, err := plugins.Discover(fs.Args(), "")
	if err != nil {
		return err
	}
	failed := 0
	for _, d := range dirs {
		if err := checkOne(d, plugins.Options{Allow: allow, Trusted: *trusted, Timeout: *timeout, Stderr: stderr}, stdout); err != nil {
			fmt.Fprintf(stdout, "FAIL %s\n     %v\n", d, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d plugins failed the check", failed, len(dirs))
	}
	return nil
}

// checkOne loads a plugin into a private registry and builds each
// objective it provides with a small config, so that factories run.
func checkOne(dir string, opts plugins.Options, stdout io.Writer) error {
	p, err := plugins.Load(dir, opts)
	if err != nil {
		return err
	}
	r := task.NewRegistry()
	if err := p.Register(r); err != nil {
		return err
	}
	cfg := task.Config{VocabSize: 258, SeqLen: 16, Seed: 1, Labels: 2, Special: map[string]int{"mask": 256, "pad": 257}}
	var built []string
	for _, name := range r.Objectives() {
		obj, err := r.NewObjective(name, cfg)
		if err != nil {
			return err
		}
		built = append(built, fmt.Sprintf("objective %s (%d parameters)", name, obj.Module().NumParams()))
	}
	for _, name := range r.Heads() {
		built = append(built, "head "+name)
	}
	fmt.Fprintf(stdout, "ok   %s %s: %s\n", p.Manifest.Name, p.Manifest.Version, strings.Join(built, ", "))
	return nil
}

func pluginNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plugin new", "[--kind objective|head] [--import PATH] [--dir DIR] NAME", stderr)
	kind := fs.String("kind", plugins.KindObjective, "what the plugin provides: objective or head")
	imp := fs.String("import", "", "Go import path (default example.com/NAME)")
	dir := fs.String("dir", "", "folder to create (default ./NAME)")
	if err := parseFlags(fs, "plugin new", args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	name := fs.Arg(0)
	d := *dir
	if d == "" {
		d = name
	}
	if err := plugins.Scaffold(d, name, *kind, *imp); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s (plugin.json, %s.go); check it with: pretrain plugin check %s\n", d, *kind, d)
	return nil
}

func pluginBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plugin build", "-o BINARY [--src DIR] DIR...", stderr)
	out := fs.String("o", "pretrain-plugins", "binary to write")
	src := fs.String("src", ".", "the pretrain source tree (holding go.mod)")
	keep := fs.Bool("keep", false, "keep the generated build folder")
	if err := parseFlags(fs, "plugin build", args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	dirs, err := plugins.Discover(fs.Args(), "")
	if err != nil {
		return err
	}
	tmp, err := plugins.Build(ctx, plugins.BuildOptions{Dirs: dirs, Output: *out, Source: *src, Stderr: stderr, Keep: *keep})
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(*out)
	fmt.Fprintf(stdout, "built %s with %d plugin(s) linked natively\n", abs, len(dirs))
	if *keep {
		fmt.Fprintln(stdout, "build folder:", tmp)
	}
	return nil
}
