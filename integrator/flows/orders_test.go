package flows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
)

const paidOrder = `{"id":820982911946154508,"name":"#1001","email":"jon@example.com",
 "created_at":"2026-11-27T09:00:00-05:00","updated_at":"2026-11-27T09:00:05-05:00","cancelled_at":null,
 "financial_status":"paid","currency":"USD","total_discounts":"4.00","shipping_lines":[{"price":"6.50"},{"price":"3.50"}],
 "line_items":[{"id":1,"sku":"AB1234-001","title":"Lamp","quantity":2,"price":"19.99"},
               {"id":2,"sku":"CD5678-002","title":"Mug","quantity":1,"current_quantity":0,"price":"5.00"}],
 "shipping_address":{"name":"Steve Shipper","address1":"123 Shipping Street","city":"Shippington","province_code":"KY","zip":"40003","country_code":"US"},
 "transactions":[{"id":9,"kind":"sale","status":"success","gateway":"shopify_payments","authorization":"ch_3Nabc"}]}`

type bundle struct {
	erp      *mockSalesOrders
	shopify  *mockOrderLookup
	versions *mockVersions
	holds    *mockHolds
	outcomes []Outcome
}

func setup(t *testing.T) (*Orders, *bundle) {
	t.Helper()
	b := &bundle{erp: newMockSalesOrders(t), shopify: newMockOrderLookup(t), versions: newMockVersions(t), holds: newMockHolds(t)}
	o := &Orders{ERP: b.erp, Shopify: b.shopify, Versions: b.versions, Holds: b.holds, OnOutcome: func(x Outcome) { b.outcomes = append(b.outcomes, x) }}
	return o, b
}

func msg(topic, payload string) *queue.Message {
	return &queue.Message{ID: "wh-1", Key: "order:820982911946154508", Topic: topic, Payload: []byte(payload), Attempt: 1}
}

const orderKey = "order:820982911946154508"

var updated = time.Date(2026, 11, 27, 14, 0, 5, 0, time.UTC)

func TestNewOrderIsUpsertedByExternalIDWithoutTax(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{}, false, nil)
	b.shopify.EXPECT().OrderDetails(ctx, int64(820982911946154508)).Return(OrderDetails{RiskLevel: "LOW",
		Transactions: []Transaction{{Kind: "capture", Status: "success", Gateway: "paypal", AuthorizationCode: "PAY-1"}, {Kind: "refund", Status: "success", AuthorizationCode: "R-1"}}}, nil)
	var sent netsuite.SalesOrder
	b.erp.EXPECT().UpsertSalesOrder(ctx, "820982911946154508", mock.Anything).Run(func(_ context.Context, _ string, so netsuite.SalesOrder) { sent = so }).Return(nil)
	b.versions.EXPECT().Record(ctx, orderKey, mock.MatchedBy(func(v Version) bool { return v.UpdatedAt.Equal(updated) && v.Digest != "" })).Return(nil)
	b.holds.EXPECT().Synced(ctx, int64(820982911946154508)).Return(nil)

	require.NoError(t, o.Handle(ctx, msg("orders/create", paidOrder)))
	assert.Equal(t, []Outcome{Synced}, b.outcomes)
	require.Len(t, sent.Item.Items, 1, "a line edited down to zero is not sent")
	assert.Equal(t, netsuite.Line{Item: netsuite.Ref{ExternalID: "AB1234-001"}, Quantity: 2, Rate: 19.99, Description: "Lamp"}, sent.Item.Items[0])
	assert.Equal(t, "KY", sent.ShippingAddress.State, "the address goes to NetSuite so its tax engine computes tax")
	assert.Equal(t, netsuite.StatusPendingFulfillment, sent.OrderStatus.ID)
	assert.Equal(t, "#1001", sent.OtherRefNum)
	assert.Equal(t, "2026-11-27", sent.TranDate)
	assert.Equal(t, "paypal:PAY-1,shopify_payments:ch_3Nabc", sent.PaymentTxnIDs, "successful sales and captures only, for bank reconciliation")
	assert.Equal(t, "2026-11-27T09:00:05-05:00", sent.ShopifyUpdatedAt)
	require.NotNil(t, sent.DiscountRate)
	assert.Equal(t, -4.0, *sent.DiscountRate, "the order discount, applied before tax as Shopify does")
	require.NotNil(t, sent.ShippingCost)
	assert.Equal(t, 10.0, *sent.ShippingCost)
	assert.Nil(t, sent.Entity, "no customer configured: none sent")
}

// NetSuite refuses a sales order without a customer: the configured one is sent.
func TestOrderIsBookedToTheConfiguredCustomer(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	o.Shopify, o.Customer = nil, "2000"
	ctx := context.Background()
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{}, false, nil)
	var sent netsuite.SalesOrder
	b.erp.EXPECT().UpsertSalesOrder(ctx, "820982911946154508", mock.Anything).Run(func(_ context.Context, _ string, so netsuite.SalesOrder) { sent = so }).Return(nil)
	b.versions.EXPECT().Record(ctx, orderKey, mock.Anything).Return(nil)
	require.NoError(t, o.Handle(ctx, msg("orders/create", paidOrder)))
	require.NotNil(t, sent.Entity)
	assert.Equal(t, netsuite.Ref{ID: "2000"}, *sent.Entity)
}

func TestStaleEventNeverOverwritesNewerState(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{UpdatedAt: updated.Add(time.Second), Digest: "x"}, true, nil)
	require.NoError(t, o.Handle(ctx, msg("orders/updated", paidOrder)))
	assert.Equal(t, []Outcome{Stale}, b.outcomes) // no ERP call: the mock would fail the test
}

func TestSameStateIsNotSentTwice(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	so := paidSalesOrder(t)
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{UpdatedAt: updated, Digest: digest(so)}, true, nil)
	require.NoError(t, o.Handle(ctx, msg("orders/paid", paidOrder)))
	assert.Equal(t, []Outcome{Same}, b.outcomes)
}

func TestSameTimestampDifferentContentIsSent(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{UpdatedAt: updated, Digest: "older-content"}, true, nil)
	b.shopify.EXPECT().OrderDetails(ctx, mock.Anything).Return(OrderDetails{RiskLevel: "NONE"}, nil)
	b.erp.EXPECT().UpsertSalesOrder(ctx, "820982911946154508", mock.Anything).Return(nil)
	b.versions.EXPECT().Record(ctx, orderKey, mock.Anything).Return(nil)
	b.holds.EXPECT().Synced(ctx, mock.Anything).Return(nil)
	require.NoError(t, o.Handle(ctx, msg("orders/updated", paidOrder)))
}

func TestHighRiskOrdersAreHeldUntilReleased(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{}, false, nil)
	b.shopify.EXPECT().OrderDetails(ctx, mock.Anything).Return(OrderDetails{RiskLevel: "HIGH"}, nil)
	b.holds.EXPECT().Released(ctx, int64(820982911946154508)).Return(false, nil)
	b.holds.EXPECT().Hold(ctx, mock.MatchedBy(func(h HeldOrder) bool {
		return h.OrderID == 820982911946154508 && h.Risk == "HIGH" && string(h.Payload) == paidOrder && h.UpdatedAt.Equal(updated)
	})).Return(nil)
	require.NoError(t, o.Handle(ctx, msg("orders/create", paidOrder)))
	assert.Equal(t, []Outcome{Held}, b.outcomes)
}

func TestReleasedHighRiskOrderSyncs(t *testing.T) {
	t.Parallel()
	for _, topic := range []string{"orders/updated", TopicReleased} {
		o, b := setup(t)
		ctx := context.Background()
		b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{}, false, nil)
		b.shopify.EXPECT().OrderDetails(ctx, mock.Anything).Return(OrderDetails{RiskLevel: "HIGH"}, nil)
		if topic != TopicReleased {
			b.holds.EXPECT().Released(ctx, int64(820982911946154508)).Return(true, nil)
		}
		b.erp.EXPECT().UpsertSalesOrder(ctx, mock.Anything, mock.Anything).Return(nil)
		b.versions.EXPECT().Record(ctx, orderKey, mock.Anything).Return(nil)
		b.holds.EXPECT().Synced(ctx, int64(820982911946154508)).Return(nil)
		require.NoError(t, o.Handle(ctx, msg(topic, paidOrder)), topic)
		assert.Equal(t, []Outcome{Synced}, b.outcomes, topic)
	}
}

func TestCancelledOrderClosesTheSalesOrder(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	o.Shopify = nil
	ctx := context.Background()
	cancelled := `{"id":5,"name":"#5","created_at":"2026-11-27T09:00:00Z","updated_at":"2026-11-27T10:00:00Z","cancelled_at":"2026-11-27T10:00:00Z","financial_status":"voided","line_items":[{"sku":"A","quantity":1,"price":"1.00"}]}`
	b.versions.EXPECT().Applied(ctx, "order:5").Return(Version{}, false, nil)
	b.erp.EXPECT().UpsertSalesOrder(ctx, "5", mock.MatchedBy(func(so netsuite.SalesOrder) bool { return so.OrderStatus.ID == netsuite.StatusCancelled })).Return(nil)
	b.versions.EXPECT().Record(ctx, "order:5", mock.Anything).Return(nil)
	require.NoError(t, o.Handle(ctx, msg("orders/cancelled", cancelled)))
}

func TestInvalidPayloadsAreDeadLetteredAtOnce(t *testing.T) {
	t.Parallel()
	for name, payload := range map[string]string{
		"not json":       `{"id":`,
		"no id":          `{"updated_at":"2026-11-27T10:00:00Z"}`,
		"no updated_at":  `{"id":5}`,
		"bad updated_at": `{"id":5,"updated_at":"yesterday"}`,
		"no SKU":         `{"id":5,"updated_at":"2026-11-27T10:00:00Z","line_items":[{"title":"Gift wrap","quantity":1,"price":"2.00"}]}`,
		"bad price":      `{"id":5,"updated_at":"2026-11-27T10:00:00Z","line_items":[{"sku":"A","quantity":1,"price":"free"}]}`,
		"no lines":       `{"id":5,"updated_at":"2026-11-27T10:00:00Z","line_items":[]}`,
	} {
		o, b := setup(t)
		err := o.Handle(context.Background(), msg("orders/create", payload))
		var pe *queue.PermanentError
		assert.True(t, errors.As(err, &pe), "%s: %v", name, err)
		assert.Equal(t, []Outcome{Rejected}, b.outcomes, name)
	}
}

func TestUpstreamErrorsKeepTheirClass(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	throttled := &netsuite.Error{Op: "upsert", Status: 429, Code: "CONCURRENCY_LIMIT_EXCEEDED"}
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{}, false, nil)
	b.shopify.EXPECT().OrderDetails(ctx, mock.Anything).Return(OrderDetails{}, nil)
	b.erp.EXPECT().UpsertSalesOrder(ctx, mock.Anything, mock.Anything).Return(throttled)
	err := o.Handle(ctx, msg("orders/create", paidOrder))
	var th queue.Throttler
	require.True(t, errors.As(err, &th), "the queue must still see a throttle through the wrapping")
	assert.True(t, th.Throttled())
	assert.Empty(t, b.outcomes)
}

func TestRecordFailureIsRetried(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{}, false, nil)
	b.shopify.EXPECT().OrderDetails(ctx, mock.Anything).Return(OrderDetails{}, nil)
	b.erp.EXPECT().UpsertSalesOrder(ctx, mock.Anything, mock.Anything).Return(nil)
	b.versions.EXPECT().Record(ctx, orderKey, mock.Anything).Return(errors.New("redis down"))
	err := o.Handle(ctx, msg("orders/create", paidOrder))
	require.Error(t, err)
	var pe *queue.PermanentError
	assert.False(t, errors.As(err, &pe), "a lost version record is retried, not dead-lettered")
}

func FuzzOrderPayload(f *testing.F) {
	f.Add(paidOrder)
	f.Add(`{"id":1,"updated_at":"2026-01-01T00:00:00Z","line_items":[{"sku":"A","quantity":-1,"price":"1"}]}`)
	f.Fuzz(func(t *testing.T, payload string) {
		order, _, err := decodeOrder([]byte(payload))
		if err != nil {
			return
		}
		so, err := salesOrderFrom(order)
		if err != nil {
			return
		}
		for _, l := range so.Item.Items {
			if l.Quantity <= 0 || l.Item.ExternalID == "" || l.Rate < 0 {
				t.Fatalf("invalid line sent to the ERP: %+v", l)
			}
		}
		_ = digest(so)
	})
}

// Shopify bumps updated_at when it records a fulfillment the ERP shipped: nothing the
// ERP holds changed, so no ERP call (NetSuite refuses to update a shipped order), and the
// newer time is recorded so that a late older event stays stale.
func TestNewerEventWithTheSameContentIsRecordedNotSent(t *testing.T) {
	t.Parallel()
	o, b := setup(t)
	ctx := context.Background()
	so := paidSalesOrder(t)
	b.versions.EXPECT().Applied(ctx, orderKey).Return(Version{UpdatedAt: updated.Add(-time.Minute), Digest: digest(so)}, true, nil)
	b.versions.EXPECT().Record(ctx, orderKey, mock.MatchedBy(func(v Version) bool { return v.UpdatedAt.Equal(updated) })).Return(nil)
	require.NoError(t, o.Handle(ctx, msg("orders/fulfilled", paidOrder)))
	assert.Equal(t, []Outcome{Same}, b.outcomes) // no ERP call: the mock would fail the test
}

// paidSalesOrder is what paidOrder becomes for the ERP.
func paidSalesOrder(t *testing.T) netsuite.SalesOrder {
	t.Helper()
	order, _, err := decodeOrder([]byte(paidOrder))
	require.NoError(t, err)
	so, err := salesOrderFrom(order)
	require.NoError(t, err)
	return so
}
