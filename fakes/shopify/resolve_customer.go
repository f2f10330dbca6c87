package shopify

import (
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// customer looks a customer up by GraphQL id of type typ.
func (r *gqlRequest) customer(gid, typ string) (*store.Customer, bool) {
	t, id, _, ok := store.ParseGID(gid)
	if !ok || t != typ {
		return nil, false
	}
	c, ok := r.s.store.Customer(id)
	return &c, ok
}

// customers resolves QueryRoot.customers.
func (r *gqlRequest) customers(rc *gql.ResolveContext) (any, error) {
	key, _ := rc.Args.String("sortKey")
	sortKey, timeKey := store.SortByID, false
	switch key {
	case "CREATED_AT":
		sortKey, timeKey = store.SortByCreatedAt, true
	case "UPDATED_AT":
		sortKey, timeKey = store.SortByUpdatedAt, true
	}
	req, err := pageRequest(rc, timeKey)
	if err != nil {
		return nil, err
	}
	q, _ := rc.Args.String("query")
	var pred func(*store.CustomerRow) bool
	if email, ok := singleTerm(q, "email"); ok {
		// The common lookup: served from the e-mail index instead of a scan.
		c, found := r.s.store.CustomerByEmail(email)
		pred = func(row *store.CustomerRow) bool { return found && row.ID == c.ID }
	} else {
		var warn []SearchWarning
		pred, warn = compileSearch(q, customerSearchFields(r.s.store.TimeZone()), customerSearchText)
		r.warn(rc, q, warn)
	}
	page := r.s.store.ListCustomers(pred, sortKey, req)
	nodes := make([]any, len(page.Customers))
	for i := range page.Customers {
		nodes[i] = &page.Customers[i]
	}
	return connection(nodes, page.Positions, timeKey, page.HasPrevious, page.HasNext), nil
}

// registerCustomers registers Customer.
func registerCustomers(e *gql.Executor) {
	register(e, "Customer", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("Customer", p.(*store.Customer).ID), nil
		},
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(*store.Customer).ID), nil },
		"email":            func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).Email), nil },
		"firstName":        func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).FirstName), nil },
		"lastName":         func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).LastName), nil },
		"displayName": func(_ *gql.ResolveContext, p any) (any, error) {
			c := p.(*store.Customer)
			return strings.TrimSpace(c.FirstName + " " + c.LastName), nil
		},
		"phone": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).Phone), nil },
		"state": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Customer).State), nil
		},
		"note": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).Note), nil },
		"tags": func(_ *gql.ResolveContext, p any) (any, error) {
			if t := p.(*store.Customer).Tags; t != nil {
				return t, nil
			}
			return []string{}, nil
		},
		"verifiedEmail": func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"taxExempt":     func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"createdAt":     func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Customer).CreatedAt), nil },
		"updatedAt":     func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Customer).UpdatedAt), nil },
		"numberOfOrders": func(_ *gql.ResolveContext, p any) (any, error) {
			return strconv.Itoa(p.(*store.Customer).OrdersCount), nil
		},
		"amountSpent": func(rc *gql.ResolveContext, p any) (any, error) {
			return money(rc, p.(*store.Customer).AmountSpentCents), nil
		},
		"defaultAddress": func(_ *gql.ResolveContext, p any) (any, error) {
			c := p.(*store.Customer)
			return addressValue{a: c.Address, id: c.ID + 1}, nil
		},
		"addresses": func(_ *gql.ResolveContext, p any) (any, error) {
			c := p.(*store.Customer)
			return []any{addressValue{a: c.Address, id: c.ID + 1}}, nil
		},
		"orders": func(rc *gql.ResolveContext, p any) (any, error) { return reqOf(rc).orders(rc, p.(*store.Customer).ID) },
	})
}

// registerAddresses registers MailingAddress, the shipping and billing address of an
// order and the address of a customer.
func registerAddresses(e *gql.Executor) {
	addr := func(get func(store.Address) string) gql.Resolver {
		return func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(get(p.(addressValue).a)), nil }
	}
	register(e, "MailingAddress", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("MailingAddress", p.(addressValue).id), nil
		},
		"firstName":     addr(func(a store.Address) string { return a.FirstName }),
		"lastName":      addr(func(a store.Address) string { return a.LastName }),
		"name":          addr(func(a store.Address) string { return a.Name() }),
		"company":       addr(func(a store.Address) string { return a.Company }),
		"address1":      addr(func(a store.Address) string { return a.Address1 }),
		"address2":      addr(func(a store.Address) string { return a.Address2 }),
		"city":          addr(func(a store.Address) string { return a.City }),
		"province":      addr(func(a store.Address) string { return a.Province }),
		"provinceCode":  addr(func(a store.Address) string { return a.ProvinceCode }),
		"zip":           addr(func(a store.Address) string { return a.Zip }),
		"country":       addr(func(a store.Address) string { return a.Country }),
		"countryCodeV2": addr(func(a store.Address) string { return a.CountryCode }),
		"phone":         addr(func(a store.Address) string { return a.Phone }),
		"latitude":      func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"longitude":     func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"formatted": func(rc *gql.ResolveContext, p any) (any, error) {
			a := p.(addressValue).a
			var out []string
			if b, _ := rc.Args.Bool("withName"); b && a.Name() != "" {
				out = append(out, a.Name())
			}
			if b, _ := rc.Args.Bool("withCompany"); b && a.Company != "" {
				out = append(out, a.Company)
			}
			for _, s := range []string{a.Address1, a.Address2, strings.TrimSpace(a.City + " " + a.ProvinceCode + " " + a.Zip), a.Country} {
				if s != "" {
					out = append(out, s)
				}
			}
			return out, nil
		},
	})
}
