package netsuite

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// suiteqlPath is the SuiteQL resource.
const suiteqlPath = "/services/rest/query/v1/suiteql"

// The tables SuiteQL reads, with NetSuite's analytics (NetSuite2.com) names, lower case.
var suiteqlTables = map[string][]string{
	"item":                   {"id", "itemid", "displayname", "externalid", "itemtype", "isinactive", "createddate", "lastmodifieddate"},
	"inventoryitemlocations": {"item", "location", "quantityonhand", "quantityavailable", "quantitycommitted", "quantitybackordered"},
	"aggregateitemlocation":  {"item", "location", "quantityonhand", "quantityavailable", "quantitycommitted", "quantitybackordered", "lastquantityavailablechange"},
	"location":               {"id", "name", "isinactive"},
	"customer":               {"id", "entityid", "externalid", "email", "companyname", "firstname", "lastname", "isperson", "datecreated", "lastmodifieddate"},
	"transaction":            {"id", "tranid", "type", "trandate", "status", "externalid", "entity", "otherrefnum", "memo", "createdfrom", "foreigntotal", "createddate", "lastmodifieddate"},
	"transactionline":        {"transaction", "id", "linesequencenumber", "mainline", "item", "quantity", "rate", "netamount", "location", "isclosed"},
}

// suiteqlBody is the request body: {"q": "SELECT ..."}.
type suiteqlBody struct {
	Q *string `json:"q"`
}

// suiteqlPage is the answer: NetSuite's collection shape, each item a row of the
// selected columns (lower-case names, string values, NULLs left out) with empty links.
type suiteqlPage struct {
	Links        []link            `json:"links"`
	Count        int               `json:"count"`
	HasMore      bool              `json:"hasMore"`
	Items        []json.RawMessage `json:"items"`
	Offset       int               `json:"offset"`
	TotalResults int               `json:"totalResults"`
}

// serveSuiteQL is POST /services/rest/query/v1/suiteql with Prefer: transient and
// {"q": "..."}; ?limit= (1-1000, default 1000) and ?offset= page the result
// (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_158394344595.html).
// It is a governed request like any other.
func (s *Server) serveSuiteQL(w http.ResponseWriter, r *http.Request) *apiError {
	if r.Method != http.MethodPost {
		return methodNotAllowed(r.Method, "suiteql")
	}
	if s.settings.Load().requireTransient && !prefersTransient(r) {
		return &apiError{status: http.StatusBadRequest, detail: ErrorDetail{
			Detail: "Invalid header value. The SuiteQL resource requires the header 'Prefer: transient'.", Code: CodeInvalidParameter, Header: "Prefer",
		}}
	}
	query := r.URL.Query()
	limit, e := intParam(query, "limit", maxPageSize, 1, maxPageSize)
	if e != nil {
		return e
	}
	offset, e := intParam(query, "offset", 0, 0, maxSuiteQLResults)
	if e != nil {
		return e
	}
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	var in suiteqlBody
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&in); err != nil || in.Q == nil {
		return invalidContent("q", detailInvalidBody+` The body must be {"q": "SELECT ..."}.`)
	}
	q, err := ParseSuiteQL(*in.Q)
	if err != nil {
		return searchError(err)
	}
	s.mu.Lock()
	tables := s.st.suiteqlTables()
	s.mu.Unlock()
	names, rows, err := runSuiteQL(q, tables)
	if err != nil {
		return searchError(err)
	}
	total := len(rows)
	page := rows[min(offset, total):min(offset+limit, total)]
	p := suiteqlPage{Count: len(page), HasMore: offset+len(page) < total, Offset: offset, TotalResults: total, Items: make([]json.RawMessage, len(page))}
	for i, row := range page {
		var b bytes.Buffer
		b.WriteString(`{"links":[]`)
		for j, v := range row {
			if sv, ok := v.render(); ok {
				b.WriteByte(',')
				k, _ := fakehttp.Marshal(names[j])
				b.Write(k)
				b.WriteByte(':')
				sb, _ := fakehttp.Marshal(sv)
				b.Write(sb)
			}
		}
		b.WriteByte('}')
		p.Items[i] = b.Bytes()
	}
	base := fakehttp.BaseURL(r) + suiteqlPath
	p.Links = pageLinks(base, nil, offset, limit, total)
	writeJSON(w, http.StatusOK, p)
	return nil
}

func prefersTransient(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "transient") {
				return true
			}
		}
	}
	return false
}

// searchError is NetSuite's answer to a query it cannot run, as its clients' fixtures
// show it: 400 INVALID_PARAMETER, o:errorQueryParam q, "Invalid search query. Detailed
// unprocessed description follows. Search error occurred: ...".
func searchError(err error) *apiError {
	msg := err.Error()
	var se *SQLError
	if errors.As(err, &se) && strings.HasPrefix(se.Msg, "Invalid search type") {
		return invalidParameter("q", "Invalid search query. Detailed unprocessed description follows. "+msg)
	}
	return invalidParameter("q", detailSearchError+msg)
}

// suiteqlTables snapshots the store as SuiteQL tables; call with the store locked.
// Sales order lines have negative quantities and amounts, as NetSuite books a sale
// against inventory; each transaction also has its main line (mainline = 'T', no item).
func (st *store) suiteqlTables() map[string]*sqlTable {
	t := map[string]*sqlTable{}
	for name, cols := range suiteqlTables {
		t[name] = &sqlTable{name: name, columns: cols}
	}
	for i, l := range st.locations {
		t["location"].rows = append(t["location"].rows, map[string]sqlValue{"id": intValueSQL(int64(i + 1)), "name": strValue(l.Name), "isinactive": boolValue(false)})
	}
	st.items.each(func(it *inventoryItem) bool {
		t["item"].rows = append(t["item"].rows, map[string]sqlValue{
			"id": intValueSQL(it.ID), "itemid": strValue(it.SKU), "displayname": strValue(it.Title), "externalid": strValue(it.SKU),
			"itemtype": strValue("InvtPart"), "isinactive": boolValue(false), "createddate": timeValue(it.Created), "lastmodifieddate": timeValue(it.Modified),
		})
		for loc := range it.OnHand {
			q := it.stockAt(loc)
			row := map[string]sqlValue{
				"item": intValueSQL(it.ID), "location": intValueSQL(int64(loc + 1)), "quantityonhand": intValueSQL(q.OnHand),
				"quantityavailable": intValueSQL(q.Available), "quantitycommitted": intValueSQL(q.Committed), "quantitybackordered": intValueSQL(q.BackOrdered),
			}
			t["inventoryitemlocations"].rows = append(t["inventoryitemlocations"].rows, row)
			agg := map[string]sqlValue{"lastquantityavailablechange": timeValue(it.Modified)}
			for k, v := range row {
				agg[k] = v
			}
			t["aggregateitemlocation"].rows = append(t["aggregateitemlocation"].rows, agg)
		}
		return true
	})
	opt := func(s string) sqlValue {
		if s == "" {
			return sqlValue{}
		}
		return strValue(s)
	}
	st.customers.each(func(c *customer) bool {
		t["customer"].rows = append(t["customer"].rows, map[string]sqlValue{
			"id": intValueSQL(c.ID), "entityid": strValue(c.EntityID), "externalid": opt(c.ExternalID), "email": opt(c.Email),
			"companyname": opt(c.CompanyName), "firstname": opt(c.FirstName), "lastname": opt(c.LastName), "isperson": boolValue(c.IsPerson),
			"datecreated": timeValue(c.Created), "lastmodifieddate": timeValue(c.Modified),
		})
		return true
	})
	tx, lines := t["transaction"], t["transactionline"]
	st.orders.each(func(o *salesOrder) bool {
		day, _ := parseDay(o.TranDate)
		tx.rows = append(tx.rows, map[string]sqlValue{
			"id": intValueSQL(o.ID), "tranid": strValue(o.TranID), "type": strValue("SalesOrd"), "trandate": dayValue(day),
			"status": strValue(o.Status), "externalid": opt(o.ExternalID), "entity": intValueSQL(o.CustomerID), "otherrefnum": opt(o.OtherRefNum),
			"memo": opt(o.Memo), "foreigntotal": moneyValue(o.TotalCents), "createddate": timeValue(o.Created), "lastmodifieddate": timeValue(o.Modified),
		})
		lines.rows = append(lines.rows, map[string]sqlValue{
			"transaction": intValueSQL(o.ID), "id": intValueSQL(0), "linesequencenumber": intValueSQL(0), "mainline": boolValue(true),
			"location": intValueSQL(int64(o.Location + 1)), "netamount": moneyValue(o.TotalCents), "isclosed": boolValue(o.Status == StatusClosed),
		})
		for _, ln := range o.Lines {
			lines.rows = append(lines.rows, map[string]sqlValue{
				"transaction": intValueSQL(o.ID), "id": intValueSQL(int64(ln.Line)), "linesequencenumber": intValueSQL(int64(ln.Line)),
				"mainline": boolValue(false), "item": intValueSQL(ln.ItemID), "quantity": intValueSQL(-ln.Quantity), "rate": moneyValue(ln.RateCents),
				"netamount": moneyValue(-ln.AmountCents), "location": intValueSQL(int64(o.Location + 1)), "isclosed": boolValue(o.Status == StatusClosed),
			})
		}
		return true
	})
	st.fulfillments.each(func(f *itemFulfillment) bool {
		day, _ := parseDay(f.TranDate)
		tx.rows = append(tx.rows, map[string]sqlValue{
			"id": intValueSQL(f.ID), "tranid": strValue(f.TranID), "type": strValue("ItemShip"), "trandate": dayValue(day),
			"status": strValue("C"), "entity": intValueSQL(f.CustomerID), "createdfrom": intValueSQL(f.OrderID),
			"createddate": timeValue(f.Created), "lastmodifieddate": timeValue(f.Modified),
		})
		for i, ln := range f.Lines {
			lines.rows = append(lines.rows, map[string]sqlValue{
				"transaction": intValueSQL(f.ID), "id": intValueSQL(int64(i + 1)), "linesequencenumber": intValueSQL(int64(i + 1)),
				"mainline": boolValue(false), "item": intValueSQL(ln.ItemID), "quantity": intValueSQL(-ln.Quantity),
				"location": intValueSQL(int64(ln.Location + 1)), "isclosed": boolValue(false),
			})
		}
		return true
	})
	return t
}

func parseDay(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }
