package ingress

// topLevelScalars finds the values of the wanted top-level keys of a JSON object without
// decoding it, for the price of one pass over the bytes. body must already be valid JSON
// (json.Valid); keys written with escape sequences are not matched. A value is returned
// as its raw text, quotes removed for strings; nested objects and arrays are skipped.
// It stops once every wanted key was seen.
func topLevelScalars(body []byte, wanted []string, out []string) bool {
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i++
	found := 0
	for {
		i = skipWS(body, i)
		if i >= len(body) || body[i] == '}' {
			return found > 0
		}
		if body[i] == ',' {
			i = skipWS(body, i+1)
		}
		if i >= len(body) || body[i] != '"' {
			return false
		}
		keyStart := i + 1
		i = skipString(body, i)
		key := body[keyStart : i-1]
		i = skipWS(body, i)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		i = skipWS(body, i+1)
		valStart := i
		i = skipValue(body, i)
		if i < 0 {
			return false
		}
		for n, w := range wanted {
			if out[n] == "" && string(key) == w {
				v := body[valStart:i]
				if len(v) >= 2 && v[0] == '"' {
					v = v[1 : len(v)-1]
				} else if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
					break // not a scalar
				}
				if string(v) == "null" {
					break
				}
				out[n] = string(v)
				found++
				if found == len(wanted) {
					return true
				}
			}
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the closing quote of the string starting at i.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at i, or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
			i++
		}
		return i
	}
}
