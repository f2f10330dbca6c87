package netsuite

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/peakready/peakready/fakes/catalog"
)

// maxBody bounds request bodies the API reads.
const maxBody = 4 << 20

// maxDepth bounds the nesting of a request body.
const maxDepth = 512

// bodyDecoder walks a JSON request body byte by byte, so that every field is checked for
// its type once, unknown fields can be named with their JSON path, and a valid body costs
// few allocations. It accepts exactly RFC 8259 JSON. Every error it returns is an
// *apiError in NetSuite's envelope; it never panics on any input.
type bodyDecoder struct {
	data []byte
	pos  int
}

func newBodyDecoder(body []byte) *bodyDecoder { return &bodyDecoder{data: body} }

// malformed is the answer to a body that is not JSON, at the current position.
func (d *bodyDecoder) malformed(path string) *apiError {
	if d.pos >= len(d.data) {
		return invalidContent(path, detailInvalidBody+" The JSON ends unexpectedly.")
	}
	return invalidContent(path, detailInvalidBody+" The JSON is malformed near byte "+strconv.Itoa(d.pos)+".")
}

func (d *bodyDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *bodyDecoder) peek() byte {
	d.ws()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// literal consumes word (true, false, null) if it comes next.
func (d *bodyDecoder) literal(word string) bool {
	if d.peek() != word[0] || !bytes.HasPrefix(d.data[d.pos:], []byte(word)) {
		return false
	}
	d.pos += len(word)
	return true
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// object reads a JSON object at path and calls field for each member. A null reads as
// absent (present false). field must consume the member's value.
func (d *bodyDecoder) object(path, what string, field func(key, path string) *apiError) (present bool, e *apiError) {
	switch d.peek() {
	case 0:
		return false, d.malformed(path)
	case '{':
	case 'n':
		if d.literal("null") {
			return false, nil
		}
		return false, d.malformed(path)
	default:
		if _, e := d.raw(path); e != nil {
			return false, e
		}
		return false, invalidContent(path, detailInvalidBody+" "+describe(path)+" must be "+what+".")
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return true, nil
	}
	for {
		if d.peek() != '"' {
			return false, d.malformed(path)
		}
		key, e := d.keyToken(path)
		if e != nil {
			return false, e
		}
		if d.peek() != ':' {
			return false, d.malformed(path)
		}
		d.pos++
		if e := field(key, joinPath(path, key)); e != nil {
			return false, e
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return true, nil
		default:
			return false, d.malformed(path)
		}
	}
}

// array reads a JSON array at path and calls elem for each element.
func (d *bodyDecoder) array(path string, elem func(i int, path string) *apiError) *apiError {
	switch d.peek() {
	case 0:
		return d.malformed(path)
	case '[':
	default:
		if _, e := d.raw(path); e != nil {
			return e
		}
		return invalidContent(path, detailInvalidBody+" "+describe(path)+" must be an array.")
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		if e := elem(i, indexPath(path, i)); e != nil {
			return e
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.malformed(path)
		}
	}
}

// end checks that nothing but white space follows the top-level value.
func (d *bodyDecoder) end() *apiError {
	if d.ws(); d.pos < len(d.data) {
		return invalidContent("", detailInvalidBody+" Unexpected data after the JSON object.")
	}
	return nil
}

// scalar reads one scalar: a string, json.Number, bool or nil. A compound value is an
// error naming path.
func (d *bodyDecoder) scalar(path string) (any, *apiError) {
	switch c := d.peek(); {
	case c == '"':
		return d.stringToken(path)
	case c == '-' || c >= '0' && c <= '9':
		return d.numberToken(path)
	case c == '{' || c == '[':
		if _, e := d.raw(path); e != nil {
			return nil, e
		}
		return nil, invalidContent(path, detailInvalidBody+" "+describe(path)+" must be a single value, not an object or array.")
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	}
	return nil, d.malformed(path)
}

// stringToken reads a JSON string. Strings with escapes or bytes that are not UTF-8 are
// decoded by encoding/json, so the result is exactly what it would give.
func (d *bodyDecoder) stringToken(path string) (string, *apiError) {
	start := d.pos
	d.pos++ // the opening quote
	simple := true
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			raw := d.data[start:d.pos]
			if simple && utf8.Valid(raw) {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				d.pos = start
				return "", d.malformed(path)
			}
			return s, nil
		case c == '\\':
			simple = false
			if d.pos+1 >= len(d.data) {
				d.pos = len(d.data)
				return "", d.malformed(path)
			}
			switch d.data[d.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.pos += 2
			case 'u':
				if d.pos+6 > len(d.data) || !isHex4(d.data[d.pos+2:d.pos+6]) {
					d.pos++
					return "", d.malformed(path)
				}
				d.pos += 6
			default:
				d.pos++
				return "", d.malformed(path)
			}
		case c < 0x20:
			return "", d.malformed(path)
		default:
			d.pos++
		}
	}
	return "", d.malformed(path)
}

// knownKeys are the member names the API reads; keyToken returns these strings instead
// of allocating a new one for every key of every request.
var knownKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"externalId", "entity", "location", "tranDate", "otherRefNum", "memo", "orderStatus", "shippingAddress",
		"item", "items", "discountRate", "shippingCost", "id", "refName", "links", "addr1", "addr2", "addr3",
		"addressee", "attention", "addrPhone", "addrText", "override", "city", "state", "zip", "country",
		"quantity", "rate", "description", "line", "amount", "email", "firstName", "lastName", "companyName",
		"phone", "isPerson", "custbody_shopify_order_id", "custbody_shopify_updated_at", "custbody_payment_txn_ids",
	} {
		m[k] = k
	}
	return m
}()

// keyToken reads an object member name.
func (d *bodyDecoder) keyToken(path string) (string, *apiError) {
	start := d.pos
	if end := bytes.IndexByte(d.data[start+1:], '"'); end >= 0 {
		if k, ok := knownKeys[string(d.data[start+1:start+1+end])]; ok {
			d.pos = start + end + 2
			return k, nil
		}
	}
	return d.stringToken(path)
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// numberToken reads a JSON number: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func (d *bodyDecoder) numberToken(path string) (json.Number, *apiError) {
	start := d.pos
	digits := func() bool {
		n := d.pos
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
		}
		return d.pos > n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if !digits() {
		return "", d.malformed(path)
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if !digits() {
			return "", d.malformed(path)
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if !digits() {
			return "", d.malformed(path)
		}
	}
	return json.Number(d.data[start:d.pos]), nil
}

// raw reads any value and returns its bytes (custom fields keep them verbatim).
func (d *bodyDecoder) raw(path string) (json.RawMessage, *apiError) {
	d.ws()
	start := d.pos
	if e := d.skipValue(path, 0); e != nil {
		return nil, e
	}
	// A copy, so a stored custom field does not keep the whole request body alive.
	return append(json.RawMessage(nil), d.data[start:d.pos]...), nil
}

// customField reads a custom field's value (custentity... of a customer, custbody... of a
// transaction, custcol... of a line) into *fields, verbatim.
func (d *bodyDecoder) customField(path, key string, fields *map[string]json.RawMessage) *apiError {
	v, e := d.raw(path)
	if e != nil {
		return e
	}
	if *fields == nil {
		*fields = map[string]json.RawMessage{}
	}
	(*fields)[key] = v
	return nil
}

// taxField skips a tax field when tax_fields is ignore, and refuses it otherwise: NetSuite
// computes tax itself.
func (d *bodyDecoder) taxField(path string, acceptTax bool) *apiError {
	if !acceptTax {
		return readOnlyTaxField(path)
	}
	return d.skip(path)
}

func (d *bodyDecoder) skipValue(path string, depth int) *apiError {
	if depth > maxDepth {
		return invalidContent(path, detailInvalidBody+" The JSON is nested too deeply.")
	}
	switch d.peek() {
	case '{':
		_, e := d.object(path, "", func(_, p string) *apiError { return d.skipValue(p, depth+1) })
		return e
	case '[':
		return d.array(path, func(_ int, p string) *apiError { return d.skipValue(p, depth+1) })
	}
	_, e := d.scalar(path)
	return e
}

// skip reads and discards a value.
func (d *bodyDecoder) skip(path string) *apiError {
	return d.skipValue(path, 0)
}

// str reads a string (or null, as empty).
func (d *bodyDecoder) str(path string) (string, *apiError) {
	v, e := d.scalar(path)
	if e != nil {
		return "", e
	}
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	}
	return "", invalidContent(path, detailInvalidBody+" "+describe(path)+" must be a string.")
}

// idValue reads an internal id or external id given as a string or a number.
func (d *bodyDecoder) idValue(path string) (string, *apiError) {
	v, e := d.scalar(path)
	if e != nil {
		return "", e
	}
	switch t := v.(type) {
	case string:
		return t, nil
	case json.Number:
		return t.String(), nil
	}
	return "", invalidContent(path, detailInvalidBody+" "+describe(path)+" must be a string or a number.")
}

// boolean reads true or false (null as false).
func (d *bodyDecoder) boolean(path string) (bool, *apiError) {
	v, e := d.scalar(path)
	if e != nil {
		return false, e
	}
	switch t := v.(type) {
	case nil:
		return false, nil
	case bool:
		return t, nil
	}
	return false, invalidContent(path, detailInvalidBody+" "+describe(path)+" must be true or false.")
}

// number reads a JSON number.
func (d *bodyDecoder) number(path string) (json.Number, *apiError) {
	v, e := d.scalar(path)
	if e != nil {
		return "", e
	}
	if n, ok := v.(json.Number); ok {
		return n, nil
	}
	return "", invalidContent(path, detailInvalidBody+" "+describe(path)+" must be a number.")
}

func describe(path string) string {
	if path == "" {
		return "The request body"
	}
	return "Field '" + path + "'"
}

func unknownField(path string) *apiError {
	return invalidContent(path, detailInvalidBody+" Unknown field '"+path+"'.")
}

func readOnlyField(path string) *apiError {
	return invalidContent(path, "Field '"+path+"' is read-only.")
}

func readOnlyTaxField(path string) *apiError {
	return invalidContent(path, "Field '"+path+"' is read-only, tax is computed by NetSuite from the shipping address.")
}

// maxAmountCents bounds money values (a hundred billion in currency units).
const maxAmountCents = 100_000_000_000 * 100

// amountCents reads a JSON number of currency units as cents. Values with more than two
// decimals are rounded half away from zero to the cent.
func amountCents(n json.Number) (int64, bool) {
	if c, err := catalog.ParseMoney(n.String()); err == nil {
		if c > maxAmountCents || c < -maxAmountCents {
			return 0, false
		}
		return c, true
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f*100) > maxAmountCents {
		return 0, false
	}
	return int64(math.Round(f * 100)), true
}

// intValue reads a JSON number that must be a whole number ("2" or "2.0").
func intValue(n json.Number) (int64, bool) {
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e15 {
		return 0, false
	}
	return int64(f), true
}

// externalIDPattern is NetSuite's external id charset: letters, digits, _ and -. A pipe
// would be read as a multi-select delimiter.
var externalIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// validExternalID reports whether id can be used as an external id.
func validExternalID(id string) bool { return externalIDPattern.MatchString(id) }

func invalidExternalID(path, id string) *apiError {
	return invalidContent(path, "Invalid external ID '"+id+"': an external ID may contain only letters, digits, _ and - (at most 255 characters).")
}

// isTaxField reports whether a body field is one NetSuite's tax engine owns.
func isTaxField(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "tax") || k == "istaxable"
}
