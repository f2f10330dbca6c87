package adminapi

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a failed admin API call: the body {"error": "..."} of any non-2xx answer, with
// its HTTP status. The integrator's statuses: 400 for a bad parameter or body, 401 for a
// missing or wrong token, 403 when the admin API is off, 404 for an unknown dead letter
// or an order that is not held, 503 when Redis fails.
//
// Client returns it wrapped with the method and path; errors.As finds it, and errors.Is
// matches it against ErrUnauthorized, ErrDisabled and ErrNotFound by status.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"error"` // empty when a non-2xx answer had no such body
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%d", e.Status)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.Message)
}

// Is reports whether target is the sentinel of e's status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrDisabled:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

var (
	// ErrUnauthorized matches a 401: the token is missing or wrong.
	ErrUnauthorized = errors.New("adminapi: missing or wrong admin token")
	// ErrDisabled matches a 403: the integrator runs without an admin token, so its
	// admin API is off.
	ErrDisabled = errors.New("adminapi: the admin API is disabled")
	// ErrNotFound matches a 404: no such dead letter, or the order is not held (or the
	// server has no such route: it is not a peakready integrator, or an older one).
	ErrNotFound = errors.New("adminapi: not found")
	// ErrTooLarge is an answer longer than the client's limit (WithMaxResponseBytes).
	ErrTooLarge = errors.New("adminapi: answer too large")
)
