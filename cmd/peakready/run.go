package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/scenarios"
	"github.com/peakready/peakready/scenarios/report"
)

func init() {
	register("run", "run a scenario (built-in NAME or FILE) and check the integration", runScenario)
	register("scenarios", "list the built-in scenarios, or show one: scenarios show NAME",
		func(ctx context.Context, args []string, s streams) int {
			if len(args) > 0 && args[0] == "show" {
				return showScenario(args[1:], s)
			}
			return listScenarios(ctx, args, s)
		})
}

// splitPositional separates one NAME from the flags, which may come before or after it
// (or both): `run smoke --json x`, `run --json x smoke` and `run --quiet smoke --json x`.
func splitPositional(fs *flag.FlagSet, args []string) (string, int, bool) {
	names, code, done := positionals(fs, args)
	if done {
		return "", code, done
	}
	if len(names) > 1 {
		fmt.Fprintf(fs.Output(), "peakready %s: unexpected argument %q\n", fs.Name(), names[1])
		return "", exitUsage, true
	}
	if len(names) == 0 {
		return "", exitOK, false
	}
	return names[0], exitOK, false
}

// positionals parses flags anywhere among the arguments and returns the others in
// order; "--" ends the flags.
func positionals(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	if wantsHelp(args) {
		showHelpOnStdout(fs)
	}
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, true
			}
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return names, exitOK, false
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(names, rest...), exitOK, false // after "--" everything is a name
		}
		names, args = append(names, rest[0]), rest[1:]
	}
}

func runScenario(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("run", `Runs a scenario: starts Redis, the fake Shopify and NetSuite and the system under test,
drives the traffic phases, waits for the system to drain, checks every order against the
store's ground truth, and reports. NAME is a built-in (see: peakready scenarios); anything
with a "/" or ending in .yaml/.yml is a file.

Several NAMEs run one after the other: one combined --junit file, and --json, --html and
--results files named per scenario (r.json → r.NAME.json). Flags may come before or after
the names.

Exit codes: 0 every assertion held, 1 an assertion failed, 2 the scenario could not run,
3 inconclusive: the harness, not the system under test, was the bottleneck. With several
scenarios, the worst: 2, then 1, then 3, then 0.`, s)
	jsonPath := fs.String("json", "", "write the report as JSON to `FILE`")
	junitPath := fs.String("junit", "", "write JUnit XML (one test case per assertion) to `FILE`")
	htmlPath := fs.String("html", "", "write a self-contained HTML report with charts to `FILE`")
	resultsPath := fs.String("results", "", "write every webhook delivery as vegeta results (gob) to `FILE`")
	redisSpec := fs.String("redis", "", "override the scenario's Redis: `embedded`, docker or redis://...")
	speed := fs.Float64("speed", 0, "override the scenario's speed factor")
	seed := fs.Uint64("seed", 0, "override the scenario's seed")
	quiet := fs.Bool("quiet", false, "no live progress")
	logLevel := fs.String("log-level", "error", "log level of the fakes and the integrator (debug, info, warn, error), to stderr")
	dryRun := fs.Bool("dry-run", false, "validate the scenarios, print the plan of phases and what each run would start, and exit (0, or 2 when invalid)")
	baselinePath := fs.String("baseline", "", "compare with the JSON report of a previous run (`FILE`) and fail on a regression beyond --tolerance")
	tolerance := fs.Float64("tolerance", 0.10, "how much worse than --baseline a figure may be, as a share of its baseline value (0.1: 10%)")
	names, code, done := positionals(fs, args)
	if done {
		return code
	}
	if len(names) == 0 {
		return fail(s, "run", exitUsage, "name a built-in scenario or a scenario file (see: peakready scenarios)")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return fail(s, "run", exitUsage, "--log-level %q: use debug, info, warn or error", *logLevel)
	}
	// Every scenario is checked before the first one runs.
	var scs []*scenarios.Scenario
	for _, name := range names {
		sc, err := loadScenario(name)
		if err != nil {
			return fail(s, "run", exitUsage, "%v", err)
		}
		if err := sc.Override(*speed, *seed, *redisSpec); err != nil {
			return fail(s, "run", exitUsage, "%v", err)
		}
		scs = append(scs, sc)
	}
	if *tolerance < 0 || *tolerance > 100 {
		return fail(s, "run", exitUsage, "--tolerance %v: use a share between 0 and 100 (0.1 is 10%%)", *tolerance)
	}
	baselines := make([]*report.Report, len(scs))
	if *baselinePath != "" {
		for i, sc := range scs {
			path := *baselinePath
			if len(scs) > 1 {
				path = perScenarioPath(path, sc.Name)
			}
			b, err := readBaseline(path, sc.Name)
			if err != nil {
				return fail(s, "run", exitUsage, "--baseline: %v", err)
			}
			baselines[i] = b
		}
	}
	if *dryRun {
		for i, sc := range scs {
			p, err := scenarios.DryRun(sc)
			if err != nil {
				return fail(s, "run", exitUsage, "%v", err)
			}
			if i > 0 {
				fmt.Fprintln(s.out)
			}
			p.Write(s.out)
		}
		return exitOK
	}
	for _, path := range []string{*jsonPath, *junitPath, *htmlPath, *resultsPath} {
		if path != "" {
			if err := checkWritable(path); err != nil {
				return fail(s, "run", exitUsage, "%v", err)
			}
		}
	}
	logger := newLogger(s.err, lvl)
	// go-redis reports dropped connections on its own logger; a crash scenario drops
	// them on purpose, so they go to the run's log at debug level.
	redis.SetLogger(redisLog{logger})
	var reps []*report.Report
	worst := exitOK
	for i, sc := range scs {
		if ctx.Err() != nil {
			break
		}
		per := func(path string) string {
			if len(scs) > 1 {
				return perScenarioPath(path, sc.Name)
			}
			return path
		}
		cmp := baselineCheck{base: baselines[i], file: per(*baselinePath), tolerance: *tolerance}
		rep, code := runOne(ctx, sc, s, logger, per(*jsonPath), per(*htmlPath), per(*resultsPath), *quiet, cmp)
		reps = append(reps, rep)
		worst = worse(worst, code)
	}
	if *junitPath != "" {
		if err := writeFile(*junitPath, func(w io.Writer) error { return report.WriteJUnitAll(w, reps) }); err != nil {
			fmt.Fprintf(s.err, "peakready run: %v\n", err)
			worst = worse(worst, exitRuntime)
		}
	}
	if ctx.Err() != nil && len(reps) < len(scs) {
		worst = worse(worst, exitRuntime)
	}
	return worst
}

// runOne runs one scenario, prints its summary, writes its JSON, HTML and results
// files (those whose path is set) and returns its report and exit code.
func runOne(ctx context.Context, sc *scenarios.Scenario, s streams, logger *slog.Logger, jsonPath, htmlPath, resultsPath string, quiet bool, cmp baselineCheck) (*report.Report, int) {
	opts := scenarios.Options{Logger: logger}
	if resultsPath != "" {
		f, err := os.Create(resultsPath)
		if err != nil {
			fmt.Fprintf(s.err, "peakready run: --results: %v\n", err)
			return &report.Report{Scenario: sc.Name, Verdict: report.VerdictError, Error: err.Error()}, exitUsage
		}
		defer f.Close()
		w := bufio.NewWriterSize(f, 256<<10)
		defer w.Flush()
		opts.Results = w
	}
	if !quiet {
		opts.Progress = report.NewProgress(s.err, report.ProgressOptions{})
	}
	fmt.Fprintf(s.err, "peakready run %s: %s (speed %v, seed %d)\n", sc.Name, sc.Description, sc.Speed, sc.Seed)
	rep, runErr := scenarios.Run(ctx, sc, opts)
	if runErr == nil && cmp.base != nil {
		rep.AddBaselineAssertion(report.CompareBaseline(cmp.base, rep, cmp.tolerance), cmp.tolerance, filepath.Base(cmp.file))
	}

	sumOpts := report.SummaryOptions{}
	if f, ok := s.out.(*os.File); ok {
		sumOpts = report.SummaryOptionsFor(f)
	}
	report.WriteSummary(s.out, rep, sumOpts)
	outputs := []struct {
		path  string
		write func(io.Writer, *report.Report) error
	}{
		{jsonPath, report.WriteJSON}, {htmlPath, report.WriteHTML},
	}
	for _, o := range outputs {
		if o.path == "" {
			continue
		}
		if err := writeFile(o.path, func(w io.Writer) error { return o.write(w, rep) }); err != nil {
			fmt.Fprintf(s.err, "peakready run: %v\n", err)
			runErr = errors.Join(runErr, err)
		}
	}
	if runErr != nil {
		fmt.Fprintf(s.err, "peakready run: %v\n", runErr)
	}
	return rep, exitFor(rep, runErr)
}

// baselineCheck is the comparison of one run with a previous one (base nil: none).
type baselineCheck struct {
	base      *report.Report
	file      string
	tolerance float64
}

// readBaseline reads a previous run's JSON report of the scenario name.
func readBaseline(path, name string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := report.ReadJSON(io.LimitReader(f, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if b.Scenario != name {
		return nil, fmt.Errorf("%s is a report of scenario %q, not %q", path, b.Scenario, name)
	}
	if b.Error != "" {
		return nil, fmt.Errorf("%s is a run that could not run (%s): nothing to compare with", path, b.Error)
	}
	return b, nil
}

// perScenarioPath is the report file of one of several scenarios: the scenario's name
// before the extension (reports/run.json → reports/run.smoke.json).
func perScenarioPath(path, name string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "." + name + ext
}

// worse is the exit code of several runs: could not run (2) before an assertion failed
// (1) before inconclusive (3) before every assertion held (0).
func worse(a, b int) int {
	rank := map[int]int{exitOK: 0, exitInconclusive: 1, exitFailed: 2, exitUsage: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// exitFor is the exit code of a scenario run: 2 when it could not run, 3 when the
// harness was the bottleneck (inconclusive), 1 when an assertion failed, else 0.
func exitFor(rep *report.Report, runErr error) int {
	switch {
	case runErr != nil || rep == nil:
		return exitRuntime
	case rep.Verdict == report.VerdictInconclusive:
		return exitInconclusive
	case !rep.Passed:
		return exitFailed
	}
	return exitOK
}

// redisLog sends go-redis's own messages to a structured logger.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// loadScenario reads a built-in by name or a file by path.
func loadScenario(name string) (*scenarios.Scenario, error) {
	if strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') ||
		strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return scenarios.Load(name)
	}
	sc, err := scenarios.Builtin(name)
	if err != nil {
		if _, statErr := os.Stat(name); statErr == nil {
			return scenarios.Load(name)
		}
	}
	return sc, err
}

// checkWritable fails early, before a long run, when a report file cannot be written.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("report %s: %s is not a directory", path, dir)
	}
	return nil
}

// writeFile writes through a temporary file and renames it, so a reader never sees a
// half-written report.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		tmp.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	// CreateTemp makes the file private; a report is for CI artifacts and colleagues.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func listScenarios(_ context.Context, args []string, s streams) int {
	fs := newFlagSet("scenarios", `Lists the built-in scenarios.
"peakready scenarios show NAME" prints one as YAML, a starting point for your own file.`, s)
	sub, code, done := splitPositional(fs, args)
	if done {
		return code
	}
	switch sub {
	case "", "list":
		for _, b := range scenarios.Builtins() {
			fmt.Fprintf(s.out, "%-30s %s\n", b.Name, b.Description)
		}
		return exitOK
	case "show":
		return fail(s, "scenarios", exitUsage, "usage: peakready scenarios show NAME")
	}
	return fail(s, "scenarios", exitUsage, "unknown subcommand %q: use list, or show NAME", sub)
}

// showScenario prints a built-in's YAML: peakready scenarios show NAME.
func showScenario(args []string, s streams) int {
	fs := newFlagSet("scenarios show", "Prints a built-in scenario's YAML.", s)
	name, code, done := splitPositional(fs, args)
	if done {
		return code
	}
	if name == "" {
		return fail(s, "scenarios", exitUsage, "usage: peakready scenarios show NAME")
	}
	src, err := scenarios.BuiltinSource(name)
	if err != nil {
		return fail(s, "scenarios", exitUsage, "%v", err)
	}
	_, _ = s.out.Write(src)
	return exitOK
}
