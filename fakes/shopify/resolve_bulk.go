package shopify

import (
	"strconv"

	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// registerBulk registers BulkOperation, its payloads and the bulk mutations.
func registerBulk(e *gql.Executor) {
	view := func(p any) *bulkView { return p.(*bulkView) }
	url := func(rc *gql.ResolveContext, path string) any {
		if path == "" {
			return nil
		}
		return reqOf(rc).base + path
	}
	register(e, "BulkOperation", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) { return view(p).op.gid(), nil },
		"completedAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(view(p).completedAt), nil
		},
		"createdAt": func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(view(p).op.createdAt), nil },
		"errorCode": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(view(p).errorCode), nil },
		"fileSize": func(_ *gql.ResolveContext, p any) (any, error) {
			if v := view(p); v.url != "" {
				return strconv.Itoa(v.fileSize), nil
			}
			return nil, nil
		},
		"objectCount": func(_ *gql.ResolveContext, p any) (any, error) { return strconv.Itoa(view(p).rows), nil },
		"rootObjectCount": func(_ *gql.ResolveContext, p any) (any, error) {
			v := view(p)
			if v.rows == 0 {
				return "0", nil
			}
			return strconv.Itoa(int(v.op.roots[v.rows-1])), nil
		},
		"partialDataUrl": func(rc *gql.ResolveContext, p any) (any, error) { return url(rc, view(p).partialURL), nil },
		"url":            func(rc *gql.ResolveContext, p any) (any, error) { return url(rc, view(p).url), nil },
		"query":          func(_ *gql.ResolveContext, p any) (any, error) { return view(p).op.query, nil },
		"status":         func(_ *gql.ResolveContext, p any) (any, error) { return view(p).status, nil },
		"type":           func(*gql.ResolveContext, any) (any, error) { return "QUERY", nil },
	})
	register(e, "BulkOperationUserError", typeResolvers{
		"field": func(_ *gql.ResolveContext, p any) (any, error) {
			if f := p.(userError).field; f != nil {
				return f, nil
			}
			return nil, nil
		},
		"message": func(_ *gql.ResolveContext, p any) (any, error) { return p.(userError).message, nil },
		"code":    func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(userError).code), nil },
	})
	register(e, "BulkOperationRunQueryPayload", typeResolvers{
		"bulkOperation": func(_ *gql.ResolveContext, p any) (any, error) {
			if v := p.(*bulkRunPayload).view; v != nil {
				return v, nil
			}
			return nil, nil
		},
		"userErrors": func(_ *gql.ResolveContext, p any) (any, error) { return userErrorsOf(p.(*bulkRunPayload).errs), nil },
	})
	register(e, "BulkOperationCancelPayload", typeResolvers{
		"bulkOperation": func(_ *gql.ResolveContext, p any) (any, error) {
			if v := p.(*bulkCancelPayload).view; v != nil {
				return v, nil
			}
			return nil, nil
		},
		"userErrors": func(_ *gql.ResolveContext, p any) (any, error) { return userErrorsOf(p.(*bulkCancelPayload).errs), nil },
	})
	register(e, "Mutation", typeResolvers{
		"bulkOperationRunQuery": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).runBulkQuery(rc), nil },
		"bulkOperationCancel":   func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).cancelBulk(rc), nil },
	})
}

// inventoryItems resolves QueryRoot.inventoryItems: one item per variant, by id;
// query filters as productVariants' do (sku:, id: of the variant's fields).
func (r *gqlRequest) inventoryItems(rc *gql.ResolveContext) (any, error) {
	req, err := pageRequest(rc, false)
	if err != nil {
		return nil, err
	}
	q, _ := rc.Args.String("query")
	pred, warn := compileSearch(q, variantSearchFields(), variantSearchText)
	r.warn(rc, q, warn)
	st := r.s.store
	var items []*store.Variant
	for i := 0; i < st.VariantCount(); i++ {
		v, _ := st.VariantAt(i)
		if pred == nil || pred(&v) {
			items = append(items, &v)
		}
	}
	page := store.Paginate(len(items), func(i int) (store.Pos, bool) {
		return store.Pos{Key: items[i].InventoryItemID, ID: items[i].InventoryItemID}, true
	}, req)
	nodes := make([]any, len(page.Items))
	for k, i := range page.Items {
		nodes[k] = itemValue{items[i]}
	}
	return connection(nodes, page.Positions, false, page.HasPrevious, page.HasNext), nil
}
