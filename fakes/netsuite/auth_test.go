package netsuite

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	const tba = `OAuth realm="123456_SB1",oauth_consumer_key="ck",oauth_token="tok%2B1",oauth_signature_method="HMAC-SHA256",oauth_timestamp="1",oauth_nonce="n",oauth_version="1.0",oauth_signature="sig%3D"`
	cases := []struct {
		name, header, want string
		ok, bearer         bool
	}{
		{"absent", "", "", false, true},
		{"any bearer", "Bearer abc", "", true, true},
		{"bearer scheme is case-insensitive", "bearer abc", "", true, true},
		{"empty bearer", "Bearer ", "", false, true},
		{"basic is refused", "Basic dXNlcjpwYXNz", "", false, true},
		{"any TBA", tba, "", true, false},
		{"TBA token matches (percent-decoded)", tba, "tok+1", true, false},
		{"TBA token differs", tba, "other", false, false},
		{"bearer token matches", "Bearer s3cret", "s3cret", true, true},
		{"bearer token differs", "Bearer s3cre", "s3cret", false, true},
		{"malformed TBA", `OAuth realm="x",oauth_token=unquoted`, "", false, false},
		{"TBA without token when one is required", `OAuth realm="x"`, "x", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, bearer := authenticate(tc.header, tc.want)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.bearer, bearer)
		})
	}
}

func TestAuthOverHTTP(t *testing.T) {
	t.Parallel()
	_, b := setup(t, func(o *Options) { o.Token = "s3cret"; o.Account = "999_SB2" })

	r := b.doAuth(t, http.MethodGet, itemPath, nil, "")
	require.Equal(t, http.StatusUnauthorized, r.status)
	e := r.errorBody(t)
	assert.Equal(t, CodeInvalidLogin, e.Details[0].Code)
	assert.Equal(t, "Unauthorized", e.Title)
	assert.Equal(t, `Bearer realm="999_SB2", error="invalid_token", error_description="Invalid login attempt."`, r.header.Get("WWW-Authenticate"))

	r = b.doAuth(t, http.MethodGet, itemPath, nil, "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.NotEmpty(t, r.header.Get("WWW-Authenticate"))

	r = b.doAuth(t, http.MethodGet, itemPath, nil, `OAuth realm="999_SB2",oauth_token="wrong"`)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Empty(t, r.header.Get("WWW-Authenticate"), "TBA failures carry no Bearer challenge")

	assert.Equal(t, http.StatusOK, b.doAuth(t, http.MethodGet, itemPath, nil, "Bearer s3cret").status)
	assert.Equal(t, http.StatusOK, b.doAuth(t, http.MethodGet, itemPath, nil, `OAuth realm="999_SB2",oauth_token="s3cret",oauth_signature="x"`).status)

	gov := b.doAuth(t, http.MethodGet, governancePath, nil, "")
	assert.Equal(t, http.StatusUnauthorized, gov.status, "governance limits need a login too")
	assert.Equal(t, int64(0), b.srv.gate.Stats().Rejected, "refused logins never reach the concurrency gate")
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Bearer x", `OAuth realm="1",oauth_token="t"`, `OAuth a="%zz"`, `OAuth a="b",`, `OAuth ="x"`, "OAuth", `oauth a="b" , c="d"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseAuthorization(h)
		if err == nil && c.scheme == "bearer" && c.token == "" {
			t.Fatalf("accepted an empty bearer token from %q", h)
		}
		ok, _ := authenticate(h, "required-token")
		if ok && c.token != "required-token" {
			t.Fatalf("accepted %q without the required token", h)
		}
	})
}
