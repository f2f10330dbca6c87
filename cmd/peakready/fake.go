package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
)

// fakeCommands are the platforms `peakready fake` can serve.
var fakeCommands = map[string]command{}

func registerFake(platform, summary string, run func(ctx context.Context, args []string, s streams) int) {
	fakeCommands[platform] = command{summary: summary, run: run}
}

func init() {
	register("fake", "serve a fake platform (hubspot, netsuite, salesforce, shopify) with its real limits and faults", runFake)
}

func runFake(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		w := s.out
		if len(args) == 0 {
			w = s.err
		}
		fmt.Fprintln(w, "Usage: peakready fake PLATFORM [flags]   (peakready fake PLATFORM --help for its flags)")
		fmt.Fprintln(w, "\nPlatforms:")
		names := make([]string, 0, len(fakeCommands))
		for n := range fakeCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "  %-12s %s\n", n, fakeCommands[n].summary)
		}
		fmt.Fprintln(w, "\nFaults (--fault NAME[:key=value,...], repeatable):")
		for _, f := range faults.Names() {
			fmt.Fprintf(w, "  %-18s %s\n", f[0], f[1])
		}
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := fakeCommands[args[0]]
	if !ok {
		return fail(s, "fake", exitUsage, "unknown platform %q (peakready fake --help lists them)", args[0])
	}
	return cmd.run(ctx, args[1:], s)
}

// fakeFlags are the flags every fake takes.
type fakeFlags struct {
	addr     string
	speed    float64
	seed     uint64
	profile  string
	faults   ruleList
	logLevel string
}

func (f *fakeFlags) register(fs *flag.FlagSet, defaultAddr string) {
	fs.StringVar(&f.addr, "addr", defaultAddr, "listen address; 127.0.0.1:0 picks a free port")
	fs.Float64Var(&f.speed, "speed", 1, "run platform time this many times faster than wall time (latencies, windows, daily allocations, retry schedules)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed for generated data and fault dice; the same seed gives the same run")
	fs.StringVar(&f.profile, "profile", "", "fault/limit profile file, JSON or YAML (applied before --fault rules)")
	fs.Var(&f.faults, "fault", "add a fault rule NAME[:key=value,...], e.g. 'commit-then-drop:p=0.02,method=POST'; repeatable (peakready fake --help lists faults)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error (logs go to stderr)")
}

// validate checks the common flags.
func (f *fakeFlags) validate() error {
	if f.speed <= 0 || math.IsInf(f.speed, 0) || math.IsNaN(f.speed) {
		return fmt.Errorf("--speed %v must be a positive number", f.speed)
	}
	if _, err := parseLogLevel(f.logLevel); err != nil {
		return err
	}
	return nil
}

func (f *fakeFlags) clock() clock.Clock { return clock.NewScaled(f.speed) }

func (f *fakeFlags) logger(w io.Writer) *slog.Logger {
	lvl, _ := parseLogLevel(f.logLevel)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// applyProfile applies the --profile file, then the --fault rules (appended to the
// file's rules).
func (f *fakeFlags) applyProfile(srv *fakehttp.Server) error {
	var p fakehttp.Profile
	if f.profile != "" {
		var err error
		if p, err = fakehttp.LoadProfile(f.profile); err != nil {
			return err
		}
	}
	if len(f.faults) > 0 {
		p.Faults = append(p.Faults, f.faults...)
	}
	if err := srv.ApplyProfile(p); err != nil {
		if f.profile != "" {
			return fmt.Errorf("%s: %w", f.profile, err)
		}
		return err
	}
	return nil
}

// applyProfileUnderFlags applies the --profile file and the --fault rules, then the limit
// flags given on the command line, which win over the profile's limits. limits is the
// fake's Limits as the flags filled it (every flag, given or not); its JSON names are the
// knobs, the flags the same with dashes. An error of the flags names them as flags.
func (f *fakeFlags) applyProfileUnderFlags(fs *flag.FlagSet, srv *fakehttp.Server, platform string, limits any) error {
	if err := f.applyProfile(srv); err != nil {
		return err
	}
	if f.profile == "" {
		return nil
	}
	if err := reapplyLimitFlags(fs, srv, limits); err != nil {
		return errors.New(knobFlagNames(err.Error(), platform, limits))
	}
	return nil
}

// reapplyLimitFlags applies the limit flags that were set explicitly.
func reapplyLimitFlags(fs *flag.FlagSet, srv *fakehttp.Server, limits any) error {
	byKnob, err := knobsOf(limits)
	if err != nil {
		return err
	}
	set := map[string]json.RawMessage{}
	fs.Visit(func(f *flag.Flag) {
		knob := strings.ReplaceAll(f.Name, "-", "_")
		if v, ok := byKnob[knob]; ok {
			set[knob] = v
		}
	})
	if len(set) == 0 {
		return nil
	}
	raw, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return srv.ApplyProfile(fakehttp.Profile{Limits: raw})
}

// knobsOf is limits by JSON knob name.
func knobsOf(limits any) (map[string]json.RawMessage, error) {
	all, err := json.Marshal(limits)
	if err != nil {
		return nil, err
	}
	var byKnob map[string]json.RawMessage
	return byKnob, json.Unmarshal(all, &byKnob)
}

// knobFlagNames rewrites a library error that starts with a knob's name (burst_window),
// after the "platform: " and "limits: " prefixes, as one that starts with the flag that
// sets it (--burst-window).
func knobFlagNames(msg, platform string, limits any) string {
	msg = strings.TrimPrefix(msg, platform+": ")
	msg = strings.TrimPrefix(msg, "limits: ")
	byKnob, _ := knobsOf(limits)
	for k := range byKnob {
		if strings.HasPrefix(msg, k+" ") || strings.HasPrefix(msg, k+":") {
			return "--" + strings.ReplaceAll(k, "_", "-") + strings.TrimPrefix(msg, k)
		}
	}
	return msg
}

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// ruleList is a repeatable --fault flag.
type ruleList []faults.Rule

func (l *ruleList) String() string {
	parts := make([]string, len(*l))
	for i, r := range *l {
		parts[i] = r.Fault
	}
	return strings.Join(parts, ",")
}

func (l *ruleList) Set(spec string) error {
	r, err := faults.ParseSpec(spec)
	if err != nil {
		return err
	}
	if _, err := faults.Build(r); err != nil {
		return err
	}
	*l = append(*l, r)
	return nil
}

// serving is a started fake: what serveFake needs to announce and stop it.
type serving interface {
	Start(addr string) (string, error)
	Shutdown(ctx context.Context) error
}

// serveFake starts srv on addr, prints "listening on URL" as the first stdout line, and
// serves until ctx ends (Ctrl-C, SIGTERM).
func serveFake(ctx context.Context, s streams, platform string, srv serving, addr string) int {
	url, err := srv.Start(addr)
	if err != nil {
		return fail(s, "fake "+platform, exitRuntime, "%v", err)
	}
	fmt.Fprintf(s.out, "listening on %s\n", url)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	return exitOK
}
