package netsuite

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sqlKind is the type of a SuiteQL value.
type sqlKind int

const (
	sqlNull sqlKind = iota
	sqlStr
	sqlNum
	sqlDate // a date (trandate) or a date-time (lastmodifieddate); see dateOnly
)

// sqlValue is one cell.
type sqlValue struct {
	kind     sqlKind
	s        string
	n        float64
	t        time.Time
	dateOnly bool
}

func strValue(s string) sqlValue   { return sqlValue{kind: sqlStr, s: s} }
func numValue(n float64) sqlValue  { return sqlValue{kind: sqlNum, n: n} }
func intValueSQL(n int64) sqlValue { return numValue(float64(n)) }
func timeValue(t time.Time) sqlValue {
	return sqlValue{kind: sqlDate, t: t.UTC().Truncate(time.Second)}
}
func dayValue(t time.Time) sqlValue {
	return sqlValue{kind: sqlDate, t: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), dateOnly: true}
}
func moneyValue(cents int64) sqlValue { return numValue(float64(cents) / 100) }
func boolValue(b bool) sqlValue {
	if b {
		return strValue("T")
	}
	return strValue("F")
}

// render is a value as the SuiteQL REST answer shows it: a string. Dates and date-times
// show as the account's date format (M/D/YYYY, the default), without the time; TO_CHAR
// gives the time.
func (v sqlValue) render() (string, bool) {
	switch v.kind {
	case sqlStr:
		return v.s, true
	case sqlNum:
		return strconv.FormatFloat(v.n, 'f', -1, 64), true
	case sqlDate:
		return v.t.Format("1/2/2006"), true
	}
	return "", false
}

// sqlRow is one row of a FROM/JOIN product: per alias, the row of that table (nil for
// the missing side of a LEFT JOIN).
type sqlRow []map[string]sqlValue

// sqlTable is a table's rows; columns are lower-case.
type sqlTable struct {
	name    string
	columns []string
	rows    []map[string]sqlValue
}

// scope resolves column references against the tables of a query.
type scope struct {
	aliases []string // per position in sqlRow
	tables  []*sqlTable
}

func (sc *scope) describe() string {
	parts := make([]string, len(sc.aliases))
	for i, a := range sc.aliases {
		parts[i] = a + "=" + sc.tables[i].name
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// resolve finds which table a column belongs to.
func (sc *scope) resolve(c *colRef) (int, error) {
	if c.table != "" {
		for i, a := range sc.aliases {
			if a == c.table {
				if !slices.Contains(sc.tables[i].columns, c.name) {
					return 0, fmt.Errorf("Unknown identifier '%s.%s'. Available identifiers are: %s", c.table, c.name, sc.describe())
				}
				return i, nil
			}
		}
		return 0, fmt.Errorf("Unknown identifier '%s.%s'. Available identifiers are: %s", c.table, c.name, sc.describe())
	}
	found := -1
	for i, t := range sc.tables {
		if slices.Contains(t.columns, c.name) {
			if found >= 0 {
				return 0, fmt.Errorf("Ambiguous identifier '%s'; qualify it with a table alias", c.name)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, fmt.Errorf("Unknown identifier '%s'. Available identifiers are: %s", c.name, sc.describe())
	}
	return found, nil
}

// check resolves every column of e against sc, so errors surface before any row is read.
func (sc *scope) check(e sqlExpr) error {
	switch x := e.(type) {
	case *colRef:
		_, err := sc.resolve(x)
		return err
	case *callExpr:
		for _, a := range x.args {
			if err := sc.check(a); err != nil {
				return err
			}
		}
	case *binExpr:
		if err := sc.check(x.l); err != nil {
			return err
		}
		return sc.check(x.r)
	case *notExpr:
		return sc.check(x.e)
	case *betweenExpr:
		for _, a := range []sqlExpr{x.e, x.lo, x.hi} {
			if err := sc.check(a); err != nil {
				return err
			}
		}
	case *inExpr:
		if err := sc.check(x.e); err != nil {
			return err
		}
		for _, a := range x.list {
			if err := sc.check(a); err != nil {
				return err
			}
		}
	case *isNullExpr:
		return sc.check(x.e)
	}
	return nil
}

// eval computes a value; a condition evaluates to "T", "F" or NULL (unknown).
func (sc *scope) eval(e sqlExpr, row sqlRow) (sqlValue, error) {
	switch x := e.(type) {
	case *litExpr:
		return x.v, nil
	case *colRef:
		i, err := sc.resolve(x)
		if err != nil {
			return sqlValue{}, err
		}
		if row[i] == nil {
			return sqlValue{}, nil
		}
		return row[i][x.name], nil
	case *callExpr:
		args := make([]sqlValue, len(x.args))
		for i, a := range x.args {
			v, err := sc.eval(a, row)
			if err != nil {
				return sqlValue{}, err
			}
			args[i] = v
		}
		return callFunc(x.fn, args)
	case *notExpr:
		v, err := sc.eval(x.e, row)
		if err != nil || v.kind == sqlNull {
			return sqlValue{}, err
		}
		return boolValue(v.s != "T"), nil
	case *binExpr:
		l, err := sc.eval(x.l, row)
		if err != nil {
			return sqlValue{}, err
		}
		r, err := sc.eval(x.r, row)
		if err != nil {
			return sqlValue{}, err
		}
		switch x.op {
		case "and":
			if l.s == "F" || r.s == "F" {
				return boolValue(false), nil
			}
			if l.kind == sqlNull || r.kind == sqlNull {
				return sqlValue{}, nil
			}
			return boolValue(true), nil
		case "or":
			if l.s == "T" || r.s == "T" {
				return boolValue(true), nil
			}
			if l.kind == sqlNull || r.kind == sqlNull {
				return sqlValue{}, nil
			}
			return boolValue(false), nil
		case "like":
			if l.kind == sqlNull || r.kind == sqlNull {
				return sqlValue{}, nil
			}
			ls, _ := l.render()
			rs, _ := r.render()
			return boolValue(likeMatch(ls, rs)), nil
		}
		c, ok, err := compareValues(l, r)
		if err != nil || !ok {
			return sqlValue{}, err
		}
		switch x.op {
		case "=":
			return boolValue(c == 0), nil
		case "!=":
			return boolValue(c != 0), nil
		case "<":
			return boolValue(c < 0), nil
		case "<=":
			return boolValue(c <= 0), nil
		case ">":
			return boolValue(c > 0), nil
		default:
			return boolValue(c >= 0), nil
		}
	case *betweenExpr:
		v, err := sc.eval(x.e, row)
		if err != nil {
			return sqlValue{}, err
		}
		lo, err := sc.eval(x.lo, row)
		if err != nil {
			return sqlValue{}, err
		}
		hi, err := sc.eval(x.hi, row)
		if err != nil {
			return sqlValue{}, err
		}
		a, ok1, err := compareValues(v, lo)
		if err != nil {
			return sqlValue{}, err
		}
		b, ok2, err := compareValues(v, hi)
		if err != nil || !ok1 || !ok2 {
			return sqlValue{}, err
		}
		return boolValue((a >= 0 && b <= 0) != x.not), nil
	case *inExpr:
		v, err := sc.eval(x.e, row)
		if err != nil || v.kind == sqlNull {
			return sqlValue{}, err
		}
		for _, item := range x.list {
			w, err := sc.eval(item, row)
			if err != nil {
				return sqlValue{}, err
			}
			if c, ok, err := compareValues(v, w); err != nil {
				return sqlValue{}, err
			} else if ok && c == 0 {
				return boolValue(!x.not), nil
			}
		}
		return boolValue(x.not), nil
	case *isNullExpr:
		v, err := sc.eval(x.e, row)
		if err != nil {
			return sqlValue{}, err
		}
		return boolValue((v.kind == sqlNull) != x.not), nil
	}
	return sqlValue{}, fmt.Errorf("unsupported expression")
}

// compareValues orders two values; ok is false when either is NULL. Numbers compare with
// numeric strings, dates with date strings (2026-11-27, 11/27/2026, RFC 3339), strings
// case-sensitively as Oracle does.
func compareValues(a, b sqlValue) (int, bool, error) {
	if a.kind == sqlNull || b.kind == sqlNull {
		return 0, false, nil
	}
	if a.kind == sqlDate || b.kind == sqlDate {
		at, err := asTime(a)
		if err != nil {
			return 0, false, err
		}
		bt, err := asTime(b)
		if err != nil {
			return 0, false, err
		}
		return at.Compare(bt), true, nil
	}
	if a.kind == sqlNum || b.kind == sqlNum {
		an, aok := asNumber(a)
		bn, bok := asNumber(b)
		if aok && bok {
			switch {
			case an < bn:
				return -1, true, nil
			case an > bn:
				return 1, true, nil
			}
			return 0, true, nil
		}
	}
	as, _ := a.render()
	bs, _ := b.render()
	return strings.Compare(as, bs), true, nil
}

func asNumber(v sqlValue) (float64, bool) {
	if v.kind == sqlNum {
		return v.n, true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
	return f, err == nil && !math.IsNaN(f)
}

func asTime(v sqlValue) (time.Time, error) {
	if v.kind == sqlDate {
		return v.t, nil
	}
	s, _ := v.render()
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", time.DateOnly, "1/2/2006", "1/2/2006 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("'%s' is not a date; use TO_DATE('2026-11-27', 'YYYY-MM-DD')", s)
}

// oracleLayout turns an Oracle date format (YYYY-MM-DD HH24:MI:SS) into a Go layout.
func oracleLayout(f string) (string, error) {
	repl := []struct{ ora, gol string }{
		{"YYYY", "2006"}, {"HH24", "15"}, {"HH12", "03"}, {"HH", "03"}, {"MM", "01"}, {"DD", "02"},
		{"MI", "04"}, {"SS", "05"}, {"AM", "PM"}, {"PM", "PM"}, {"YY", "06"},
	}
	var b strings.Builder
	up := strings.ToUpper(f)
	for i := 0; i < len(up); {
		if up[i] == '"' {
			end := strings.IndexByte(up[i+1:], '"')
			if end < 0 {
				return "", fmt.Errorf("unterminated quoted text in format '%s'", f)
			}
			b.WriteString(f[i+1 : i+1+end])
			i += end + 2
			continue
		}
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(up[i:], r.ora) {
				b.WriteString(r.gol)
				i += len(r.ora)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := up[i]
		if c >= 'A' && c <= 'Z' {
			return "", fmt.Errorf("format element at '%s' is not supported (use YYYY, MM, DD, HH24, MI, SS)", f[i:])
		}
		b.WriteByte(f[i])
		i++
	}
	return b.String(), nil
}

func callFunc(fn string, args []sqlValue) (sqlValue, error) {
	if args[0].kind == sqlNull {
		return sqlValue{}, nil
	}
	switch fn {
	case "upper", "lower":
		s, _ := args[0].render()
		if fn == "upper" {
			return strValue(strings.ToUpper(s)), nil
		}
		return strValue(strings.ToLower(s)), nil
	case "to_char":
		if len(args) == 1 || args[0].kind != sqlDate {
			s, _ := args[0].render()
			return strValue(s), nil
		}
		layout, err := oracleLayout(args[1].s)
		if err != nil {
			return sqlValue{}, err
		}
		return strValue(args[0].t.Format(layout)), nil
	default: // to_date, to_timestamp
		if args[0].kind == sqlDate {
			return args[0], nil
		}
		s, _ := args[0].render()
		if len(args) == 1 {
			t, err := asTime(strValue(s))
			if err != nil {
				return sqlValue{}, err
			}
			return timeValue(t), nil
		}
		layout, err := oracleLayout(args[1].s)
		if err != nil {
			return sqlValue{}, err
		}
		t, err := time.Parse(layout, s)
		if err != nil {
			return sqlValue{}, fmt.Errorf("'%s' does not match the format '%s'", s, args[1].s)
		}
		return timeValue(t), nil
	}
}

// likeMatch is SQL LIKE: % any run, _ one character; case-sensitive.
func likeMatch(s, pattern string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(s)
}

// maxSuiteQLResults is NetSuite's cap on the rows of one query.
const maxSuiteQLResults = 100_000

// runSuiteQL evaluates q against tables (by lower-case name) and returns the column
// names and rows, in order, at most maxSuiteQLResults.
func runSuiteQL(q *sqlQuery, tables map[string]*sqlTable) ([]string, [][]sqlValue, error) {
	sc := &scope{}
	add := func(t tableRef) error {
		tab, ok := tables[t.name]
		if !ok {
			return &SQLError{t.at, "Invalid search type: " + t.name + "."}
		}
		if slices.Contains(sc.aliases, t.alias) {
			return &SQLError{t.at, "the alias " + t.alias + " is used twice"}
		}
		sc.aliases = append(sc.aliases, t.alias)
		sc.tables = append(sc.tables, tab)
		return nil
	}
	if err := add(q.from); err != nil {
		return nil, nil, err
	}
	rows := make([]sqlRow, len(sc.tables[0].rows))
	for i, r := range sc.tables[0].rows {
		rows[i] = sqlRow{r}
	}
	for _, j := range q.joins {
		if err := add(j.t); err != nil {
			return nil, nil, err
		}
		if err := sc.check(j.on); err != nil {
			return nil, nil, err
		}
		var err error
		if rows, err = sc.join(rows, j); err != nil {
			return nil, nil, err
		}
	}
	if q.where != nil {
		if err := sc.check(q.where); err != nil {
			return nil, nil, err
		}
		kept := rows[:0]
		for _, r := range rows {
			v, err := sc.eval(q.where, r)
			if err != nil {
				return nil, nil, err
			}
			if v.s == "T" {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	// Output columns.
	type outCol struct {
		name string
		e    sqlExpr
	}
	var cols []outCol
	exprN := 0
	for _, c := range q.cols {
		if c.star {
			for i, a := range sc.aliases {
				if c.starTable != "" && c.starTable != a {
					continue
				}
				for _, name := range sc.tables[i].columns {
					cols = append(cols, outCol{name, &colRef{table: a, name: name}})
				}
			}
			if c.starTable != "" && !slices.Contains(sc.aliases, c.starTable) {
				return nil, nil, fmt.Errorf("Unknown identifier '%s'. Available identifiers are: %s", c.starTable, sc.describe())
			}
			continue
		}
		if err := sc.check(c.e); err != nil {
			return nil, nil, err
		}
		name := c.alias
		if name == "" {
			if cr, ok := c.e.(*colRef); ok {
				name = cr.name
			} else {
				exprN++
				name = "expr" + strconv.Itoa(exprN)
			}
		}
		cols = append(cols, outCol{name, c.e})
	}
	// ORDER BY: a position, an output alias, or an expression.
	if len(q.orderBy) > 0 {
		keys := make([]sqlExpr, len(q.orderBy))
		for k, o := range q.orderBy {
			keys[k] = o.e
			if lit, ok := o.e.(*litExpr); ok && lit.v.kind == sqlNum {
				n := int(lit.v.n)
				if n < 1 || n > len(cols) {
					return nil, nil, &SQLError{lit.at, fmt.Sprintf("ORDER BY position %d is not a selected column", n)}
				}
				keys[k] = cols[n-1].e
				continue
			}
			if cr, ok := o.e.(*colRef); ok && cr.table == "" {
				if i := slices.IndexFunc(cols, func(c outCol) bool { return c.name == cr.name }); i >= 0 {
					if _, err := sc.resolve(cr); err != nil {
						keys[k] = cols[i].e
						continue
					}
				}
			}
			if err := sc.check(keys[k]); err != nil {
				return nil, nil, err
			}
		}
		var sortErr error
		sort.SliceStable(rows, func(a, b int) bool {
			for k, o := range q.orderBy {
				va, err1 := sc.eval(keys[k], rows[a])
				vb, err2 := sc.eval(keys[k], rows[b])
				if err1 != nil || err2 != nil {
					sortErr = fmt.Errorf("ORDER BY: %v", firstErr(err1, err2))
					return false
				}
				c, ok, err := compareValues(va, vb)
				if err != nil {
					sortErr = err
					return false
				}
				if !ok { // NULLs last ascending, first descending, as Oracle sorts them
					switch {
					case va.kind == sqlNull && vb.kind == sqlNull:
						continue
					case va.kind == sqlNull:
						c = 1
					default:
						c = -1
					}
				}
				if c != 0 {
					return (c < 0) != o.desc
				}
			}
			return false
		})
		if sortErr != nil {
			return nil, nil, sortErr
		}
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	var out [][]sqlValue
	seen := map[string]bool{}
	for _, r := range rows {
		vals := make([]sqlValue, len(cols))
		for i, c := range cols {
			v, err := sc.eval(c.e, r)
			if err != nil {
				return nil, nil, err
			}
			vals[i] = v
		}
		if q.distinct {
			var k strings.Builder
			for _, v := range vals {
				s, _ := v.render()
				fmt.Fprintf(&k, "%d:%s\x00", v.kind, s)
			}
			if seen[k.String()] {
				continue
			}
			seen[k.String()] = true
		}
		out = append(out, vals)
		if len(out) == maxSuiteQLResults {
			break
		}
	}
	return names, out, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// join extends rows with the newest table of sc. An ON that equates a column of the new
// table with a column of the tables before is a hash join; anything else a nested loop.
func (sc *scope) join(rows []sqlRow, j joinClause) ([]sqlRow, error) {
	newIdx := len(sc.tables) - 1
	right := sc.tables[newIdx].rows
	var out []sqlRow
	extend := func(r sqlRow, rr map[string]sqlValue) sqlRow {
		n := make(sqlRow, len(r)+1)
		copy(n, r)
		n[len(r)] = rr
		return n
	}
	if be, ok := j.on.(*binExpr); ok && be.op == "=" {
		lc, lok := be.l.(*colRef)
		rc, rok := be.r.(*colRef)
		if lok && rok {
			li, err1 := sc.resolve(lc)
			ri, err2 := sc.resolve(rc)
			if err1 == nil && err2 == nil && (li == newIdx) != (ri == newIdx) {
				if li == newIdx {
					lc, rc, li, ri = rc, lc, ri, li
				}
				index := map[string][]map[string]sqlValue{}
				for _, rr := range right {
					if v := rr[rc.name]; v.kind != sqlNull {
						k, _ := v.render()
						index[k] = append(index[k], rr)
					}
				}
				for _, r := range rows {
					var matches []map[string]sqlValue
					if r[li] != nil {
						if v := r[li][lc.name]; v.kind != sqlNull {
							k, _ := v.render()
							matches = index[k]
						}
					}
					for _, rr := range matches {
						out = append(out, extend(r, rr))
					}
					if len(matches) == 0 && j.left {
						out = append(out, extend(r, nil))
					}
					if len(out) > 5*maxSuiteQLResults {
						return nil, fmt.Errorf("the join produces too many rows")
					}
				}
				return out, nil
			}
		}
	}
	for _, r := range rows {
		matched := false
		for _, rr := range right {
			cand := extend(r, rr)
			v, err := sc.eval(j.on, cand)
			if err != nil {
				return nil, err
			}
			if v.s == "T" {
				out = append(out, cand)
				matched = true
			}
		}
		if !matched && j.left {
			out = append(out, extend(r, nil))
		}
		if len(out) > 5*maxSuiteQLResults {
			return nil, fmt.Errorf("the join produces too many rows")
		}
	}
	return out, nil
}
