package fakehttp

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarshalIsCompactAndDoesNotEscapeHTML(t *testing.T) {
	t.Parallel()
	b, err := Marshal(map[string]any{"q": "a<b && c>d", "n": []int{1, 2}})
	require.NoError(t, err)
	assert.Equal(t, `{"n":[1,2],"q":"a<b && c>d"}`, string(b))
	_, err = Marshal(func() {})
	assert.Error(t, err)
}

func TestBaseURLIsWhereTheRequestCameIn(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "http://127.0.0.1:8085/crm/v3/objects/contacts?limit=1", nil)
	assert.Equal(t, "http://127.0.0.1:8085", BaseURL(r))
	r.TLS = &tls.ConnectionState{}
	assert.Equal(t, "https://127.0.0.1:8085", BaseURL(r))
}
