package shopify

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/peakready/peakready/fakes/shopify/store"
)

// cursorTime is how a time sort key appears in a cursor, as in Shopify's own cursors
// ({"last_id":4597550042128,"last_value":"2022-08-01 12:34:56.000000"}).
const cursorTime = "2006-01-02 15:04:05.000000"

type cursorJSON struct {
	LastID    int64           `json:"last_id"`
	LastValue json.RawMessage `json:"last_value"`
}

// encodeCursor writes a position: the value is the id for id sorts, a timestamp for time
// sorts.
func encodeCursor(p store.Pos, timeKey bool) string {
	var v []byte
	if timeKey {
		v, _ = json.Marshal(time.Unix(p.Key, 0).UTC().Format(cursorTime))
	} else {
		v = strconv.AppendInt(nil, p.Key, 10)
	}
	b, _ := json.Marshal(cursorJSON{LastID: p.ID, LastValue: v})
	return base64.StdEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor written by encodeCursor with the same kind of sort key.
func decodeCursor(s string, timeKey bool) (store.Pos, bool) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if raw, err = base64.RawURLEncoding.DecodeString(s); err != nil {
			return store.Pos{}, false
		}
	}
	var c cursorJSON
	if json.Unmarshal(raw, &c) != nil || c.LastID <= 0 || len(c.LastValue) == 0 {
		return store.Pos{}, false
	}
	if timeKey {
		var ts string
		if json.Unmarshal(c.LastValue, &ts) != nil {
			return store.Pos{}, false
		}
		t, err := time.Parse(cursorTime, ts)
		if err != nil {
			return store.Pos{}, false
		}
		return store.Pos{Key: t.Unix(), ID: c.LastID}, true
	}
	n, err := strconv.ParseInt(string(c.LastValue), 10, 64)
	if err != nil {
		return store.Pos{}, false
	}
	return store.Pos{Key: n, ID: c.LastID}, true
}

// pageInfo is a REST page_info token: the listing's filters and the position to continue
// from, in one direction.
type pageInfo struct {
	// Query holds the original filter parameters (everything but limit, fields, page_info).
	Query map[string]string `json:"q,omitempty"`
	// Direction is "next" or "prev".
	Direction string `json:"d"`
	Key       int64  `json:"k"`
	ID        int64  `json:"i"`
}

func (p pageInfo) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageInfo(s string) (pageInfo, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageInfo{}, false
	}
	var p pageInfo
	if json.Unmarshal(raw, &p) != nil || (p.Direction != "next" && p.Direction != "prev") || p.ID <= 0 {
		return pageInfo{}, false
	}
	return p, true
}
