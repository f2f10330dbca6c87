// Command peakready proves, before Black Friday, that a Shopify ↔ ERP/CRM integration
// loses nothing, duplicates nothing and survives the platforms' limits and failures.
// It is a thin layer over the library packages: flags in, library calls out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	// The time zone database, embedded: the image is FROM scratch, without
	// /usr/share/zoneinfo, and the fakes' daily resets and the integrator's schedules
	// name zones like America/New_York.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailed  = 1 // the job ran and something it checks failed
	exitUsage   = 2 // bad flags or config, or a component could not start
	exitRuntime = 2
	// exitInconclusive: a scenario run's harness, not the system under test, was the
	// bottleneck (report verdict "inconclusive"); CI can treat it as an environment failure.
	exitInconclusive = 3
)

// streams are where a command writes; tests swap them.
type streams struct {
	out, err io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, s streams) int
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, s streams) int) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], streams{out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.out)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.err, "peakready: unknown command %q\n\n", args[0])
		usage(s.err)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], s)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "peakready proves that a Shopify ↔ ERP/CRM integration survives peak traffic.")
	fmt.Fprintln(w, "\nUsage: peakready COMMAND [flags]   (peakready COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

func init() {
	register("version", "print the version", func(_ context.Context, args []string, s streams) int {
		fs := newFlagSet("version", "", s)
		if code, done := parse(fs, args); done {
			return code
		}
		fmt.Fprintf(s.out, "peakready %s\n", version)
		return exitOK
	})
}

// usageArgs are the positional arguments commands take, for their usage line.
var usageArgs = map[string]string{
	"run": " NAME|FILE", "plan": " NAME|FILE", "scenarios": " [list | show NAME]", "scenarios show": " NAME",
	"dlq show": " ID", "held release": " ORDER_ID",
}

// helpOut remembers each flag set's stdout: --help prints there, while the usage that
// follows a flag error goes to stderr with the error.
var helpOut sync.Map // *flag.FlagSet → io.Writer

// newFlagSet returns a flag set whose --help prints a synopsis and the flags to stdout,
// and whose flag errors print the same to stderr.
func newFlagSet(name, synopsis string, s streams) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: peakready %s%s [flags]\n", name, usageArgs[name])
		if synopsis != "" {
			fmt.Fprintf(w, "\n%s\n", synopsis)
		}
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
	helpOut.Store(fs, s.out)
	return fs
}

// parseFlags parses args, sending the usage to stdout when help was asked for.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if wantsHelp(args) {
		showHelpOnStdout(fs)
	}
	return fs.Parse(args)
}

// showHelpOnStdout makes the flag set's usage go to stdout.
func showHelpOnStdout(fs *flag.FlagSet) {
	if w, ok := helpOut.Load(fs); ok {
		fs.SetOutput(w.(io.Writer))
	}
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// parse parses args; done reports that the command should return code at once
// (--help: 0, bad flags: 2).
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK, true
	}
	if err != nil {
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "peakready %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, true
	}
	return exitOK, false
}

// fail prints a message prefixed with the command name and returns code.
func fail(s streams, cmd string, code int, format string, a ...any) int {
	fmt.Fprintf(s.err, "peakready %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return code
}

// newLogger returns a text logger on w at lvl.
func newLogger(w io.Writer, lvl slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func sortedStrings(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
