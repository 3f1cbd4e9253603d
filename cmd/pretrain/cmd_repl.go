package main

import (
	"context"
	"io"
	"os"

	"github.com/pretrain-go/pretrain/repl"
)

func init() {
	register(&command{
		Name:    "repl",
		Summary: "interactive Go with the SDK pre-imported (completion, history, :help)",
		Run:     runREPL,
	})
}

const replSynopsis = `[flags]

An interactive Go session with the SDK packages pre-imported: values print
(tensors with shape, dtype and values), Tab completes packages, functions
and methods, input continues over lines while brackets are open, Ctrl-C
cancels the running statement, Ctrl-D quits. :help lists the commands.`

// replStdin is the REPL's input when it is not a terminal (tests set it).
var replStdin io.Reader = os.Stdin

func runREPL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("repl", replSynopsis, stderr)
	var allow, plugs listFlag
	history := fs.String("history", repl.DefaultHistory(), "history file (\"\" for none)")
	fs.Var(&allow, "allow", "grant a permission: file, network, exec, unsafe (repeatable)")
	fs.Var(&plugs, "plugin", "plugin folder to load into the task registry (repeatable)")
	if err := parseFlags(fs, "repl", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if err := loadPlugins(plugs, allow, stdout, stderr); err != nil {
		return err
	}
	s := &repl.Session{
		Options: repl.Options{Stderr: stderr, Env: os.Environ(), Args: []string{"repl"},
			Policy: repl.Policy{Allow: allow, Goroutines: true}},
		In:      replStdin,
		Out:     stdout,
		History: *history,
	}
	return s.Run(ctx)
}
