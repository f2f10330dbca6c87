package loadtest

import (
	"slices"
	"testing"
	"time"
)

// incidentArrivals is what testdata/incident*.{csv,json} record.
var incidentArrivals = []Arrival{
	{0, 3},
	{250 * time.Millisecond, 1},
	{time.Second, 7},
	{2500 * time.Millisecond, 10},
	{7125 * time.Millisecond, 4},
	{10 * time.Second, 1},
}

// hitInstants lists the instant of every hit of arrivals, each offset times scale.
func hitInstants(arrivals []Arrival, scale float64) []time.Duration {
	var out []time.Duration
	for _, a := range arrivals {
		for range a.Count {
			out = append(out, time.Duration(float64(a.Offset)*scale))
		}
	}
	return out
}

func TestReplayPlaysTheRecordedTimeline(t *testing.T) {
	t.Parallel()
	tl, err := LoadTimeline("testdata/incident.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scale    float64
		duration time.Duration
		// second of attack time → arrivals in it
		rates map[time.Duration]float64
	}{
		{1, 10 * time.Second, map[time.Duration]float64{0: 4, time.Second: 7, 2 * time.Second: 10, 3 * time.Second: 0, 7 * time.Second: 4, 7999 * time.Millisecond: 4, 10 * time.Second: 1, 11 * time.Second: 0}},
		{2, 20 * time.Second, map[time.Duration]float64{0: 4, time.Second: 0, 2 * time.Second: 7, 5 * time.Second: 10, 14 * time.Second: 4, 20 * time.Second: 1}},
		{0.5, 5 * time.Second, map[time.Duration]float64{0: 11, time.Second: 10, 2 * time.Second: 0, 3 * time.Second: 4, 5 * time.Second: 1}},
	}
	for _, tt := range tests {
		p := must(Replay(tl, tt.scale))
		times, stopped := simulate(t, p, time.Hour, 1000)
		if !stopped {
			t.Errorf("scale %v: no stop after the last arrival", tt.scale)
		}
		if want := hitInstants(incidentArrivals, tt.scale); !slices.Equal(times, want) {
			t.Errorf("scale %v: hits at\n %v, want\n %v", tt.scale, times, want)
		}
		if got := p.Duration(); got != tt.duration || times[len(times)-1] != got {
			t.Errorf("scale %v: Duration = %s, last hit at %s; want both %s", tt.scale, got, times[len(times)-1], tt.duration)
		}
		for at, want := range tt.rates {
			if got := p.Rate(at); got != want {
				t.Errorf("scale %v: Rate(%s) = %v, want %v", tt.scale, at, got, want)
			}
		}
		if got := p.Rate(-time.Second); got != 0 {
			t.Errorf("scale %v: Rate(-1s) = %v, want 0", tt.scale, got)
		}
	}
}

// The zero Scale of a ReplayPacer built without Replay is 1.
func TestReplayZeroScaleIsOne(t *testing.T) {
	t.Parallel()
	p := ReplayPacer{Timeline: mustTimeline(t, incidentArrivals...)}
	times, stopped := simulate(t, p, time.Hour, 1000)
	if !stopped || !slices.Equal(times, hitInstants(incidentArrivals, 1)) {
		t.Errorf("hits at %v (stopped %t), want %v", times, stopped, hitInstants(incidentArrivals, 1))
	}
	if p.Duration() != 10*time.Second {
		t.Errorf("Duration = %s, want 10s", p.Duration())
	}
}

// A timeline that begins late waits for its first arrival, and the scale rounds to the
// nanosecond.
func TestReplayWaitsForTheFirstArrival(t *testing.T) {
	t.Parallel()
	p := must(Replay(mustTimeline(t, Arrival{3 * time.Second, 2}, Arrival{3*time.Second + 1, 1}), 1.0/3))
	times, stopped := simulate(t, p, time.Hour, 10)
	if want := []time.Duration{time.Second, time.Second, time.Second}; !stopped || !slices.Equal(times, want) {
		t.Errorf("hits at %v (stopped %t), want %v", times, stopped, want)
	}
}
