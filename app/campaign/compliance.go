package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
)

// Window is a daily calling window in the callee's local time, "HH:MM".
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// RetryRule says how to retry a contact after an outcome.
type RetryRule struct {
	Outcome     string `json:"outcome"`
	IntervalMin int    `json:"interval_min"`
	MaxAttempts int    `json:"max_attempts"` // total dialed attempts, first one included
}

// Rules are a campaign's compliance and retry settings (Campaign.Rules).
type Rules struct {
	Windows []Window `json:"windows"`
	// Weekdays allowed, 0 = Sunday … 6 = Saturday.
	Weekdays []int `json:"weekdays"`
	// Holidays are local dates "2026-10-01" on which nobody is called.
	Holidays []string    `json:"holidays"`
	Retries  []RetryRule `json:"retries"`
	// CallbackMin is the delay of a call_later callback when the dialogue did
	// not capture a time (default 120).
	CallbackMin int `json:"callback_min"`
	// AIDisclosure is always true: every script must open with the
	// non-interruptible AI disclosure line; script validation (dialog)
	// enforces it and the campaign records the requirement.
	AIDisclosure bool `json:"ai_disclosure"`
}

// DefaultRules are the platform defaults: 09:00–12:00 and 13:30–20:00 on
// weekdays, retries for busy, no answer, power off and carrier errors.
func DefaultRules() Rules {
	return Rules{
		Windows:  []Window{{"09:00", "12:00"}, {"13:30", "20:00"}},
		Weekdays: []int{1, 2, 3, 4, 5},
		Holidays: []string{},
		Retries: []RetryRule{
			{Outcome: callctl.OutcomeBusy, IntervalMin: 30, MaxAttempts: 3},
			{Outcome: callctl.OutcomeNoAnswer, IntervalMin: 60, MaxAttempts: 3},
			{Outcome: callctl.OutcomePoweredOff, IntervalMin: 120, MaxAttempts: 2},
			{Outcome: callctl.OutcomeCarrierError, IntervalMin: 10, MaxAttempts: 3},
		},
		CallbackMin:  120,
		AIDisclosure: true,
	}
}

var hhmm = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

func minutesOf(s string) int {
	return int(s[0]-'0')*600 + int(s[1]-'0')*60 + int(s[3]-'0')*10 + int(s[4]-'0')
}

// retryableOutcomes are the outcomes a retry rule may name.
var retryableOutcomes = []string{callctl.OutcomeBusy, callctl.OutcomeNoAnswer, callctl.OutcomePoweredOff,
	callctl.OutcomeCarrierError, callctl.OutcomeUnreachable, callctl.OutcomeRejected, callctl.OutcomeFailed}

// Validate checks rules and names the faulty field.
func (r *Rules) Validate() error {
	var v apperr.Validator
	v.Check(len(r.Windows) > 0 && len(r.Windows) <= 8, "rules.windows", "give 1 to 8 windows")
	for i, w := range r.Windows {
		f := fmt.Sprintf("rules.windows[%d]", i)
		ok := hhmm.MatchString(w.From) && hhmm.MatchString(w.To)
		v.Check(ok, f, "times are HH:MM")
		if ok {
			v.Check(minutesOf(w.From) < minutesOf(w.To), f, "from must be before to")
		}
	}
	v.Check(len(r.Weekdays) > 0, "rules.weekdays", "give at least one weekday")
	for _, d := range r.Weekdays {
		v.Check(d >= 0 && d <= 6, "rules.weekdays", "weekdays are 0 (Sunday) to 6")
	}
	v.Check(len(r.Holidays) <= 366, "rules.holidays", "at most 366 dates")
	for _, h := range r.Holidays {
		_, err := time.Parse("2006-01-02", h)
		v.Check(err == nil, "rules.holidays", "dates are YYYY-MM-DD")
	}
	for i, rr := range r.Retries {
		f := fmt.Sprintf("rules.retries[%d]", i)
		v.Check(slices.Contains(retryableOutcomes, rr.Outcome), f+".outcome", "must be one of "+strings.Join(retryableOutcomes, ", "))
		v.Check(rr.IntervalMin >= 1 && rr.IntervalMin <= 7*24*60, f+".interval_min", "must be 1 to 10080")
		v.Check(rr.MaxAttempts >= 1 && rr.MaxAttempts <= 10, f+".max_attempts", "must be 1 to 10")
	}
	v.Check(r.CallbackMin >= 0 && r.CallbackMin <= 7*24*60, "rules.callback_min", "must be 0 to 10080")
	if r.CallbackMin == 0 {
		r.CallbackMin = 120
	}
	r.AIDisclosure = true
	return v.Err()
}

func parseRules(s string) Rules {
	r := DefaultRules()
	if s != "" {
		_ = json.Unmarshal([]byte(s), &r)
	}
	return r
}

var zoneCache sync.Map // name -> *time.Location

func zone(name string) *time.Location {
	if name == "" {
		name = chinaTZ
	}
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l, _ = time.LoadLocation(chinaTZ)
		if l == nil {
			l = time.FixedZone("CST", 8*3600)
		}
	}
	zoneCache.Store(name, l)
	return l
}

// InWindow reports whether t is callable in zone tz, and if not, the next
// moment it will be (within 14 days; zero when never).
func (r *Rules) InWindow(t time.Time, tz string) (bool, time.Time) {
	loc := zone(tz)
	lt := t.In(loc)
	for day := 0; day < 15; day++ {
		d := time.Date(lt.Year(), lt.Month(), lt.Day()+day, 0, 0, 0, 0, loc)
		if !slices.Contains(r.Weekdays, int(d.Weekday())) || slices.Contains(r.Holidays, d.Format("2006-01-02")) {
			continue
		}
		for _, w := range r.Windows {
			from := d.Add(time.Duration(minutesOf(w.From)) * time.Minute)
			to := d.Add(time.Duration(minutesOf(w.To)) * time.Minute)
			if !lt.Before(from) && lt.Before(to) {
				return true, time.Time{}
			}
			if from.After(lt) {
				return false, from.UTC()
			}
		}
	}
	return false, time.Time{}
}

// retryFor returns the rule for an outcome, if any.
func (r *Rules) retryFor(outcome string) (RetryRule, bool) {
	for _, rr := range r.Retries {
		if rr.Outcome == outcome {
			return rr, true
		}
	}
	return RetryRule{}, false
}

// recentCalls returns, per number, when it was dialed in the last 7 days
// by anyone on the platform (one query for a pass's candidates).
func (s *Service) recentCalls(ctx context.Context, phones []string, now time.Time) (map[string][]time.Time, error) {
	out := map[string][]time.Time{}
	if len(phones) == 0 {
		return out, nil
	}
	rows, err := s.db.With(store.AsPlatform(ctx)).Model(&store.CallAttempt{}).Select("phone, queued_at").
		Where("phone IN ? AND queued_at >= ? AND not_dialed = ?", phones, now.Add(-7*24*time.Hour), false).Rows()
	if err != nil {
		return nil, fmt.Errorf("per-number cap: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var t time.Time
		if err := rows.Scan(&p, &t); err != nil {
			return nil, fmt.Errorf("per-number cap: %w", err)
		}
		out[p] = append(out[p], t)
	}
	return out, rows.Err()
}

// capFrom applies the platform-wide per-number cap (DailyCap in the
// callee's day, WeeklyCap in 7 days) to a number's recent calls, and says
// when it may be called again.
func (s *Service) capFrom(calls []time.Time, tz string, now time.Time) (bool, time.Time) {
	loc := zone(tz)
	lt := now.In(loc)
	dayStart := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc).UTC()
	slices.SortFunc(calls, func(a, b time.Time) int { return a.Compare(b) })
	today := 0
	for _, t := range calls {
		if !t.Before(dayStart) {
			today++
		}
	}
	if len(calls) >= s.opt.WeeklyCap {
		return true, calls[len(calls)-s.opt.WeeklyCap].Add(7*24*time.Hour + time.Minute)
	}
	if today >= s.opt.DailyCap {
		return true, dayStart.Add(24 * time.Hour)
	}
	return false, time.Time{}
}

// ComplianceRule names one preview line.
type ComplianceRule struct {
	Rule  string `json:"rule"`
	Count int64  `json:"count"`
}

// CompliancePreview says, for a list and rules, how many contacts each rule
// would hold back if the campaign started now.
type CompliancePreview struct {
	Total    int64            `json:"total"`
	Callable int64            `json:"callable_now"`
	Rules    []ComplianceRule `json:"rules"`
	// Requirements are not counts but conditions the campaign enforces.
	Requirements []string `json:"requirements"`
}

// Preview computes the compliance preview of listID under rules.
func (s *Service) Preview(ctx context.Context, listID uint64, rules Rules) (*CompliancePreview, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.GetList(ctx, listID); err != nil {
		return nil, err
	}
	now := s.now()
	out := &CompliancePreview{Requirements: []string{"ai_disclosure"}}
	db := s.db.With(ctx)
	if err := db.Model(&store.Contact{}).Where("list_id = ?", listID).Count(&out.Total).Error; err != nil {
		return nil, err
	}
	var tenantDNC, platDNC int64
	if err := db.Model(&store.Contact{}).Where("list_id = ? AND phone IN (?)", listID,
		s.db.With(ctx).Model(&store.DNCEntry{}).Select("phone")).Count(&tenantDNC).Error; err != nil {
		return nil, err
	}
	if err := db.Model(&store.Contact{}).Where("list_id = ? AND phone IN (?)", listID,
		s.db.With(store.AsPlatform(ctx)).Model(&store.PlatformDNC{}).Select("phone")).Count(&platDNC).Error; err != nil {
		return nil, err
	}
	// Windows: group by zone, one check per zone.
	type zc struct {
		TZ string
		N  int64
	}
	var zones []zc
	if err := db.Model(&store.Contact{}).Where("list_id = ?", listID).Select("tz, COUNT(*) AS n").Group("tz").Scan(&zones).Error; err != nil {
		return nil, err
	}
	var outside int64
	for _, z := range zones {
		if ok, _ := rules.InWindow(now, z.TZ); !ok {
			outside += z.N
		}
	}
	// Per-number cap: contacts whose number was dialed DailyCap times today
	// (platform day, UTC+8 for the bulk of numbers) anywhere on the platform.
	dayStart := now.In(zone(chinaTZ))
	dayStart = time.Date(dayStart.Year(), dayStart.Month(), dayStart.Day(), 0, 0, 0, 0, dayStart.Location()).UTC()
	var capped int64
	sub := s.db.With(store.AsPlatform(ctx)).Model(&store.CallAttempt{}).Select("phone").
		Where("queued_at >= ? AND not_dialed = ?", dayStart, false).Group("phone").Having("COUNT(*) >= ?", s.opt.DailyCap)
	if err := db.Model(&store.Contact{}).Where("list_id = ? AND phone IN (?)", listID, sub).Count(&capped).Error; err != nil {
		return nil, err
	}
	out.Rules = []ComplianceRule{{"dnc_tenant", tenantDNC}, {"dnc_platform", platDNC}, {"outside_window", outside}, {"daily_cap", capped}}
	out.Callable = max(out.Total-tenantDNC-platDNC-outside-capped, 0)
	if s.opt.IgnoreWindows {
		out.Callable = max(out.Total-tenantDNC-platDNC-capped, 0)
	}
	return out, nil
}
