package main

import (
	"context"
	"time"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/audit"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/shopify"
)

func init() {
	register("audit", "audit a period of Shopify's orders against the ERP's sales orders once (exit 1 on differences)", runAudit)
}

// runAudit runs one audit with package audit, without Redis: Shopify's own answers pace
// it (throttles are waited out) and it makes one NetSuite request at a time.
func runAudit(ctx context.Context, args []string, s streams) int {
	fs := newFlagSet("audit", "Compares the orders Shopify created in [--from, --to) with the ERP's sales orders booked then (matched by externalId = Shopify order id) and prints every difference and the daily totals. Exit 0: none; 1: differences; 2: the audit could not run.", s)
	shopURL := fs.String("shopify-url", envOr("PEAKREADY_SHOPIFY_URL", ""), "Shopify shop URL, e.g. https://shop.myshopify.com or a fake's URL (env PEAKREADY_SHOPIFY_URL)")
	nsURL := fs.String("netsuite-url", envOr("PEAKREADY_NETSUITE_URL", ""), "NetSuite base URL (env PEAKREADY_NETSUITE_URL)")
	apiVersion := fs.String("shopify-api-version", shopify.DefaultAPIVersion, "Shopify Admin API version")
	from := fs.String("from", "", "start: an RFC 3339 time or a day (YYYY-MM-DD, midnight in --tz); with --to; neither: the last complete week")
	to := fs.String("to", "", "end (excluded), as --from")
	tz := fs.String("tz", "UTC", "IANA time zone of the days and the default week: the shop's")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code, done := parse(fs, args); done {
		return code
	}
	// Tokens come from the environment only, never from the command line.
	shopToken, nsToken := envOr("PEAKREADY_SHOPIFY_TOKEN", ""), envOr("PEAKREADY_NETSUITE_TOKEN", "")
	if *shopURL == "" || *nsURL == "" {
		return fail(s, "audit", exitUsage, "--shopify-url and --netsuite-url are required")
	}
	if shopToken == "" || nsToken == "" {
		return fail(s, "audit", exitUsage, "PEAKREADY_SHOPIFY_TOKEN and PEAKREADY_NETSUITE_TOKEN must be set")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fail(s, "audit", exitUsage, "--tz %q: %v", *tz, err)
	}
	f, t, err := integrator.ParseAuditPeriod(*from, *to, time.Now(), loc)
	if err != nil {
		return fail(s, "audit", exitUsage, "%v", err)
	}
	sc, err := shopify.New(*shopURL, shopToken, *apiVersion, nil, nil)
	if err != nil {
		return fail(s, "audit", exitUsage, "%v", err)
	}
	ns, err := netsuite.New(*nsURL, nsToken)
	if err != nil {
		return fail(s, "audit", exitUsage, "%v", err)
	}
	rep, err := (&audit.Auditor{Shopify: sc, ERP: ns, Location: loc}).Audit(ctx, f, t)
	if err != nil {
		return fail(s, "audit", exitRuntime, "%v", err)
	}
	if *asJSON {
		printJSON(s.out, rep)
	} else if err := rep.WriteText(s.out); err != nil {
		return fail(s, "audit", exitRuntime, "%v", err)
	}
	if !rep.Clean() {
		return exitFailed
	}
	return exitOK
}
