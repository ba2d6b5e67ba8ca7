package esl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseStatusUptime reads how long FreeSWITCH has been up from the first
// line of the `status` api's reply, which mod_commands' status_function
// (src/mod/applications/mod_commands/mod_commands.c) prints as
//
//	UP 0 years, 0 days, 2 hours, 5 minutes, 3 seconds, 32 milliseconds, 0 microseconds
//
// with the plural "s" dropped when a count is exactly 1. Call control uses
// it to tell whether a node restarted after a call was dialed: a crash loses
// the channels and their CDRs, so "no channel, no CDR" then proves nothing.
func ParseStatusUptime(reply string) (time.Duration, error) {
	line, _, _ := strings.Cut(reply, "\n")
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "UP ")
	if !ok {
		return 0, fmt.Errorf("status reply %q: no UP line", truncate(line, 80))
	}
	units := map[string]time.Duration{
		"year": 365 * 24 * time.Hour, "day": 24 * time.Hour, "hour": time.Hour, "minute": time.Minute,
		"second": time.Second, "millisecond": time.Millisecond, "microsecond": time.Microsecond,
	}
	var up time.Duration
	seen := 0
	for _, part := range strings.Split(rest, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return 0, fmt.Errorf("status reply %q: bad uptime part %q", truncate(line, 80), part)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		unit, known := units[strings.TrimSuffix(f[1], "s")]
		if err != nil || n < 0 || !known {
			return 0, fmt.Errorf("status reply %q: bad uptime part %q", truncate(line, 80), part)
		}
		up += time.Duration(n) * unit
		seen++
	}
	if seen == 0 {
		return 0, fmt.Errorf("status reply %q: empty uptime", truncate(line, 80))
	}
	return up, nil
}
