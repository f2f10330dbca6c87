package netsuite

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBodyDecoderReadsScalars(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want any
	}{
		{`"plain"`, "plain"},
		{`"caf\u00e9 \"q\" \\ \/ \n"`, "café \"q\" \\ / \n"},
		{`"\ud83d\ude00"`, "😀"},
		{`"é"`, "é"},
		{`-0.5e+3`, json.Number("-0.5e+3")},
		{`0`, json.Number("0")},
		{`true`, true},
		{`false`, false},
		{`null`, nil},
	}
	for _, tc := range cases {
		d := newBodyDecoder([]byte(tc.in))
		got, e := d.scalar("x")
		require.Nil(t, e, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Nil(t, d.end())
	}
	for _, bad := range []string{`01`, `1.`, `.5`, `-`, `1e`, `+1`, `"a`, `"\x"`, `"\u12"`, "\"a\tb\"", `tru`, `nul`, `'a'`, `NaN`} {
		d := newBodyDecoder([]byte(bad))
		_, e := d.scalar("x")
		if e == nil {
			e = d.end()
		}
		assert.NotNil(t, e, bad)
	}
}

func TestBodyDecoderBoundsNesting(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", maxDepth+10) + strings.Repeat("]", maxDepth+10)
	d := newBodyDecoder([]byte(deep))
	_, e := d.raw("custbody_x")
	require.NotNil(t, e)
	assert.Contains(t, e.detail.Detail, "nested too deeply")
}

// FuzzBodyDecoder checks the scanner against encoding/json: it accepts a value exactly
// when encoding/json does (up to its nesting bound), and reads strings the same way.
func FuzzBodyDecoder(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}],"c":"\u00e9"}`, `[]`, `{}`, `"x"`, `-1.5E-3`, `{"a":}`, `[1,]`, `{"a" 1}`, "\"\xff\"", ` true `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newBodyDecoder(data)
		_, e := d.raw("")
		if e == nil {
			e = d.end()
		}
		ok := e == nil
		if ok != json.Valid(data) && !strings.Contains(e.detailOrEmpty(), "nested too deeply") {
			t.Fatalf("decoder ok=%v, encoding/json valid=%v for %q (%v)", ok, !ok, data, e)
		}
		if ok && len(data) > 0 {
			var want any
			if json.Unmarshal(data, &want) == nil {
				if s, isString := want.(string); isString {
					got, e := newBodyDecoder(data).scalar("")
					if e != nil || got != s {
						t.Fatalf("string %q read as %q, encoding/json gives %q", data, got, s)
					}
				}
			}
		}
	})
}
