package store

import (
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// Resource ids are int64s above 2^53, as on a real store, so a consumer that decodes
// them into a float64 (JavaScript, a careless JSON decoder) loses precision and a test
// catches it. Every id is computed from the resource's position (order number, catalog
// index...), so no map from id to record is needed: the store stays compact at a million
// orders.
const (
	orderBase       int64 = 820_982_911_900_000_000
	orderStride     int64 = 7_919
	lineBase        int64 = 487_817_672_200_000_000
	linesPerOrder   int64 = 1_024 // line ids are orderIndex*1024 + line number
	foBase          int64 = 1_046_000_000_000_000_000
	foLineBase      int64 = 1_146_000_000_000_000_000
	customerBase    int64 = 706_405_506_900_000_000
	customerStride  int64 = 6_007
	productBase     int64 = 788_032_119_600_000_000
	variantBase     int64 = 808_950_810_000_000_000
	itemBase        int64 = 271_878_346_500_000_000
	catalogStride   int64 = 4_001
	locationBase    int64 = 655_441_491_000_000_000
	locationStride  int64 = 1_000_003
	transactionBase int64 = 389_404_469_000_000_000
	txPerOrder      int64 = 64
	fulfillmentBase int64 = 255_858_046_000_000_000
	adjustmentBase  int64 = 301_000_000_000_000_000
	shopID          int64 = 548_380_009_000_000_000
)

// maxLines is the most line items one order can have (line ids leave room for 1024).
const maxLines = 1_000

// positionOf inverts base + (i+1)*stride, the id of the resource at position i: it
// returns i, and false for an id that is not one of those.
func positionOf(id, base, stride int64) (int, bool) {
	d := id - base
	if d <= 0 || d%stride != 0 {
		return 0, false
	}
	return int(d/stride - 1), true
}

// orderSlotOf inverts base + orderIdx*linesPerOrder + n, the id of an order's n-th line
// (or fulfillment order line).
func orderSlotOf(id, base int64) (orderIdx, n int, ok bool) {
	d := id - base
	if d < 0 {
		return 0, 0, false
	}
	return int(d / linesPerOrder), int(d % linesPerOrder), true
}

func orderID(idx int) int64 { return orderBase + int64(idx+1)*orderStride }

func orderIndex(id int64) (int, bool) { return positionOf(id, orderBase, orderStride) }

func lineID(orderIdx, lineNo int) int64 {
	return lineBase + int64(orderIdx)*linesPerOrder + int64(lineNo)
}

func lineIndex(id int64) (orderIdx, lineNo int, ok bool) { return orderSlotOf(id, lineBase) }

func fulfillmentOrderID(orderIdx int) int64 { return foBase + int64(orderIdx+1)*orderStride }

func fulfillmentOrderIndex(id int64) (int, bool) { return positionOf(id, foBase, orderStride) }

func foLineID(orderIdx, lineNo int) int64 {
	return foLineBase + int64(orderIdx)*linesPerOrder + int64(lineNo)
}

func foLineIndex(id int64) (orderIdx, lineNo int, ok bool) { return orderSlotOf(id, foLineBase) }

func customerID(idx int) int64 { return customerBase + int64(idx+1)*customerStride }

func customerIndex(id int64) (int, bool) { return positionOf(id, customerBase, customerStride) }

func productID(item int) int64       { return productBase + int64(item+1)*catalogStride }
func variantID(item int) int64       { return variantBase + int64(item+1)*catalogStride }
func inventoryItemID(item int) int64 { return itemBase + int64(item+1)*catalogStride }

func catalogIndex(id, base int64) (int, bool) { return positionOf(id, base, catalogStride) }

func locationID(idx int) int64 { return locationBase + int64(idx+1)*locationStride }

func locationIndex(id int64) (int, bool) { return positionOf(id, locationBase, locationStride) }

func transactionID(orderIdx, n int) int64 {
	return transactionBase + int64(orderIdx)*txPerOrder + int64(n)
}

// GID returns Shopify's GraphQL id for a resource: gid://shopify/Order/820982911946154508.
func GID(typ string, id int64) string {
	return "gid://shopify/" + typ + "/" + strconv.FormatInt(id, 10)
}

// InventoryLevelGID is the id of an inventory level, which Shopify builds from the location
// and the inventory item.
func InventoryLevelGID(locationID, inventoryItemID int64) string {
	return "gid://shopify/InventoryLevel/" + strconv.FormatInt(locationID, 10) +
		"?inventory_item_id=" + strconv.FormatInt(inventoryItemID, 10)
}

// ParseGID reads gid://shopify/TYPE/ID (any query string after the id is returned in
// rest). A bare decimal id is accepted too, with typ empty.
func ParseGID(s string) (typ string, id int64, rest string, ok bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return "", n, "", true
	}
	body, found := strings.CutPrefix(s, "gid://shopify/")
	if !found {
		return "", 0, "", false
	}
	typ, num, found := strings.Cut(body, "/")
	if !found || typ == "" {
		return "", 0, "", false
	}
	num, rest, _ = strings.Cut(num, "?")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, "", false
	}
	return typ, n, rest, true
}

// ParseInventoryLevelGID reads gid://shopify/InventoryLevel/LOC?inventory_item_id=ITEM.
func ParseInventoryLevelGID(s string) (locationID, inventoryItemID int64, ok bool) {
	typ, loc, rest, ok := ParseGID(s)
	if !ok || typ != "InventoryLevel" {
		return 0, 0, false
	}
	v, found := strings.CutPrefix(rest, "inventory_item_id=")
	if !found {
		return 0, 0, false
	}
	item, err := strconv.ParseInt(v, 10, 64)
	if err != nil || item <= 0 {
		return 0, 0, false
	}
	return loc, item, true
}

// splitmix64 is a bijective 64-bit mixer: distinct inputs give distinct outputs, so ids
// and seeds derived from (seed, n) never collide for one seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// derive makes a non-zero sub-seed for one purpose and one position; gofakeit treats a
// zero seed as "random", which would break reproducibility.
func derive(seed uint64, purpose uint64, n int) uint64 {
	v := splitmix64(seed ^ splitmix64(purpose<<40^uint64(n)))
	if v == 0 {
		v = 1
	}
	return v
}

// eventUUID formats the n-th merchant action's event id as a version-4 UUID derived from
// the seed: the same seed and the same sequence of actions give the same ids.
func eventUUID(seed uint64, n int64) string {
	hi := splitmix64(seed ^ 0x45564e54 ^ uint64(n))
	return fakehttp.UUIDv4(hi, splitmix64(hi^uint64(n)<<1))
}
