package limits

import "math"

// Level reports the bucket's fill level without adding a request, in the same terms as
// Take: Used is rounded up, RetryAfter is how long until one more request fits.
func (b *LeakyBucket) Level() BucketDecision {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	d := BucketDecision{Capacity: int(b.f.units(b.f.capacity)), Allowed: b.f.available >= nano}
	if !d.Allowed {
		d.RetryAfter = b.f.wait(1)
	}
	d.Used = int(math.Ceil(b.f.units(b.f.capacity - b.f.available)))
	return d
}
