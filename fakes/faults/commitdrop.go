package faults

import (
	"net/http"
	"time"
)

// CommitThenDrop serves the request (the record is created, the stock decremented) and
// then never lets the client see the answer: mode=reset resets the connection, mode=stall
// holds it until the client gives up (or hold passes) and then resets it. This is how
// real duplicates are born: the ERP committed, the client timed out, the retry creates
// the record again unless the integration is idempotent.
type CommitThenDrop struct {
	Stall bool
	Hold  time.Duration
}

func init() {
	Register("commit-then-drop", "apply the effect, then reset or stall so the client never sees the answer (mode=reset|stall, hold=10m)", func(p *Params) (Fault, error) {
		mode, err := p.OneOf("mode", "reset", "reset", "stall")
		if err != nil {
			return nil, err
		}
		hold, err := p.Duration("hold", 10*time.Minute)
		if err != nil {
			return nil, err
		}
		return CommitThenDrop{Stall: mode == "stall", Hold: hold}, nil
	})
}

func (c CommitThenDrop) Inject(env *Env, w http.ResponseWriter, r *http.Request, next http.Handler) {
	next.ServeHTTP(&discardWriter{w: w}, r)
	if c.Stall {
		_ = env.Clock.Sleep(r.Context(), c.Hold)
	}
	resetConnection(w)
}

// discardWriter lets the platform handler run to completion while nothing reaches the
// client. It still unwraps to the real writer so the connection can be taken over.
type discardWriter struct {
	w      http.ResponseWriter
	header http.Header
}

func (d *discardWriter) Header() http.Header {
	if d.header == nil {
		d.header = http.Header{}
	}
	return d.header
}
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
