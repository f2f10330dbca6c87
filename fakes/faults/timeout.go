package faults

import (
	"net/http"
	"time"
)

// Timeout holds a request without doing it until the client gives up, or until hold has
// passed (default 15m, NetSuite's REST request timeout), when it answers 504 in the
// platform's shape. Nothing happens: compare commit-then-drop, where the effect does.
type Timeout struct{ Hold time.Duration }

func init() {
	Register("timeout", "hold the request without effect until the client gives up or hold passes, then 504 (hold=15m)", func(p *Params) (Fault, error) {
		hold, err := p.Duration("hold", 15*time.Minute)
		if err != nil {
			return nil, err
		}
		return Timeout{Hold: hold}, nil
	})
}

func (t Timeout) Inject(env *Env, w http.ResponseWriter, r *http.Request, _ http.Handler) {
	if env.Clock.Sleep(r.Context(), t.Hold) != nil {
		return
	}
	env.Errors.WriteError(w, r, Error{Status: http.StatusGatewayTimeout, Kind: "timeout"})
}
