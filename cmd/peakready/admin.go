package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// The dlq, queue and held commands are clients of a running integrator's admin API.

func init() {
	register("dlq", "list, show, replay or discard dead letters of a running integrator", runDLQ)
	register("queue", "show the integrator queue's state (queue stats)", runQueue)
	register("held", "list held high-risk orders, or release one for sync", runHeld)
}

// adminClient talks to /admin/ of an integrator.
type adminClient struct {
	base, token string
	http        *http.Client
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

func newAdminClient(base, token string) (*adminClient, error) {
	if token == "" {
		token = os.Getenv("PEAKREADY_ADMIN_TOKEN")
	}
	if token == "" {
		return nil, fmt.Errorf("an admin token is required (--admin-token or PEAKREADY_ADMIN_TOKEN)")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q must be http(s)://host:port", base)
	}
	return &adminClient{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// call sends a request and decodes a 2xx JSON answer into out; other answers become an
// error carrying the integrator's message.
func (c *adminClient) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %d: %s", method, path, resp.StatusCode, e.Error)
		}
		return fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	// Numbers stay as sent: Shopify ids exceed 2^53, and a float64 would print a count of
	// 1200000 as 1.2e+06.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(out)
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
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
		q := url.Values{}
		for k, v := range map[string]string{"key": *key, "topic": *topic, "reason": *reason} {
			if v != "" {
				q.Set(k, v)
			}
		}
		q.Set("limit", fmt.Sprint(limit))
		var out struct {
			DeadLetters []struct {
				ID        string    `json:"id"`
				Key       string    `json:"key"`
				Topic     string    `json:"topic"`
				Reason    string    `json:"reason"`
				Attempts  int       `json:"attempts"`
				LastError string    `json:"last_error"`
				DeadAt    time.Time `json:"dead_at"`
			} `json:"dead_letters"`
		}
		if err := c.call(ctx, http.MethodGet, "/admin/dlq?"+q.Encode(), nil, &out); err != nil {
			return fail(s, "dlq list", exitRuntime, "%v", err)
		}
		if *asJSON {
			printJSON(s.out, out)
			return exitOK
		}
		tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKEY\tTOPIC\tREASON\tATTEMPTS\tDEAD AT\tLAST ERROR")
		for _, d := range out.DeadLetters {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Key, d.Topic, d.Reason, d.Attempts, d.DeadAt.Format(time.RFC3339), lastChars(d.LastError, 100))
		}
		_ = tw.Flush()
	case "show":
		var out map[string]any
		if err := c.call(ctx, http.MethodGet, "/admin/dlq/"+url.PathEscape(showID), nil, &out); err != nil {
			return fail(s, "dlq show", exitRuntime, "%v", err)
		}
		printJSON(s.out, out)
	default:
		req := map[string]any{"key": *key, "topic": *topic, "reason": *reason, "id": *id, "all": *all}
		for k, v := range req {
			if v == "" || v == false {
				delete(req, k)
			}
		}
		if len(req) == 0 {
			return fail(s, "dlq "+sub, exitUsage, "say which dead letters: --id, --key, --topic, --reason, or --all")
		}
		var out map[string]int
		if err := c.call(ctx, http.MethodPost, "/admin/dlq/"+sub, req, &out); err != nil {
			return fail(s, "dlq "+sub, exitRuntime, "%v", err)
		}
		fmt.Fprintf(s.out, "%s %d dead letter(s)\n", sub+"ed", out[sub+"ed"])
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
	var out map[string]any
	if err := c.call(ctx, http.MethodGet, "/admin/queue/stats", nil, &out); err != nil {
		return fail(s, "queue stats", exitRuntime, "%v", err)
	}
	if *asJSON {
		printJSON(s.out, out)
		return exitOK
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	for _, k := range sortedKeys(out) {
		fmt.Fprintf(tw, "%s\t%v\n", k, out[k])
	}
	_ = tw.Flush()
	return exitOK
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
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
	c, err := newAdminClient(*base, *token)
	if err != nil {
		return fail(s, "held "+sub, exitUsage, "%v", err)
	}
	if sub == "release" {
		if err := c.call(ctx, http.MethodPost, "/admin/held/"+url.PathEscape(orderID)+"/release", nil, nil); err != nil {
			return fail(s, "held release", exitRuntime, "%v", err)
		}
		fmt.Fprintf(s.out, "released order %s: it is queued for sync\n", orderID)
		return exitOK
	}
	if *asJSON {
		var raw json.RawMessage
		if err := c.call(ctx, http.MethodGet, "/admin/held", nil, &raw); err != nil {
			return fail(s, "held list", exitRuntime, "%v", err)
		}
		_, _ = s.out.Write(append(raw, '\n'))
		return exitOK
	}
	var out struct {
		Held []struct {
			OrderID string    `json:"order_id"`
			Name    string    `json:"name"`
			Risk    string    `json:"risk"`
			HeldAt  time.Time `json:"held_at"`
		} `json:"held"`
	}
	if err := c.call(ctx, http.MethodGet, "/admin/held", nil, &out); err != nil {
		return fail(s, "held list", exitRuntime, "%v", err)
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER ID\tNAME\tRISK\tHELD AT")
	for _, h := range out.Held {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.OrderID, h.Name, h.Risk, h.HeldAt.Format(time.RFC3339))
	}
	_ = tw.Flush()
	return exitOK
}
