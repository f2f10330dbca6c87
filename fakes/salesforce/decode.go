package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fieldValue is one field of a request body, converted to its stored type: nil, string,
// float64 or bool.
type fieldValue struct {
	field *fieldDef
	value any
	raw   string // the value as sent, for messages
}

// recordBody is a decoded request body: the fields it sets, in body order.
type recordBody struct {
	values []fieldValue
	// id is the value of an Id key in the body, if any.
	id string
}

func (b *recordBody) get(name string) (fieldValue, bool) {
	for _, v := range b.values {
		if v.field.Name == name {
			return v, true
		}
	}
	return fieldValue{}, false
}

// position turns a byte offset into Jackson's "[line:L, column:C]".
func position(body []byte, off int64) string {
	off = min(max(off, 0), int64(len(body)))
	line := 1 + bytes.Count(body[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(body[:off], '\n'))
	return fmt.Sprintf("[line:%d, column:%d]", line, col)
}

// tokenName is Jackson's name for the kind of a JSON value.
func tokenName(raw []byte) string {
	switch raw[0] {
	case '{':
		return "START_OBJECT"
	case '[':
		return "START_ARRAY"
	case '"':
		return "VALUE_STRING"
	case 't':
		return "VALUE_TRUE"
	case 'f':
		return "VALUE_FALSE"
	case 'n':
		return "VALUE_NULL"
	}
	if bytes.ContainsAny(raw, ".eE") {
		return "VALUE_NUMBER_FLOAT"
	}
	return "VALUE_NUMBER_INT"
}

// typeName is the Java type Salesforce names in JSON_PARSER_ERROR messages.
func typeName(k fieldKind) string {
	switch k {
	case kindDouble, kindCurrency:
		return "double"
	case kindBoolean:
		return "boolean"
	case kindDate:
		return "date"
	case kindDateTime:
		return "datetime"
	case kindID, kindReference:
		return "id"
	}
	return "string"
}

func syntaxError(body []byte, err error) *apiError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return jsonParserError("Unexpected character: %s at %s", se.Error(), position(body, se.Offset-1))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return jsonParserError("Unexpected end-of-input: expected close marker for OBJECT at %s", position(body, int64(len(body))))
	}
	return jsonParserError("Unexpected character at %s", position(body, int64(len(body))))
}

// decodeRecord reads a JSON object of field values for obj, the way Salesforce's REST
// API does: field names are case-insensitive, "attributes" is ignored, an unknown field is
// INVALID_FIELD, a value that cannot be read as the field's type is JSON_PARSER_ERROR,
// and a read-only field is INVALID_FIELD_FOR_INSERT_UPDATE. Numeric strings are read as
// numbers and numbers as text, as Salesforce does; empty strings clear a field.
func decodeRecord(body []byte, obj *objectDef) (*recordBody, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, jsonParserError("The HTTP entity body is required, but this request has no entity body.")
	}
	if !json.Valid(body) {
		return nil, describeSyntaxError(body)
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		end := valueEnd(body, i)
		return nil, jsonParserError("Cannot deserialize instance of %s from %s value %s or request may be missing a required field at %s",
			obj.Name, tokenName(body[i:end]), ellipsis(string(body[i:end])), position(body, int64(end)))
	}
	out := &recordBody{}
	var seen [8]string // field names already set; a body rarely has more than a few dozen
	seenNames := seen[:0]
	i = skipSpace(body, i+1)
	for body[i] != '}' {
		keyEnd := valueEnd(body, i)
		key, err := unquote(body[i:keyEnd])
		if err != nil {
			return nil, describeSyntaxError(body)
		}
		i = skipSpace(body, keyEnd)
		i = skipSpace(body, i+1) // the colon
		vEnd := valueEnd(body, i)
		raw := body[i:vEnd]
		at := func() string { return position(body, int64(vEnd)) } // only errors need it
		i = skipSpace(body, vEnd)
		if body[i] == ',' {
			i = skipSpace(body, i+1)
		}
		if key == "attributes" {
			continue
		}
		f, ok := obj.field(key)
		if !ok {
			return nil, newError(400, CodeInvalidField, fmt.Sprintf("No such column '%s' on sobject of type %s", key, obj.Name))
		}
		for _, name := range seenNames {
			if name == f.Name {
				return nil, jsonParserError("Duplicate field '%s' at %s", key, at())
			}
		}
		seenNames = append(seenNames, f.Name)
		if f.Name == "Id" {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, jsonParserError("Cannot deserialize instance of id from %s value %s or request may be missing a required field at %s", tokenName(raw), ellipsis(string(raw)), at())
			}
			out.id = s
			continue
		}
		if f.ReadOnly {
			return nil, dmlError(CodeInvalidFieldForInsertUpdate, fmt.Sprintf(
				"Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name), f.Name)
		}
		v, e := convert(f, raw, at)
		if e != nil {
			return nil, e
		}
		out.values = append(out.values, v)
	}
	return out, nil
}

// describeSyntaxError words the first syntax error of an invalid body, with its position.
func describeSyntaxError(body []byte) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		return syntaxError(body, err)
	}
	return jsonParserError("Unexpected character after the end of the JSON object at %s", position(body, dec.InputOffset()))
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the offset just past the JSON value starting at i. b must be valid
// JSON, so the scan only tracks strings and nesting.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = valueEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	return j
}

// unquote reads a JSON string literal, taking the fast path when it has no escapes.
func unquote(raw []byte) (string, error) {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

func ellipsis(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:40]) + "..."
}

// convert reads raw as a value of f's type.
func convert(f *fieldDef, raw json.RawMessage, at func() string) (fieldValue, *apiError) {
	fv := fieldValue{field: f, raw: string(raw)}
	cannot := func() (fieldValue, *apiError) {
		return fv, jsonParserError("Cannot deserialize instance of %s from %s value %s or request may be missing a required field at %s",
			typeName(f.Kind), tokenName(raw), ellipsis(fv.raw), at())
	}
	var s string
	isString := raw[0] == '"'
	if isString {
		var err error
		if s, err = unquote(raw); err != nil {
			return cannot()
		}
		fv.raw = s
	}
	switch raw[0] {
	case 'n':
		if f.Kind == kindBoolean {
			fv.value = false
		}
		return fv, nil
	case '{', '[':
		return cannot()
	}
	switch f.Kind {
	case kindDouble, kindCurrency:
		text := string(raw)
		if isString {
			text = strings.TrimSpace(s)
			if text == "" {
				return fv, nil
			}
		} else if raw[0] == 't' || raw[0] == 'f' {
			return cannot()
		}
		n, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return cannot()
		}
		fv.value = n
	case kindBoolean:
		switch {
		case string(raw) == "true":
			fv.value = true
		case string(raw) == "false":
			fv.value = false
		case isString && strings.EqualFold(s, "true"):
			fv.value = true
		case isString && strings.EqualFold(s, "false"):
			fv.value = false
		case isString:
			return fv, dmlError(CodeInvalidTypeOnFieldInRecord, fmt.Sprintf("%s: value not of required type: %s", f.Label, ellipsis(s)), f.Name)
		default:
			return cannot()
		}
	case kindDate:
		if !isString {
			return cannot()
		}
		if s == "" {
			return fv, nil
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return cannot()
		}
		fv.value = s
	default: // text kinds and references
		if !isString {
			if f.Kind == kindReference {
				return cannot()
			}
			s = string(raw) // numbers and booleans are read as their text
		}
		if s == "" {
			return fv, nil
		}
		fv.value = s
	}
	return fv, nil
}

// validEmail reports whether s is an address Salesforce accepts: a local part of
// letters, digits and !#$%&'*+/=?^_`{|}~.- (no leading, trailing or doubled dot), an @,
// and a domain of dot-separated labels of letters, digits and inner hyphens whose last
// label is two or more letters.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(isAlnum(c) || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", c) >= 0) {
			return false
		}
	}
	labels := 0
	for domain != "" {
		var label string
		label, domain, _ = strings.Cut(domain, ".")
		labels++
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		letters := true
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isAlnum(c) && c != '-' {
				return false
			}
			letters = letters && (c|0x20 >= 'a' && c|0x20 <= 'z')
		}
		if domain == "" && (!letters || len(label) < 2) {
			return false
		}
	}
	return labels >= 2 && !strings.HasSuffix(s, ".")
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validate checks the body's values against their fields: lengths, email format,
// numeric range, id shape of references. It normalises multi-select values. Every
// failure is returned, as Salesforce lists every field error of a save.
func validate(b *recordBody) []ErrorBody {
	var errs []ErrorBody
	add := func(code, msg, field string) {
		errs = append(errs, ErrorBody{ErrorCode: code, Message: msg, Fields: []string{field}})
	}
	for i := range b.values {
		v := &b.values[i]
		f := v.field
		switch x := v.value.(type) {
		case string:
			if f.Kind == kindMultiPicklist {
				x = normalizePicklist(x)
				v.value = x
				if x == "" {
					v.value = nil
				}
			}
			if f.Length > 0 && utf8.RuneCountInString(x) > f.Length {
				add(CodeStringTooLong, fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, ellipsis(x), f.Length), f.Name)
				continue
			}
			switch f.Kind {
			case kindEmail:
				if !validEmail(x) {
					add(CodeInvalidEmailAddress, fmt.Sprintf("%s: invalid email address: %s", f.Label, ellipsis(x)), f.Name)
				}
			case kindReference:
				id, ok := canonicalID(x)
				if !ok || !strings.HasPrefix(id, f.RefPrefix) {
					add(CodeMalformedID, fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, ellipsis(x)), f.Name)
				} else {
					v.value = id
				}
			}
		case float64:
			if f.Precision > 0 && math.Abs(x) >= math.Pow10(f.Precision-f.Scale) {
				add(CodeNumberOutsideValidRange, fmt.Sprintf("%s: value outside of valid range on numeric field: %s", f.Label, strconv.FormatFloat(x, 'E', -1, 64)), f.Name)
			}
		}
	}
	return errs
}

// normalizePicklist trims the values of a multi-select picklist and drops empty and
// repeated ones (case-insensitively), keeping the first spelling.
func normalizePicklist(s string) string {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ";") {
		p = strings.TrimSpace(p)
		if p == "" || seen[strings.ToLower(p)] {
			continue
		}
		seen[strings.ToLower(p)] = true
		out = append(out, p)
	}
	return strings.Join(out, ";")
}
