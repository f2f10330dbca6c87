package salesforce

import (
	"bytes"
	"fmt"
)

// Bulk API 2.0 job data is CSV with the job's column delimiter and line ending
// ("Prepare CSV Files", Bulk API 2.0 Developer Guide): the first row names the fields;
// double quotes enclose a value holding the delimiter, a line break or a quote (doubled);
// values are not trimmed; a space between a closing quote and the delimiter is an error.

// columnDelimiters maps a job's columnDelimiter to its byte.
var columnDelimiters = map[string]byte{
	"BACKQUOTE": '`', "CARET": '^', "COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "TAB": '\t',
}

// csvError is a problem with job data, at a line of the file (1-based).
type csvError struct {
	line int
	msg  string
}

func (e *csvError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// parseBulkCSV reads job data into rows of fields: the header first. crlf says records
// end in CRLF (else LF); a record ending in the other line ending is an error, as
// Salesforce reports a LineEnding that does not match the job's. A UTF-8 byte order mark
// is skipped, empty lines are ignored, and every row must have the header's number of
// fields.
func parseBulkCSV(data []byte, delim byte, crlf bool) ([][]string, *csvError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var (
		rows         [][]string
		row          []string
		field        []byte
		line         = 1
		rowLine      = 1
		rowActive    bool // the row has begun: a character or a delimiter was read
		fieldStarted bool // the field has begun: a character or its opening quote
		quoted       bool // inside a quoted value
		afterQuote   bool // a quoted value just closed
	)
	endField := func() {
		row = append(row, string(field))
		field, fieldStarted, afterQuote = field[:0], false, false
	}
	endRow := func() *csvError {
		if !rowActive {
			return nil // an empty line
		}
		endField()
		if len(rows) > 0 && len(row) != len(rows[0]) {
			return &csvError{rowLine, fmt.Sprintf("the row has %d fields, the header %d", len(row), len(rows[0]))}
		}
		rows = append(rows, row)
		row, rowActive = nil, false
		return nil
	}
	setting := "LF"
	if crlf {
		setting = "CRLF"
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		if quoted {
			switch {
			case c == '"' && i+1 < len(data) && data[i+1] == '"':
				field = append(field, '"')
				i++
			case c == '"':
				quoted, afterQuote = false, true
			default:
				if c == '\n' {
					line++
				}
				field = append(field, c)
			}
			continue
		}
		isLF := c == '\n'
		isCRLF := c == '\r' && i+1 < len(data) && data[i+1] == '\n'
		switch {
		case (isLF && crlf) || (isCRLF && !crlf):
			return nil, &csvError{line, "LineEnding is invalid on user data. Current LineEnding setting is " + setting}
		case isLF || isCRLF:
			if isCRLF {
				i++
			}
			if e := endRow(); e != nil {
				return nil, e
			}
			line++
			rowLine = line
		case c == delim:
			endField()
			rowActive = true
		case afterQuote:
			return nil, &csvError{line, fmt.Sprintf("unexpected %q after a closing quote", c)}
		case c == '"' && !fieldStarted:
			quoted, fieldStarted, rowActive = true, true, true
		default:
			field = append(field, c)
			fieldStarted, rowActive = true, true
		}
	}
	if quoted {
		return nil, &csvError{line, "a quoted value is not closed"}
	}
	if e := endRow(); e != nil {
		return nil, e
	}
	return rows, nil
}

// appendCSVValue appends a value as Salesforce writes result files: always quoted,
// quotes doubled.
func appendCSVValue(b []byte, v string) []byte {
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, v[i])
	}
	return append(b, '"')
}

// appendCSVName appends a header name as given, quoted only if it needs to be.
func appendCSVName(b []byte, v string, delim byte) []byte {
	if bytes.IndexByte([]byte(v), delim) >= 0 || bytes.ContainsAny([]byte(v), "\"\r\n") {
		return appendCSVValue(b, v)
	}
	return append(b, v...)
}
