package store

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Mix shapes generated orders. Shares are probabilities in [0, 1] drawn per order from the
// store's seeded generator.
type Mix struct {
	// ReturningShare is the share of orders placed by an existing customer (default 0.35);
	// the others create a new customer (and fire customers/create).
	ReturningShare float64 `json:"returning_share"`
	// HighRiskShare and MediumRiskShare are the shares of orders whose fraud analysis says
	// HIGH (recommendation CANCEL) and MEDIUM (INVESTIGATE); the rest are LOW (ACCEPT).
	// Defaults 0.02 and 0.05.
	HighRiskShare   float64 `json:"high_risk_share"`
	MediumRiskShare float64 `json:"medium_risk_share"`
	// PendingShare is the share of orders placed unpaid with a manual payment method
	// (bank deposit): financial_status pending until paid (default 0.08).
	PendingShare float64 `json:"pending_share"`
	// DiscountShare is the share of orders with a 10, 15 or 20 % discount code (default 0.25).
	DiscountShare float64 `json:"discount_share"`
	// InternationalShare is the share of new customers outside the United States
	// (default 0.1).
	InternationalShare float64 `json:"international_share"`
	// LineItems is the distribution of the number of lines per order
	// (default 1:45,2:30,3:15,4:6,5:4).
	LineItems LineCounts `json:"line_items"`
	// SKUs restricts generated orders to the first SKUs items of the catalog (a flash
	// sale of a few products); 0 means the whole catalog.
	SKUs int `json:"skus,omitempty"`
	// InvalidEmailShare is the share of new customers whose e-mail address is malformed
	// (a typo at checkout kept by an import or an old theme: "ada@gmail", "ada@@x.com");
	// default 0.
	InvalidEmailShare float64 `json:"invalid_email_share,omitempty"`
}

// DefaultMix is the mix of a BFCM day: mostly one- and two-line orders, a third from
// returning customers, a few risky ones.
func DefaultMix() Mix {
	lc, _ := ParseLineCounts("1:45,2:30,3:15,4:6,5:4")
	return Mix{
		ReturningShare:     0.35,
		HighRiskShare:      0.02,
		MediumRiskShare:    0.05,
		PendingShare:       0.08,
		DiscountShare:      0.25,
		InternationalShare: 0.1,
		LineItems:          lc,
	}
}

// Validate checks every share is in [0, 1] and the line distribution is usable.
func (m Mix) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"returning_share", m.ReturningShare}, {"high_risk_share", m.HighRiskShare},
		{"medium_risk_share", m.MediumRiskShare}, {"pending_share", m.PendingShare},
		{"discount_share", m.DiscountShare}, {"international_share", m.InternationalShare},
		{"invalid_email_share", m.InvalidEmailShare},
	} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("%s %v must be between 0 and 1", f.name, f.v)
		}
	}
	if m.HighRiskShare+m.MediumRiskShare > 1 {
		return fmt.Errorf("high_risk_share + medium_risk_share = %v is above 1", m.HighRiskShare+m.MediumRiskShare)
	}
	if len(m.LineItems) == 0 {
		return fmt.Errorf("line_items: empty distribution")
	}
	if m.SKUs < 0 {
		return fmt.Errorf("skus %d must not be negative", m.SKUs)
	}
	return nil
}

// LineCount is one entry of a line-count distribution: Count lines with relative Weight.
type LineCount struct {
	Count  int
	Weight int
}

// LineCounts is a distribution of lines per order, written "1:45,2:30,3:15" (count:weight,
// weights relative). A bare "3" means always three lines.
type LineCounts []LineCount

// maxGeneratedLines caps generated orders; explicit orders may have up to maxLines.
const maxGeneratedLines = 100

// ParseLineCounts reads "count:weight,..." (see LineCounts).
func ParseLineCounts(spec string) (LineCounts, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("line items %q: empty", spec)
	}
	var out LineCounts
	seen := map[int]bool{}
	for _, part := range strings.Split(spec, ",") {
		c, w, hasWeight := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > maxGeneratedLines {
			return nil, fmt.Errorf("line items %q: count %q must be an integer from 1 to %d", spec, c, maxGeneratedLines)
		}
		weight := 1
		if hasWeight {
			weight, err = strconv.Atoi(strings.TrimSpace(w))
			if err != nil || weight < 1 || weight > 1_000_000 {
				return nil, fmt.Errorf("line items %q: weight %q must be an integer from 1 to 1000000", spec, w)
			}
		}
		if seen[n] {
			return nil, fmt.Errorf("line items %q: count %d given twice", spec, n)
		}
		seen[n] = true
		out = append(out, LineCount{Count: n, Weight: weight})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Count < out[j].Count })
	return out, nil
}

// String writes the distribution back in ParseLineCounts form.
func (lc LineCounts) String() string {
	parts := make([]string, len(lc))
	for i, c := range lc {
		parts[i] = strconv.Itoa(c.Count) + ":" + strconv.Itoa(c.Weight)
	}
	return strings.Join(parts, ",")
}

// MarshalJSON writes the "1:45,2:30" form.
func (lc LineCounts) MarshalJSON() ([]byte, error) { return json.Marshal(lc.String()) }

// UnmarshalJSON reads the "1:45,2:30" form, or a bare number of lines.
func (lc *LineCounts) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("line_items must be a string like \"1:45,2:30\" or a number")
		}
		s = strconv.Itoa(n)
	}
	v, err := ParseLineCounts(s)
	if err != nil {
		return err
	}
	*lc = v
	return nil
}

// Mean is the expected number of lines.
func (lc LineCounts) Mean() float64 {
	var sum, w float64
	for _, c := range lc {
		sum += float64(c.Count * c.Weight)
		w += float64(c.Weight)
	}
	if w == 0 {
		return math.NaN()
	}
	return sum / w
}

func (lc LineCounts) draw(r *rand.Rand) int {
	total := 0
	for _, c := range lc {
		total += c.Weight
	}
	x := r.IntN(total)
	for _, c := range lc {
		if x < c.Weight {
			return c.Count
		}
		x -= c.Weight
	}
	return lc[len(lc)-1].Count
}
