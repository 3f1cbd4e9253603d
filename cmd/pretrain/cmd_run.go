package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pretrain-go/pretrain/plugins"
	"github.com/pretrain-go/pretrain/repl"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func init() {
	register(&command{
		Name:    "run",
		Summary: "run a Go script (a file or a package-main folder) in the interpreter",
		Run:     runRun,
	})
}

const runSynopsis = `[flags] PATH [ARGS...]

Runs PATH, a Go file or a folder holding one package main, in the yaegi
interpreter with the SDK importable; ARGS become the script's os.Args[1:].
The same script also runs with ` + "`go run`" + `. Compile errors and panics
(including SDK shape errors) are reported as file:line:col with a non-zero
exit status. See docs/scripting.md for the supported Go dialect.`

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runSynopsis, stderr)
	var allow, plugs listFlag
	fs.Var(&allow, "allow", "grant a permission to the script: file, network, exec, unsafe (repeatable)")
	fs.Var(&plugs, "plugin", "plugin folder whose objectives and heads the script can build by name (repeatable)")
	var sb sandboxFlags
	sb.register(fs, "the script")
	if err := parseFlags(fs, "run", args, stderr); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errUsage
	}
	if done, err := sb.supervise(ctx, "run", args, os.Stdin, stdout, stderr); done {
		return err
	}
	if err := loadPluginsWith(plugs, sb.pluginOptions(allow, stdout, stderr)); err != nil {
		return err
	}
	path := fs.Arg(0)
	in, err := repl.New(repl.Options{
		Stdout: stdout, Stderr: stderr, Stdin: os.Stdin,
		Env:  os.Environ(),
		Args: append([]string{path}, fs.Args()[1:]...),
		// The user's own script is trusted with goroutines; files,
		// network and processes still need --allow.
		Policy: repl.Policy{Allow: allow, Goroutines: true, MemoryLimit: sb.pluginOptions(nil, nil, nil).MemoryLimit},
	})
	if err != nil {
		return err
	}
	err = in.RunPath(ctx, path)
	var ex *repl.ExitError
	if errors.As(err, &ex) {
		return fmt.Errorf("%s: exit status %d", path, ex.Code)
	}
	return err
}

// loadPlugins loads plugin folders (and those on PRETRAIN_PLUGIN_PATH)
// into the process-wide task registry, so that objectives and heads are
// found by name (pretrain train --plugin uses it too).
func loadPlugins(dirs, allow []string, stdout, stderr io.Writer) error {
	return loadPluginsWith(dirs, plugins.Options{Allow: allow, Stdout: stdout, Stderr: stderr})
}

// usesPlugins reports whether plugins would be loaded from dirs or from
// PRETRAIN_PLUGIN_PATH.
func usesPlugins(dirs []string) bool {
	return len(dirs) > 0 || os.Getenv("PRETRAIN_PLUGIN_PATH") != ""
}

// loadPluginsWith is loadPlugins with every plugin option (timeouts,
// memory budget, trust).
func loadPluginsWith(dirs []string, opts plugins.Options) error {
	if !usesPlugins(dirs) {
		return nil
	}
	found, err := plugins.Discover(dirs, os.Getenv("PRETRAIN_PLUGIN_PATH"))
	if err != nil {
		return err
	}
	_, err = plugins.LoadAll(found, opts, task.Default)
	return err
}
