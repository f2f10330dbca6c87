package shopify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/peakready/peakready/clock"
)

// BulkQuerier is what a bulk read asks of Shopify. *Client is one.
type BulkQuerier interface {
	RunBulkQuery(ctx context.Context, query string) (string, error)
	BulkOperation(ctx context.Context, id string) (BulkOperation, error)
	DownloadBulk(ctx context.Context, url string, maxBytes int64, read func(io.Reader) error) error
}

// Defaults of BulkRead.
const (
	DefaultBulkPollEvery = 2 * time.Second
	DefaultBulkWait      = time.Hour
	// DefaultMaxBulkBytes bounds a result file: 256 MiB.
	DefaultMaxBulkBytes = 256 << 20
	// MaxBulkLine bounds one JSONL line of a result.
	MaxBulkLine = 1 << 20
)

// ErrBulkFailed is a bulk operation that ended without a result (FAILED, CANCELED,
// EXPIRED) or did not end within BulkRead.Wait.
var ErrBulkFailed = errors.New("shopify: the bulk operation did not complete")

// BulkRead runs one bulk query operation to its result: start it (waiting for another of
// the app's bulk queries to end first: an app runs one at a time), poll bulkOperation(id)
// every PollEvery of Clock until it ends, and stream its JSONL result, cut at MaxBytes.
// A result over the bound is an error, never a partial read.
type BulkRead struct {
	Shopify   BulkQuerier
	PollEvery time.Duration // platform time; default DefaultBulkPollEvery
	Wait      time.Duration // for the other operation and for ours; default DefaultBulkWait
	MaxBytes  int64         // default DefaultMaxBulkBytes
	Clock     clock.Clock   // default the real clock
}

// Run runs query and hands its result to read (an empty reader for a result without
// rows). It returns the operation's id. Not ending COMPLETED within Wait is ErrBulkFailed.
func (b *BulkRead) Run(ctx context.Context, query string, read func(io.Reader) error) (string, error) {
	clk := b.Clock
	if clk == nil {
		clk = clock.Real()
	}
	every, wait := b.PollEvery, b.Wait
	if every <= 0 {
		every = DefaultBulkPollEvery
	}
	if wait <= 0 {
		wait = DefaultBulkWait
	}
	deadline := clk.Now().Add(wait)
	var id string
	for {
		var err error
		id, err = b.Shopify.RunBulkQuery(ctx, query)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrBulkInProgress) {
			return "", fmt.Errorf("shopify: starting a bulk query: %w", err)
		}
		// Another bulk query of the app (a crashed run's, another tool's) runs: wait
		// for it to end, then start ours.
		if !clk.Now().Before(deadline) {
			return "", fmt.Errorf("%w: another bulk query kept running for %s", ErrBulkFailed, wait)
		}
		if err := clk.Sleep(ctx, every); err != nil {
			return "", err
		}
	}
	var op BulkOperation
	for {
		var err error
		if op, err = b.Shopify.BulkOperation(ctx, id); err != nil {
			return id, fmt.Errorf("shopify: polling bulk operation %s: %w", id, err)
		}
		if !op.Running() {
			break
		}
		if !clk.Now().Before(deadline) {
			return id, fmt.Errorf("%w: %s still %s after %s", ErrBulkFailed, id, op.Status, wait)
		}
		if err := clk.Sleep(ctx, every); err != nil {
			return id, err
		}
	}
	if op.Status != "COMPLETED" {
		return id, fmt.Errorf("%w: %s ended %s %s", ErrBulkFailed, id, op.Status, op.ErrorCode)
	}
	if op.URL == "" {
		return id, read(strings.NewReader("")) // a result without rows
	}
	maxBytes := b.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBulkBytes
	}
	if err := b.Shopify.DownloadBulk(ctx, op.URL, maxBytes, read); err != nil {
		return id, fmt.Errorf("shopify: reading bulk operation %s's result: %w", id, err)
	}
	return id, nil
}

// ScanBulkLines hands each line of a JSONL result to line, with its number (from 1). A
// line longer than MaxBulkLine, or a read that fails (a file cut at its bound ends in a
// partial line), is an error.
func ScanBulkLines(r io.Reader, line func(n int, b []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxBulkLine)
	n := 0
	for sc.Scan() {
		n++
		if err := line(n, sc.Bytes()); err != nil {
			if rerr := sc.Err(); rerr != nil {
				return rerr
			}
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}
