package esl

import (
	"testing"
	"time"
)

func TestParseStatusUptime(t *testing.T) {
	// The first line of a real FreeSWITCH 1.10.12 reply (traces/inbound-auth.jsonl):
	// "1 minute" is singular.
	real := "UP 0 years, 0 days, 0 hours, 1 minute, 11 seconds, 324 milliseconds, 351 microseconds\nFreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n"
	up, err := ParseStatusUptime(real)
	want := time.Minute + 11*time.Second + 324*time.Millisecond + 351*time.Microsecond
	if err != nil || up != want {
		t.Fatalf("uptime %v %v, want %v", up, err, want)
	}
	if up, err := ParseStatusUptime("UP 1 year, 2 days, 3 hours, 0 minutes, 0 seconds, 0 milliseconds, 0 microseconds"); err != nil || up != 365*24*time.Hour+2*24*time.Hour+3*time.Hour {
		t.Fatalf("uptime %v %v", up, err)
	}
	for _, bad := range []string{"", "-ERR no reply", "UP", "UP x years", "UP 3 fortnights", "UP -1 days", "UP 1 day 2 hours"} {
		if _, err := ParseStatusUptime(bad); err == nil {
			t.Errorf("%q: parsed", bad)
		}
	}
}
