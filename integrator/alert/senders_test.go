package alert

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sample = Message{
	Alert: Alert{Condition: DeadLetters, Severity: Critical, Summary: "3 messages dead-lettered <order:1>",
		Details: []string{"order:1 max-attempts: netsuite 500"}, At: time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)},
	Count: 3, First: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Source: "peakready integrator",
}

func TestSlackPostsTheMessage(t *testing.T) {
	var got map[string]string
	var contentType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType = r.Header.Get("Content-Type")
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	s, err := NewSlack(srv.URL+"/services/T000/B000/XXXX", nil)
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), sample))
	assert.Equal(t, "application/json", contentType)
	assert.Contains(t, got["text"], "*[peakready] critical dead_letters: 3 messages dead-lettered &lt;order:1&gt; (×3)*")
	assert.Contains(t, got["text"], "order:1 max-attempts")
	assert.Contains(t, got["text"], "3 occurrences since 2026-11-27T09:00:00Z")
}

func TestSlackErrorsSayWhyAndHideTheURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/limited") {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "no_service")
	}))
	defer srv.Close()
	s, err := NewSlack(srv.URL+"/secret-token/limited", nil)
	require.NoError(t, err)
	err = s.Send(context.Background(), sample)
	assert.ErrorContains(t, err, "429 rate limited, retry after 30s")
	s, _ = NewSlack(srv.URL+"/secret-token/gone", nil)
	err = s.Send(context.Background(), sample)
	assert.ErrorContains(t, err, "404 no_service")
	assert.NotContains(t, err.Error(), "secret-token")
	s, _ = NewSlack("http://127.0.0.1:1/secret-token", nil)
	err = s.Send(context.Background(), sample)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-token", "a connection error does not print the URL")
	_, err = NewSlack("not a url", nil)
	assert.Error(t, err)
}

// smtpServer is an in-process SMTP server (emersion/go-smtp) that requires STARTTLS and
// PLAIN authentication and keeps every message it accepts.
type smtpServer struct {
	addr     string
	caPool   *x509.CertPool
	mu       sync.Mutex
	messages []capturedMail
}

type capturedMail struct {
	from string
	to   []string
	data string
}

type smtpSession struct {
	srv  *smtpServer
	auth bool
	cur  capturedMail
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret-pass" {
			return errors.New("invalid credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.cur = capturedMail{from: from}
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, s.cur)
	s.srv.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	// Borrow httptest's self-signed certificate for 127.0.0.1.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	cert := tlsSrv.TLS.Certificates[0]
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	tlsSrv.Close()

	s := &smtpServer{caPool: pool}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.addr = ln.Addr().String()
	return s
}

func TestEmailSendsOverSTARTTLSWithAuth(t *testing.T) {
	srv := startSMTP(t)
	e, err := NewEmail(EmailConfig{Addr: srv.addr, From: "peakready@example.com", To: []string{"ops@example.com", "oncall@example.com"},
		Username: "alerts", Password: "s3cret-pass", TLSConfig: &tls.Config{RootCAs: srv.caPool, ServerName: "127.0.0.1"}})
	require.NoError(t, err)
	m := sample
	m.Summary = "evil\r\nBcc: attacker@example.com"
	require.NoError(t, e.Send(context.Background(), m))

	require.Len(t, srv.messages, 1)
	got := srv.messages[0]
	assert.Equal(t, "peakready@example.com", got.from)
	assert.Equal(t, []string{"ops@example.com", "oncall@example.com"}, got.to)
	msg, err := mail.ReadMessage(strings.NewReader(got.data))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, "[peakready] critical dead_letters: evil  Bcc: attacker@example.com (×3)", subject)
	assert.Empty(t, msg.Header.Get("Bcc"), "a summary cannot add a header")
	assert.Equal(t, "text/plain; charset=utf-8", msg.Header.Get("Content-Type"))
	body, _ := io.ReadAll(msg.Body)
	assert.Contains(t, string(body), "order:1 max-attempts")
}

func TestEmailRefusesToSendAPasswordInClear(t *testing.T) {
	_, err := NewEmail(EmailConfig{Addr: "127.0.0.1:25", From: "a@example.com", To: []string{"b@example.com"}, Password: "p", TLS: TLSNone})
	assert.ErrorContains(t, err, "never sent without TLS")
	srv := startSMTP(t)
	e, err := NewEmail(EmailConfig{Addr: srv.addr, From: "a@example.com", To: []string{"b@example.com"}, Username: "alerts", Password: "s3cret-pass",
		TLSConfig: &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "127.0.0.1"}})
	require.NoError(t, err)
	err = e.Send(context.Background(), sample)
	require.Error(t, err, "an untrusted certificate stops the send")
	assert.NotContains(t, err.Error(), "s3cret-pass")
	assert.Empty(t, srv.messages)
}

func TestEmailConfigErrors(t *testing.T) {
	for _, cfg := range []EmailConfig{
		{Addr: "no-port", From: "a@example.com", To: []string{"b@example.com"}},
		{Addr: "h:25", From: "not an address", To: []string{"b@example.com"}},
		{Addr: "h:25", From: "a@example.com"},
		{Addr: "h:25", From: "a@example.com", To: []string{"b@example.com"}, TLS: "ssl3"},
	} {
		_, err := NewEmail(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}
