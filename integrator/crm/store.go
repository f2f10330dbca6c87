package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps the CRM flow's per-customer state in Redis, shared by every replica:
//
//	P:crm:invalid            hash  customer id → InvalidEmail (JSON)
//	P:crm:contacts           zset  customer ids with a contact (member = id, score 0:
//	                               the nightly batch walks them in lexical order)
//	P:crm:orders:<customer>  hash  order id → "updatedAtUnixNano|cents|cancelled"
//
// The orders hash is written only by the customer's own queue key, one message at a
// time, so a read-then-write needs no script.
type Store struct {
	rdb    redis.UniversalClient
	prefix string // "P:crm:"
}

// NewStore keeps its keys under prefix+":crm:".
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix + ":crm:"}
}

// InvalidEmail is a customer not synced because of its e-mail address.
type InvalidEmail struct {
	CustomerID int64     `json:"customer_id"`
	Email      string    `json:"email"`
	Reason     string    `json:"reason"`
	UpdatedAt  time.Time `json:"updated_at"` // the customer's Shopify updated_at
	SeenAt     time.Time `json:"seen_at"`
}

// RecordInvalid lists a customer as invalid (replacing an earlier entry).
func (s *Store) RecordInvalid(ctx context.Context, e InvalidEmail) error {
	b, _ := json.Marshal(e)
	return s.rdb.HSet(ctx, s.prefix+"invalid", strconv.FormatInt(e.CustomerID, 10), b).Err()
}

// ClearInvalid removes a customer from the list once its address is valid.
func (s *Store) ClearInvalid(ctx context.Context, customerID int64) error {
	return s.rdb.HDel(ctx, s.prefix+"invalid", strconv.FormatInt(customerID, 10)).Err()
}

// InvalidEmails lists the customers not synced for their address, by customer id.
func (s *Store) InvalidEmails(ctx context.Context) ([]InvalidEmail, error) {
	m, err := s.rdb.HGetAll(ctx, s.prefix+"invalid").Result()
	if err != nil {
		return nil, err
	}
	out := make([]InvalidEmail, 0, len(m))
	for _, v := range m {
		var e InvalidEmail
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("crm: corrupt invalid-email entry: %w", err)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CustomerID < out[j].CustomerID })
	return out, nil
}

// InvalidCount is the length of the invalid list.
func (s *Store) InvalidCount(ctx context.Context) (int64, error) {
	return s.rdb.HLen(ctx, s.prefix+"invalid").Result()
}

// MarkSynced records that the customer has a contact.
func (s *Store) MarkSynced(ctx context.Context, customerID int64) error {
	return s.rdb.ZAdd(ctx, s.prefix+"contacts", redis.Z{Member: strconv.FormatInt(customerID, 10)}).Err()
}

// SyncedAfter returns up to n customer ids with a contact after cursor (lexical order of
// their decimal form; "" starts at the beginning).
func (s *Store) SyncedAfter(ctx context.Context, cursor string, n int64) ([]string, error) {
	min := "-"
	if cursor != "" {
		min = "(" + cursor
	}
	return s.rdb.ZRangeByLex(ctx, s.prefix+"contacts", &redis.ZRangeBy{Min: min, Max: "+", Count: n}).Result()
}

// SyncedCount is how many customers have a contact.
func (s *Store) SyncedCount(ctx context.Context) (int64, error) {
	return s.rdb.ZCard(ctx, s.prefix+"contacts").Result()
}

// OrderVersion is what the totals keep of one order.
type OrderVersion struct {
	OrderID    int64
	UpdatedAt  time.Time
	TotalCents int64
	Cancelled  bool
}

// RecordOrder keeps an order's latest version for its customer's totals: an older (or
// the same) version than the one kept changes nothing, so duplicated and reordered
// webhooks count an order once, at its latest total.
func (s *Store) RecordOrder(ctx context.Context, customerID int64, o OrderVersion) (bool, error) {
	key := s.prefix + "orders:" + strconv.FormatInt(customerID, 10)
	field := strconv.FormatInt(o.OrderID, 10)
	prev, err := s.rdb.HGet(ctx, key, field).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, err
	}
	if err == nil {
		if p, ok := parseOrderVersion(prev); ok && !o.UpdatedAt.After(p.UpdatedAt) {
			return false, nil
		}
	}
	c := "0"
	if o.Cancelled {
		c = "1"
	}
	v := strconv.FormatInt(o.UpdatedAt.UnixNano(), 10) + "|" + strconv.FormatInt(o.TotalCents, 10) + "|" + c
	return true, s.rdb.HSet(ctx, key, field, v).Err()
}

func parseOrderVersion(s string) (OrderVersion, bool) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 {
		return OrderVersion{}, false
	}
	ns, err1 := strconv.ParseInt(parts[0], 10, 64)
	cents, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return OrderVersion{}, false
	}
	return OrderVersion{UpdatedAt: time.Unix(0, ns), TotalCents: cents, Cancelled: parts[2] == "1"}, true
}

// Totals sums a customer's orders: every order counts, the cancelled ones add no value.
func (s *Store) Totals(ctx context.Context, customerID int64) (Totals, error) {
	m, err := s.rdb.HGetAll(ctx, s.prefix+"orders:"+strconv.FormatInt(customerID, 10)).Result()
	if err != nil {
		return Totals{}, err
	}
	t := Totals{CustomerID: customerID}
	for _, v := range m {
		o, ok := parseOrderVersion(v)
		if !ok {
			return t, fmt.Errorf("crm: corrupt order entry of customer %d", customerID)
		}
		t.Orders++
		if !o.Cancelled {
			t.LifetimeValueCents += o.TotalCents
		}
	}
	return t, nil
}
