package capacity

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestReadLatencySampleCSV(t *testing.T) {
	e, err := ReadLatencySample(strings.NewReader("duration_ms\n100\n200\n300ms\n\"400\",extra\n1s\n"))
	require.NoError(t, err)
	assert.Equal(t, 5, e.Len())
	assert.Equal(t, 400*time.Millisecond, e.Mean())
	assert.Equal(t, 300*time.Millisecond, e.Quantile(0.5))
	assert.Equal(t, time.Second, e.Quantile(0.99))
	assert.Equal(t, "lognormal(300ms,1s)", e.LogNormalSpec())

	for _, bad := range []string{"", "header only\n", "1\nsoon\n", "-5\n"} {
		_, err := ReadLatencySample(strings.NewReader(bad))
		assert.ErrorIs(t, err, ErrSample, "%q", bad)
	}
}

func TestReadLatencySampleVegetaResults(t *testing.T) {
	var buf bytes.Buffer
	enc := vegeta.NewEncoder(&buf)
	for _, ms := range []int{500, 700, 900} {
		require.NoError(t, enc.Encode(&vegeta.Result{Code: 204, Latency: time.Duration(ms) * time.Millisecond, Timestamp: time.Unix(1, 0)}))
	}
	e, err := ReadLatencySample(&buf)
	require.NoError(t, err)
	assert.Equal(t, 3, e.Len())
	assert.Equal(t, 700*time.Millisecond, e.Mean())
}

func TestFittedLatencyDrivesBothEngines(t *testing.T) {
	m := model(t, `
name: fitted
traffic:
  phases:
    - {name: peak, constant: {rate: 25/s, duration: 10m}}`+plainOrders+`
fakes:
  netsuite: {concurrency: 10, latency: "500ms"}
sut:
  builtin: {replicas: 1, workers: 100, risk_check: false}
`)
	e, err := ReadLatencySample(strings.NewReader("250ms\n250ms\n250ms\n250ms\n"))
	require.NoError(t, err)
	m.SetNetSuiteLatency(e)
	assert.Equal(t, 250*time.Millisecond, m.NetSuiteMean)
	p, err := m.PredictSim()
	require.NoError(t, err)
	// 10 slots at 250 ms serve 40/s: the 25/s never queue.
	assert.InDelta(t, 40, p.Upstreams["netsuite"].CapacityRPS, 1e-9)
	assert.Less(t, p.PeakBacklog, 30.0)
}

func FuzzReadLatencySample(f *testing.F) {
	f.Add([]byte("ms\n100\n200ms\n"))
	f.Add([]byte("\"1s\",x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ReadLatencySample(bytes.NewReader(data))
		if err != nil {
			return
		}
		if e.Len() == 0 || e.Quantile(0) < 0 || e.Quantile(0.5) > e.Quantile(1) {
			t.Fatalf("bad sample from %q: %v", data, e)
		}
	})
}
