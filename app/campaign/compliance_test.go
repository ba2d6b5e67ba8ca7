package campaign

import (
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestInWindow(t *testing.T) {
	r := DefaultRules()
	r.Holidays = []string{"2026-10-01"}
	sh := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, zone("Asia/Shanghai"))
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		at, tz string
		ok     bool
		next   string // Shanghai local time of the next window, "" when ok
	}{
		{"2026-11-24 10:00", "Asia/Shanghai", true, ""},
		{"2026-11-24 12:30", "Asia/Shanghai", false, "2026-11-24 13:30"}, // lunch break
		{"2026-11-24 20:00", "Asia/Shanghai", false, "2026-11-25 09:00"},
		{"2026-11-28 10:00", "Asia/Shanghai", false, "2026-11-30 09:00"}, // Saturday
		{"2026-10-01 10:00", "Asia/Shanghai", false, "2026-10-02 09:00"}, // holiday
		// 10:00 in Shanghai is 21:00 the day before in New York: outside.
		{"2026-11-24 10:00", "America/New_York", false, "2026-11-24 22:00"},
	}
	for _, c := range cases {
		ok, next := r.InWindow(sh(c.at), c.tz)
		if ok != c.ok {
			t.Fatalf("%s %s: ok=%v", c.at, c.tz, ok)
		}
		if !ok && next.In(zone("Asia/Shanghai")).Format("2006-01-02 15:04") != c.next {
			t.Fatalf("%s %s: next %s, want %s", c.at, c.tz, next.In(zone("Asia/Shanghai")), c.next)
		}
	}
}

func TestRulesValidate(t *testing.T) {
	r := Rules{Windows: []Window{{"12:00", "09:00"}, {"25:00", "26:00"}}, Weekdays: []int{7}, Holidays: []string{"tomorrow"},
		Retries: []RetryRule{{Outcome: "answered", IntervalMin: 0, MaxAttempts: 11}}}
	err := r.Validate()
	if err == nil {
		t.Fatal("impossible rules accepted")
	}
	for _, f := range []string{"rules.windows[0]", "rules.windows[1]", "rules.weekdays", "rules.holidays", "rules.retries[0].outcome", "rules.retries[0].interval_min", "rules.retries[0].max_attempts"} {
		if ve := err.Error(); !strings.Contains(ve, f) {
			t.Errorf("error %q does not name %s", ve, f)
		}
	}
}

func TestCompliancePreview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{})
		ctx, _ := newTenant(t, db, "acme")
		l := readyList(t, s, ctx, 10)
		if _, err := s.AddDNC(ctx, false, []string{"13900000001", "13900000002"}, "", ""); err != nil {
			t.Fatal(err)
		}
		p, err := s.Preview(ctx, l.ID, DefaultRules())
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 10 || p.Rules[0].Rule != "dnc_tenant" || p.Rules[0].Count != 2 || p.Requirements[0] != "ai_disclosure" {
			t.Fatalf("preview %+v", p)
		}
	})
}
