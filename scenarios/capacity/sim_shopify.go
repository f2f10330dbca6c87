package capacity

import (
	"math"
	"math/rand/v2"
	"time"
)

// simShopify is Shopify's GraphQL cost bucket as the integrator's mirror spends it
// (integrator/throttle.CostBucket): a query takes its requested cost when it is made,
// the level may go below zero, and the query waits until the refill has covered it, so
// queries are served in the order they were made; a query that would wait longer than
// maxReserveWait is refused and its message snoozed for the wait. The answer refunds
// requested − actual. Shopify answers within milliseconds, taken as at once.
//
// With ERP stock it also runs the stock flow's flushers, one per replica: each sleeps
// FlushEvery, then writes what is pending in batches of stockBatch, one write of
// stockWritePoints after the other, each waiting for its points.
type simShopify struct {
	s                *Simulation
	restore, maximum float64
	level            float64
	at               time.Duration
	rng              *rand.Rand
	flushers         []simFlusher
	next             int // the flusher the next change goes to
	// spent is the points Shopify charged.
	spent float64
}

// simFlusher is one replica's stock writes waiting to be made.
type simFlusher struct{ pending int }

// newSimShopify returns the bucket of s's plan, nil when the plan has no Shopify, and
// schedules the stock flow's flushers and the ERP's own moves. seed is the run's: it
// draws the ERP's shipments.
func newSimShopify(s *Simulation, seed uint64) *simShopify {
	m := s.m
	if !m.Lookups && m.ERP == nil {
		return nil
	}
	r := shopifyRestore[m.ShopifyPlan]
	sh := &simShopify{s: s, restore: r, maximum: 20 * r, level: 20 * r, rng: rand.New(rand.NewPCG(seed, 0x5409))}
	e := m.ERP
	if e == nil || e.FlushEvery <= 0 {
		return sh
	}
	n := max(1, m.Knobs.Replicas)
	sh.flushers = make([]simFlusher, n)
	for i := range n {
		s.schedule(event{at: e.FlushEvery + e.FlushEvery*time.Duration(i)/time.Duration(n), kind: evFlush, key: i})
	}
	for i, every := range e.moveEvery() {
		if every > 0 {
			s.schedule(event{at: every, kind: evMove, key: i})
		}
	}
	if e.Moves.MassUpdate {
		s.schedule(event{at: e.Moves.MassUpdateAt, kind: evMove, key: -1})
	}
	return sh
}

func (sh *simShopify) refill() {
	now := sh.s.now
	sh.level = math.Min(sh.maximum, sh.level+sh.restore*(now-sh.at).Seconds())
	sh.at = now
}

// reserve takes cost points: the wait until they are there, and false when that wait
// is longer than the mirror lets a query wait (nothing taken). What it takes is counted
// as charged until refunded.
func (sh *simShopify) reserve(cost float64) (time.Duration, bool) {
	sh.refill()
	if need := seconds((cost - sh.level) / sh.restore); need > maxReserveWait {
		return need, false
	}
	sh.level -= cost
	sh.spent += cost
	return max(0, seconds(-sh.level/sh.restore)), true
}

// refund gives back what a query asked for and was not charged.
func (sh *simShopify) refund(points float64) {
	sh.refill()
	sh.level = math.Min(sh.maximum, sh.level+points)
	sh.spent -= points
}

// spend has key's worker take cost points: the job goes on when they are there, or is
// snoozed for the wait when the mirror refuses it.
func (sh *simShopify) spend(key int, cost float64) {
	s := sh.s
	wait, ok := sh.reserve(cost)
	switch {
	case !ok:
		s.snooze(key, wait)
	case wait == 0:
		s.pointsReady(key)
	default:
		s.schedule(event{at: s.now + wait, kind: evPoints, key: key})
	}
}

// fulfil runs a fulfilment's stages: the fulfillment orders' read, its refund and the
// fulfillment's creation; done, the shipped SKUs are pending for a stock write and the
// store's webhook of the fulfilment arrives.
func (sh *simShopify) fulfil(key int) {
	s := sh.s
	j := &s.keys[key].jobs[0]
	switch j.stage {
	case 0:
		sh.spend(key, fulfilShippingRequested)
	case 1:
		sh.refund(fulfilShippingRequested - s.m.ERP.ShippingReadPoints)
		sh.spend(key, fulfilCreatePoints)
	default:
		s.finish(key)
		sh.changed(1)
		s.enqueue(key, simJob{arrived: s.now, msgs: 1, kind: jobEcho})
	}
}

// changed makes n SKUs pending at the next replica (the ERP's pushes reach the
// replicas in turn).
func (sh *simShopify) changed(n int) {
	if len(sh.flushers) == 0 {
		return
	}
	sh.flushers[sh.next].pending += n
	sh.next = (sh.next + 1) % len(sh.flushers)
}

// move is one of the ERP's own moves (key: which interval), or the mass update (key
// −1), split across the replicas.
func (sh *simShopify) move(key int) {
	s, e := sh.s, sh.s.m.ERP
	if key < 0 {
		n := len(sh.flushers)
		for i := range sh.flushers {
			sh.flushers[i].pending += e.MassUpdateSKUs / n
			if i < e.MassUpdateSKUs%n {
				sh.flushers[i].pending++
			}
		}
		return
	}
	sh.changed(1)
	s.schedule(event{at: s.now + e.moveEvery()[key], kind: evMove, key: key})
}

// flush is replica i's flusher waking: it writes one batch of what is pending, and goes
// on at once while more is pending, or sleeps FlushEvery.
func (sh *simShopify) flush(i int) {
	s, every := sh.s, sh.s.m.ERP.FlushEvery
	f := &sh.flushers[i]
	if f.pending == 0 || i >= s.m.replicasUp(s.now) {
		s.schedule(event{at: s.now + every, kind: evFlush, key: i})
		return
	}
	wait, ok := sh.reserve(stockWritePoints)
	if !ok {
		s.schedule(event{at: s.now + max(wait, every/10), kind: evFlush, key: i})
		return
	}
	f.pending -= min(f.pending, stockBatch)
	next := s.now + wait
	if f.pending == 0 {
		next += every
	}
	s.schedule(event{at: next, kind: evFlush, key: i})
}

// written: an order job's NetSuite write succeeded. The ERP's stock changed; a paid
// order the ERP ships gets its fulfilment, pushed a draw of FulfillAfter later.
func (s *Simulation) written(key int) {
	sh := s.shop
	if sh == nil || s.m.ERP == nil {
		return
	}
	sh.changed(1)
	k := &s.keys[key]
	if s.m.ERP.FulfillAfter == nil || k.held || k.cancelled || k.shipped || !k.jobs[0].paid {
		return
	}
	k.shipped = true
	s.schedule(event{at: s.now + s.m.ERP.FulfillAfter.Sample(sh.rng), kind: evShip, key: key})
}

// ship: the ERP pushes the key's fulfilment, unless the order was cancelled meanwhile.
func (s *Simulation) ship(key int) {
	if s.keys[key].cancelled {
		return
	}
	s.enqueue(key, simJob{arrived: s.now, msgs: 1, kind: jobFulfil})
}
