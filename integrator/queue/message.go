package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Message is one unit of work. Key orders it: messages with the same Key are delivered
// one at a time, in the order their Enqueue calls returned.
type Message struct {
	// ID identifies the message; Enqueue generates a time-ordered 26-character id when
	// it is empty. It need not be unique for the queue to work, but dead-letter look-ups
	// and the at-least-once accounting of callers rely on it.
	ID string
	// Key is the ordering key (group). Required.
	Key string
	// Topic says what kind of message it is, for handlers and dead-letter filters.
	Topic   string
	Payload []byte
	Headers map[string]string
	// EnqueuedAt is set by Enqueue from the queue's clock (millisecond precision).
	EnqueuedAt time.Time
	// Attempt is 1 on the first delivery and counts every delivery since, including
	// redeliveries after a lease expired; snoozed and released deliveries give their
	// attempt back, so a redelivery after a snooze has the same Attempt.
	Attempt int
	// Snoozes counts the deliveries that ended in a snooze.
	Snoozes int
}

// encode appends m's stored form: "<enqueuedAtMs>|<len(id)>|<id>" (read by the scripts),
// then uvarint-length-prefixed topic and headers, then the payload to the end.
func encode(buf []byte, m *Message) []byte {
	buf = strconv.AppendInt(buf, m.EnqueuedAt.UnixMilli(), 10)
	buf = append(buf, '|')
	buf = strconv.AppendInt(buf, int64(len(m.ID)), 10)
	buf = append(buf, '|')
	buf = append(buf, m.ID...)
	buf = binary.AppendUvarint(buf, uint64(len(m.Topic)))
	buf = append(buf, m.Topic...)
	buf = binary.AppendUvarint(buf, uint64(len(m.Headers)))
	for k, v := range m.Headers {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return append(buf, m.Payload...)
}

func encodedSize(m *Message) int {
	n := 40 + len(m.ID) + len(m.Topic) + len(m.Payload)
	for k, v := range m.Headers {
		n += 20 + len(k) + len(v)
	}
	return n
}

var errCorrupt = errors.New("queue: corrupt stored message")

// decode parses a stored message into m (Key, Attempt and Snoozes are not stored).
func decode(s string, m *Message) error {
	i := 0
	num := func() (int64, error) {
		j := i
		for j < len(s) && s[j] != '|' {
			j++
		}
		if j == len(s) {
			return 0, errCorrupt
		}
		v, err := strconv.ParseInt(s[i:j], 10, 64)
		i = j + 1
		return v, err
	}
	enq, err := num()
	if err != nil {
		return errCorrupt
	}
	idLen, err := num()
	if err != nil || idLen < 0 || i+int(idLen) > len(s) {
		return errCorrupt
	}
	m.ID = s[i : i+int(idLen)]
	i += int(idLen)
	str := func() (string, error) {
		n, w := uvarint(s[i:])
		if w <= 0 || uint64(len(s)-i-w) < n {
			return "", errCorrupt
		}
		v := s[i+w : i+w+int(n)]
		i += w + int(n)
		return v, nil
	}
	if m.Topic, err = str(); err != nil {
		return err
	}
	nh, w := uvarint(s[i:])
	if w <= 0 || nh > uint64(len(s)) {
		return errCorrupt
	}
	i += w
	m.Headers = nil
	if nh > 0 {
		m.Headers = make(map[string]string, nh)
		for range nh {
			k, err := str()
			if err != nil {
				return err
			}
			v, err := str()
			if err != nil {
				return err
			}
			m.Headers[k] = v
		}
	}
	m.EnqueuedAt = time.UnixMilli(enq)
	m.Payload = []byte(s[i:])
	return nil
}

func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// idSource makes ULID-like ids: 48 bits of milliseconds and 80 random bits in
// Crockford base32, so ids sort by creation time and never collide in practice.
type idSource struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

func newIDSource() *idSource {
	var seed [32]byte
	for i := 0; i < 32; i += 8 {
		binary.LittleEndian.PutUint64(seed[i:], rand.Uint64())
	}
	return &idSource{rng: rand.NewChaCha8(seed)}
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func (s *idSource) next(t time.Time) string {
	s.mu.Lock()
	hi, lo := s.rng.Uint64(), s.rng.Uint64()
	s.mu.Unlock()
	var b [26]byte
	msec := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[msec&31]
		msec >>= 5
	}
	// 80 random bits: 16 of hi and 64 of lo.
	r := [2]uint64{hi & 0xffff, lo}
	for i := 25; i >= 10; i-- {
		b[i] = crockford[r[1]&31]
		r[1] = r[1]>>5 | (r[0]&31)<<59
		r[0] >>= 5
	}
	return string(b[:])
}

func (m Message) validate() error {
	if m.Key == "" {
		return errors.New("queue: message has no key")
	}
	if len(m.ID) > 1024 {
		return fmt.Errorf("queue: message id longer than 1024 bytes")
	}
	return nil
}
