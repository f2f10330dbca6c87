package capacity

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// The drain when the ERP ships orders after the traffic. Each fulfilment the
// integrator mirrors makes the store fire the order's orders/updated, a delivery like
// any other (duplicated, reordered), so deliveries go on after the traffic for as long
// as the ERP ships. The run calls the system drained at the first moment nothing is due
// and the queue is empty, not when the last delivery lands: the drain is the first gap
// in the deliveries still due after the queue has drained. That is a first passage,
// which echoSpans estimates from seeded runs of the deliveries around the end of the
// traffic.

const (
	// echoRunCount is how many seeded runs of the deliveries estimate the drain.
	echoRunCount = 200
	// echoStep is the resolution of the runs' delivery times.
	echoStep = 100 * time.Millisecond
	// drainLookGap is the wall time between the run's two idle looks: a gap in the
	// deliveries due shorter than that is seldom seen.
	drainLookGap = 100 * time.Millisecond
)

// span is a stretch, after the traffic, in which some delivery is due.
type span struct{ from, to time.Duration }

// echoesAfterTraffic says the ERP ships orders after the traffic (and no delivery is
// late: a late one's tail of hours is deliveryTail's).
func (m *Model) echoesAfterTraffic() bool {
	return m.fulfilledShare() > 0 && m.LateShare == 0 && m.shippedBy(m.tl.end+m.ERP.delays[len(m.ERP.delays)-1]) > m.shippedBy(m.tl.end)
}

// drainAfter is when, after the traffic, the run finds nothing due and the queue empty,
// the queue having drained queue after the traffic: the median over seeded runs of the
// first gap in the deliveries due at or after queue. Without fulfilments after the
// traffic it is the later of queue and the last delivery (deliveryTail).
func (m *Model) drainAfter(queue time.Duration) time.Duration {
	if !m.echoesAfterTraffic() {
		return max(queue, m.deliveryTail())
	}
	gap := time.Duration(0)
	if m.Harness {
		gap = time.Duration(float64(drainLookGap) * m.Speed)
	}
	runs := m.echoSpans()
	firsts := make([]time.Duration, len(runs))
	for i, spans := range runs {
		firsts[i] = firstFree(spans, queue, gap)
	}
	slices.Sort(firsts)
	return firsts[len(firsts)/2]
}

// firstFree is the first moment at or after t from which no span covers the next gap.
func firstFree(spans []span, t, gap time.Duration) time.Duration {
	for _, s := range spans {
		if s.from > t && s.from-t >= gap {
			break
		}
		t = max(t, s.to)
	}
	return t
}

// echoSpans runs the deliveries due after the traffic, seeded: those of the traffic's
// last actions held back or duplicated, and the fulfilments' echoes after it. Each
// run's spans are sorted and merged where they overlap.
func (m *Model) echoSpans() [][]span {
	if m.echo != nil {
		return m.echo
	}
	r := rand.New(rand.NewPCG(m.Seed, 0xec40))
	end := m.tl.end
	window := m.ReorderWindow + time.Minute + time.Second // the longest a delivery is due
	last := end + m.ERP.delays[len(m.ERP.delays)-1]
	step := max(echoStep, (last-end)/20000)
	perAction := m.jobShare() * m.messagesPerJob() * m.Growth
	runs := make([][]span, echoRunCount)
	for i := range runs {
		var spans []span
		due := func(at time.Duration) {
			var d time.Duration
			if r.Float64() < m.ReorderShare {
				d = 1 + time.Duration(r.Int64N(int64(m.ReorderWindow)))
			}
			hold := d
			if r.Float64() < m.DuplicateShare {
				hold = d + webhooks.DefaultDuplicateDelay.Sample(r)
			}
			if hold > 0 && at+hold > end { // a delivery not held is never due at a look
				spans = append(spans, span{from: max(at, end) - end, to: at + hold - end})
			}
		}
		for t := max(end-window, 0); t < last; t += step {
			b := min(t+step, last)
			n := m.shippedBy(b) - m.shippedBy(t)
			if t < end {
				n += perAction * (m.tl.count(min(b, end)) - m.tl.count(t))
			}
			k := int(n)
			if r.Float64() < n-math.Floor(n) {
				k++
			}
			for range k {
				due(t + time.Duration(r.Int64N(int64(b-t))))
			}
		}
		runs[i] = mergeSpans(spans)
	}
	m.echo = runs
	return runs
}

// mergeSpans sorts spans and joins those that overlap.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}
