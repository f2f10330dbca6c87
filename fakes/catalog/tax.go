package catalog

import "strings"

// TaxRate returns the sales-tax rate for a shipping destination in basis points
// (725 = 7.25%). It stands in for an ERP tax engine such as Avalara: both the fake
// Shopify (when it prices an order) and the fake NetSuite (when it computes a sales
// order's tax from the shipping address) use it, so an integration that passes the
// address rather than a hard-coded tax gets matching totals.
//
// US states use their base state rate; other countries a flat VAT/GST rate; unknown
// destinations 0.
func TaxRate(countryCode, provinceCode string) int64 {
	cc := strings.ToUpper(strings.TrimSpace(countryCode))
	pc := strings.ToUpper(strings.TrimSpace(provinceCode))
	if cc == "US" {
		return usStateRates[pc]
	}
	return countryRates[cc]
}

// Tax computes tax on an amount in cents at a rate in basis points, rounded half up.
func Tax(amountCents, rateBasisPoints int64) int64 {
	return (amountCents*rateBasisPoints + 5000) / 10000
}

var usStateRates = map[string]int64{
	"AL": 400, "AZ": 560, "AR": 650, "CA": 725, "CO": 290, "CT": 635, "DC": 600, "FL": 600,
	"GA": 400, "HI": 400, "ID": 600, "IL": 625, "IN": 700, "IA": 600, "KS": 650, "KY": 600,
	"LA": 445, "ME": 550, "MD": 600, "MA": 625, "MI": 600, "MN": 688, "MS": 700, "MO": 423,
	"NE": 550, "NV": 685, "NJ": 663, "NM": 488, "NY": 400, "NC": 475, "ND": 500, "OH": 575,
	"OK": 450, "PA": 600, "RI": 700, "SC": 600, "SD": 420, "TN": 700, "TX": 625, "UT": 610,
	"VT": 600, "VA": 530, "WA": 650, "WV": 600, "WI": 500, "WY": 400,
	// No state sales tax.
	"AK": 0, "DE": 0, "MT": 0, "NH": 0, "OR": 0,
}

var countryRates = map[string]int64{
	"CA": 500, "GB": 2000, "DE": 1900, "FR": 2000, "NL": 2100, "IE": 2300, "ES": 2100,
	"IT": 2200, "AU": 1000, "NZ": 1500, "JP": 1000,
}
