package shopify

import (
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

func handleOf(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// registerCatalog registers products, variants, inventory items, levels and quantities,
// and locations.
func registerCatalog(e *gql.Executor) {
	register(e, "Product", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("Product", p.(productValue).v.ProductID), nil
		},
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(productValue).v.ProductID), nil },
		"title":            func(_ *gql.ResolveContext, p any) (any, error) { return p.(productValue).v.Title, nil },
		"handle":           func(_ *gql.ResolveContext, p any) (any, error) { return handleOf(p.(productValue).v.Title), nil },
		"status":           func(*gql.ResolveContext, any) (any, error) { return "ACTIVE", nil },
		"vendor":           func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.ShopName(), nil },
		"productType":      func(*gql.ResolveContext, any) (any, error) { return "", nil },
		"tags":             func(*gql.ResolveContext, any) (any, error) { return []string{}, nil },
		"createdAt":        func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(productValue).v.CreatedAt), nil },
		"updatedAt":        func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(productValue).v.CreatedAt), nil },
		"totalInventory":   func(_ *gql.ResolveContext, p any) (any, error) { return p.(productValue).v.Available(), nil },
		"tracksInventory":  func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"variants": func(rc *gql.ResolveContext, p any) (any, error) {
			v := p.(productValue).v
			return sliceConnection(rc, 1, func(int) int64 { return v.VariantID }, func(int) any { return variantValue{v} })
		},
	})
	register(e, "ProductVariant", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("ProductVariant", p.(variantValue).v.VariantID), nil
		},
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(variantValue).v.VariantID), nil },
		"sku":              func(_ *gql.ResolveContext, p any) (any, error) { return p.(variantValue).v.SKU, nil },
		"title":            func(*gql.ResolveContext, any) (any, error) { return "Default Title", nil },
		"displayName": func(_ *gql.ResolveContext, p any) (any, error) {
			return p.(variantValue).v.Title + " - Default Title", nil
		},
		"price": func(_ *gql.ResolveContext, p any) (any, error) {
			return catalog.Money(p.(variantValue).v.PriceCents), nil
		},
		"compareAtPrice":    func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"inventoryQuantity": func(_ *gql.ResolveContext, p any) (any, error) { return p.(variantValue).v.Available(), nil },
		"availableForSale":  func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"createdAt":         func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(variantValue).v.CreatedAt), nil },
		"updatedAt":         func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(variantValue).v.CreatedAt), nil },
		"product":           func(_ *gql.ResolveContext, p any) (any, error) { return productValue(p.(variantValue)), nil },
		"inventoryItem":     func(_ *gql.ResolveContext, p any) (any, error) { return itemValue(p.(variantValue)), nil },
	})
	register(e, "InventoryItem", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("InventoryItem", p.(itemValue).v.InventoryItemID), nil
		},
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(itemValue).v.InventoryItemID), nil },
		"sku":              func(_ *gql.ResolveContext, p any) (any, error) { return p.(itemValue).v.SKU, nil },
		"tracked":          func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"requiresShipping": func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"createdAt":        func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(itemValue).v.CreatedAt), nil },
		"updatedAt":        func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(itemValue).v.CreatedAt), nil },
		"variant":          func(_ *gql.ResolveContext, p any) (any, error) { return variantValue(p.(itemValue)), nil },
		"inventoryLevel": func(rc *gql.ResolveContext, p any) (any, error) {
			gid, _ := rc.Args.String("locationId")
			typ, loc, _, ok := store.ParseGID(gid)
			if !ok || typ != "Location" {
				return nil, nil
			}
			for i := range p.(itemValue).v.Levels {
				if l := &p.(itemValue).v.Levels[i]; l.LocationID == loc {
					return l, nil
				}
			}
			return nil, nil
		},
		"inventoryLevels": func(rc *gql.ResolveContext, p any) (any, error) {
			levels := p.(itemValue).v.Levels
			return sliceConnection(rc, len(levels), func(i int) int64 { return levels[i].LocationID }, func(i int) any { return &levels[i] })
		},
	})
	register(e, "InventoryLevel", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			l := p.(*store.InventoryLevel)
			return store.InventoryLevelGID(l.LocationID, l.InventoryItemID), nil
		},
		"canDeactivate": func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"createdAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(*store.InventoryLevel).UpdatedAt), nil
		},
		"updatedAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(*store.InventoryLevel).UpdatedAt), nil
		},
		"item": func(rc *gql.ResolveContext, p any) (any, error) {
			if v, ok := reqOf(rc).s.store.VariantByInventoryItem(p.(*store.InventoryLevel).InventoryItemID); ok {
				return itemValue{&v}, nil
			}
			return nil, nil
		},
		"location": func(rc *gql.ResolveContext, p any) (any, error) {
			if l, ok := reqOf(rc).s.store.Location(p.(*store.InventoryLevel).LocationID); ok {
				return &l, nil
			}
			return nil, nil
		},
		"quantities": func(rc *gql.ResolveContext, p any) (any, error) {
			names, _ := rc.Args.Strings("names")
			l := p.(*store.InventoryLevel)
			out := make([]any, 0, len(names))
			for _, n := range names {
				known := false
				for _, k := range store.QuantityNames {
					known = known || k == n
				}
				if !known {
					return nil, gql.Errorf("", "Invalid quantity name %q. Valid names are: %s.", n, strings.Join(store.QuantityNames, ", "))
				}
				out = append(out, quantityValue{l: l, name: n})
			}
			return out, nil
		},
	})
	register(e, "InventoryQuantity", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			q := p.(quantityValue)
			return store.InventoryLevelGID(q.l.LocationID, q.l.InventoryItemID) + "&name=" + q.name, nil
		},
		"name": func(_ *gql.ResolveContext, p any) (any, error) { return p.(quantityValue).name, nil },
		"quantity": func(_ *gql.ResolveContext, p any) (any, error) {
			q := p.(quantityValue)
			return q.l.Quantity(q.name), nil
		},
		"updatedAt": func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(quantityValue).l.UpdatedAt), nil },
	})
	register(e, "Location", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("Location", p.(*store.Location).ID), nil
		},
		"legacyResourceId":     func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(*store.Location).ID), nil },
		"name":                 func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Location).Name, nil },
		"isActive":             func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"fulfillsOnlineOrders": func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"shipsInventory":       func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"address": func(rc *gql.ResolveContext, p any) (any, error) {
			j := reqOf(rc).s.store.LocationJSON(p.(*store.Location))
			return map[string]any{
				"address1": j.Address1, "address2": nil, "city": j.City, "province": j.Province, "provinceCode": j.ProvinceCode,
				"zip": j.Zip, "country": j.CountryName, "countryCode": j.CountryCode, "phone": nil,
				"formatted": []string{j.Address1, j.City + " " + j.ProvinceCode + " " + j.Zip, j.CountryName},
			}, nil
		},
		"createdAt": func(rc *gql.ResolveContext, p any) (any, error) {
			j := reqOf(rc).s.store.LocationJSON(p.(*store.Location))
			t, _ := store.ParseTime(j.CreatedAt)
			return gqlTime(t), nil
		},
		"updatedAt": func(rc *gql.ResolveContext, p any) (any, error) {
			j := reqOf(rc).s.store.LocationJSON(p.(*store.Location))
			t, _ := store.ParseTime(j.UpdatedAt)
			return gqlTime(t), nil
		},
		"inventoryLevel": func(rc *gql.ResolveContext, p any) (any, error) {
			gid, _ := rc.Args.String("inventoryItemId")
			typ, item, _, ok := store.ParseGID(gid)
			if !ok || typ != "InventoryItem" {
				return nil, nil
			}
			if l, ok := reqOf(rc).s.store.InventoryLevel(item, p.(*store.Location).ID); ok {
				return &l, nil
			}
			return nil, nil
		},
		"inventoryLevels": func(rc *gql.ResolveContext, p any) (any, error) {
			st := reqOf(rc).s.store
			loc := p.(*store.Location)
			n := st.VariantCount()
			return sliceConnection(rc, n, func(i int) int64 {
				v, _ := st.VariantAt(i)
				return v.InventoryItemID
			}, func(i int) any {
				v, _ := st.VariantAt(i)
				l := v.Levels[loc.Index]
				return &l
			})
		},
	})
}

// variants resolves QueryRoot.productVariants.
func (r *gqlRequest) variants(rc *gql.ResolveContext) (any, error) {
	req, err := pageRequest(rc, false)
	if err != nil {
		return nil, err
	}
	q, _ := rc.Args.String("query")
	st := r.s.store
	if sku, ok := singleTerm(q, "sku"); ok {
		// The SKU lookup integrators make for every inventory update: served from the
		// SKU index.
		var items []*store.Variant
		if v, ok := st.VariantBySKU(sku); ok {
			items = append(items, &v)
		}
		return variantPage(items, req), nil
	}
	pred, warn := compileSearch(q, variantSearchFields(), variantSearchText)
	r.warn(rc, q, warn)
	var items []*store.Variant
	for i := 0; i < st.VariantCount(); i++ {
		v, _ := st.VariantAt(i)
		if pred == nil || pred(&v) {
			items = append(items, &v)
		}
	}
	return variantPage(items, req), nil
}

// variantPage pages variants by id.
func variantPage(items []*store.Variant, req store.PageRequest) *gql.Connection {
	page := store.Paginate(len(items), func(i int) (store.Pos, bool) {
		return store.Pos{Key: items[i].VariantID, ID: items[i].VariantID}, true
	}, req)
	nodes := make([]any, len(page.Items))
	for k, i := range page.Items {
		nodes[k] = variantValue{items[i]}
	}
	return connection(nodes, page.Positions, false, page.HasPrevious, page.HasNext)
}

// locations resolves QueryRoot.locations.
func (r *gqlRequest) locations(rc *gql.ResolveContext) (any, error) {
	q, _ := rc.Args.String("query")
	pred, warn := compileSearch(q, locationSearchFields(), nil)
	r.warn(rc, q, warn)
	var locs []*store.Location
	for _, l := range r.s.store.Locations() {
		if pred == nil || pred(&l) {
			locs = append(locs, &l)
		}
	}
	return sliceConnection(rc, len(locs), func(i int) int64 { return locs[i].ID }, func(i int) any { return locs[i] })
}

// registerInventoryAdjustments registers the outcome of an inventory mutation: the
// adjustment group and its changes.
func registerInventoryAdjustments(e *gql.Executor) {
	register(e, "InventoryAdjustmentGroup", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("InventoryAdjustmentGroup", p.(*store.AdjustmentGroup).ID), nil
		},
		"createdAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(*store.AdjustmentGroup).CreatedAt), nil
		},
		"reason": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.AdjustmentGroup).Reason, nil },
		"referenceDocumentUri": func(_ *gql.ResolveContext, p any) (any, error) {
			return nonEmpty(p.(*store.AdjustmentGroup).ReferenceDocumentURI), nil
		},
		"changes": func(rc *gql.ResolveContext, p any) (any, error) {
			g := p.(*store.AdjustmentGroup)
			items, _ := rc.Args.Strings("inventoryItemIds")
			locs, _ := rc.Args.Strings("locationIds")
			names, _ := rc.Args.Strings("quantityNames")
			out := []any{}
			for i := range g.Changes {
				c := &g.Changes[i]
				if len(items) > 0 && !containsStr(items, store.GID("InventoryItem", c.InventoryItemID)) ||
					len(locs) > 0 && !containsStr(locs, store.GID("Location", c.LocationID)) ||
					len(names) > 0 && !containsStr(names, c.Name) {
					continue
				}
				out = append(out, c)
			}
			return out, nil
		},
	})
	register(e, "InventoryChange", typeResolvers{
		"name":                func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.QuantityDelta).Name, nil },
		"delta":               func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.QuantityDelta).Delta, nil },
		"quantityAfterChange": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.QuantityDelta).QuantityAfter, nil },
		"ledgerDocumentUri": func(_ *gql.ResolveContext, p any) (any, error) {
			return nonEmpty(p.(*store.QuantityDelta).LedgerDocumentURI), nil
		},
		"item": func(rc *gql.ResolveContext, p any) (any, error) {
			if v, ok := reqOf(rc).s.store.VariantByInventoryItem(p.(*store.QuantityDelta).InventoryItemID); ok {
				return itemValue{&v}, nil
			}
			return nil, nil
		},
		"location": func(rc *gql.ResolveContext, p any) (any, error) {
			if l, ok := reqOf(rc).s.store.Location(p.(*store.QuantityDelta).LocationID); ok {
				return &l, nil
			}
			return nil, nil
		},
	})
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
