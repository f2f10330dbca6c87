package store

import (
	"fmt"
	"net/url"
	"strconv"
)

// FulfillmentRequest ships lines of fulfillment orders, as fulfillmentCreate does.
type FulfillmentRequest struct {
	Groups []FulfillmentGroup
	// TrackingCompany, TrackingNumbers and TrackingURLs describe the shipment. A known
	// company (UPS, USPS, FedEx, DHL Express, Canada Post) with numbers but no URLs gets
	// its tracking URLs built, as Shopify does.
	TrackingCompany string
	TrackingNumbers []string
	TrackingURLs    []string
	NotifyCustomer  bool
}

// FulfillmentGroup is the lines of one fulfillment order to ship; no lines means every
// remaining line in full.
type FulfillmentGroup struct {
	FulfillmentOrderID int64
	Lines              []FulfillmentLine
}

// FulfillmentLine is a fulfillment order line item and the quantity to ship.
type FulfillmentLine struct {
	ID       int64
	Quantity int
}

// CreateFulfillment ships lines: they count as fulfilled, on_hand and committed stock go
// down, and fulfillments/create, orders/fulfilled or orders/partially_fulfilled and
// orders/updated fire with one event id. Invalid requests change nothing and return an
// *InputError whose Field follows fulfillmentCreate's input.
func (s *Store) CreateFulfillment(req FulfillmentRequest) (Fulfillment, Change, error) {
	out := Change{Events: []EventRecord{}}
	base := []string{"fulfillment", "lineItemsByFulfillmentOrder"}
	if len(req.Groups) == 0 {
		return Fulfillment{}, out, invalid("", "Line items by fulfillment order must be provided.", base...)
	}
	s.mu.Lock()
	defer s.unlock()
	orderIdx := -1
	type ship struct {
		line int
		qty  int32
	}
	var ships []ship
	for gi, g := range req.Groups {
		field := append(append([]string(nil), base...), strconv.Itoa(gi), "fulfillmentOrderId")
		idx, ok := fulfillmentOrderIndex(g.FulfillmentOrderID)
		if !ok || idx >= len(s.orders) {
			return Fulfillment{}, out, notFound("", "Fulfillment order does not exist.", field...)
		}
		if orderIdx >= 0 && idx != orderIdx {
			return Fulfillment{}, out, invalid("", "All fulfillment orders must belong to the same order.", field...)
		}
		if orderIdx == idx {
			return Fulfillment{}, out, invalid("", "A fulfillment order may be given only once.", field...)
		}
		orderIdx = idx
		o := &s.orders[idx]
		if o.cancelledAt != 0 {
			return Fulfillment{}, out, invalid("", "Fulfillment order "+itoa(g.FulfillmentOrderID)+" is cancelled and cannot be fulfilled.", field...)
		}
		lines := o.current().lines
		if len(g.Lines) == 0 {
			for n, l := range lines {
				if rem := l.current - o.fulfilledQty(n); rem > 0 {
					ships = append(ships, ship{n, rem})
				}
			}
			continue
		}
		seen := map[int]bool{}
		for li, fl := range g.Lines {
			lf := append(append([]string(nil), base...), strconv.Itoa(gi), "fulfillmentOrderLineItems", strconv.Itoa(li))
			oi, n, ok := foLineIndex(fl.ID)
			if !ok || oi != idx || n >= len(lines) || seen[n] {
				return Fulfillment{}, out, notFound("", "Fulfillment order line item "+itoa(fl.ID)+" does not exist on fulfillment order "+itoa(g.FulfillmentOrderID)+".", append(lf, "id")...)
			}
			seen[n] = true
			rem := lines[n].current - o.fulfilledQty(n)
			if fl.Quantity < 1 || int32(fl.Quantity) > rem {
				return Fulfillment{}, out, invalid("", fmt.Sprintf("Quantity %d must be between 1 and the %d remaining.", fl.Quantity, rem), append(lf, "quantity")...)
			}
			ships = append(ships, ship{n, int32(fl.Quantity)})
		}
	}
	if len(ships) == 0 {
		return Fulfillment{}, out, invalid("", "The fulfillment order has no remaining line items to fulfill.", base...)
	}
	urls := req.TrackingURLs
	if len(urls) == 0 && len(req.TrackingNumbers) > 0 {
		for _, n := range req.TrackingNumbers {
			if u := trackingURL(req.TrackingCompany, n); u != "" {
				urls = append(urls, u)
			}
		}
	}
	a := s.begin(&out)
	sec := a.at.Unix()
	o := &s.orders[orderIdx]
	ext := o.extension()
	lines := o.current().lines
	if len(ext.fulfilled) < len(lines) {
		ext.fulfilled = append(ext.fulfilled, make([]int32, len(lines)-len(ext.fulfilled))...)
	}
	s.fulfilSeq++
	f := fulfillment{id: fulfillmentBase + s.fulfilSeq, at: sec, company: req.TrackingCompany,
		numbers: append([]string{}, req.TrackingNumbers...), urls: append([]string{}, urls...), notified: req.NotifyCustomer}
	moves := stockMoves{s: s}
	for _, sh := range ships {
		ext.fulfilled[sh.line] += sh.qty
		f.lines = append(f.lines, fulfilledLine{line: int32(sh.line), qty: sh.qty})
		moves.move(int(lines[sh.line].item), int(o.loc), 0, -sh.qty, -sh.qty, sec)
	}
	ext.fulfillments = append(ext.fulfillments, f)
	v := s.newVersion(orderIdx, o, lines, sec)
	v.fulfillment = fulfillmentOf(o, lines)
	f.at = v.at
	ext.fulfillments[len(ext.fulfillments)-1].at = v.at

	snap := s.orderSnap(orderIdx)
	fs := snap.Fulfillments[len(snap.Fulfillments)-1]
	s.emitJSON(a, TopicFulfillmentsCreate, fs.ID, s.FulfillmentJSON(&fs))
	topic := TopicOrdersPartiallyFilled
	if v.fulfillment == fulFulfilled {
		topic = TopicOrdersFulfilled
	}
	s.emitOrder(a, orderIdx, topic, TopicOrdersUpdated)
	moves.emit(a, &out)
	out.Fulfillments = append(out.Fulfillments, fs.ID)
	return fs, out, nil
}

// trackingURL builds a carrier's tracking URL for the companies Shopify knows.
func trackingURL(company, number string) string {
	q := url.QueryEscape(number)
	switch company {
	case "UPS":
		return "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=" + q
	case "USPS":
		return "https://tools.usps.com/go/TrackConfirmAction?tLabels=" + q
	case "FedEx":
		return "https://www.fedex.com/fedextrack/?trknbr=" + q
	case "DHL Express":
		return "https://www.dhl.com/en/express/tracking.html?AWB=" + q + "&brand=DHL"
	case "Canada Post":
		return "https://www.canadapost-postescanada.ca/track-reperage/en#/details/" + q
	}
	return ""
}
