package integrator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAuditAt(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]any{
		"mon 03:00":    {time.Monday, 3 * time.Hour},
		"Monday 3:00":  {time.Monday, 3 * time.Hour},
		"SUN 23:59":    {time.Sunday, 23*time.Hour + 59*time.Minute},
		" sat  00:30 ": {time.Saturday, 30 * time.Minute},
	} {
		d, at, err := ParseAuditAt(in)
		require.NoError(t, err, in)
		require.Equal(t, want[0], d, in)
		require.Equal(t, want[1], at, in)
	}
	for in, msg := range map[string]string{
		"03:00":      "want a weekday and a time",
		"mo 03:00":   `"mo" is not a weekday`,
		"mon 24:00":  `"24:00" is not a time of day`,
		"mon 3:7":    `"3:7" is not a time of day`,
		"mon 03":     `"03" is not a time of day`,
		"mon 03:00x": `is not a time of day`,
	} {
		_, _, err := ParseAuditAt(in)
		require.ErrorContains(t, err, msg, in)
	}
}

func TestNextAudit(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		require.NoError(t, err)
		return tm
	}
	three := 3 * time.Hour
	require.Equal(t, at("2026-11-30 03:00"), nextAudit(at("2026-11-25 12:00"), berlin, time.Monday, three))
	require.Equal(t, at("2026-11-30 03:00"), nextAudit(at("2026-11-30 02:59"), berlin, time.Monday, three))
	require.Equal(t, at("2026-12-07 03:00"), nextAudit(at("2026-11-30 03:00"), berlin, time.Monday, three), "not the same instant again")
	// The wall-clock time holds across the end of summer time (Sunday 25 October 2026).
	require.Equal(t, at("2026-10-26 03:00"), nextAudit(at("2026-10-20 03:00"), berlin, time.Monday, three))
	// In UTC the same instant is still Sunday: the next Monday 03:00 UTC.
	require.Equal(t, time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC), nextAudit(at("2026-11-30 00:30"), time.UTC, time.Monday, three))
}

func TestParseAuditPeriod(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	from, to, err := ParseAuditPeriod("", "", now, berlin)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 23, 0, 0, 0, 0, berlin), from)
	require.Equal(t, time.Date(2026, 11, 30, 0, 0, 0, 0, berlin), to)
	from, to, err = ParseAuditPeriod("2026-11-01", "2026-11-02T12:00:00Z", now, berlin)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, berlin), from)
	require.Equal(t, time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), to)
	for _, tc := range [][3]string{
		{"2026-11-01", "", "give both"},
		{"", "2026-11-01", "give both"},
		{"1/11/2026", "2026-11-02", `from "1/11/2026" is neither`},
		{"2026-11-02", "2026-11-01", "must be after"},
		{"2026-01-01", "2026-12-01", "at most 92 days"},
	} {
		_, _, err := ParseAuditPeriod(tc[0], tc[1], now, berlin)
		require.ErrorContains(t, err, tc[2], tc)
	}
}
