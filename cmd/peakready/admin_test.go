package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// adminCmd runs one admin command (dlq, queue, held) to completion.
func adminCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, streams{out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

// adminOK runs an admin command against the integrator at url with the right token and
// requires exit 0.
func adminOK(t *testing.T, url string, args ...string) string {
	t.Helper()
	code, out, errOut := adminCmd(t, append(args, "--url", url, "--admin-token", integAdminToken)...)
	require.Equal(t, exitOK, code, "%v: stderr: %s", args, errOut)
	return out
}

// queueStats is `queue stats --json`, numbers kept exact.
func queueStats(t *testing.T, url string) map[string]json.Number {
	t.Helper()
	var stats map[string]json.Number
	dec := json.NewDecoder(strings.NewReader(adminOK(t, url, "queue", "stats", "--json")))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&stats))
	return stats
}

// waitStat polls `queue stats` until name equals want.
func waitStat(t *testing.T, url, name, want string) {
	t.Helper()
	var last map[string]json.Number
	eventually(t, 10*time.Second, func() bool {
		last = queueStats(t, url)
		return last[name].String() == want
	}, "queue stats %s is not %s: %v", name, want, &last)
}

// Dead letters can be listed, shown, replayed once the cause is fixed, and discarded,
// all through the CLI; queue stats counts them.
func TestAdminDeadLettersListShowReplayDiscard(t *testing.T) {
	t.Parallel()
	cat := catalog.Generate(11, 10, 1)
	ns, nsURL := startIntegNetSuite(t, cat)
	p := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret, "--admin-token", integAdminToken)...)

	stats := queueStats(t, p.url)
	for _, k := range []string{"messages", "dead_letters", "enqueued", "acked", "replayed", "held_orders"} {
		assert.Equal(t, "0", stats[k].String(), "%s of an idle queue", k)
	}
	table := adminOK(t, p.url, "queue", "stats")
	assert.Regexp(t, regexp.MustCompile(`(?m)^dead_letters\s+0$`), table)
	assert.Regexp(t, regexp.MustCompile(`(?m)^messages\s+0$`), table)

	// An order id above 2^53, as Shopify's are, and a SKU NetSuite does not know yet:
	// NetSuite refuses it, which is permanent, so it is dead-lettered at once.
	const id = 820982911946154508
	const key = "order:820982911946154508"
	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "d1", integOrder(id, "LATE-SKU-1")))
	waitStat(t, p.url, "dead_letters", "1")
	assert.Regexp(t, regexp.MustCompile(`(?m)^dead_letters\s+1$`), adminOK(t, p.url, "queue", "stats"))
	assert.Zero(t, salesOrdersFor(ns, id))

	list := adminOK(t, p.url, "dlq", "list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	require.Len(t, lines, 2, "a header and one dead letter:\n%s", list)
	assert.Regexp(t, `^ID\s+KEY\s+TOPIC\s+REASON\s+ATTEMPTS\s+DEAD AT\s+LAST ERROR$`, lines[0])
	assert.Regexp(t, `^\S+\s+`+key+`\s+orders/create\s+permanent\s+1\s+\d{4}-\d\d-\d\dT`, lines[1])
	assert.Contains(t, lines[1], "LATE-SKU-1", "NetSuite's reason is shown")

	var listed struct {
		DeadLetters []struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"dead_letters"`
	}
	require.NoError(t, json.Unmarshal([]byte(adminOK(t, p.url, "dlq", "list", "--json", "--key", key)), &listed))
	require.Len(t, listed.DeadLetters, 1)
	dlID := listed.DeadLetters[0].ID
	require.NotEmpty(t, dlID)
	assert.True(t, strings.HasPrefix(lines[1], dlID+" "), "the table's first column is the id")
	assert.Regexp(t, `^ID\s+KEY\s+TOPIC\s+REASON\s+ATTEMPTS\s+DEAD AT\s+LAST ERROR\n$`, adminOK(t, p.url, "dlq", "list", "--key", "order:1"),
		"a filter that matches nothing leaves only the header")

	shown := adminOK(t, p.url, "dlq", "show", dlID)
	var dl struct {
		ID      string `json:"id"`
		Key     string `json:"key"`
		Reason  string `json:"reason"`
		Payload struct {
			ID json.Number `json:"id"`
		} `json:"payload"`
	}
	dec := json.NewDecoder(strings.NewReader(shown))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&dl), shown)
	assert.Equal(t, dlID, dl.ID)
	assert.Equal(t, key, dl.Key)
	assert.Equal(t, "permanent", dl.Reason)
	assert.Equal(t, "820982911946154508", dl.Payload.ID.String(), "the payload is shown as received, ids exact")

	code, _, errOut := adminCmd(t, "dlq", "show", "no-such-dead-letter", "--url", p.url, "--admin-token", integAdminToken)
	assert.Equal(t, exitRuntime, code)
	assert.Contains(t, errOut, "404")
	assert.Contains(t, errOut, "no dead letter no-such-dead-letter")
	code, _, errOut = adminCmd(t, "dlq", "replay", "--url", p.url, "--admin-token", integAdminToken)
	assert.Equal(t, exitUsage, code, "replay refuses an empty selection")
	assert.Contains(t, errOut, "--all")

	// The catalog is fixed; the replay syncs the order.
	fixed := ns.Catalog()
	fixed.Items = append(fixed.Items, catalog.Item{SKU: "LATE-SKU-1", Title: "Late arrival", PriceCents: 1999, Stock: []int{50}})
	require.NoError(t, ns.ReplaceCatalog(fixed))
	assert.Equal(t, "replayed 1 dead letter(s)\n", adminOK(t, p.url, "dlq", "replay", "--id", dlID))
	eventually(t, 10*time.Second, func() bool { return salesOrdersFor(ns, id) == 1 }, "the replayed order is not in NetSuite")
	waitStat(t, p.url, "acked", "1")
	stats = queueStats(t, p.url)
	assert.Equal(t, "0", stats["dead_letters"].String())
	assert.Equal(t, "1", stats["replayed"].String())
	assert.Equal(t, "0", stats["messages"].String())

	// Another bad order, discarded: it never reaches NetSuite.
	const other = 5_000_000_010
	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "d2", integOrder(other, "NEVER-SKU")))
	waitStat(t, p.url, "dead_letters", "1")
	assert.Equal(t, "discarded 1 dead letter(s)\n", adminOK(t, p.url, "dlq", "discard", "--key", "order:"+strconv.Itoa(other)))
	assert.Equal(t, "0", queueStats(t, p.url)["dead_letters"].String())
	assert.Zero(t, salesOrdersFor(ns, other))

	assert.Equal(t, exitOK, p.stop())
	assertNoSecrets(t, p.out.String(), p.err.String())
}

// With a Shopify to ask, a HIGH-risk order is held instead of synced; held list shows it
// and held release lets it sync.
func TestAdminHeldListAndRelease(t *testing.T) {
	t.Parallel()
	shop, err := shopify.New(shopify.Options{Seed: 5, AccessToken: "shpat_held_test", CatalogSize: 10, Locations: 1, Customers: 5})
	require.NoError(t, err)
	shopURL, err := shop.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = shop.Close() })
	cat := shop.Store().Catalog()
	ns, nsURL := startIntegNetSuite(t, cat)
	p := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret, "--admin-token", integAdminToken,
		"--shopify-url", shopURL, "--shopify-token", "shpat_held_test")...)

	place := func(risk string) (int64, []byte) {
		ch, err := shop.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: cat.Items[0].SKU, Quantity: 1}}, RiskLevel: risk})
		require.NoError(t, err)
		require.Len(t, ch.Orders, 1)
		o, ok := shop.Store().Order(ch.Orders[0])
		require.True(t, ok)
		payload, err := json.Marshal(shop.Store().OrderJSON(&o))
		require.NoError(t, err)
		return ch.Orders[0], payload
	}
	risky, riskyPayload := place("high")
	safe, safePayload := place("low")
	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "h1", riskyPayload))
	require.Equal(t, http.StatusOK, postWebhook(t, p.url, integWebhookSecret, "orders/create", "h2", safePayload))
	eventually(t, 10*time.Second, func() bool { return salesOrdersFor(ns, safe) == 1 }, "the low-risk order is not in NetSuite")
	waitStat(t, p.url, "held_orders", "1")

	held := adminOK(t, p.url, "held", "list")
	lines := strings.Split(strings.TrimSpace(held), "\n")
	require.Len(t, lines, 2, "a header and the one held order:\n%s", held)
	assert.Regexp(t, `^ORDER ID\s+NAME\s+RISK\s+HELD AT$`, lines[0])
	assert.Regexp(t, `^`+strconv.FormatInt(risky, 10)+`\s+#\d+\s+HIGH\s+\d{4}-`, lines[1])
	assert.Zero(t, salesOrdersFor(ns, risky), "held, not synced")
	var asJSON struct {
		Held []struct {
			OrderID json.Number `json:"order_id"`
			Risk    string      `json:"risk"`
		} `json:"held"`
	}
	dec := json.NewDecoder(strings.NewReader(adminOK(t, p.url, "held", "list", "--json")))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&asJSON))
	require.Len(t, asJSON.Held, 1)
	assert.Equal(t, strconv.FormatInt(risky, 10), asJSON.Held[0].OrderID.String(), "the id is exact")
	assert.Equal(t, "HIGH", asJSON.Held[0].Risk)

	code, _, errOut := adminCmd(t, "held", "release", strconv.FormatInt(safe, 10), "--url", p.url, "--admin-token", integAdminToken)
	assert.Equal(t, exitRuntime, code)
	assert.Contains(t, errOut, "is not held")

	assert.Equal(t, "released order "+strconv.FormatInt(risky, 10)+": it is queued for sync\n",
		adminOK(t, p.url, "held", "release", strconv.FormatInt(risky, 10)))
	eventually(t, 10*time.Second, func() bool { return salesOrdersFor(ns, risky) == 1 }, "the released order is not in NetSuite")
	waitStat(t, p.url, "held_orders", "0")
	assert.Regexp(t, `^ORDER ID\s+NAME\s+RISK\s+HELD AT\n$`, adminOK(t, p.url, "held", "list"), "released: no longer held")
	assert.Equal(t, exitOK, p.stop())
}

// A wrong or missing token, an integrator without an admin API, or one that cannot be
// reached: each exits 2 with a message that says so.
func TestAdminCommandErrors(t *testing.T) {
	t.Parallel()
	_, nsURL := startIntegNetSuite(t, integCatalog)
	p := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret, "--admin-token", integAdminToken)...)
	noAdmin := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret)...)

	// Port 1 on loopback: nothing listens there, and no parallel test can take it (a port
	// freed by closing a listener could be).
	unreachable := "http://127.0.0.1:1"

	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"wrong token", []string{"queue", "stats", "--url", p.url, "--admin-token", "not-the-token"}, exitRuntime,
			[]string{"peakready queue stats:", "401", "missing or wrong admin token"}},
		{"wrong token, dlq", []string{"dlq", "list", "--url", p.url, "--admin-token", "not-the-token"}, exitRuntime,
			[]string{"peakready dlq list:", "401", "missing or wrong admin token"}},
		{"wrong token, held", []string{"held", "list", "--url", p.url, "--admin-token", "not-the-token"}, exitRuntime,
			[]string{"peakready held list:", "401"}},
		{"admin API off", []string{"queue", "stats", "--url", noAdmin.url, "--admin-token", integAdminToken}, exitRuntime,
			[]string{"403", "admin API is disabled"}},
		{"unreachable", []string{"queue", "stats", "--url", unreachable, "--admin-token", integAdminToken}, exitRuntime,
			[]string{"peakready queue stats:", unreachable, "connection refused"}},
		{"unreachable, dlq replay", []string{"dlq", "replay", "--all", "--url", unreachable, "--admin-token", integAdminToken}, exitRuntime,
			[]string{"peakready dlq replay:", unreachable}},
		{"not a URL", []string{"queue", "stats", "--url", "127.0.0.1:8080", "--admin-token", integAdminToken}, exitUsage,
			[]string{"--url", "http(s)://host:port"}},
		{"unknown subcommand", []string{"dlq", "purge", "--url", p.url}, exitUsage, []string{`unknown subcommand "purge"`}},
		{"show without id", []string{"dlq", "show", "--url", p.url}, exitUsage, []string{"dlq show ID"}},
		{"release without id", []string{"held", "release"}, exitUsage, []string{"held release ORDER_ID"}},
		{"release a bad id", []string{"held", "release", "abc", "--url", p.url, "--admin-token", integAdminToken}, exitUsage,
			[]string{`order id "abc" must be a positive integer`}},
		{"release id 0", []string{"held", "release", "0", "--url", p.url, "--admin-token", integAdminToken}, exitUsage,
			[]string{`order id "0" must be a positive integer`}},
	}
	for _, tc := range cases {
		code, out, errOut := adminCmd(t, tc.args...)
		assert.Equal(t, tc.code, code, tc.name)
		assert.NotEqual(t, exitOK, code, tc.name)
		for _, w := range tc.want {
			assert.Contains(t, errOut, w, tc.name)
		}
		assert.Empty(t, out, tc.name)
		assert.NotContains(t, errOut, integAdminToken, "%s: the token is never printed", tc.name)
	}
}

// The admin commands read the URL and token from the environment, and without a token
// say how to give one.
func TestAdminCommandsReadTheEnvironment(t *testing.T) {
	_, nsURL := startIntegNetSuite(t, integCatalog)
	p := startInteg(t, integArgs(nsURL, "--webhook-secret", integWebhookSecret, "--admin-token", integAdminToken)...)
	t.Setenv("PEAKREADY_INTEGRATOR_URL", p.url)
	t.Setenv("PEAKREADY_ADMIN_TOKEN", integAdminToken)
	code, out, errOut := adminCmd(t, "queue", "stats")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `(?m)^messages\s+0$`, out)

	unsetEnv(t, "PEAKREADY_ADMIN_TOKEN")
	for _, args := range [][]string{{"queue", "stats"}, {"dlq", "list"}, {"held", "list"}} {
		code, out, errOut = adminCmd(t, args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, errOut, "an admin token is required (--admin-token or PEAKREADY_ADMIN_TOKEN)", "%v", args)
		assert.Empty(t, out, "%v", args)
	}
	assert.Equal(t, exitOK, p.stop())
}

// queue stats prints counts as integers whatever their size, and --json keeps them exact.
func TestAdminQueueStatsPrintsLargeCountsExactly(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/admin/queue/stats" || r.Header.Get("Authorization") != "Bearer "+integAdminToken {
			http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"messages": 1200000, "enqueued": 9007199254740993, "oldest_message_age_seconds": 1.25, "dead_letters": 0}`))
	}))
	defer srv.Close()

	table := adminOK(t, srv.URL, "queue", "stats")
	assert.Regexp(t, `(?m)^messages\s+1200000$`, table, "a Black Friday backlog is not 1.2e+06")
	assert.Regexp(t, `(?m)^enqueued\s+9007199254740993$`, table)
	assert.Regexp(t, `(?m)^oldest_message_age_seconds\s+1\.25$`, table)
	assert.Regexp(t, `(?m)^dead_letters\s+0$`, table)
	js := adminOK(t, srv.URL, "queue", "stats", "--json")
	assert.Contains(t, js, `"enqueued": 9007199254740993`)
	assert.Contains(t, js, `"messages": 1200000`)
}
