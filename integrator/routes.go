package integrator

import (
	"context"
	"errors"
	"fmt"

	"github.com/peakready/peakready/integrator/queue"
)

// routes maps every topic a flow handles to its handler. Each flow registers its topics
// while New assembles the App (registerOrderFlows, ...); the ingress asks it whether a
// topic is handled, the workers which handler runs a message.
type routes map[string]queue.Handler

// add routes topics to h.
func (r routes) add(h queue.Handler, topics ...string) {
	for _, t := range topics {
		r[t] = h
	}
}

// handles reports whether a flow handles topic.
func (r routes) handles(topic string) bool {
	_, ok := r[topic]
	return ok
}

// ErrUnhandledTopic is the dead-letter cause of messages no flow handles, kept (with
// Config.KeepUnhandledTopics) so that they can be replayed once a flow for them exists.
var ErrUnhandledTopic = errors.New("no flow handles this topic")

// route runs a message's handler; a topic no flow handles is dead-lettered at once.
func (a *App) route(ctx context.Context, m *queue.Message) error {
	if h, ok := a.routes[m.Topic]; ok {
		return h.Handle(ctx, m)
	}
	return queue.Permanent(fmt.Errorf("%s: %w", m.Topic, ErrUnhandledTopic))
}
