package throttle

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// RateLimitPolicy is the policyName of a HubSpot 429 answer.
type RateLimitPolicy string

// HubSpot's rate-limit policies.
const (
	PolicyTenSecondlyRolling RateLimitPolicy = "TEN_SECONDLY_ROLLING" // burst limit per 10 s
	PolicyDaily              RateLimitPolicy = "DAILY"                // daily limit; resets at the account's midnight
	PolicySecondly           RateLimitPolicy = "SECONDLY"             // CRM search's per-second limit (no policyName in the body)
)

// ErrMalformedRateLimitError is wrapped by ParseRateLimitError's errors.
var ErrMalformedRateLimitError = errors.New("throttle: malformed HubSpot rate-limit body")

// RateLimitError is HubSpot's 429 body:
//
//	{"status":"error","message":"You have reached your ten_secondly_rolling limit.",
//	 "errorType":"RATE_LIMIT","correlationId":"…","policyName":"TEN_SECONDLY_ROLLING"}
type RateLimitError struct {
	Policy        RateLimitPolicy `json:"policyName"`
	Message       string          `json:"message"`
	ErrorType     string          `json:"errorType"`
	CorrelationID string          `json:"correlationId"`
}

// maxRateLimitBody bounds the body ParseRateLimitError reads.
const maxRateLimitBody = 64 << 10

// ParseRateLimitError reads a HubSpot 429 body. The policy is policyName when present;
// otherwise it is inferred from the message ("daily limit" → DAILY, "secondly limit" →
// SECONDLY, anything else → TEN_SECONDLY_ROLLING). An unreadable body returns an error
// wrapping ErrMalformedRateLimitError together with Policy TEN_SECONDLY_ROLLING, the
// safe reading (wait one window, do not give up).
func ParseRateLimitError(body []byte) (RateLimitError, error) {
	fallback := RateLimitError{Policy: PolicyTenSecondlyRolling}
	if len(body) > maxRateLimitBody {
		return fallback, fmt.Errorf("%w: %d bytes", ErrMalformedRateLimitError, len(body))
	}
	var e RateLimitError
	if err := json.Unmarshal(body, &e); err != nil {
		return fallback, fmt.Errorf("%w: %v", ErrMalformedRateLimitError, err)
	}
	e.Policy = RateLimitPolicy(strings.ToUpper(strings.TrimSpace(string(e.Policy))))
	if len(e.Policy) > 64 {
		e.Policy = "" // not a policy name: infer it
	}
	if e.Policy == "" {
		msg := strings.ToLower(e.Message)
		switch {
		case strings.Contains(msg, "daily limit"):
			e.Policy = PolicyDaily
		case strings.Contains(msg, "ten_secondly"):
			e.Policy = PolicyTenSecondlyRolling
		case strings.Contains(msg, "secondly limit"):
			e.Policy = PolicySecondly
		default:
			e.Policy = PolicyTenSecondlyRolling
		}
	}
	return e, nil
}
