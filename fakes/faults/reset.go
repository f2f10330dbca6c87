package faults

import (
	"net"
	"net/http"
)

// Reset drops the connection with a TCP reset before the request is served: the client
// sees ECONNRESET and nothing happened.
type Reset struct{}

func init() {
	Register("reset", "reset the connection before serving, no effect", func(*Params) (Fault, error) { return Reset{}, nil })
}

func (Reset) Inject(_ *Env, w http.ResponseWriter, _ *http.Request, _ http.Handler) {
	resetConnection(w)
}

// resetConnection closes the client's connection with RST (SO_LINGER 0). Where the
// connection cannot be taken over (HTTP/2), the response is aborted instead.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
