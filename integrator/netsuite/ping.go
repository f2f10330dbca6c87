package netsuite

import (
	"context"
	"errors"
	"net/http"
)

// Ping makes the cheapest authenticated call NetSuite answers, one entry of the sales
// order list, and returns its classified error: the probe that tells whether NetSuite is
// back after an outage without risking a write.
func (c *Client) Ping(ctx context.Context) error {
	_, _, err := c.do(ctx, "ping", http.MethodGet, "/services/rest/record/v1/salesOrder?limit=1", nil)
	return err
}

// IsUnavailable reports a 503: NetSuite as a whole is down (a maintenance window), not
// the request. Retrying the request cannot help until it is back.
func IsUnavailable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusServiceUnavailable
}
