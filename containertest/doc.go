// Package containertest runs peakready's fakes and its reference integrator as
// containers for other teams' Go tests, with testcontainers-go: one call starts a fake
// NetSuite, Shopify, Salesforce or HubSpot (or the integrator) from the peakready image,
// waits until it serves, and gives its URL and typed access to its admin API.
//
//	ns, err := containertest.RunNetSuite(ctx,
//		containertest.NetSuiteTier("standard"), containertest.NetSuiteLatency("0"),
//		containertest.WithFault("commit-then-drop:p=0.05,method=POST"))
//	if err != nil { t.Fatal(err) }
//	t.Cleanup(func() { _ = ns.Terminate(context.Background()) })
//	// point the code under test at ns.URL(), then prove what happened:
//	snap, err := ns.Ledger(ctx, ledger.Query{Record: "salesOrder", NoEffects: true})
//
// Every container is one image, peakready's, running one subcommand (`fake netsuite`,
// `integrator`, ...). The image is PEAKREADY_IMAGE when set (a locally built
// peakready/peakready:local, or a mirror in an air-gapped registry), else the published
// ghcr.io/peakready/peakready at the version of this module in the test binary (latest
// for a development build). WithImage wins over both.
//
// Options are typed per container: the common ones (WithImage, WithNetwork, WithEnv,
// ...) are Options and fit every Run function, the fakes' shared ones (WithSeed,
// WithSpeed, WithFault, ...) are FakeOptions, and each platform's flags have their own
// type (NetSuiteOption, ShopifyOption, ...), so a Shopify plan cannot be given to
// NetSuite. WithFlag passes any other flag of the subcommand as it is.
//
// The package is for tests: it imports testcontainers-go (and so testing). Production
// code must not import it; cmd/peakready's deps test keeps it out of the binary.
package containertest
