package overwrite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Progress records what a run did, under its run id, so that a run that stopped (a
// crash, a peak window, an error) resumes where it stopped and a run that completed is
// not done twice. Implementations are safe for concurrent use.
type Progress interface {
	// Load returns the SKUs the run already wrote or found equal, and its summary when
	// it completed (nil otherwise).
	Load(ctx context.Context, runID string) (done map[string]bool, completed *Summary, err error)
	// MarkDone records skus as done in the run.
	MarkDone(ctx context.Context, runID string, skus []string) error
	// Complete records the run's summary: a later run with its id does nothing.
	Complete(ctx context.Context, runID string, s Summary) error
}

// DefaultKeepProgress is how long a run's record stays in Redis.
const DefaultKeepProgress = 7 * 24 * time.Hour

// RedisProgress is Progress in Redis: a set of done SKUs and a summary key per run, both
// expiring after Keep (default DefaultKeepProgress).
type RedisProgress struct {
	Redis  redis.UniversalClient
	Prefix string // e.g. "peakready:overwrite"
	Keep   time.Duration
}

func (p *RedisProgress) keys(runID string) (done, summary string) {
	k := p.Prefix + ":run:{" + runID + "}"
	return k + ":done", k + ":summary"
}

func (p *RedisProgress) keep() time.Duration { return orDefault(p.Keep, DefaultKeepProgress) }

// Load implements Progress.
func (p *RedisProgress) Load(ctx context.Context, runID string) (map[string]bool, *Summary, error) {
	doneKey, sumKey := p.keys(runID)
	raw, err := p.Redis.Get(ctx, sumKey).Result()
	switch {
	case err == nil:
		var s Summary
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return nil, nil, fmt.Errorf("overwrite: run %s's summary: %w", runID, err)
		}
		return nil, &s, nil
	case !errors.Is(err, redis.Nil):
		return nil, nil, fmt.Errorf("overwrite: reading run %s: %w", runID, err)
	}
	skus, err := p.Redis.SMembers(ctx, doneKey).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("overwrite: reading run %s's done SKUs: %w", runID, err)
	}
	done := make(map[string]bool, len(skus))
	for _, s := range skus {
		done[s] = true
	}
	return done, nil, nil
}

// MarkDone implements Progress.
func (p *RedisProgress) MarkDone(ctx context.Context, runID string, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	doneKey, _ := p.keys(runID)
	members := make([]any, len(skus))
	for i, s := range skus {
		members[i] = s
	}
	_, err := p.Redis.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.SAdd(ctx, doneKey, members...)
		tx.Expire(ctx, doneKey, p.keep())
		return nil
	})
	if err != nil {
		return fmt.Errorf("overwrite: recording run %s's progress: %w", runID, err)
	}
	return nil
}

// Complete implements Progress.
func (p *RedisProgress) Complete(ctx context.Context, runID string, s Summary) error {
	doneKey, sumKey := p.keys(runID)
	b, _ := json.Marshal(s)
	_, err := p.Redis.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.Set(ctx, sumKey, b, p.keep())
		tx.Del(ctx, doneKey)
		return nil
	})
	if err != nil {
		return fmt.Errorf("overwrite: recording run %s as complete: %w", runID, err)
	}
	return nil
}

// ErrRunning is Run's error when another replica holds the overwrite's lock.
var ErrRunning = errors.New("overwrite: another replica is running the stock overwrite")

// DefaultLease is how long the lock outlives a replica that stops renewing it (wall
// time: Redis counts it).
const DefaultLease = 30 * time.Second

// RedisLock lets one replica run the overwrite at a time: a key set if absent with a
// lease, renewed while the run lasts; a crashed holder's lease expires.
type RedisLock struct {
	Redis redis.UniversalClient
	Key   string
	Lease time.Duration // default DefaultLease
}

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// Hold takes the lock and keeps renewing it (every third of the lease) until release is
// called; lost is closed when the lock could not be renewed (Redis lost it, or the lease
// expired meanwhile): the holder must stop. ErrRunning when another holds it.
func (l *RedisLock) Hold(ctx context.Context) (release func(), lost <-chan struct{}, err error) {
	lease := orDefault(l.Lease, DefaultLease)
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	ok, err := l.Redis.SetNX(ctx, l.Key, token, lease).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("overwrite: taking the lock: %w", err)
	}
	if !ok {
		return nil, nil, ErrRunning
	}
	stop, lostCh, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n, err := renewScript.Run(context.WithoutCancel(ctx), l.Redis, []string{l.Key}, token, lease.Milliseconds()).Int()
				if err != nil || n != 1 {
					close(lostCh)
					return
				}
			}
		}
	}()
	release = func() {
		close(stop)
		<-done
		_ = releaseScript.Run(context.WithoutCancel(ctx), l.Redis, []string{l.Key}, token).Err()
	}
	return release, lostCh, nil
}
