package store

import (
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// recordingSink keeps every published event.
type recordingSink struct {
	mu     sync.Mutex
	events []webhooks.Event
}

func (r *recordingSink) Publish(e webhooks.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recordingSink) all() []webhooks.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Event(nil), r.events...)
}

type bundle struct {
	clock *clock.Manual
	sink  *recordingSink
}

func setup(t *testing.T, cfg Config) (*Store, *bundle) {
	t.Helper()
	b := &bundle{clock: clock.NewManual(epoch), sink: &recordingSink{}}
	cfg.Clock, cfg.Sink = b.clock, b.sink
	s, err := New(cfg)
	require.NoError(t, err)
	return s, b
}

func TestSameSeedGivesByteIdenticalPayloads(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) []webhooks.Event {
		s, b := setup(t, Config{Seed: seed})
		_, err := s.GenerateOrders(40, nil)
		require.NoError(t, err)
		ids := s.OrderIDs()
		_, err = s.PayOrder(ids[0])
		_ = err // may already be paid; the sequence of calls is what matters
		_, err = s.CancelOrder(ids[1], "customer", true)
		require.NoError(t, err)
		_, err = s.TagOrder(ids[2], []string{"vip"}, nil)
		require.NoError(t, err)
		return b.sink.all()
	}
	a, b := run(42), run(42)
	require.Equal(t, len(a), len(b))
	for i := range a {
		assert.Equal(t, a[i].EventID, b[i].EventID, "event %d id", i)
		assert.Equal(t, string(a[i].Payload), string(b[i].Payload), "event %d payload", i)
	}
	c := run(43)
	assert.NotEqual(t, string(a[1].Payload), string(c[1].Payload), "another seed gives other orders")
}

func TestCatalogMatchesTheSharedItemMaster(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 9, CatalogSize: 50, Locations: 3})
	want := catalog.Generate(9, 50, 3)
	require.Equal(t, len(want.Items), s.VariantCount())
	for i, it := range want.Items {
		v, ok := s.VariantBySKU(it.SKU)
		require.True(t, ok, it.SKU)
		assert.Equal(t, i, v.Index)
		assert.Equal(t, it.PriceCents, v.PriceCents)
		for l, q := range it.Stock {
			assert.Equal(t, q, v.Levels[l].Available)
			assert.Equal(t, q, v.Levels[l].OnHand)
		}
	}
}

// Totals are consistent: subtotal = sum(price x qty) - discount, tax from the shared table
// on the shipping address, total = subtotal + shipping + tax; the REST payload agrees.
func TestGeneratedOrderTotalsAreConsistent(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 5, Mix: &Mix{ReturningShare: 0.3, DiscountShare: 0.5, InternationalShare: 0.3, LineItems: mustLines(t, "1:1,3:1,7:1")}})
	_, err := s.GenerateOrders(300, nil)
	require.NoError(t, err)
	discounted := 0
	for _, id := range s.OrderIDs() {
		o, ok := s.Order(id)
		require.True(t, ok)
		var items int64
		for _, l := range o.Lines {
			items += l.PriceCents * int64(l.CurrentQuantity)
		}
		assert.Equal(t, items, o.LineItemsCents)
		assert.Equal(t, items-o.DiscountCents, o.SubtotalCents, o.Name)
		rate := catalog.TaxRate(o.ShippingAddress.CountryCode, o.ShippingAddress.ProvinceCode)
		assert.Equal(t, rate, o.TaxRateBP)
		assert.Equal(t, catalog.Tax(o.SubtotalCents, rate), o.TaxCents, o.Name)
		assert.Equal(t, o.SubtotalCents+o.ShippingCents+o.TaxCents, o.TotalCents, o.Name)
		if o.DiscountCents > 0 {
			discounted++
		}
		j := s.OrderJSON(&o)
		sub, _ := catalog.ParseMoney(j.SubtotalPrice)
		tot, _ := catalog.ParseMoney(j.TotalPrice)
		tax, _ := catalog.ParseMoney(j.TotalTax)
		ship, _ := catalog.ParseMoney(j.TotalShippingPriceSet.ShopMoney.Amount)
		assert.Equal(t, sub+ship+tax, tot, "payload totals of %s", o.Name)
	}
	assert.Greater(t, discounted, 100, "about half the orders carry a discount")
}

func mustLines(t *testing.T, s string) LineCounts {
	t.Helper()
	lc, err := ParseLineCounts(s)
	require.NoError(t, err)
	return lc
}

// One merchant action fans out to several topics that share one event id; the payload is
// the unwrapped Order; ids above 2^53 survive exactly.
func TestCheckoutFansOutTopicsWithOneEventID(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Config{Seed: 1, Customers: -1, Mix: &Mix{LineItems: mustLines(t, "2")}})
	ch, err := s.GenerateOrders(1, nil)
	require.NoError(t, err)
	events := b.sink.all()
	var topics []string
	for _, e := range events {
		topics = append(topics, e.Topic)
	}
	assert.Equal(t, []string{
		TopicCustomersCreate, TopicOrdersCreate, TopicOrdersPaid, TopicOrdersUpdated,
		TopicInventoryLevelsUpdate, TopicInventoryLevelsUpdate, TopicOrdersRiskChanged,
	}, topics)
	checkout := events[0].EventID
	for _, e := range events[:6] {
		assert.Equal(t, checkout, e.EventID, e.Topic)
	}
	assert.NotEqual(t, checkout, events[6].EventID, "fraud analysis is its own action")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, checkout)

	id := ch.Orders[0]
	assert.Greater(t, id, int64(1)<<53)
	created := events[1].Payload
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(created, &top))
	assert.NotContains(t, top, "order", "the payload is the order itself, not wrapped")
	assert.Equal(t, strconv.FormatInt(id, 10), string(top["id"]), "the id is written as an exact integer")
	assert.JSONEq(t, `"gid://shopify/Order/`+strconv.FormatInt(id, 10)+`"`, string(top["admin_graphql_api_id"]))
	var asFloat map[string]any
	require.NoError(t, json.Unmarshal(created, &asFloat))
	assert.NotEqual(t, strconv.FormatInt(id, 10), strconv.FormatFloat(asFloat["id"].(float64), 'f', 0, 64),
		"a float64 decoder loses precision: the fake makes that visible")
	assert.Equal(t, created, events[2].Payload, "orders/paid carries the same payload")
	assert.Equal(t, created, events[3].Payload, "orders/updated carries the same payload")

	inv := events[4]
	require.NotNil(t, inv.Inventory)
	o, _ := s.Order(id)
	assert.Equal(t, o.Lines[0].SKU, inv.Inventory.SKU)
	assert.Equal(t, inv.Inventory.Prior-o.Lines[0].Quantity, inv.Inventory.Current, "the order committed the line's quantity")
	var lvl InventoryLevelJSON
	require.NoError(t, json.Unmarshal(inv.Payload, &lvl))
	assert.Equal(t, inv.ResourceID, lvl.InventoryItemID)
	assert.Equal(t, InventoryLevelGID(lvl.LocationID, lvl.InventoryItemID), lvl.AdminGraphqlAPIID)

	var risk RiskJSON
	require.NoError(t, json.Unmarshal(events[6].Payload, &risk))
	assert.Equal(t, id, risk.OrderID)
	assert.Equal(t, "low", risk.RiskLevel)

	recs := s.Events(0, 0)
	require.Len(t, recs, len(events))
	for i, r := range recs {
		assert.Equal(t, int64(i+1), r.Seq)
		assert.Equal(t, events[i].Topic, r.Topic)
		assert.Equal(t, events[i].EventID, r.EventID)
		assert.Equal(t, PayloadHash(events[i].Payload), r.PayloadHash)
		assert.Equal(t, len(events[i].Payload), r.PayloadBytes)
	}
}

func TestPayEditCancelKeepHistoryAndFireTopics(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Config{Seed: 2})
	ch, err := s.CreateOrder(OrderSpec{
		Customer:        &CustomerSpec{Email: "Ada@Example.com", FirstName: "Ada"},
		LineItems:       []LineSpec{{SKU: s.Catalog().Items[0].SKU, Quantity: 2}, {SKU: s.Catalog().Items[1].SKU, Quantity: 1, Price: "10.00"}},
		ShippingAddress: &Address{CountryCode: "US", ProvinceCode: "CA", City: "Oakland"},
		FinancialStatus: "pending", Tags: []string{"b2b, wholesale", "b2b"},
	})
	require.NoError(t, err)
	id := ch.Orders[0]
	o, _ := s.Order(id)
	assert.Equal(t, "pending", o.FinancialStatus)
	assert.Equal(t, []string{"b2b", "wholesale"}, o.Tags)
	assert.Equal(t, "ada@example.com", o.Email)
	assert.Equal(t, int64(725), o.TaxRateBP)
	c, ok := s.CustomerByEmail("ADA@example.com")
	require.True(t, ok)
	assert.Equal(t, o.Customer.ID, c.ID)

	b.clock.Advance(time.Minute)
	pay, err := s.PayOrder(id)
	require.NoError(t, err)
	assert.Equal(t, []string{TopicOrdersPaid, TopicOrdersUpdated}, topicsOf(pay.Events))
	_, err = s.PayOrder(id)
	assert.ErrorIs(t, err, ErrInvalid, "paying twice is refused")

	// Editing in the same second still advances updated_at.
	edit, err := s.EditOrder(id, OrderEdit{
		Add:         []LineSpec{{SKU: s.Catalog().Items[2].SKU, Quantity: 3}},
		SetQuantity: []LineQuantity{{LineItemID: o.Lines[0].ID, Quantity: 1}},
		Remove:      []int64{o.Lines[1].ID},
	})
	require.NoError(t, err)
	assert.Contains(t, topicsOf(edit.Events), TopicOrdersUpdated)
	o2, _ := s.Order(id)
	assert.Equal(t, o.UpdatedAt.Add(time.Minute+time.Second), o2.UpdatedAt)
	assert.Equal(t, 0, o2.Lines[1].CurrentQuantity, "a removed line stays with current_quantity 0")
	if o2.TotalCents > o2.PaidCents {
		assert.Equal(t, "partially_paid", o2.FinancialStatus)
	}

	cancel, err := s.CancelOrder(id, "fraud", true)
	require.NoError(t, err)
	assert.Equal(t, TopicOrdersCancelled, cancel.Events[0].Topic)
	assert.Equal(t, cancel.Events[0].EventID, cancel.Events[1].EventID)
	_, err = s.CancelOrder(id, "fraud", true)
	assert.ErrorIs(t, err, ErrOrderClosed)
	_, err = s.EditOrder(id, OrderEdit{Remove: []int64{o.Lines[0].ID}})
	assert.ErrorIs(t, err, ErrOrderClosed)

	truth, ok := s.OrderTruth(id)
	require.True(t, ok)
	require.Len(t, truth.Versions, 4)
	assert.Equal(t, "pending", truth.Versions[0].FinancialStatus)
	assert.Equal(t, "paid", truth.Versions[1].FinancialStatus)
	assert.Len(t, truth.Versions[2].Lines, 2)
	assert.True(t, truth.Latest.Cancelled)
	assert.Equal(t, "refunded", truth.Latest.FinancialStatus)
	for i := 1; i < len(truth.Versions); i++ {
		assert.True(t, truth.Versions[i].UpdatedAt.After(truth.Versions[i-1].UpdatedAt), "updated_at strictly increases")
	}
	// Cancelling restocked everything the order had committed.
	for _, it := range s.Catalog().Items[:3] {
		v, _ := s.VariantBySKU(it.SKU)
		assert.Equal(t, it.Stock[0], v.Levels[0].Available, it.SKU)
		assert.Equal(t, 0, v.Levels[0].Committed, it.SKU)
	}
}

func topicsOf(evs []EventRecord) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Topic
	}
	return out
}

func TestTaggingWithNothingNewFiresNothing(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 3})
	b, err := s.GenerateOrders(1, nil)
	require.NoError(t, err)
	ch, err := s.TagOrder(b.Orders[0], []string{"a", "B"}, nil)
	require.NoError(t, err)
	assert.Len(t, ch.Events, 1)
	ch, err = s.TagOrder(b.Orders[0], []string{"A, b"}, nil)
	require.NoError(t, err)
	assert.Empty(t, ch.Events, "adding tags it has is not a change")
	truth, _ := s.OrderTruth(b.Orders[0])
	assert.Len(t, truth.Versions, 2)
}

func TestFulfillmentShipsLinesAndFiresTopics(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 4})
	items := s.Catalog().Items
	ch, err := s.CreateOrder(OrderSpec{LineItems: []LineSpec{{SKU: items[0].SKU, Quantity: 2}, {SKU: items[1].SKU, Quantity: 1}}})
	require.NoError(t, err)
	o, _ := s.Order(ch.Orders[0])
	fo := o.FulfillmentOrder
	assert.Equal(t, "OPEN", fo.Status)

	f, part, err := s.CreateFulfillment(FulfillmentRequest{
		Groups:          []FulfillmentGroup{{FulfillmentOrderID: fo.ID, Lines: []FulfillmentLine{{ID: fo.Lines[0].ID, Quantity: 1}}}},
		TrackingCompany: "UPS", TrackingNumbers: []string{"1Z999"},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{TopicFulfillmentsCreate, TopicOrdersPartiallyFilled, TopicOrdersUpdated}, topicsOf(part.Events))
	assert.Equal(t, []string{"https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999"}, f.TrackingURLs)
	assert.Equal(t, o.Name+".1", f.Name)
	var payload FulfillmentJSON
	evs := s.Events(part.Events[0].Seq-1, 1)
	require.Len(t, evs, 1)
	_ = payload

	_, _, err = s.CreateFulfillment(FulfillmentRequest{Groups: []FulfillmentGroup{{FulfillmentOrderID: fo.ID, Lines: []FulfillmentLine{{ID: fo.Lines[0].ID, Quantity: 5}}}}})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, []string{"fulfillment", "lineItemsByFulfillmentOrder", "0", "fulfillmentOrderLineItems", "0", "quantity"}, ie.Field)

	rest, _, err := s.CreateFulfillment(FulfillmentRequest{Groups: []FulfillmentGroup{{FulfillmentOrderID: fo.ID}}})
	require.NoError(t, err)
	assert.Len(t, rest.Lines, 2, "no lines means every remaining line")
	o, _ = s.Order(o.ID)
	assert.Equal(t, "fulfilled", o.FulfillmentStatus)
	assert.Equal(t, "CLOSED", o.FulfillmentOrder.Status)
	v, _ := s.VariantBySKU(items[0].SKU)
	assert.Equal(t, items[0].Stock[0]-2, v.Levels[0].OnHand, "shipping takes stock off hand")
	assert.Equal(t, 0, v.Levels[0].Committed)

	_, _, err = s.CreateFulfillment(FulfillmentRequest{Groups: []FulfillmentGroup{{FulfillmentOrderID: fo.ID}}})
	assert.ErrorAs(t, err, &ie, "nothing left to fulfill")
	_, _, err = s.CreateFulfillment(FulfillmentRequest{Groups: []FulfillmentGroup{{FulfillmentOrderID: 42}}})
	assert.True(t, errors.Is(err, ErrNotFound))
}

func TestChangeQuantitiesIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Config{Seed: 6})
	v0, _ := s.VariantAt(0)
	v1, _ := s.VariantAt(1)
	loc := s.Locations()[0].ID
	wrong := v1.Levels[0].Available + 1
	_, problems, ch, err := s.ChangeQuantities(QuantityRequest{Name: "available", Set: true, Reason: "correction", Changes: []QuantityChange{
		{InventoryItemID: v0.InventoryItemID, LocationID: loc, Quantity: 5},
		{InventoryItemID: v1.InventoryItemID, LocationID: loc, Quantity: 5, Compare: &wrong},
	}})
	require.NoError(t, err)
	assert.Equal(t, []QuantityProblem{{Index: 1, Code: "STALE", Current: v1.Levels[0].Available}}, problems)
	assert.Empty(t, ch.Events)
	after, _ := s.VariantAt(0)
	assert.Equal(t, v0.Levels[0].Available, after.Levels[0].Available, "nothing written")

	g, problems, ch, err := s.ChangeQuantities(QuantityRequest{Name: "available", Set: true, Reason: "correction", Changes: []QuantityChange{
		{InventoryItemID: v0.InventoryItemID, LocationID: loc, Quantity: 5},
	}})
	require.NoError(t, err)
	require.Empty(t, problems)
	d := 5 - v0.Levels[0].Available
	assert.Equal(t, []QuantityDelta{
		{Name: "available", Delta: d, QuantityAfter: 5, InventoryItemID: v0.InventoryItemID, LocationID: loc},
		{Name: "on_hand", Delta: d, QuantityAfter: v0.Levels[0].OnHand + d, InventoryItemID: v0.InventoryItemID, LocationID: loc},
	}, g.Changes)
	require.Len(t, ch.Events, 1)
	evs := b.sink.all()
	inv := evs[len(evs)-1].Inventory
	require.NotNil(t, inv)
	assert.Equal(t, v0.Available(), inv.Prior)
	assert.Equal(t, v0.Available()+d, inv.Current)

	_, _, _, err = s.ChangeQuantities(QuantityRequest{Name: "committed", Reason: "correction"})
	assert.ErrorIs(t, err, ErrInvalid)
	g, _, _, err = s.ChangeQuantities(QuantityRequest{Name: "damaged", Reason: "damaged", Changes: []QuantityChange{
		{InventoryItemID: v0.InventoryItemID, LocationID: loc, Delta: 2},
	}})
	require.NoError(t, err)
	assert.Equal(t, "damaged", g.Changes[0].Name)
	lvl, _ := s.InventoryLevel(v0.InventoryItemID, loc)
	assert.Equal(t, 2, lvl.Quantity("damaged"))
}

func TestPaginateMatchesSortedWindows(t *testing.T) {
	t.Parallel()
	keys := []int64{5, 3, 9, 1, 7, 3, 8}
	key := func(i int) (Pos, bool) { return Pos{Key: keys[i], ID: int64(i + 1)}, keys[i] != 8 }
	p := Paginate(len(keys), key, PageRequest{First: 3})
	assert.Equal(t, []int{3, 1, 5}, p.Items, "keys 1, 3 (id 2), 3 (id 6)")
	assert.True(t, p.HasNext)
	assert.False(t, p.HasPrevious)
	next := Paginate(len(keys), key, PageRequest{First: 3, After: &p.Positions[2]})
	assert.Equal(t, []int{0, 4, 2}, next.Items, "keys 5, 7, 9; 8 is filtered out")
	assert.False(t, next.HasNext)
	assert.True(t, next.HasPrevious)
	last := Paginate(len(keys), key, PageRequest{Last: 2, Before: &next.Positions[1]})
	assert.Equal(t, []int{5, 0}, last.Items)
	assert.True(t, last.HasPrevious)
	assert.True(t, last.HasNext)
	rev := Paginate(len(keys), key, PageRequest{First: 2, Reverse: true})
	assert.Equal(t, []int{2, 4}, rev.Items)
	assert.Empty(t, Paginate(len(keys), key, PageRequest{}).Items)
}

func TestParseLineCounts(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]string{"1:45,2:30": "1:45,2:30", " 3 ": "3:1", "5:1,1:2": "1:2,5:1"} {
		lc, err := ParseLineCounts(spec)
		require.NoError(t, err, spec)
		assert.Equal(t, want, lc.String())
	}
	for _, bad := range []string{"", "0", "101", "a:1", "1:0", "1:1,1:2", "2:-1", "1:x"} {
		_, err := ParseLineCounts(bad)
		assert.Error(t, err, bad)
	}
	assert.InDelta(t, 1.5, mustLines(t, "1:1,2:1").Mean(), 1e-9)
}

func TestMixValidation(t *testing.T) {
	t.Parallel()
	m := DefaultMix()
	require.NoError(t, m.Validate())
	m.HighRiskShare = 1.5
	assert.ErrorContains(t, m.Validate(), "high_risk_share")
	m = DefaultMix()
	m.HighRiskShare, m.MediumRiskShare = 0.6, 0.6
	assert.ErrorContains(t, m.Validate(), "above 1")
	_, err := New(Config{Locations: 9})
	assert.ErrorContains(t, err, "locations")
}

func TestGeneratedSharesFollowTheMix(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 8, Mix: &Mix{ReturningShare: 0.5, HighRiskShare: 0.1, PendingShare: 0.2, LineItems: mustLines(t, "1:1,2:1")}})
	b, err := s.GenerateOrders(2000, nil)
	require.NoError(t, err)
	high, pending, lines := 0, 0, 0
	for _, id := range b.Orders {
		o, _ := s.Order(id)
		if o.Risk.Level == "HIGH" {
			high++
		}
		if o.FinancialStatus == "pending" {
			pending++
		}
		lines += len(o.Lines)
	}
	assert.InDelta(t, 1000, b.NewCustomers, 80, "half the orders come from new customers")
	assert.InDelta(t, 200, high, 40)
	assert.InDelta(t, 400, pending, 60)
	assert.InDelta(t, 3000, lines, 100)
}

func TestCustomerUpdateAndEmailLookup(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 10, Customers: 5})
	c, ok := s.Customer(customerID(2))
	require.True(t, ok)
	found, ok := s.CustomerByEmail(c.Email)
	require.True(t, ok)
	assert.Equal(t, c.ID, found.ID)
	newEmail := "new@example.org"
	ch, err := s.UpdateCustomer(c.ID, CustomerUpdate{Email: &newEmail, Tags: []string{"vip"}})
	require.NoError(t, err)
	assert.Equal(t, []string{TopicCustomersUpdate}, topicsOf(ch.Events))
	_, ok = s.CustomerByEmail(c.Email)
	assert.False(t, ok, "the old address no longer finds the customer")
	found, ok = s.CustomerByEmail("NEW@example.org")
	require.True(t, ok)
	assert.Equal(t, []string{"vip"}, found.Tags)
	other, _ := s.Customer(customerID(3))
	_, err = s.UpdateCustomer(other.ID, CustomerUpdate{Email: &newEmail})
	assert.ErrorIs(t, err, ErrInvalid, "e-mail taken")
	_, err = s.UpdateCustomer(customerID(99), CustomerUpdate{})
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestResetRestoresTheSeededShop(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 11})
	before, _ := s.VariantAt(0)
	_, err := s.GenerateOrders(50, nil)
	require.NoError(t, err)
	s.Reset()
	orders, customers, events := s.Counts()
	assert.Zero(t, orders)
	assert.Equal(t, DefaultCustomers, customers)
	assert.Zero(t, events)
	after, _ := s.VariantAt(0)
	assert.Equal(t, before.Levels, after.Levels)
}

func TestExplicitOrderValidation(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 12})
	sku := s.Catalog().Items[0].SKU
	cases := map[string]OrderSpec{
		"line_items":       {},
		"sku":              {LineItems: []LineSpec{{SKU: "NOPE", Quantity: 1}}},
		"quantity":         {LineItems: []LineSpec{{SKU: sku, Quantity: 0}}},
		"price":            {LineItems: []LineSpec{{SKU: sku, Quantity: 1, Price: "1.234"}}},
		"financial_status": {LineItems: []LineSpec{{SKU: sku, Quantity: 1}}, FinancialStatus: "maybe"},
		"country_code":     {LineItems: []LineSpec{{SKU: sku, Quantity: 1}}, ShippingAddress: &Address{CountryCode: "USA"}},
		"province_code":    {LineItems: []LineSpec{{SKU: sku, Quantity: 1}}, ShippingAddress: &Address{CountryCode: "US", ProvinceCode: "XX"}},
		"risk_level":       {LineItems: []LineSpec{{SKU: sku, Quantity: 1}}, RiskLevel: "extreme"},
		"customer_id":      {LineItems: []LineSpec{{SKU: sku, Quantity: 1}}, CustomerID: 5},
		"email":            {LineItems: []LineSpec{{SKU: sku, Quantity: 1}}, Customer: &CustomerSpec{Email: "not-an-email"}},
	}
	for field, spec := range cases {
		_, err := s.CreateOrder(spec)
		var ie *InputError
		require.ErrorAs(t, err, &ie, field)
		assert.Contains(t, ie.Field, field)
	}
	n, _, _ := s.Counts()
	assert.Zero(t, n, "nothing was created")
}

// Concurrent writers and readers: the sink sees events in exactly the order the store
// recorded them, and readers never see a half-made order.
func TestConcurrentChangesPublishInRecordedOrder(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Config{Seed: 13})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				bt, err := s.GenerateOrders(1, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.TagOrder(bt.Orders[0], []string{"w"}, nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			for _, id := range s.OrderIDs() {
				o, ok := s.Order(id)
				if !ok || o.TotalCents != o.SubtotalCents+o.ShippingCents+o.TaxCents {
					t.Error("inconsistent read")
					return
				}
			}
			s.ListOrders(nil, SortByUpdatedAt, PageRequest{First: 5})
		}
	}()
	wg.Wait()
	published := b.sink.all()
	recorded := s.Events(0, 0)
	require.Len(t, published, len(recorded))
	for i := range recorded {
		require.Equal(t, recorded[i].Topic, published[i].Topic, "event %d", i)
		require.Equal(t, recorded[i].EventID, published[i].EventID, "event %d", i)
		require.Equal(t, recorded[i].PayloadHash, PayloadHash(published[i].Payload), "event %d", i)
	}
	assert.Equal(t, 100, s.OrderCount())
}

func TestGeneratedOrdersKeepToTheSaleSKUs(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 9, Mix: &Mix{LineItems: mustLines(t, "1:1,3:1,5:1"), SKUs: 3}})
	b, err := s.GenerateOrders(300, nil)
	require.NoError(t, err)
	allowed := map[string]bool{}
	for i := 0; i < 3; i++ {
		allowed[s.Catalog().Items[i].SKU] = true
	}
	seen := map[string]bool{}
	for _, id := range b.Orders {
		o, _ := s.Order(id)
		assert.LessOrEqual(t, len(o.Lines), 3, "an order cannot have more distinct lines than the sale has SKUs")
		for _, l := range o.Lines {
			assert.True(t, allowed[l.SKU], "order %d has %s, outside the sale", id, l.SKU)
			seen[l.SKU] = true
		}
	}
	assert.Len(t, seen, 3, "every sale SKU sells")
	require.Error(t, Mix{LineItems: mustLines(t, "1"), SKUs: -1}.Validate())
}
