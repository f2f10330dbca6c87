package fakehttp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUUIDv4SetsVersionAndVariant(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "01234567-89ab-4def-bedc-ba9876543210", UUIDv4(0x0123456789abcdef, 0xfedcba9876543210))
	assert.Equal(t, "00000000-0000-4000-8000-000000000000", UUIDv4(0, 0))
	assert.Equal(t, "ffffffff-ffff-4fff-bfff-ffffffffffff", UUIDv4(^uint64(0), ^uint64(0)))
}
