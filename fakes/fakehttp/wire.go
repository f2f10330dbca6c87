package fakehttp

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Marshal encodes v the way the platforms' bodies read: compact, without escaping <, >
// and & (none of them do), and without encoding/json's trailing newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// BaseURL is the scheme and host r came in on, so that Location headers, links and
// instance URLs work behind whatever address the fake listens on.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
