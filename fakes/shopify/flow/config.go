package flow

import (
	"flag"
	"fmt"
	"time"
)

// Defaults of Config.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRetryFor   = 24 * time.Hour
	DefaultRetryBase  = time.Minute
	DefaultRetryMax   = time.Hour
	DefaultRunLogSize = 10_000
)

// Config configures the Shopify Flow side: the merchant's workflows and how "Send HTTP
// request" behaves. The zero value of every field means its documented default.
type Config struct {
	// Workflows run on every inventory change; PUT /_fake/flow/workflows replaces them.
	Workflows []Workflow
	// Timeout bounds each request, to the end of the response (DefaultTimeout, 30 s).
	// A timeout is retried like a server error, whatever the policy.
	Timeout time.Duration
	// RetryFor is how long after the first attempt a request is retried
	// (DefaultRetryFor, 24 h).
	RetryFor time.Duration
	// RetryBase is the wait before the first retry; each retry waits twice as long as the
	// one before, up to RetryMax (DefaultRetryBase 1 min, DefaultRetryMax 1 h: 1, 2, 4, 8,
	// 16, 32 min, then hourly). A 429 with Retry-After waits what it says instead.
	RetryBase time.Duration
	RetryMax  time.Duration
	// RunLogSize is how many runs GET /_fake/flow/runs keeps (DefaultRunLogSize).
	RunLogSize int
}

func (c Config) withDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RetryFor == 0 {
		c.RetryFor = DefaultRetryFor
	}
	if c.RetryBase == 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.RetryMax == 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.RunLogSize == 0 {
		c.RunLogSize = DefaultRunLogSize
	}
	return c
}

// backoff is the wait after the (n+1)th failed attempt: RetryBase doubled n times, at
// most RetryMax. The doubling is checked before it is made, so it never wraps around.
func (c Config) backoff(n int) time.Duration {
	if n < 63 && c.RetryBase <= c.RetryMax>>n {
		return c.RetryBase << n
	}
	return c.RetryMax
}

// Validate reports the first impossible setting, workflows included. A message names
// the setting as its flag does, without the "flow-" prefix (webhooks.Config.Validate
// adds it): "timeout -1s must be positive".
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("timeout %s must be positive", c.Timeout)
	case c.RetryFor < 0:
		return fmt.Errorf("retry-for %s must not be negative", c.RetryFor)
	case c.RetryBase < 0:
		return fmt.Errorf("retry-base %s must be positive", c.RetryBase)
	case c.RetryMax < c.RetryBase:
		return fmt.Errorf("retry-max %s must not be below flow-retry-base %s", c.RetryMax, c.RetryBase)
	case c.RunLogSize < 1:
		return fmt.Errorf("run log size %d must be at least 1", c.RunLogSize)
	}
	if _, err := compileWorkflows(c.Workflows); err != nil {
		return fmt.Errorf("workflows: %w", err)
	}
	return nil
}

// RegisterFlags adds the --flow-* flags to fs, each writing into c, with c's current
// values (or the defaults) shown as defaults. --flow-workflows reads and validates the
// file when it is parsed; call c.Validate after parsing for the checks between flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	*c = c.withDefaults()
	fs.Func("flow-workflows", "JSON file of Flow workflows ([...] or {\"workflows\": [...]})", func(v string) error {
		ws, err := LoadWorkflows(v)
		if err != nil {
			return err
		}
		c.Workflows = ws
		return nil
	})
	fs.DurationVar(&c.Timeout, "flow-timeout", c.Timeout, "Flow HTTP request timeout")
	fs.DurationVar(&c.RetryFor, "flow-retry-for", c.RetryFor, "how long Flow retries a request after its first attempt")
	fs.DurationVar(&c.RetryBase, "flow-retry-base", c.RetryBase, "wait before Flow's first retry (doubling after)")
	fs.DurationVar(&c.RetryMax, "flow-retry-max", c.RetryMax, "longest wait between Flow retries")
}
