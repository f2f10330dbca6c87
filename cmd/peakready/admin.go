package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peakready/peakready/integrator/adminapi"
)

// The dlq, queue and held commands are clients of a running integrator's admin API.

func init() {
	register("dlq", "list, show, replay or discard dead letters of a running integrator", runDLQ)
	register("queue", "show the integrator queue's state (queue stats)", runQueue)
	register("held", "list held high-risk orders, or release one for sync", runHeld)
}

func adminFlags(fs *flag.FlagSet) (*string, *string) {
	u := fs.String("url", envOr("PEAKREADY_INTEGRATOR_URL", "http://127.0.0.1:8080"), "integrator base URL (env PEAKREADY_INTEGRATOR_URL)")
	t := fs.String("admin-token", "", "admin bearer token (default from env PEAKREADY_ADMIN_TOKEN)")
	return u, t
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// newAdminClient returns a client of the integrator at base, with the token from the
// flag or else PEAKREADY_ADMIN_TOKEN.
func newAdminClient(base, token string) (*adminapi.Client, error) {
	if token == "" {
		token = os.Getenv("PEAKREADY_ADMIN_TOKEN")
	}
	if token == "" {
		return nil, errors.New("an admin token is required (--admin-token or PEAKREADY_ADMIN_TOKEN)")
	}
	c, err := adminapi.New(base, token)
	if err != nil {
		// The token is set, so what New refused is the URL.
		return nil, fmt.Errorf("--url %q must be http(s)://host:port", base)
	}
	return c, nil
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// sortedJSON is v as the generic JSON value that printJSON prints with every object's
// keys sorted and numbers as encoded: the form queue stats and dlq show have always
// printed, since they once decoded the answer into a map.
func sortedJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// dlqListed is a dead letter as dlq list --json prints it: the table's columns.
type dlqListed struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Topic     string    `json:"topic"`
	Reason    string    `json:"reason"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	DeadAt    time.Time `json:"dead_at"`
}

func runDLQ(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(s.out, "Usage: peakready dlq list|show ID|replay|discard [flags]   (each takes --help)")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("dlq "+sub, "", s)
	base, token := adminFlags(fs)
	key := fs.String("key", "", "only dead letters of this key, e.g. order:820982911946154508")
	topic := fs.String("topic", "", "only this topic, e.g. orders/create")
	reason := fs.String("reason", "", "only this reason: max-attempts, lease-expired, permanent")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := 0
	var id *string
	all := new(bool)
	switch sub {
	case "list":
		fs.IntVar(&limit, "limit", 100, "at most this many")
	case "show":
	case "replay", "discard":
		id = fs.String("id", "", "one dead letter by id")
		all = fs.Bool("all", false, "every dead letter (required when no filter is given)")
	default:
		return fail(s, "dlq", exitUsage, "unknown subcommand %q (list, show, replay, discard)", sub)
	}
	var showID string
	if sub == "show" {
		if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "-help" || rest[0] == "--help") {
			showHelpOnStdout(fs)
			fs.Usage()
			return exitOK
		}
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return fail(s, "dlq show", exitUsage, "usage: peakready dlq show ID [flags]")
		}
		showID, rest = rest[0], rest[1:]
	}
	if code, done := parse(fs, rest); done {
		return code
	}
	c, err := newAdminClient(*base, *token)
	if err != nil {
		return fail(s, "dlq "+sub, exitUsage, "%v", err)
	}
	switch sub {
	case "list":
		list, err := c.DeadLetters(ctx, adminapi.DLQFilter{Key: *key, Topic: *topic, Reason: *reason}, limit)
		if err != nil {
			return fail(s, "dlq list", exitRuntime, "%v", err)
		}
		if *asJSON {
			out := struct {
				DeadLetters []dlqListed `json:"dead_letters"`
			}{make([]dlqListed, 0, len(list))}
			for _, d := range list {
				out.DeadLetters = append(out.DeadLetters, dlqListed{ID: d.ID, Key: d.Key, Topic: d.Topic, Reason: d.Reason,
					Attempts: d.Attempts, LastError: d.LastError, DeadAt: d.DeadAt})
			}
			printJSON(s.out, out)
			return exitOK
		}
		tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKEY\tTOPIC\tREASON\tATTEMPTS\tDEAD AT\tLAST ERROR")
		for _, d := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Key, d.Topic, d.Reason, d.Attempts, d.DeadAt.Format(time.RFC3339), lastChars(d.LastError, 100))
		}
		_ = tw.Flush()
	case "show":
		d, err := c.DeadLetter(ctx, showID)
		if err != nil {
			return fail(s, "dlq show", exitRuntime, "%v", err)
		}
		out, err := sortedJSON(d)
		if err != nil {
			return fail(s, "dlq show", exitRuntime, "%v", err)
		}
		printJSON(s.out, out)
	default:
		f := adminapi.DLQFilter{ID: *id, Key: *key, Topic: *topic, Reason: *reason, All: *all}
		if f == (adminapi.DLQFilter{}) {
			return fail(s, "dlq "+sub, exitUsage, "say which dead letters: --id, --key, --topic, --reason, or --all")
		}
		action := c.Replay
		if sub == "discard" {
			action = c.Discard
		}
		n, err := action(ctx, f)
		if err != nil {
			return fail(s, "dlq "+sub, exitRuntime, "%v", err)
		}
		fmt.Fprintf(s.out, "%s %d dead letter(s)\n", sub+"ed", n)
	}
	return exitOK
}

// lastChars shortens s to its last n characters. An error wrapped on its way up reads
// from context to cause, so the end holds the cause (NetSuite's message) worth seeing.
func lastChars(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n:])
}

func runQueue(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 || args[0] != "stats" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(s.out, "Usage: peakready queue stats [--url URL] [--admin-token T] [--json]")
			return exitOK
		}
		return fail(s, "queue", exitUsage, "usage: peakready queue stats [flags]")
	}
	fs := newFlagSet("queue stats", "Shows the shared queue's depth, groups, oldest message, dead letters and counters.", s)
	base, token := adminFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if code, done := parse(fs, args[1:]); done {
		return code
	}
	c, err := newAdminClient(*base, *token)
	if err != nil {
		return fail(s, "queue stats", exitUsage, "%v", err)
	}
	stats, err := c.QueueStats(ctx)
	if err != nil {
		return fail(s, "queue stats", exitRuntime, "%v", err)
	}
	// One line per JSON field, named and formatted as in the JSON (a backlog of 1200000
	// is not 1.2e+06), sorted by name.
	v, err := sortedJSON(stats)
	if err != nil {
		return fail(s, "queue stats", exitRuntime, "%v", err)
	}
	if *asJSON {
		printJSON(s.out, v)
		return exitOK
	}
	fields := v.(map[string]any)
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	for _, k := range sortedStrings(slices.Collect(maps.Keys(fields))) {
		fmt.Fprintf(tw, "%s\t%v\n", k, fields[k])
	}
	_ = tw.Flush()
	return exitOK
}

func runHeld(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(s.out, "Usage: peakready held list | peakready held release ORDER_ID   [--url URL] [--admin-token T]")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub, rest := args[0], args[1:]
	var orderID string
	switch sub {
	case "list":
	case "release":
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			if !wantsHelp(rest) {
				return fail(s, "held release", exitUsage, "usage: peakready held release ORDER_ID [flags]")
			}
		} else {
			orderID, rest = rest[0], rest[1:]
		}
	default:
		return fail(s, "held", exitUsage, "unknown subcommand %q (list, release)", sub)
	}
	fs := newFlagSet("held "+sub, "", s)
	base, token := adminFlags(fs)
	asJSON := new(bool)
	if sub == "list" {
		asJSON = fs.Bool("json", false, "print JSON")
	}
	if code, done := parse(fs, rest); done {
		return code
	}
	var id int64
	if sub == "release" {
		var err error
		if id, err = strconv.ParseInt(orderID, 10, 64); err != nil || id <= 0 {
			return fail(s, "held release", exitUsage, "order id %q must be a positive integer", orderID)
		}
	}
	c, err := newAdminClient(*base, *token)
	if err != nil {
		return fail(s, "held "+sub, exitUsage, "%v", err)
	}
	if sub == "release" {
		if err := c.Release(ctx, id); err != nil {
			return fail(s, "held release", exitRuntime, "%v", err)
		}
		fmt.Fprintf(s.out, "released order %s: it is queued for sync\n", orderID)
		return exitOK
	}
	held, err := c.Held(ctx)
	if err != nil {
		return fail(s, "held list", exitRuntime, "%v", err)
	}
	if *asJSON {
		if held == nil {
			held = []adminapi.HeldOrder{}
		}
		printJSON(s.out, adminapi.HeldList{Count: len(held), Held: held})
		return exitOK
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER ID\tNAME\tRISK\tHELD AT")
	for _, h := range held {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", h.OrderID, h.Name, h.Risk, h.HeldAt.Format(time.RFC3339))
	}
	_ = tw.Flush()
	return exitOK
}
