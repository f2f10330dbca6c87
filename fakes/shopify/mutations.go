package shopify

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// userError is one element of a mutation payload's userErrors. code is empty for the
// plain UserError type, which has none.
type userError struct {
	field   []string
	message string
	code    string
}

type inventoryPayload struct {
	group *store.AdjustmentGroup
	errs  []userError
}

type fulfillmentPayload struct {
	f    *fulfillmentValue
	errs []userError
}

type tagsPayload struct {
	node any
	errs []userError
}

type subCreatePayload struct {
	sub  *subscriptionValue
	errs []userError
}

type subDeletePayload struct {
	id   string
	errs []userError
}

// Ledger record types of what API clients did to the store.
const (
	recordInventory    = "inventory"
	recordFulfillment  = "fulfillment"
	recordTags         = "tags"
	recordSubscription = "webhook_subscription"
)

// inventoryReasons are the reasons inventorySetQuantities and inventoryAdjustQuantities
// accept.
var inventoryReasons = map[string]bool{
	"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true,
	"promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true,
	"shrinkage": true,
}

func validURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "")
}

func userErrorsOf(list []userError) []any {
	out := make([]any, len(list))
	for i := range list {
		out[i] = list[i]
	}
	return out
}

func registerMutations(e *gql.Executor) {
	register(e, "Mutation", typeResolvers{
		"inventorySetQuantities": func(rc *gql.ResolveContext, _ any) (any, error) {
			r := reqOf(rc)
			return r.idempotent(rc, "inventorySetQuantities", func() (any, bool, error) { return r.setQuantities(rc) })
		},
		"inventoryAdjustQuantities": func(rc *gql.ResolveContext, _ any) (any, error) {
			r := reqOf(rc)
			return r.idempotent(rc, "inventoryAdjustQuantities", func() (any, bool, error) { return r.adjustQuantities(rc) })
		},
		"fulfillmentCreate":         func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).fulfillmentCreate(rc), nil },
		"tagsAdd":                   func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).tags(rc, true), nil },
		"tagsRemove":                func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).tags(rc, false), nil },
		"webhookSubscriptionCreate": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).subscribe(rc), nil },
		"webhookSubscriptionDelete": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).unsubscribe(rc), nil },
	})
	for _, t := range []string{"InventorySetQuantitiesPayload", "InventoryAdjustQuantitiesPayload"} {
		register(e, t, typeResolvers{
			"inventoryAdjustmentGroup": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*inventoryPayload).group, nil },
			"userErrors":               func(_ *gql.ResolveContext, p any) (any, error) { return userErrorsOf(p.(*inventoryPayload).errs), nil },
		})
	}
	for _, t := range []string{"UserError", "InventorySetQuantitiesUserError", "InventoryAdjustQuantitiesUserError"} {
		fields := typeResolvers{
			"field": func(_ *gql.ResolveContext, p any) (any, error) {
				if f := p.(userError).field; f != nil {
					return f, nil
				}
				return nil, nil
			},
			"message": func(_ *gql.ResolveContext, p any) (any, error) { return p.(userError).message, nil },
		}
		if t != "UserError" {
			fields["code"] = func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(userError).code), nil }
		}
		register(e, t, fields)
	}
	register(e, "FulfillmentCreatePayload", typeResolvers{
		"fulfillment": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*fulfillmentPayload).f, nil },
		"userErrors": func(_ *gql.ResolveContext, p any) (any, error) {
			return userErrorsOf(p.(*fulfillmentPayload).errs), nil
		},
	})
	for _, t := range []string{"TagsAddPayload", "TagsRemovePayload"} {
		register(e, t, typeResolvers{
			"node":       func(_ *gql.ResolveContext, p any) (any, error) { return p.(*tagsPayload).node, nil },
			"userErrors": func(_ *gql.ResolveContext, p any) (any, error) { return userErrorsOf(p.(*tagsPayload).errs), nil },
		})
	}
	register(e, "WebhookSubscriptionCreatePayload", typeResolvers{
		"webhookSubscription": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*subCreatePayload).sub, nil },
		"userErrors":          func(_ *gql.ResolveContext, p any) (any, error) { return userErrorsOf(p.(*subCreatePayload).errs), nil },
	})
	register(e, "WebhookSubscriptionDeletePayload", typeResolvers{
		"deletedWebhookSubscriptionId": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*subDeletePayload).id), nil },
		"userErrors":                   func(_ *gql.ResolveContext, p any) (any, error) { return userErrorsOf(p.(*subDeletePayload).errs), nil },
	})
}

// idempotencyKey reads @idempotent(key:) from the mutation field.
func idempotencyKey(rc *gql.ResolveContext) (string, bool, error) {
	d := rc.Field.Directives.ForName("idempotent")
	if d == nil {
		return "", false, nil
	}
	args, err := gql.DirectiveArgs(d, rc.Op.Vars)
	if err != nil {
		return "", false, err
	}
	key, _ := args.String("key")
	if strings.TrimSpace(key) == "" || len(key) > 255 {
		return "", false, gql.Errorf("INVALID_IDEMPOTENCY_KEY", "The idempotency key must be a non-empty string of at most 255 characters.")
	}
	return key, true, nil
}

// idempotent runs an inventory mutation under the @idempotent rules of the version
// served: optional in 2026-01, required from 2026-04; a repeated key replays the first
// result, a repeated key with other arguments is IDEMPOTENCY_KEY_PARAMETER_MISMATCH, a
// key still in flight IDEMPOTENCY_CONCURRENT_REQUEST, and for inventorySetQuantities a
// key whose first attempt failed IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED.
func (r *gqlRequest) idempotent(rc *gql.ResolveContext, mutation string, run func() (any, bool, error)) (any, error) {
	key, has, err := idempotencyKey(rc)
	if err != nil {
		return nil, err
	}
	if !has {
		if r.rules.IdempotentRequired {
			return nil, gql.Errorf("IDEMPOTENCY_KEY_REQUIRED", "The @idempotent directive is required for %s in API version %s and later.", mutation, "2026-04")
		}
		p, _, err := run()
		return p, err
	}
	rc.Context = withIdempotencyKey(rc.Context, key)
	outcome, entry := r.s.idem.begin(mutation, key, gql.Canonical(rc.Args))
	refuse := func(code, msg string) (any, error) {
		r.s.ledger.Append(ledger.Effect{Action: ledger.Rejected, Record: recordInventory, ExternalID: key, Reason: code,
			Detail: detail(map[string]any{"mutation": mutation, "api_version": r.version})})
		return &inventoryPayload{errs: []userError{{message: msg, code: code}}}, nil
	}
	switch outcome {
	case idemMismatch:
		return refuse("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "The idempotency key was already used with different parameters.")
	case idemConcurrent:
		return refuse("IDEMPOTENCY_CONCURRENT_REQUEST", "A request with this idempotency key is still in progress.")
	case idemReplay:
		if entry.failed && mutation == "inventorySetQuantities" {
			return refuse("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", "A previous request with this idempotency key failed; retry with a new key.")
		}
		r.s.ledger.Append(ledger.Effect{Action: "replayed", Record: recordInventory, ExternalID: key,
			Detail: detail(map[string]any{"mutation": mutation, "api_version": r.version})})
		return entry.payload, nil
	}
	done := false
	defer func() {
		if !done {
			r.s.idem.abandon(mutation, key, entry)
		}
	}()
	p, failed, err := run()
	if err != nil {
		return nil, err
	}
	r.s.idem.finish(entry, p, failed)
	done = true
	return p, nil
}

func detail(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// quantityTarget reads and checks the item and location of one quantity or change.
func quantityTarget(o gql.Object, path []string, errs *[]userError) (item, loc int64, ok bool) {
	itemGID, _ := o.String("inventoryItemId")
	typ, item, _, ok1 := store.ParseGID(itemGID)
	if !ok1 || typ != "InventoryItem" {
		*errs = append(*errs, userError{field: with(path, "inventoryItemId"), message: "The specified inventory item could not be found.", code: "INVALID_INVENTORY_ITEM"})
	}
	locGID, _ := o.String("locationId")
	typ, loc, _, ok2 := store.ParseGID(locGID)
	if !ok2 || typ != "Location" {
		*errs = append(*errs, userError{field: with(path, "locationId"), message: "The specified location could not be found.", code: "INVALID_LOCATION"})
	}
	return item, loc, ok1 && ok2
}

func pathOf(parts ...string) []string { return append([]string(nil), parts...) }

// with returns a new path: base followed by more (never sharing base's array, so two
// errors built from one base keep their own fields).
func with(base []string, more ...string) []string {
	out := make([]string, 0, len(base)+len(more))
	return append(append(out, base...), more...)
}

// compareFrom applies the version's compare-and-swap rules to one quantity or change.
// It returns the value the stored quantity must equal (nil: no check) and the field that
// gave it.
func (r *gqlRequest) compareFrom(o gql.Object, path []string, legacyAllowed, ignoreLegacy bool, errs *[]userError) (*int, string, error) {
	if r.rules.ChangeFrom && o.Has("changeFromQuantity") {
		if v, ok := o.Int("changeFromQuantity"); ok {
			n := int(v)
			return &n, "changeFromQuantity", nil
		}
		return nil, "", nil // explicit null: no check
	}
	if r.rules.ChangeFromRequired {
		return nil, "", &gql.Error{
			Message: "Argument 'changeFromQuantity' on InputObject '" + inputTypeOf(path) + "' is required. Expected type Int",
			Code:    "missingRequiredInputObjectAttribute",
			Extensions: []gql.Extension{
				{Key: "argumentName", Value: "changeFromQuantity"}, {Key: "argumentType", Value: "Int"},
				{Key: "inputObjectType", Value: inputTypeOf(path)}, {Key: "inputPath", Value: path},
			},
		}
	}
	if !legacyAllowed || !r.rules.CompareQuantity || ignoreLegacy {
		return nil, "", nil
	}
	if v, ok := o.Int("compareQuantity"); ok {
		n := int(v)
		return &n, "compareQuantity", nil
	}
	*errs = append(*errs, userError{field: with(path, "compareQuantity"),
		message: "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", code: "COMPARE_QUANTITY_REQUIRED"})
	return nil, "", nil
}

func inputTypeOf(path []string) string {
	if len(path) > 1 && path[1] == "changes" {
		return "InventoryChangeInput"
	}
	return "InventoryQuantityInput"
}

func checkRange(n int64, path []string, field string, errs *[]userError) {
	switch {
	case n > store.MaxQuantity:
		*errs = append(*errs, userError{field: with(path, field), message: "The quantity can't be higher than 1,000,000,000.", code: "INVALID_QUANTITY_TOO_HIGH"})
	case n < -store.MaxQuantity:
		*errs = append(*errs, userError{field: with(path, field), message: "The quantity can't be lower than -1,000,000,000.", code: "INVALID_QUANTITY_TOO_LOW"})
	}
}

func (r *gqlRequest) checkCommon(in gql.Object, errs *[]userError) (name, reason, ref string) {
	name, _ = in.String("name")
	reason, _ = in.String("reason")
	ref, _ = in.String("referenceDocumentUri")
	if !inventoryReasons[reason] {
		*errs = append(*errs, userError{field: pathOf("input", "reason"), message: "The specified reason is invalid.", code: "INVALID_REASON"})
	}
	if ref != "" && !validURI(ref) {
		*errs = append(*errs, userError{field: pathOf("input", "referenceDocumentUri"), message: "The specified reference document URI is not valid.", code: "INVALID_REFERENCE_DOCUMENT"})
	}
	return name, reason, ref
}

func tooMany(n int) error {
	return gql.Errorf("MAX_INPUT_SIZE_EXCEEDED", "The input array size of %d is greater than the maximum allowed of 250.", n)
}

// setQuantities is inventorySetQuantities: absolute quantities, compare-and-swap per the
// version, all or nothing.
func (r *gqlRequest) setQuantities(rc *gql.ResolveContext) (any, bool, error) {
	in, _ := rc.Args.Object("input")
	var errs []userError
	name, reason, ref := r.checkCommon(in, &errs)
	if name != "available" && name != "on_hand" {
		errs = append(errs, userError{field: pathOf("input", "name"), message: "The quantity name must be either 'available' or 'on_hand'.", code: "INVALID_NAME"})
	}
	list, _ := in.List("quantities")
	if len(list) > 250 {
		return nil, false, tooMany(len(list))
	}
	ignore, _ := in.Bool("ignoreCompareQuantity")
	changes := make([]store.QuantityChange, 0, len(list))
	casField := make([]string, 0, len(list))
	seen := map[[2]int64]bool{}
	for i, v := range list {
		q, _ := v.(gql.Object)
		path := pathOf("input", "quantities", strconv.Itoa(i))
		item, loc, ok := quantityTarget(q, path, &errs)
		n, _ := q.Int("quantity")
		checkRange(n, path, "quantity", &errs)
		if ok && seen[[2]int64{item, loc}] {
			errs = append(errs, userError{field: path, message: "The combination of inventoryItemId and locationId must be unique.", code: "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"})
		}
		seen[[2]int64{item, loc}] = true
		cmp, field, err := r.compareFrom(q, path, true, ignore, &errs)
		if err != nil {
			return nil, false, err
		}
		changes = append(changes, store.QuantityChange{InventoryItemID: item, LocationID: loc, Quantity: int(n), Compare: cmp})
		casField = append(casField, field)
	}
	req := store.QuantityRequest{Name: name, Set: true, Reason: reason, ReferenceDocumentURI: ref, Changes: changes}
	return r.applyQuantities(rc, "inventorySetQuantities", "quantities", req, casField, errs)
}

// adjustQuantities is inventoryAdjustQuantities: deltas, compare-and-swap only with
// changeFromQuantity (2026-01 and later).
func (r *gqlRequest) adjustQuantities(rc *gql.ResolveContext) (any, bool, error) {
	in, _ := rc.Args.Object("input")
	var errs []userError
	name, reason, ref := r.checkCommon(in, &errs)
	validName := name == "available" || name == "on_hand"
	for _, n := range []string{"incoming", "reserved", "damaged", "safety_stock", "quality_control"} {
		validName = validName || name == n
	}
	if !validName {
		errs = append(errs, userError{field: pathOf("input", "name"), message: "The specified quantity name is invalid.", code: "INVALID_QUANTITY_NAME"})
	}
	list, _ := in.List("changes")
	if len(list) > 250 {
		return nil, false, tooMany(len(list))
	}
	changes := make([]store.QuantityChange, 0, len(list))
	casField := make([]string, 0, len(list))
	for i, v := range list {
		c, _ := v.(gql.Object)
		path := pathOf("input", "changes", strconv.Itoa(i))
		item, loc, _ := quantityTarget(c, path, &errs)
		d, _ := c.Int("delta")
		checkRange(d, path, "delta", &errs)
		doc, hasDoc := c.String("ledgerDocumentUri")
		switch {
		case name == "available" && hasDoc:
			errs = append(errs, userError{field: with(path, "ledgerDocumentUri"), message: "A ledger document URI is not allowed when adjusting available.", code: "INVALID_AVAILABLE_DOCUMENT"})
		case name != "available" && validName && !hasDoc:
			errs = append(errs, userError{field: with(path, "ledgerDocumentUri"), message: "A ledger document URI is required for quantity names other than available.", code: "INVALID_QUANTITY_DOCUMENT"})
		case hasDoc && !validURI(doc):
			errs = append(errs, userError{field: with(path, "ledgerDocumentUri"), message: "The specified ledger document URI is not valid.", code: "INVALID_LEDGER_DOCUMENT"})
		}
		cmp, field, err := r.compareFrom(c, path, false, false, &errs)
		if err != nil {
			return nil, false, err
		}
		changes = append(changes, store.QuantityChange{InventoryItemID: item, LocationID: loc, Delta: int(d), Compare: cmp, LedgerDocumentURI: doc})
		casField = append(casField, field)
	}
	req := store.QuantityRequest{Name: name, Reason: reason, ReferenceDocumentURI: ref, Changes: changes}
	return r.applyQuantities(rc, "inventoryAdjustQuantities", "changes", req, casField, errs)
}

func (r *gqlRequest) applyQuantities(rc *gql.ResolveContext, mutation, list string, req store.QuantityRequest, casField []string, errs []userError) (any, bool, error) {
	key := idempotencyKeyOf(rc.Context)
	info := map[string]any{"mutation": mutation, "api_version": r.version, "name": req.Name, "reason": req.Reason}
	if req.ReferenceDocumentURI != "" {
		info["reference_document_uri"] = req.ReferenceDocumentURI
	}
	reject := func(errs []userError) (any, bool, error) {
		r.s.ledger.Append(ledger.Effect{Action: ledger.Rejected, Record: recordInventory, ExternalID: key, Reason: errs[0].code, Detail: detail(info)})
		return &inventoryPayload{errs: errs}, true, nil
	}
	if len(errs) > 0 {
		return reject(errs)
	}
	group, problems, _, err := r.s.store.ChangeQuantities(req)
	if err != nil {
		var ie *store.InputError
		if errors.As(err, &ie) {
			return reject([]userError{{field: pathOf("input", "name"), message: ie.Message, code: ie.Code}})
		}
		return nil, false, err
	}
	for _, p := range problems {
		path := pathOf("input", list, strconv.Itoa(p.Index))
		switch p.Code {
		case "STALE":
			code := "COMPARE_QUANTITY_STALE"
			if casField[p.Index] == "changeFromQuantity" {
				code = "CHANGE_FROM_QUANTITY_STALE"
			}
			errs = append(errs, userError{field: with(path, casField[p.Index]), code: code,
				message: "The " + casField[p.Index] + " " + strconv.Itoa(*req.Changes[p.Index].Compare) +
					" does not match the current quantity " + strconv.Itoa(p.Current) + "."})
		case "INVALID_INVENTORY_ITEM":
			errs = append(errs, userError{field: with(path, "inventoryItemId"), message: "The specified inventory item could not be found.", code: p.Code})
		default:
			errs = append(errs, userError{field: with(path, "locationId"), message: "The specified location could not be found.", code: p.Code})
		}
	}
	if len(errs) > 0 {
		return reject(errs)
	}
	var changes []map[string]any
	for i, c := range group.Changes {
		if i == 10 {
			info["more_changes"] = len(group.Changes) - 10
			break
		}
		changes = append(changes, map[string]any{"name": c.Name, "delta": c.Delta, "quantity_after": c.QuantityAfter,
			"inventory_item_id": c.InventoryItemID, "location_id": c.LocationID})
	}
	info["changes"] = changes
	action := "adjusted"
	if req.Set {
		action = "set"
	}
	r.s.ledger.Append(ledger.Effect{Action: action, Record: recordInventory, ID: store.GID("InventoryAdjustmentGroup", group.ID),
		ExternalID: key, Detail: detail(info)})
	return &inventoryPayload{group: &group}, false, nil
}

// fulfillmentCreate ships fulfillment order lines with tracking (shopify.md §4.4).
func (r *gqlRequest) fulfillmentCreate(rc *gql.ResolveContext) any {
	in, _ := rc.Args.Object("fulfillment")
	var errs []userError
	req := store.FulfillmentRequest{}
	req.NotifyCustomer, _ = in.Bool("notifyCustomer")
	if t, ok := in.Object("trackingInfo"); ok {
		base := pathOf("fulfillment", "trackingInfo")
		u, hasURL := t.String("url")
		us, hasURLs := t.Strings("urls")
		n, hasNumber := t.String("number")
		ns, hasNumbers := t.Strings("numbers")
		req.TrackingCompany, _ = t.String("company")
		switch {
		case hasURL && hasURLs:
			errs = append(errs, userError{field: with(base, "urls"), message: "Specify either url or urls, not both."})
		case hasNumber && hasNumbers:
			errs = append(errs, userError{field: with(base, "numbers"), message: "Specify either number or numbers, not both."})
		case hasURL && !hasNumber && !hasNumbers:
			errs = append(errs, userError{field: with(base, "number"), message: "A tracking number must be given with a tracking URL."})
		case hasURLs && !hasNumbers && !hasNumber:
			errs = append(errs, userError{field: with(base, "numbers"), message: "Tracking numbers must be given with tracking URLs."})
		}
		if hasNumber {
			ns = []string{n}
		}
		if hasURL {
			us = []string{u}
		}
		for _, x := range us {
			if p, err := url.Parse(x); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
				errs = append(errs, userError{field: with(base, "url"), message: "Tracking URL " + strconv.Quote(x) + " is not a valid URL."})
				break
			}
		}
		req.TrackingNumbers, req.TrackingURLs = ns, us
	}
	groups, _ := in.List("lineItemsByFulfillmentOrder")
	for i, g := range groups {
		o, _ := g.(gql.Object)
		path := pathOf("fulfillment", "lineItemsByFulfillmentOrder", strconv.Itoa(i))
		gid, _ := o.String("fulfillmentOrderId")
		typ, id, _, ok := store.ParseGID(gid)
		if !ok || typ != "FulfillmentOrder" {
			errs = append(errs, userError{field: with(path, "fulfillmentOrderId"), message: "Fulfillment order does not exist."})
			continue
		}
		fg := store.FulfillmentGroup{FulfillmentOrderID: id}
		lines, _ := o.List("fulfillmentOrderLineItems")
		for j, l := range lines {
			lo, _ := l.(gql.Object)
			lid, _ := lo.String("id")
			typ, lineID, _, ok := store.ParseGID(lid)
			if !ok || typ != "FulfillmentOrderLineItem" {
				errs = append(errs, userError{field: with(path, "fulfillmentOrderLineItems", strconv.Itoa(j), "id"), message: "Fulfillment order line item does not exist."})
				continue
			}
			q, _ := lo.Int("quantity")
			fg.Lines = append(fg.Lines, store.FulfillmentLine{ID: lineID, Quantity: int(q)})
		}
		req.Groups = append(req.Groups, fg)
	}
	orderKey := ""
	if len(req.Groups) > 0 {
		if o, ok := r.s.store.OrderByFulfillmentOrder(req.Groups[0].FulfillmentOrderID); ok {
			orderKey = strconv.FormatInt(o.ID, 10)
		}
	}
	tracking := map[string]any{"company": req.TrackingCompany, "numbers": req.TrackingNumbers}
	reject := func(errs []userError) any {
		r.s.ledger.Append(ledger.Effect{Action: ledger.Rejected, Record: recordFulfillment, NaturalKey: orderKey, CreateAttempt: true,
			Reason: errs[0].message, Detail: detail(tracking)})
		return &fulfillmentPayload{errs: errs}
	}
	if len(errs) > 0 {
		return reject(errs)
	}
	f, _, err := r.s.store.CreateFulfillment(req)
	if err != nil {
		var ie *store.InputError
		if errors.As(err, &ie) {
			return reject([]userError{{field: ie.Field, message: ie.Message}})
		}
		return reject([]userError{{message: err.Error()}})
	}
	o, _ := r.s.store.Order(f.OrderID)
	fv := &fulfillmentValue{o: &o, f: &f}
	for i := range o.Fulfillments {
		if o.Fulfillments[i].ID == f.ID {
			fv.f = &o.Fulfillments[i]
		}
	}
	tracking["order_id"] = f.OrderID
	tracking["quantity"] = len(f.Lines)
	r.s.ledger.Append(ledger.Effect{Action: ledger.Created, Record: recordFulfillment, ID: store.GID("Fulfillment", f.ID),
		NaturalKey: orderKey, CreateAttempt: true, Detail: detail(tracking)})
	return &fulfillmentPayload{f: fv}
}

// tags is tagsAdd (add) and tagsRemove on orders and customers.
func (r *gqlRequest) tags(rc *gql.ResolveContext, add bool) any {
	gid, _ := rc.Args.String("id")
	tags, _ := rc.Args.Strings("tags")
	typ, id, _, ok := store.ParseGID(gid)
	st := r.s.store
	var ch store.Change
	var err error
	switch {
	case ok && typ == "Order" && add:
		ch, err = st.TagOrder(id, tags, nil)
	case ok && typ == "Order":
		ch, err = st.TagOrder(id, nil, tags)
	case ok && typ == "Customer" && add:
		ch, err = st.TagCustomer(id, tags)
	case ok && typ == "Customer":
		c, found := st.Customer(id)
		if !found {
			err = store.ErrNotFound
			break
		}
		var keep []string
		for _, t := range c.Tags {
			if !hasTag(tags, t) {
				keep = append(keep, t)
			}
		}
		if len(keep) != len(c.Tags) {
			if keep == nil {
				keep = []string{}
			}
			ch, err = st.UpdateCustomer(id, store.CustomerUpdate{Tags: keep})
		}
	default:
		err = store.ErrNotFound
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &tagsPayload{errs: []userError{{field: pathOf("id"), message: "Resource not found"}}}
		}
		var ie *store.InputError
		if errors.As(err, &ie) {
			return &tagsPayload{errs: []userError{{field: pathOf("tags"), message: ie.Message}}}
		}
		return &tagsPayload{errs: []userError{{message: err.Error()}}}
	}
	key := "added"
	if !add {
		key = "removed"
	}
	r.s.ledger.Append(ledger.Effect{Action: ledger.Updated, Record: recordTags, ID: gid,
		Detail: detail(map[string]any{key: tags, "changed": len(ch.Events) > 0})})
	return &tagsPayload{node: r.node(gid)}
}

// topicEnumToREST maps WebhookSubscriptionTopic values to REST topic names.
var topicEnumToREST = map[string]string{
	"ORDERS_CREATE": "orders/create", "ORDERS_UPDATED": "orders/updated", "ORDERS_PAID": "orders/paid",
	"ORDERS_CANCELLED": "orders/cancelled", "ORDERS_FULFILLED": "orders/fulfilled",
	"ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled", "ORDERS_RISK_ASSESSMENT_CHANGED": "orders/risk_assessment_changed",
	"ORDERS_DELETE": "orders/delete", "ORDERS_EDITED": "orders/edited", "CUSTOMERS_CREATE": "customers/create",
	"CUSTOMERS_UPDATE": "customers/update", "CUSTOMERS_DELETE": "customers/delete",
	"INVENTORY_LEVELS_UPDATE": "inventory_levels/update", "INVENTORY_ITEMS_UPDATE": "inventory_items/update",
	"FULFILLMENTS_CREATE": "fulfillments/create", "FULFILLMENTS_UPDATE": "fulfillments/update",
	"PRODUCTS_UPDATE": "products/update", "REFUNDS_CREATE": "refunds/create", "APP_UNINSTALLED": "app/uninstalled",
	"BULK_OPERATIONS_FINISH": "bulk_operations/finish",
}

func topicRESTToEnum(t string) string {
	for k, v := range topicEnumToREST {
		if v == t {
			return k
		}
	}
	return strings.ToUpper(strings.NewReplacer("/", "_").Replace(t))
}

// validCallback accepts http and https URLs with a host (Shopify requires https; the fake
// allows http so local receivers work).
func validCallback(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (r *gqlRequest) subscribe(rc *gql.ResolveContext) any {
	topicEnum, _ := rc.Args.String("topic")
	in, _ := rc.Args.Object("webhookSubscription")
	topic := topicEnumToREST[topicEnum]
	u, ok := in.String("callbackUrl")
	field := pathOf("webhookSubscription", "callbackUrl")
	if !ok {
		u, ok = in.String("uri")
		field = pathOf("webhookSubscription", "uri")
	}
	fail := func(f []string, msg string) any {
		r.s.ledger.Append(ledger.Effect{Action: ledger.Rejected, Record: recordSubscription, NaturalKey: topic, Reason: msg,
			Detail: detail(map[string]string{"topic": topic, "callback_url": u})})
		return &subCreatePayload{errs: []userError{{field: f, message: msg}}}
	}
	switch {
	case !ok || u == "":
		return fail(field, "Address can't be blank")
	case !validCallback(u):
		return fail(field, "Address is invalid")
	}
	if f, _ := in.String("format"); f == "XML" {
		return fail(pathOf("webhookSubscription", "format"), "Format XML is not supported by this fake; use JSON")
	}
	for _, s := range r.s.registry.Subscriptions() {
		if s.Topic == topic && s.URL == u {
			return fail(field, "Address for this topic has already been taken")
		}
	}
	name, _ := in.String("name")
	if !validSubscriptionName(name) {
		return fail(pathOf("webhookSubscription", "name"), "Name may hold only letters, digits, '-' and '_', at most 50 characters")
	}
	sub, err := r.s.registry.Subscribe(webhooks.Subscription{Topic: topic, URL: u, Name: name, Source: "graphql", CreatedAt: r.s.opts.Clock.Now()})
	if err != nil {
		return fail(field, err.Error())
	}
	return &subCreatePayload{sub: &subscriptionValue{sub: sub}}
}

func (r *gqlRequest) unsubscribe(rc *gql.ResolveContext) any {
	id, _ := rc.Args.String("id")
	natural := ""
	for _, s := range r.s.registry.Subscriptions() {
		if s.ID == id {
			natural = s.Topic + " " + s.URL
		}
	}
	if natural == "" || r.s.registry.Unsubscribe(id) != nil {
		return &subDeletePayload{errs: []userError{{field: pathOf("id"), message: "Webhook subscription does not exist"}}}
	}
	return &subDeletePayload{id: id}
}

func validSubscriptionName(n string) bool {
	if len(n) > 50 {
		return false
	}
	for _, r := range n {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
