package capacity

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios"
)

// newCustomers is a mix of new orders only, each created paid by a new customer with a
// valid address: 3 order messages and customers/create, one upsert.
const newCustomers = `
  mix: {new_order: 1}
  orders: {high_risk_share: 0, paid_share: 1, returning_share: 0}
`

func crmDaily(p *Prediction) DailyUsage {
	for _, u := range p.Daily {
		if u.Basis != "" {
			return u
		}
	}
	return DailyUsage{}
}

func TestSalesforceUpsertsAndLTVBatches(t *testing.T) {
	// 1,000 new customers: 1,000 upserts and ceil(1,000 / 200) = 5 lifetime-value
	// batches. A day at 1/s: 86,400 upserts and 432 batches, inside 90 % of 1,000,000.
	m := model(t, `
name: sf
traffic:
  phases:
    - {name: day, constant: {rate: 1/s, duration: 1000s}}`+newCustomers+`
fakes:
  netsuite: {concurrency: 50, latency: "100ms"}
  salesforce: {daily_limit: 1000000}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false, crm: salesforce}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	crm := p.Upstreams["crm"]
	assert.Equal(t, "salesforce", crm.Kind)
	assert.Equal(t, 1005.0, crm.Requests)
	assert.InDelta(t, 1.005, crm.RequestsPerOrder, 1e-9)
	assert.Equal(t, 0.0, crm.CapacityRPS, "Salesforce has no per-second limit")
	u := crmDaily(p)
	assert.Equal(t, DailyUsage{Upstream: "salesforce", Requests: 1005, Allocation: 1e6, Share: 0.001, Headroom: 0.1, Allowance: 900000,
		DayRequests: 86400 + 432, DayShare: 0.0868, Basis: "24h at the last phase's rate", Within: true}, u)
	assert.Equal(t, 0.0, p.PeakBacklog)
	assert.True(t, p.Meets)
	for _, c := range p.Checks {
		if c.Name == "salesforce.daily_allocation" {
			assert.True(t, c.Met)
		}
	}
}

// salesforce10m is ten minutes of a new customer a second on a Salesforce org set as
// fakes.salesforce says.
func salesforce10m(fake string) string {
	return `
name: sf
traffic:
  phases:
    - {name: day, constant: {rate: 1/s, duration: 10m}}` + newCustomers + `
fakes:
  netsuite: {concurrency: 50, latency: "100ms"}
  salesforce: ` + fake + `
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false, crm: salesforce}
`
}

func TestSalesforceDailyAllocationFailsThePlan(t *testing.T) {
	// A day at 1/s is 86,832 calls against 9,000 (10,000 less 10 %).
	p, err := model(t, salesforce10m("{daily_limit: 10000}")).Predict()
	require.NoError(t, err)
	u := crmDaily(p)
	assert.Equal(t, 86400.0+432, u.DayRequests)
	assert.False(t, u.Within)
	assert.False(t, p.Meets)
	require.NotEmpty(t, p.Checks)
	last := p.Checks[len(p.Checks)-1]
	assert.Equal(t, "salesforce.daily_allocation", last.Name)
	assert.False(t, last.Met)
}

func TestSalesforceAllowanceHoldsCustomersUntilOthersRollOff(t *testing.T) {
	// 9,000 allowed, 8,900 held by others until 5 min in: 100 upserts go through, the
	// next 200 wait (4 messages each: 800) until the others' calls leave the window.
	p, err := model(t, salesforce10m("{daily_limit: 10000, other_usage: [{calls: 8900, rolls_off_at: 5m}]}")).Predict()
	require.NoError(t, err)
	assert.InDelta(t, 800, p.PeakBacklog, 1)
	assert.Equal(t, Duration(5*time.Minute), p.PeakBacklogAt)
	// The first held customer waits from 100 s to 300 s (within a 10 s step).
	assert.InDelta(t, (200 * time.Second).Seconds(), time.Duration(p.OldestAge).Seconds(), 10)
	assert.Equal(t, 0.0, p.Headroom, "the CRM serves nothing for a while")
	crm := p.Upstreams["crm"]
	assert.InDelta(t, (200 * time.Second).Seconds(), time.Duration(crm.Unavailable).Seconds(), 10)
	assert.Greater(t, crm.PeakUtilisation, 1.0, "more is asked for than the allowance")
	assert.Equal(t, 8900.0, crmDaily(p).OtherUsage)
}

func TestHubSpotBurstWindowBindsAndDrains(t *testing.T) {
	// 100 calls per 10 s counted over 10.1 s: 9.90 upserts/s against 20 new customers a
	// second for a minute: (20 - 9.90) · 60 = 606 upserts wait, 4 messages each, and
	// drain at 9.90/s: 61 s. 1,200 upserts and 12 batches of 100.
	m := model(t, `
name: hs
traffic:
  phases:
    - {name: drop, constant: {rate: 20/s, duration: 1m}}`+newCustomers+`
fakes:
  netsuite: {concurrency: 200, latency: "100ms"}
  hubspot: {tier: starter}
sut:
  builtin: {replicas: 1, workers: 200, risk_check: false, crm: hubspot}
`)
	p, err := m.Predict()
	require.NoError(t, err)
	rps := 100 / 10.1
	crm := p.Upstreams["crm"]
	assert.Equal(t, "hubspot", crm.Kind)
	assert.Equal(t, 100, crm.Burst)
	assert.Equal(t, 4.0, crm.SearchRPS)
	assert.InDelta(t, rps, crm.CapacityRPS, 1e-3)
	assert.InDelta(t, 20/rps, crm.PeakUtilisation, 1e-3)
	assert.Equal(t, 1212.0, crm.Requests)
	assert.Equal(t, "crm", p.Bottleneck)
	assert.InDelta(t, rps/20, p.Headroom, 1e-3)
	assert.InDelta(t, 4*(20-rps)*60, p.PeakBacklog, 2)
	assert.InDelta(t, (20-rps)*60/rps, time.Duration(p.QueueDrain).Seconds(), 0.5)
	assert.InDelta(t, 2*(20-rps)*60/rps*1.0, 2*time.Duration(p.OldestAge).Seconds(), 2*60)
	assert.Equal(t, 250000.0, crmDaily(p).Allocation)
	assert.True(t, p.Drains)

	// The simulation models the orders flow and adds the CRM's fluid queue to it.
	s, err := m.PredictSim()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, s.PeakBacklog, 4*(20-rps)*60-2)
	assert.InDelta(t, (20-rps)*60/rps, time.Duration(s.QueueDrain).Seconds(), 1)
	assert.Contains(t, s.Notes, "the simulation models the orders flow; the CRM's queue is the fluid model's, added to it")
	require.NotNil(t, s.Engines)
	assert.Nil(t, s.Engines.SimPeakRange, "the runs' spread is of the orders' queue alone")
}

func TestPoolCustomersAreSyncedOnTheirFirstOrder(t *testing.T) {
	// Half the orders return to a customer, 1,000 of them before the run: after 2,000
	// orders, k = 1,000·ln 2 draws landed in the pool, and 1,000·(1 - e^(-ln 2)) = 500
	// of its customers were drawn.
	c := &CRMFlow{ReturningShare: 0.5, Pool: 1000}
	assert.InDelta(t, 500, c.poolTouched(2000), 1e-9)
	assert.Equal(t, 0.0, c.poolTouched(0))
	assert.Equal(t, 0.0, (&CRMFlow{ReturningShare: 0, Pool: 1000}).poolTouched(2000))
	assert.False(t, math.IsNaN((&CRMFlow{ReturningShare: 1, Pool: 1000}).poolTouched(2000)))
}

func TestCRMRetriesCountInjectedFaultsOnTheUpsert(t *testing.T) {
	m := model(t, `
name: hs-faults
traffic:
  phases:
    - {name: day, constant: {rate: 1/s, duration: 100s}}`+newCustomers+`
fakes:
  netsuite: {concurrency: 50, latency: "100ms"}
  hubspot:
    faults:
      - {fault: commit-then-drop, probability: 0.2, method: POST, path: /crm/v3/objects/contacts/batch/upsert}
      - {fault: error, probability: 0.5, method: GET}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false, crm: hubspot}
`)
	assert.InDelta(t, 1.25, m.CRMFlow.Retry, 1e-9)
	p, err := m.Predict()
	require.NoError(t, err)
	assert.Equal(t, 125.0+1, p.Upstreams["crm"].Requests)
}

func TestNoCRMNoCRMFigures(t *testing.T) {
	p, err := model(t, `
name: none
traffic:
  phases:
    - {name: day, constant: {rate: 1/s, duration: 100s}}`+newCustomers+`
fakes:
  netsuite: {concurrency: 50, latency: "100ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`).Predict()
	require.NoError(t, err)
	assert.NotContains(t, p.Upstreams, "crm")
	assert.Equal(t, DailyUsage{}, crmDaily(p))
}

// The goal search does not buy CRM capacity: hubspot-burst's burst window caps its
// headroom at 0.61 whatever the integrator runs, so headroom=1 is not found after every
// configuration (each of which drains: a queue stretch as long as the queue needs
// empties it, so none loops on a remainder of rounding).
func TestGoalCannotBuyTheCRM(t *testing.T) {
	sc, err := scenarios.Builtin("hubspot-burst")
	require.NoError(t, err)
	p, err := Plan(sc, Options{Goal: &Goal{Headroom: 1, Backlog: -1}})
	require.NoError(t, err)
	require.NotNil(t, p.Recommendation)
	assert.False(t, p.Recommendation.Found)
	assert.Equal(t, 16*7, p.Recommendation.Evaluated, "1 to 16 replicas × 4 to 64 workers")
	assert.Equal(t, "crm", p.Bottleneck)
	assert.False(t, p.Meets)
}

// The built-ins' figures docs/plan.md quotes.
func TestCRMBuiltinsAsDocumented(t *testing.T) {
	plan := func(name string) *Prediction {
		sc, err := scenarios.Builtin(name)
		require.NoError(t, err)
		p, err := Plan(sc, Options{})
		require.NoError(t, err)
		return p
	}
	p := plan("crm-daily-limit")
	assert.Equal(t, 3353.0, p.PeakBacklog)
	assert.Equal(t, 9*time.Minute, time.Duration(p.OldestAge).Round(time.Minute))
	u := crmDaily(p)
	assert.Equal(t, 138065.0, u.DayRequests)
	assert.Equal(t, 9000.0, u.Allowance)
	assert.Equal(t, 8700.0, u.OtherUsage)
	assert.False(t, p.Meets)

	p = plan("hubspot-burst")
	assert.Equal(t, "crm", p.Bottleneck)
	assert.InDelta(t, 0.61, p.Headroom, 0.005)
	crm := p.Upstreams["crm"]
	assert.InDelta(t, 18.8, crm.CapacityRPS, 0.05, "190 calls over 10.1 s")
	assert.Equal(t, 190, crm.Burst)
	assert.InDelta(t, 1.64, p.Phases[1].Utilisation["crm"], 0.005)
	assert.Equal(t, 5919.0, crm.Requests)
	assert.True(t, p.Meets)
}
