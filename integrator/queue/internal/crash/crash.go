// Package crash lets the queue's own tests make a handler vanish the way a killed worker
// does: its delivery is neither settled nor heartbeated, so its lease expires and the
// message is redelivered. Only packages under integrator/queue can import it.
package crash

import "context"

type key struct{}

// With returns ctx carrying abandon, which the Processor sets up per delivery.
func With(ctx context.Context, abandon func()) context.Context {
	return context.WithValue(ctx, key{}, abandon)
}

// Abandon marks the delivery handled under ctx as abandoned: when the handler returns,
// the Processor drops it as if the worker had crashed. It reports whether ctx came from
// a Processor.
func Abandon(ctx context.Context) bool {
	f, ok := ctx.Value(key{}).(func())
	if ok {
		f()
	}
	return ok
}
