// Command pretrain pretrains neural networks and fine-tunes them on CPUs.
//
// Run `pretrain help` for the list of commands. Each command lives in its
// own file (cmd_NAME.go) and registers itself in init.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
)

// command is one subcommand of the CLI.
type command struct {
	Name    string // as typed: "train"
	Summary string // one line for `pretrain help`
	// Run executes the command with the arguments after its name. It returns
	// an error for the user; errUsage means the usage was already printed.
	Run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

// register adds a subcommand; called from init functions.
func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("pretrain: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// errUsage reports a usage error whose details were already printed.
var errUsage = errors.New("usage error")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	name := defaultCommand
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "pretrain: unknown command %q (run `pretrain help`)\n", name)
		return 2
	}
	// The SDK reports misuse by panicking with a typed error value (an
	// *optim.ConfigError, a *tensor.ShapeError, ...): this boundary prints
	// it as the command's error. A runtime error is a bug and still
	// crashes, with its stack.
	defer func() {
		if r := recover(); r != nil {
			var rt runtime.Error
			if e, ok := r.(error); ok && !errors.As(e, &rt) {
				fmt.Fprintf(stderr, "pretrain %s: %v\n", name, e)
				code = 1
				return
			}
			panic(r)
		}
	}()
	if err := c.Run(ctx, args, stdout, stderr); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			return 2
		}
		// An isolated child that exited by itself has printed its error.
		var exit interface{ ExitCode() int }
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintf(stderr, "pretrain %s: %v\n", name, err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pretrain: pretrain neural networks and fine-tune them on CPUs.")
	fmt.Fprintln(w, "\nUsage: pretrain COMMAND [flags]   (no command runs `pretrain "+defaultCommand+"`)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\nRun `pretrain COMMAND -h` for a command's flags.")
}

// newFlagSet returns a flag set that prints its usage to stderr and returns
// errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pretrain "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: pretrain %s %s\n", name, synopsis)
		if strings.Contains(synopsis, "[flags]") {
			fmt.Fprintln(stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}
