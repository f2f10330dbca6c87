package salesforce

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A body of many ignored keys is read in linear time.
func TestDecodeLargeBodyIsLinear(t *testing.T) {
	t.Parallel()
	sc, err := buildSchema(nil, true)
	require.NoError(t, err)
	obj, _ := sc.object(ObjectContact)
	body := "{" + strings.Repeat(`"attributes":{"type":"Contact"},`, 30000) + `"LastName":"A"}`
	start := time.Now()
	rb, e := decodeRecord([]byte(body), obj)
	require.Nil(t, e)
	assert.Len(t, rb.values, 1)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestDecodePositions(t *testing.T) {
	t.Parallel()
	sc, err := buildSchema(nil, true)
	require.NoError(t, err)
	obj, _ := sc.object(ObjectContact)
	_, e := decodeRecord([]byte("{\n  \"LastName\": \"A\",\n  \"Order_Count__c\": \"x\"\n}"), obj)
	require.NotNil(t, e)
	assert.Equal(t, "Cannot deserialize instance of double from VALUE_STRING value x or request may be missing a required field at [line:3, column:24]", e.errs[0].Message)
	_, e = decodeRecord([]byte(`{"LastName": "A" "x"}`), obj)
	require.NotNil(t, e)
	assert.Equal(t, CodeJSONParserError, e.errs[0].ErrorCode)
	assert.Contains(t, e.errs[0].Message, "[line:1, column:18]")
	rb, e := decodeRecord([]byte(`{"LastName":"A\u00e9\"b","FirstName":12.50,"HasOptedOutOfEmail":null}`), obj)
	require.Nil(t, e)
	assert.Equal(t, "Aé\"b", rb.values[0].value)
	assert.Equal(t, "12.50", rb.values[1].value)
	assert.Equal(t, false, rb.values[2].value)
}

func TestValidEmail(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a@b.co", "first.last+tag@sub.example.co.uk", "o'brien@example.ie", "A@EXAMPLE.COM", "x_y-z@a-b.io", "1@2.xn"} {
		assert.True(t, validEmail(ok), ok)
	}
	for _, bad := range []string{"a@b", "@b.com", "a@", "a@.com", "a@b..com", "a..b@c.com", ".a@b.com", "a.@b.com", "a b@c.com",
		"a@b.c", "a@-b.com", "a@b-.com", "a@b.c0m", "a@b.com.", "a@@b.com", "a@b_c.com", "ä@b.com", ""} {
		assert.False(t, validEmail(bad), bad)
	}
}
