package faults

import "net/http"

// Maintenance answers 503 in the platform's maintenance wording, with no effect; give it
// windows to model a scheduled maintenance. Parameters: message, retry_after.
type Maintenance struct{ Err Error }

func init() {
	Register("maintenance", "answer 503 service unavailable in the platform's maintenance wording, no effect (message=, retry_after=)", func(p *Params) (Fault, error) {
		ra, err := p.Duration("retry_after", 0)
		if err != nil {
			return nil, err
		}
		return Maintenance{Err: Error{Status: http.StatusServiceUnavailable, Kind: "maintenance", Message: p.String("message", ""), RetryAfter: ra}}, nil
	})
}

func (m Maintenance) Inject(env *Env, w http.ResponseWriter, r *http.Request, _ http.Handler) {
	env.Errors.WriteError(w, r, m.Err)
}
