package audit

// DefaultMaxListed is the differences a stored or sent report lists at most.
const DefaultMaxListed = 10_000

// Capped returns the report with at most n differences listed (the first, in the
// report's order); Omitted counts the rest. Counts, sides and days stay whole.
func (r *Report) Capped(n int) *Report {
	if n <= 0 || len(r.Differences) <= n {
		return r
	}
	c := *r
	c.Differences = r.Differences[:n:n]
	c.Omitted = r.Omitted + len(r.Differences) - n
	return &c
}
