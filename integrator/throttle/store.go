package throttle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
)

// DefaultPrefix is the prefix of every Redis key of a limiter unless its config says
// otherwise.
const DefaultPrefix = "peakready:throttle"

func millis(t time.Time) int64 { return t.UnixMilli() }

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// common holds what every limiter shares: its Redis, its key tag, its clock and logger.
type common struct {
	rdb    redis.UniversalClient
	kind   string // "gate", "cost", ...
	name   string
	tag    string // {prefix:kind:name}
	clock  clock.Clock
	logger *slog.Logger
}

func newCommon(rdb redis.UniversalClient, kind, name, prefix string, c clock.Clock, l *slog.Logger) (common, error) {
	if rdb == nil {
		return common{}, fmt.Errorf("throttle: %s %q: a Redis client is required", kind, name)
	}
	if name == "" {
		return common{}, fmt.Errorf("throttle: %s: Name is required (e.g. the upstream's name)", kind)
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if strings.ContainsAny(name, "{}") || strings.ContainsAny(prefix, "{}") {
		return common{}, fmt.Errorf("throttle: %s %q: Name and Prefix must not contain '{' or '}'", kind, name)
	}
	if c == nil {
		c = clock.Real()
	}
	if l == nil {
		l = slog.Default()
	}
	l = l.With("limiter", kind, "upstream", name)
	return common{rdb: rdb, kind: kind, name: name, tag: "{" + prefix + ":" + kind + ":" + name + "}", clock: c, logger: l}, nil
}

// key returns the limiter's key named suffix; all of them share the limiter's hash tag.
func (c *common) key(suffix string) string { return c.tag + ":" + suffix }

// run executes script (EVALSHA, falling back to EVAL) and turns a failure into a
// *StoreError, or the context's error when ctx ended.
func (c *common) run(ctx context.Context, op string, s *redis.Script, keys []string, args ...any) ([]any, error) {
	res, err := s.Run(ctx, c.rdb, keys, args...).Slice()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("throttle: %s %s: %s: %w", c.kind, c.name, op, ctx.Err())
		}
		return nil, &StoreError{Limiter: c.kind, Upstream: c.name, Op: op, Err: err}
	}
	return res, nil
}

// Reply decoding helpers: scripts return integers, strings (for fractions) and tables.

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func asStrings(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, asString(x))
	}
	return out
}

// asCounters reads an HGETALL-style flat list into a map.
func asCounters(v any) map[string]int64 {
	xs, _ := v.([]any)
	m := make(map[string]int64, len(xs)/2)
	for i := 0; i+1 < len(xs); i += 2 {
		m[asString(xs[i])] = asInt(xs[i+1])
	}
	return m
}

// fmtFloat renders f for a script argument without losing precision.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// detached returns a context for clean-up work after ctx ended: it keeps ctx's values,
// drops its cancellation and is bounded by d.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// newToken returns a random token for a breaker probe or a window entry.
func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
