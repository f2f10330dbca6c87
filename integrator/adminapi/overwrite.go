package adminapi

import (
	"context"
	"net/http"
	"time"
)

// OverwriteRun is POST /admin/overwrite's answer: what the stock overwrite run did.
type OverwriteRun struct {
	RunID string `json:"run_id"`
	// AlreadyDone: the run had completed before; nothing was read or written.
	AlreadyDone bool `json:"already_done,omitempty"`
	// Resumed is the SKUs an earlier, stopped attempt of the run had done.
	Resumed int `json:"resumed,omitempty"`
	// Compared: SKUs both the ERP and Shopify have; Differing: those whose Shopify
	// available was not the ERP's on hand − safety stock; Written: those written;
	// NewerPush: differing SKUs left to the change-push flow; NotInShopify: the ERP's SKUs
	// Shopify does not sell.
	Compared     int       `json:"compared"`
	Differing    int       `json:"differing"`
	Written      int       `json:"written"`
	NewerPush    int       `json:"newer_push"`
	NotInShopify int       `json:"not_in_shopify"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Seconds      float64   `json:"seconds"`
}

// Overwrite calls POST /admin/overwrite: the integrator runs a stock overwrite now and
// answers when it is done. In a peak window the answer is 409 (an *Error, its message
// naming the window and its end); another replica running one is 409 too.
func (c *Client) Overwrite(ctx context.Context) (OverwriteRun, error) {
	var r OverwriteRun
	err := c.call(ctx, http.MethodPost, "/admin/overwrite", nil, &r)
	return r, err
}
