package queue

import (
	"math/rand/v2"
	"sync"
	"time"
)

// BackoffFunc returns the delay before retrying a message whose delivery number attempt
// (1 = first) failed. It must be safe for concurrent use.
type BackoffFunc func(attempt int) time.Duration

// ExponentialBackoff returns "full jitter" exponential backoff: after attempt n the delay
// is uniformly random in [0, min(ceiling, base·2^(n-1))). Jitter draws from rnd, guarded
// by a mutex; a nil rnd uses a randomly seeded source. Pass a seeded source
// (rand.New(rand.NewPCG(1, 2))) for repeatable schedules.
//
// The queue's default is ExponentialBackoff(time.Second, 10*time.Minute, nil): caps of
// 1 s, 2 s, 4 s … 512 s, then 10 min from the 11th attempt.
func ExponentialBackoff(base, ceiling time.Duration, rnd *rand.Rand) BackoffFunc {
	var mu sync.Mutex
	float := rand.Float64
	if rnd != nil {
		float = func() float64 {
			mu.Lock()
			defer mu.Unlock()
			return rnd.Float64()
		}
	}
	return func(attempt int) time.Duration {
		limit := ceiling
		if attempt < 1 {
			attempt = 1
		}
		if attempt <= 62 {
			if d := base << (attempt - 1); d > 0 && d < ceiling && d>>(attempt-1) == base {
				limit = d
			}
		}
		return time.Duration(float() * float64(limit))
	}
}
