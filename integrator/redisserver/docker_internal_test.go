package redisserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPublishAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		daemon, bind, host string
	}{
		{"unix:///var/run/docker.sock", "127.0.0.1", "127.0.0.1"},
		{"npipe:////./pipe/docker_engine", "127.0.0.1", "127.0.0.1"},
		{"tcp://127.0.0.1:2375", "127.0.0.1", "127.0.0.1"},
		// A docker:dind service: its ports are on its own host, on every interface.
		{"tcp://docker:2376", "invalid IP", "docker"},
		{"tcp://10.0.0.7:2375", "invalid IP", "10.0.0.7"},
		{"ssh://me@host", "127.0.0.1", "127.0.0.1"},
	} {
		bind, host := publishAddress(tc.daemon)
		assert.Equal(t, tc.bind, bind.String(), tc.daemon)
		assert.Equal(t, tc.host, host, tc.daemon)
	}
}
