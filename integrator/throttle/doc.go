// Package throttle holds the integrator's upstream limiters, shared by every integrator
// replica through Redis, and the errors through which they (and the upstream clients)
// tell the queue to snooze work instead of spending its attempts.
//
// One file per upstream limit model:
//
//	ConcurrencyGate  NetSuite account concurrency governance: a lease-based counting
//	                 semaphore with a FIFO line across replicas, hand-off on release and
//	                 an adaptive (AIMD) effective limit
//	CostBucket       Shopify GraphQL Admin API: a mirror of the query-cost leaky bucket,
//	                 fed by every response's extensions.cost.throttleStatus
//	DailyAllocation  Salesforce: the org's rolling 24 h API allocation from
//	                 Sforce-Limit-Info, guarded with headroom
//	RollingWindow    HubSpot: N calls per rolling window, with the 429 policy distinction
//	Breaker          any upstream: a circuit breaker whose state every replica shares
//
// # Redis
//
// Each limiter is a few Redis keys under one hash tag, {Prefix:kind:Name}, so it runs on
// Redis Cluster; every state change is one Lua script (embedded in the binary), so it is
// atomic across replicas. Limiters with the same Prefix, kind and Name are the same
// limiter, whichever process they are in.
//
// # Time
//
// Every limiter takes a clock.Clock in its config (default clock.Real(), wall time).
// Every time a limiter stores in Redis (lease deadlines, bucket levels, window entries,
// breaker deadlines) is that clock's Now in milliseconds, passed into the scripts as an
// argument, so replicas sharing a limiter must have synchronised clocks. The limiters'
// waits and background loops (heartbeats, ticks) sleep on the same clock, so a sped-up
// clock compresses leases, heartbeats and waits alike and a manual clock makes tests
// exact. The gate's PollInterval and its back-off while its hand-off subscription is
// down stay in wall time.
//
// # When Redis is unavailable
//
// Limiters fail closed. Every method that needs Redis returns a *StoreError (wrapping
// ErrStoreUnavailable and the client's error) instead of admitting the call: no permit,
// no points, no allocation, no breaker verdict. StoreError says Throttled() == true and
// RetryAfter() == 1 s, so a queue handler that returns it snoozes the message without
// spending an attempt. A limit is never exceeded because Redis was down; throughput is
// what is lost. See docs/throttle.md for each limiter's details.
package throttle
