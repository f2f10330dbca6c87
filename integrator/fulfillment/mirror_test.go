package fulfillment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/shopify"
)

// loseAnswers forwards requests, then, while armed, drops the answer of a fulfillmentCreate
// that Shopify ran: the call the ERP-side retry must not repeat. It records the requested
// and the actual cost Shopify reported for each operation name.
type loseAnswers struct {
	armed             atomic.Bool
	requested, actual map[string]int
}

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	var cost struct {
		Extensions struct {
			Cost struct {
				Requested int `json:"requestedQueryCost"`
				Actual    int `json:"actualQueryCost"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	_ = json.Unmarshal(answer, &cost)
	op := strings.Fields(string(body))[1] // {"query":"query Name(... / mutation Name(...
	op, _, _ = strings.Cut(op, "(")
	l.requested[op], l.actual[op] = cost.Extensions.Cost.Requested, cost.Extensions.Cost.Actual
	if strings.Contains(string(body), "fulfillmentCreate") && l.armed.Load() {
		return nil, errors.New("read tcp: i/o timeout")
	}
	return resp, nil
}

type bundle struct {
	fake   *fakeshopify.Server
	mirror *Mirror
	lose   *loseAnswers
	order  store.Order
}

func setup(t *testing.T) bundle {
	t.Helper()
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 11, AccessToken: "shpat_f"})
	require.NoError(t, err)
	url := fakehttptest.Start(t, fake)
	lose := &loseAnswers{requested: map[string]int{}, actual: map[string]int{}}
	c, err := shopify.New(url, "shpat_f", "", nil, &http.Client{Transport: lose})
	require.NoError(t, err)
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	items := fake.Store().Catalog().Items
	ch, err := fake.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: items[0].SKU, Quantity: 3}, {SKU: items[1].SKU, Quantity: 1}}})
	require.NoError(t, err)
	o, _ := fake.Store().Order(ch.Orders[0])
	return bundle{fake: fake, lose: lose, order: o, mirror: &Mirror{Shopify: c, Record: &RedisRecord{Redis: rdb, Prefix: "t"}}}
}

func (b bundle) shopifyOrder(t *testing.T) store.Order {
	t.Helper()
	o, ok := b.fake.Store().Order(b.order.ID)
	require.True(t, ok)
	return o
}

// What Shopify charges for reading an order's fulfillment orders grows with the order's
// lines, by the log multiplier of a connection: the capacity plan counts these points
// (scenarios/capacity: shippingReadPoints).
func TestShippingReadIsChargedByTheOrdersLines(t *testing.T) {
	t.Parallel()
	b := setup(t)
	items := b.fake.Store().Catalog().Items
	for k, want := range map[int]int{1: 7, 2: 7, 3: 8, 4: 8, 5: 9, 7: 9, 8: 10} {
		var lines []store.LineSpec
		for i := range k {
			lines = append(lines, store.LineSpec{SKU: items[i].SKU, Quantity: 1})
		}
		ch, err := b.fake.Store().CreateOrder(store.OrderSpec{LineItems: lines})
		require.NoError(t, err)
		_, err = b.mirror.Shopify.OrderShipping(context.Background(), ch.Orders[0])
		require.NoError(t, err)
		assert.Equal(t, 35, b.lose.requested["OrderShipping"])
		assert.Equal(t, want, b.lose.actual["OrderShipping"], "%d lines", k)
	}
}

func TestShipmentBecomesOneFulfillmentWithTracking(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sku := b.order.Lines[0].SKU
	s := Shipment{ID: "501", OrderID: b.order.ID, Carrier: "UPS", TrackingNumbers: []string{"1ZABC12303123"}, Lines: []Line{{SKU: sku, Quantity: 2}}}
	got, err := b.mirror.Apply(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, Created, got)
	o := b.shopifyOrder(t)
	require.Len(t, o.Fulfillments, 1)
	f := o.Fulfillments[0]
	assert.Equal(t, "UPS", f.TrackingCompany)
	assert.Equal(t, []string{"1ZABC12303123"}, f.TrackingNumbers)
	assert.Equal(t, []string{"https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1ZABC12303123"}, f.TrackingURLs)
	assert.Equal(t, 1, o.FulfillmentOrder.Lines[0].RemainingQuantity, "2 of the 3 units of the first line shipped")
	assert.Equal(t, 1, o.FulfillmentOrder.Lines[1].RemainingQuantity, "the other line untouched")
	assert.Equal(t, 35, b.lose.requested["OrderShipping"], "the client reserves what Shopify charges")
	assert.Equal(t, 10, b.lose.requested["Ship"])

	// The ERP pushes the same item fulfillment again: nothing more is shipped.
	got, err = b.mirror.Apply(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, AlreadyRecorded, got)
	assert.Len(t, b.shopifyOrder(t).Fulfillments, 1)

	// The rest of the order, by another carrier: DHL is Shopify's "DHL Express".
	s2 := Shipment{ID: "502", OrderID: b.order.ID, Carrier: "DHL", TrackingNumbers: []string{"4455667788"},
		Lines: []Line{{SKU: sku, Quantity: 1}, {SKU: b.order.Lines[1].SKU, Quantity: 1}}}
	got, err = b.mirror.Apply(context.Background(), s2)
	require.NoError(t, err)
	assert.Equal(t, Created, got)
	o = b.shopifyOrder(t)
	require.Len(t, o.Fulfillments, 2)
	assert.Equal(t, "DHL Express", o.Fulfillments[1].TrackingCompany)
	assert.Equal(t, "https://www.dhl.com/en/express/tracking.html?AWB=4455667788&brand=DHL", o.Fulfillments[1].TrackingURLs[0])
	assert.Equal(t, "fulfilled", o.FulfillmentStatus)
}

// Shopify created the fulfillment but its answer was lost: the retry finds it by its
// tracking number, records it, and ships nothing more.
func TestRetryAfterALostAnswerDoesNotFulfilTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := Shipment{ID: "777", OrderID: b.order.ID, Carrier: "FedEx", TrackingNumbers: []string{"123456789012"}, Lines: []Line{{SKU: b.order.Lines[1].SKU, Quantity: 1}}}
	b.lose.armed.Store(true)
	_, err := b.mirror.Apply(context.Background(), s)
	var se *shopify.Error
	require.ErrorAs(t, err, &se, "a transient failure: the queue retries")
	var p interface{ Permanent() bool }
	assert.False(t, errors.As(err, &p) && p.Permanent())
	require.Len(t, b.shopifyOrder(t).Fulfillments, 1, "Shopify did ship")

	b.lose.armed.Store(false)
	got, err := b.mirror.Apply(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, AlreadyInShopify, got)
	got, err = b.mirror.Apply(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, AlreadyRecorded, got, "the retry recorded it")
	assert.Len(t, b.shopifyOrder(t).Fulfillments, 1)
}

func TestUnmatchedShipmentIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, lines := range [][]Line{{{SKU: "NOT-ON-ORDER", Quantity: 1}}, {{SKU: b.order.Lines[1].SKU, Quantity: 2}}} {
		_, err := b.mirror.Apply(context.Background(), Shipment{ID: "9", OrderID: b.order.ID, Carrier: "UPS", TrackingNumbers: []string{"1Z"}, Lines: lines})
		require.ErrorIs(t, err, ErrUnmatched)
		var p interface{ Permanent() bool }
		require.ErrorAs(t, err, &p)
		assert.True(t, p.Permanent())
	}
	_, err := b.mirror.Apply(context.Background(), Shipment{ID: "10", OrderID: 1, Lines: []Line{{SKU: "A", Quantity: 1}}})
	var p interface{ Permanent() bool }
	require.ErrorAs(t, err, &p, "an order Shopify does not have")
	assert.Empty(t, b.shopifyOrder(t).Fulfillments)
}

func TestParseShipment(t *testing.T) {
	t.Parallel()
	s, err := ParseShipment([]byte(`{"id":"88","tranId":"IF88","salesOrderId":"5","salesOrderExternalId":"820982911946154508","carrier":"USPS","shipMethod":"USPS Priority Mail",
		"trackingNumbers":"9400111 9400222<BR>9400333","lines":[{"orderLine":1,"itemId":"3","sku":"AB-1","quantity":2,"locationId":"1"}]}`))
	require.NoError(t, err)
	assert.Equal(t, Shipment{ID: "88", OrderID: 820982911946154508, Carrier: "USPS", TrackingNumbers: []string{"9400111", "9400222", "9400333"},
		Lines: []Line{{SKU: "AB-1", Quantity: 2}}}, s)
	_, err = ParseShipment([]byte(`{"id":"88","lines":[{"sku":"A","quantity":1}]}`))
	assert.ErrorIs(t, err, ErrNotAShopifyOrder)
	_, err = ParseShipment([]byte(`{"id":"88","salesOrderExternalId":"SO-1","lines":[{"sku":"A","quantity":1}]}`))
	assert.ErrorIs(t, err, ErrNotAShopifyOrder)
	for _, bad := range []string{`{`, `{"salesOrderExternalId":"1","lines":[{"sku":"A","quantity":1}]}`, `{"id":"1","salesOrderExternalId":"1","lines":[]}`,
		`{"id":"1","salesOrderExternalId":"1","lines":[{"sku":"","quantity":1}]}`, `{"id":"1","salesOrderExternalId":"1","lines":[{"sku":"A","quantity":0}]}`} {
		_, err := ParseShipment([]byte(bad))
		assert.Error(t, err, bad)
	}
	many := `{"id":"1","salesOrderExternalId":"1","lines":[` + strings.Repeat(`{"sku":"A","quantity":1},`, MaxLines) + `{"sku":"A","quantity":1}]}`
	_, err = ParseShipment([]byte(many))
	assert.Error(t, err)
}

func FuzzParseShipment(f *testing.F) {
	f.Add([]byte(`{"id":"88","salesOrderExternalId":"8209","carrier":"UPS","trackingNumbers":"1Z 2Z","lines":[{"sku":"AB-1","quantity":2}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseShipment(data)
		if err != nil {
			return
		}
		if s.ID == "" || s.OrderID <= 0 || len(s.Lines) == 0 {
			t.Fatalf("accepted an incomplete shipment %+v", s)
		}
		for _, l := range s.Lines {
			if l.SKU == "" || l.Quantity <= 0 {
				t.Fatalf("accepted line %+v", l)
			}
		}
		for _, n := range s.TrackingNumbers {
			if n == "" || strings.ContainsAny(n, " ,;") {
				t.Fatalf("tracking number %q", n)
			}
		}
	})
}
