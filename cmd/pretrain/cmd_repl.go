package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pretrain-go/pretrain/repl"
	"github.com/pretrain-go/pretrain/repl/isolate"
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

// maxREPLRestarts bounds how often a dead session's child is replaced.
const maxREPLRestarts = 5

// replStdin is the REPL's input when it is not a terminal (tests set it).
var replStdin io.Reader = os.Stdin

func runREPL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("repl", replSynopsis, stderr)
	var allow, plugs listFlag
	history := fs.String("history", repl.DefaultHistory(), "history file (\"\" for none)")
	fs.Var(&allow, "allow", "grant a permission: file, network, exec, unsafe (repeatable)")
	fs.Var(&plugs, "plugin", "plugin folder to load into the task registry (repeatable)")
	var sb sandboxFlags
	sb.register(fs, "the session")
	if err := parseFlags(fs, "repl", args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	for restarts := 0; ; restarts++ {
		// Ctrl-C cancels the statement running in the child (the terminal
		// signals the child too); it must not end the session's child.
		done, err := sb.supervise(context.WithoutCancel(ctx), "repl", args, replStdin, stdout, stderr)
		if !done {
			break
		}
		var ie *isolate.Error
		if !errors.As(err, &ie) || restarts == maxREPLRestarts || ctx.Err() != nil {
			return err
		}
		// The session's child died (out of memory, stack overflow, a
		// panic in a goroutine): say why and start a fresh one.
		fmt.Fprintf(stderr, "repl: %v\nrepl: the session was lost; starting a new one (history is kept)\n", err)
	}
	if err := loadPluginsWith(plugs, sb.pluginOptions(allow, stdout, stderr)); err != nil {
		return err
	}
	s := &repl.Session{
		Options: repl.Options{Stderr: stderr, Env: os.Environ(), Args: []string{"repl"},
			Policy: repl.Policy{Allow: allow, Goroutines: true, MemoryLimit: sb.pluginOptions(nil, nil, nil).MemoryLimit}},
		In:      replStdin,
		Out:     stdout,
		History: *history,
	}
	return s.Run(ctx)
}
