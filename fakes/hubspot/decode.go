package hubspot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds a request body: 100 inputs of generous contacts fit many times over.
const maxBody = 8 << 20

// readBody reads the request body, refusing one over maxBody with 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newError(http.StatusRequestEntityTooLarge, CategoryTooLarge, fmt.Sprintf("The request body is larger than %d bytes", maxBody))
		}
		return nil, validationError("Could not read the request body: %v", err)
	}
	return body, nil
}

// decodeBody reads one JSON value into v. Errors are HubSpot's "Invalid input JSON on
// line L, column C: ..." with the position of the fault. Unknown fields are ignored.
func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalidJSON(1, 1, "No content to map due to end-of-input")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var pv *valueError
		switch {
		case errors.As(err, &syn):
			line, col := position(body, syn.Offset)
			return invalidJSON(line, col, syn.Error())
		case errors.As(err, &typ):
			line, col := position(body, typ.Offset)
			field := typ.Field
			if field == "" {
				field = "the request"
			}
			return invalidJSON(line, col, fmt.Sprintf("Cannot deserialize %s from a JSON %s (%s)", javaType(typ.Type.Kind().String()), typ.Value, field))
		case errors.As(err, &pv):
			return validationError("Invalid input JSON: %s", pv.msg)
		case errors.Is(err, io.ErrUnexpectedEOF):
			line, col := position(body, int64(len(body)))
			return invalidJSON(line, col, "Unexpected end-of-input")
		default:
			return validationError("Invalid input JSON: %v", err)
		}
	}
	if dec.More() {
		off := dec.InputOffset()
		line, col := position(body, off)
		return invalidJSON(line, col, "Unexpected content after the JSON object")
	}
	return nil
}

func javaType(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "a boolean"
	}
	return "a " + kind
}

// position turns a byte offset into a 1-based line and column.
func position(body []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(body))))
	line, col = 1, 1
	for _, c := range body[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// valueError is a JSON value of a kind a field cannot take.
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

// scalar is a JSON value read as HubSpot reads a property value or a filter value: a
// string as is, a number as its literal, a boolean as "true" or "false", null as empty.
// Objects and arrays are refused.
type scalar struct {
	s    string
	null bool
}

func (v *scalar) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return &valueError{msg: "empty value"}
	}
	switch b[0] {
	case '"':
		return json.Unmarshal(b, &v.s)
	case 'n':
		v.s, v.null = "", true
		return nil
	case 't', 'f':
		v.s = string(b)
		return nil
	case '{', '[':
		return &valueError{msg: "a property or filter value must be a string, a number, a boolean or null, not " + map[byte]string{'{': "an object", '[': "an array"}[b[0]]}
	}
	v.s = string(b)
	return nil
}

// flexInt is a JSON number or a string holding one (clients send both for limit).
type flexInt struct {
	n   int64
	set bool
}

func (v *flexInt) UnmarshalJSON(b []byte) error {
	var sc scalar
	if err := sc.UnmarshalJSON(b); err != nil {
		return err
	}
	if sc.null || sc.s == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(sc.s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(sc.s), 64)
		if ferr != nil || f != float64(int64(f)) {
			return &valueError{msg: fmt.Sprintf("%q is not an integer", sc.s)}
		}
		n = int64(f)
	}
	v.n, v.set = n, true
	return nil
}

// queryList reads a list parameter given comma-separated, repeated, or both
// (properties=a,b&properties=c).
func queryList(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// queryBool reads a boolean parameter; absent is false.
func queryBool(r *http.Request, key string) (bool, *apiError) {
	v := r.URL.Query().Get(key)
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, validationError("Query parameter %s=%q is not a boolean", key, v)
}
