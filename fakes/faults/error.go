package faults

import (
	"fmt"
	"net/http"
)

// ErrorResponse answers with an error in the platform's own shape instead of serving the
// request; nothing happens. Parameters: status (default 500), code and message (default:
// the platform's usual ones for that status), retry_after (a duration; sends Retry-After).
type ErrorResponse struct{ Err Error }

func init() {
	Register("error", "answer with an error in the platform's shape, no effect (status=500, code=, message=, retry_after=)", func(p *Params) (Fault, error) {
		status, err := p.Int("status", http.StatusInternalServerError, 400, 599)
		if err != nil {
			return nil, err
		}
		ra, err := p.Duration("retry_after", 0)
		if err != nil {
			return nil, err
		}
		return ErrorResponse{Err: Error{Status: status, Kind: "error", Code: p.String("code", ""), Message: p.String("message", ""), RetryAfter: ra}}, nil
	})
}

func (e ErrorResponse) Inject(env *Env, w http.ResponseWriter, r *http.Request, _ http.Handler) {
	env.Errors.WriteError(w, r, e.Err)
}

func errMissing(fault, param string) error {
	return fmt.Errorf("fault %s: parameter %s is required", fault, param)
}
