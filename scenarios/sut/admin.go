package sut

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/adminapi"
)

// adminObserver sees a peakready integrator's queue and what it held and dead-lettered
// through its admin API: the bundled integrator's, and a deployed one's (an external
// system with an admin section).
type adminObserver struct {
	client *adminapi.Client
	// audits has no timeout of its own: an audit of a busy week takes minutes, bounded
	// by the caller's context.
	audits *adminapi.Client
}

var (
	_ QueueObserver = adminObserver{}
	_ LimitObserver = adminObserver{}
)

func newAdminObserver(url, token string) (adminObserver, error) {
	c, err := adminapi.New(url, token)
	if err != nil {
		return adminObserver{}, err
	}
	audits, err := adminapi.New(url, token, adminapi.WithHTTPClient(&http.Client{}))
	if err != nil {
		return adminObserver{}, err
	}
	return adminObserver{client: c, audits: audits}, nil
}

func (o adminObserver) QueueStats(ctx context.Context) (QueueStats, error) {
	st, err := o.client.QueueStats(ctx)
	if err != nil {
		return QueueStats{}, err
	}
	return QueueStats{Messages: st.Messages, DeadLetters: st.DeadLetters, Retried: st.Retried, Snoozed: st.Snoozed,
		OldestAge: time.Duration(st.OldestMessageSeconds * float64(time.Second))}, nil
}

// LimitStats reads the shared limiters through GET /admin/limits: the NetSuite gate's
// waiters and effective limit, and what the Shopify cost-bucket mirror owes (its
// available points below zero while reservations wait).
func (o adminObserver) LimitStats(ctx context.Context) (LimitStats, error) {
	l, err := o.client.Limits(ctx)
	if err != nil {
		return LimitStats{}, err
	}
	st := LimitStats{NetSuiteWaiters: -1, NetSuiteShare: -1, ShopifyOwed: -1}
	if g := l.NetSuiteConcurrency; g != nil {
		st.NetSuiteWaiters, st.NetSuiteShare = g.Waiters, g.EffectiveLimit
	}
	if b := l.ShopifyCostBucket; b != nil {
		st.ShopifyOwed = max(0, -b.Available)
	}
	return st, nil
}

// accounted reads the held orders and the dead letters. The admin API lists at most
// adminapi.MaxDeadLetterLimit dead letters; more is an error rather than a silent gap.
func (o adminObserver) accounted(ctx context.Context) (Accounted, error) {
	acc := Accounted{Held: map[int64]bool{}, DeadLettered: map[int64]string{}}
	held, err := o.client.Held(ctx)
	if err != nil {
		return acc, fmt.Errorf("held orders: %w", err)
	}
	for _, h := range held {
		acc.Held[h.OrderID] = true
	}
	dead, err := o.client.DeadLetters(ctx, adminapi.DLQFilter{}, adminapi.MaxDeadLetterLimit)
	if err != nil {
		return acc, fmt.Errorf("dead letters: %w", err)
	}
	if len(dead) >= adminapi.MaxDeadLetterLimit {
		return acc, fmt.Errorf("dead letters: more than %d, which the admin API lists at most: account for them by hand", adminapi.MaxDeadLetterLimit)
	}
	for _, d := range dead {
		if id, ok := OrderIDOfKey(d.Key); ok {
			acc.DeadLettered[id] = d.Reason + ": " + d.LastError
		}
	}
	if acc.InvalidEmails, err = o.invalidEmails(ctx); err != nil {
		return acc, fmt.Errorf("invalid e-mails: %w", err)
	}
	return acc, nil
}

// overwrite asks the integrator for a stock overwrite (POST /admin/overwrite); a 409
// naming a peak window is ErrOverwritePeakWindow.
func (o adminObserver) overwrite(ctx context.Context) error {
	_, err := o.client.Overwrite(ctx)
	var ae *adminapi.Error
	if errors.As(err, &ae) && ae.Status == http.StatusConflict && strings.Contains(ae.Message, "peak window") {
		return fmt.Errorf("%w: %s", ErrOverwritePeakWindow, ae.Message)
	}
	return err
}
