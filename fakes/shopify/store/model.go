package store

// The compact in-memory model. A million orders must fit in a few hundred megabytes, so
// an order keeps numbers and small codes only: names, e-mails and addresses are
// regenerated from the customer's seed when a payload is rendered, ids are computed from
// positions, and line arrays are shared between versions (an edit makes a new array; a
// payment or a tag reuses the old one).

// line is one line item as ordered. Lines are immutable once a version refers to them.
type line struct {
	item    int32 // catalog index
	qty     int32 // quantity ordered
	current int32 // quantity after edits (0 = removed)
	_       int32
	price   int64 // unit price, cents
}

// version is one state of an order, kept for the checker: every change appends one.
type version struct {
	at          int64 // updated_at, unix seconds
	subtotal    int64 // cents, after discounts
	tax         int64
	total       int64
	lines       []line
	financial   uint8
	fulfillment uint8
	cancelled   bool
}

// txn is one payment transaction.
type txn struct {
	at     int64 // unix seconds
	amount int64 // cents
	kind   uint8
	status uint8
}

type order struct {
	createdAt    int64 // unix seconds
	updatedAt    int64 // == versions[len-1].at, kept here for cache-friendly scans
	cancelledAt  int64 // 0 = not cancelled
	customer     int32
	shipping     int32 // cents
	loc          uint8 // fulfillment location index
	risk         uint8
	gateway      uint8
	discountPct  uint8
	cancelReason uint8
	versions     []version
	txns         []txn
	ext          *orderExt // rarely set: tags, notes, edits, fulfillments
}

type orderExt struct {
	tags          []string
	note          string
	shipping      *Address // set when the order was placed to, or edited to, another address
	email         string   // explicit orders may carry their own contact e-mail
	discountCents int64    // fixed discount of an explicit order (instead of a percentage)
	fulfilled     []int32  // per line number: quantity fulfilled
	fulfillments  []fulfillment
	source        string
}

type fulfillment struct {
	id       int64
	at       int64
	lines    []fulfilledLine
	company  string
	numbers  []string
	urls     []string
	notified bool
}

type fulfilledLine struct {
	line int32
	qty  int32
}

func (o *order) current() *version { return &o.versions[len(o.versions)-1] }

func (o *order) extension() *orderExt {
	if o.ext == nil {
		o.ext = &orderExt{}
	}
	return o.ext
}

func (o *order) fulfilledQty(lineNo int) int32 {
	if o.ext == nil || lineNo >= len(o.ext.fulfilled) {
		return 0
	}
	return o.ext.fulfilled[lineNo]
}

func (o *order) tags() []string {
	if o.ext == nil {
		return nil
	}
	return o.ext.tags
}

type customer struct {
	createdAt int64
	updatedAt int64
	orders    int32
	abroad    bool  // generated with an address outside the United States
	spent     int64 // cents
	ext       *customerExt
}

// customerExt holds what a customer update changed; unset fields keep the generated value.
type customerExt struct {
	email, firstName, lastName, phone *string
	note                              string
	tags                              []string
	address                           *Address
	state                             string
}

// level is one inventory item's quantities at one location.
type level struct {
	available int32
	onHand    int32
	committed int32
	_         int32
	updatedAt int64 // unix seconds
}

// Codes stored in a byte and their names on the wire.
var (
	financialNames    = []string{"pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"}
	fulfillmentNames  = []string{"", "partial", "fulfilled"}
	cancelReasonNames = []string{"", "customer", "fraud", "inventory", "declined", "other"}
	riskNames         = []string{"LOW", "MEDIUM", "HIGH"}
	gatewayNames      = []string{"shopify_payments", "bank_deposit", "manual", "paypal"}
	txnKindNames      = []string{"sale", "authorization", "capture", "refund", "void"}
	txnStatusNames    = []string{"success", "pending", "failure"}
)

const (
	finPending uint8 = iota
	finAuthorized
	finPartiallyPaid
	finPaid
	finPartiallyRefunded
	finRefunded
	finVoided
)

const (
	fulNone uint8 = iota
	fulPartial
	fulFulfilled
)

const (
	riskLow uint8 = iota
	riskMedium
	riskHigh
)

const (
	gwShopifyPayments uint8 = iota
	gwBankDeposit
	gwManual
	gwPaypal
)

const (
	kindSale uint8 = iota
	kindAuthorization
	kindCapture
	kindRefund
	kindVoid
)

const (
	statusSuccess uint8 = iota
	statusPending
	statusFailure
)

func codeOf(names []string, s string) (uint8, bool) {
	for i, n := range names {
		if n == s {
			return uint8(i), true
		}
	}
	return 0, false
}
