package salesforce

import (
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// buffers recycles response buffers: rendering a record is the hot path of a GET.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// writeRendered writes what render appends to a pooled buffer, with status.
func writeRendered(w http.ResponseWriter, status int, render func([]byte) []byte) {
	bp := buffers.Get().(*[]byte)
	b := render((*bp)[:0])
	writeRaw(w, status, b)
	if cap(b) <= 64<<10 { // keep large query pages out of the pool
		*bp = b[:0]
		buffers.Put(bp)
	}
}

// sfTime is Salesforce's datetime format in JSON: 2025-11-28T15:04:05.000+0000.
const sfTime = "2006-01-02T15:04:05.000-0700"

// appendString appends s as a JSON string, escaping only what JSON requires (Salesforce
// does not escape HTML characters).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendValue appends a stored value as JSON. Numbers always carry a decimal point, as
// Salesforce renders double and currency fields (3.0, not 3).
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		start := len(b)
		b = strconv.AppendFloat(b, x, 'f', -1, 64)
		for _, c := range b[start:] {
			if c == '.' {
				return b
			}
		}
		return append(b, '.', '0')
	case time.Time:
		b = append(b, '"')
		b = x.UTC().AppendFormat(b, sfTime)
		return append(b, '"')
	}
	return append(b, "null"...)
}

// appendRecord appends {"attributes":{"type","url"}, field: value...} with the fields in
// the given order.
func appendRecord(b []byte, prefix string, rec *record, fields []string) []byte {
	b = appendAttributes(b, prefix, rec)
	for _, f := range fields {
		b = append(b, ',')
		b = appendString(b, f)
		b = append(b, ':')
		b = appendValue(b, rec.Value(f))
	}
	return append(b, '}')
}

// appendAttributes opens a record: {"attributes":{"type","url"}.
func appendAttributes(b []byte, prefix string, rec *record) []byte {
	b = append(b, `{"attributes":{"type":`...)
	b = appendString(b, rec.object)
	// prefix, object and id need no escaping
	b = append(b, `,"url":"`...)
	b = append(b, prefix...)
	b = append(b, "/sobjects/"...)
	b = append(b, rec.object...)
	b = append(b, '/')
	b = append(b, rec.id...)
	return append(b, `"}`...)
}
