package campaign

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
)

// ResultFilter narrows the results (call records) view.
type ResultFilter struct {
	CampaignID uint64
	Outcome    string
	Grade      string
	Phone      string // digits fragment
	From, To   *time.Time
	Handled    *bool
}

// resultConds turns a filter into SQL conditions on call_attempts.
func resultConds(f ResultFilter) ([]string, []any, error) {
	conds := []string{"not_dialed = ?"}
	args := []any{false}
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if f.CampaignID != 0 {
		add("campaign_id = ?", f.CampaignID)
	}
	// Only finished attempts have an outcome, so an outcome filter stands for
	// the state filter and lets the (tenant, campaign, outcome) index serve
	// the page in id order.
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	} else {
		add("state = ?", store.AttemptFinished)
	}
	if f.Grade != "" {
		if len(f.Grade) != 1 {
			return nil, nil, apperr.Invalid("grade", "is one letter A to F")
		}
		add("grade = ?", f.Grade)
	}
	if f.Phone != "" {
		d := strings.TrimPrefix(cleanDigits(f.Phone), "+")
		if d == "x" || d == "" {
			return nil, nil, apperr.Invalid("phone", "give digits of the number")
		}
		add("phone LIKE ?", "%"+d+"%")
	}
	if f.From != nil {
		add("queued_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		add("queued_at < ?", f.To.UTC())
	}
	if f.Handled != nil {
		add("EXISTS (SELECT 1 FROM campaign_contacts cc WHERE cc.campaign_id = call_attempts.campaign_id AND cc.contact_id = call_attempts.contact_id AND cc.handled = ?)", *f.Handled)
	}
	return conds, args, nil
}

func (s *Service) resultQuery(ctx context.Context, f ResultFilter) (*gorm.DB, error) {
	conds, args, err := resultConds(f)
	if err != nil {
		return nil, err
	}
	return s.db.With(ctx).Model(&store.CallAttempt{}).Where(strings.Join(conds, " AND "), args...), nil
}

// Results pages through call records, newest first.
func (s *Service) Results(ctx context.Context, f ResultFilter, p store.Page) ([]store.CallAttempt, uint64, error) {
	p = p.Normalize()
	var rows []store.CallAttempt
	tid, scoped := store.TenantFrom(ctx)
	if s.db.Dialect == store.MySQL && scoped && f.CampaignID != 0 {
		// MariaDB prefers intersecting single-column indexes and sorting;
		// naming the composite index reads the page in id order.
		conds, args, err := resultConds(f)
		if err != nil {
			return nil, 0, err
		}
		idx := "idx_attempt_tenant_campaign_state"
		if f.Outcome != "" {
			idx = "idx_attempt_tenant_campaign_outcome"
		}
		conds = append(conds, "tenant_id = ?")
		args = append(args, tid)
		if p.BeforeID > 0 {
			conds = append(conds, "id < ?")
			args = append(args, p.BeforeID)
		}
		var ids []uint64
		err = s.db.With(ctx).Raw("SELECT id FROM call_attempts FORCE INDEX ("+idx+") WHERE "+strings.Join(conds, " AND ")+
			" ORDER BY id DESC LIMIT ?", append(args, p.Limit+1)...).Scan(&ids).Error
		if err != nil {
			return nil, 0, err
		}
		if len(ids) > 0 {
			if err := s.db.With(ctx).Where("id IN ?", ids).Order("id DESC").Find(&rows).Error; err != nil {
				return nil, 0, err
			}
		}
	} else {
		q, err := s.resultQuery(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		if err := p.Apply(q, "call_attempts.id").Find(&rows).Error; err != nil {
			return nil, 0, err
		}
	}
	rows, next := store.Trim(p, rows, func(a store.CallAttempt) uint64 { return a.ID })
	return rows, next, nil
}

// InFlight lists a campaign's attempts not finished yet (the live view).
func (s *Service) InFlight(ctx context.Context, campaignID uint64, limit int) ([]store.CallAttempt, error) {
	if _, err := s.GetCampaign(ctx, campaignID); err != nil {
		return nil, err
	}
	var rows []store.CallAttempt
	err := s.db.With(ctx).Where("campaign_id = ? AND state IN ?", campaignID, inFlightStates).Order("id DESC").Limit(max(1, min(limit, 200))).Find(&rows).Error
	return rows, err
}

// GetResult returns one call record.
func (s *Service) GetResult(ctx context.Context, id uint64) (*store.CallAttempt, error) {
	var a store.CallAttempt
	if err := s.db.With(ctx).First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("call %d: %w", id, store.Translate(err))
	}
	return &a, nil
}

// Stats are a campaign's figures.
type Stats struct {
	CampaignID  uint64           `json:"campaign_id"`
	State       string           `json:"state"`
	PauseReason string           `json:"pause_reason"`
	Total       int64            `json:"total"`
	Pending     int64            `json:"pending"`
	InFlight    int64            `json:"in_flight"`
	Done        int64            `json:"done"`
	Skipped     int64            `json:"skipped"`
	Calls       int64            `json:"calls"`
	Answered    int64            `json:"answered"`
	ConnectRate float64          `json:"connect_rate"`
	AvgTalkSec  float64          `json:"avg_talk_sec"`
	Outcomes    map[string]int64 `json:"outcomes"`
	Grades      map[string]int64 `json:"grades"`
	ByHour      []HourStat       `json:"by_hour"`
}

// HourStat is one hour of calls (UTC hour start).
type HourStat struct {
	Hour     string `json:"hour"`
	Calls    int64  `json:"calls"`
	Answered int64  `json:"answered"`
}

// CampaignStats computes a campaign's statistics with grouped queries over
// the campaign's indexes (campaign_id, state/outcome/queued_at).
func (s *Service) CampaignStats(ctx context.Context, id uint64) (*Stats, error) {
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &Stats{CampaignID: c.ID, State: c.State, PauseReason: c.PauseReason, Outcomes: map[string]int64{}, Grades: map[string]int64{}, ByHour: []HourStat{}}
	db := s.db.With(ctx)
	type kv struct {
		K string
		N int64
	}
	// Grouping every campaign contact by state takes seconds with millions
	// of them. Done (final, the bulk of a finished campaign) is a counter on
	// the campaign; in flight and skipped are short index ranges; pending
	// is the rest of the total.
	var states []kv
	if err := db.Model(&store.CampaignContact{}).Select("state AS k, COUNT(*) AS n").
		Where("campaign_id = ? AND state IN ?", c.ID, []string{store.CCActive, store.CCSkipped}).Group("state").Scan(&states).Error; err != nil {
		return nil, err
	}
	for _, r := range states {
		switch r.K {
		case store.CCActive:
			st.InFlight = r.N
		case store.CCSkipped:
			st.Skipped = r.N
		}
	}
	st.Total, st.Done = c.Total, c.ContactsDone
	st.Pending = max(st.Total-st.Done-st.InFlight-st.Skipped, 0)
	var counts []store.CampaignStat
	if err := db.Where("campaign_id = ?", c.ID).Find(&counts).Error; err != nil {
		return nil, err
	}
	since := s.now().Add(-48 * time.Hour).Truncate(time.Hour).Format(hourKey)
	hours := map[string]*HourStat{}
	var order []string
	hour := func(k string) *HourStat {
		if hours[k] == nil {
			hours[k] = &HourStat{Hour: k + ":00:00Z"}
			order = append(order, k)
		}
		return hours[k]
	}
	for _, r := range counts {
		switch r.Kind {
		case statOutcome:
			st.Outcomes[r.Key] = r.N
			st.Calls += r.N
		case statGrade:
			st.Grades[r.Key] = r.N
		case statHour:
			if r.Key >= since {
				hour(r.Key).Calls = r.N
			}
		case statAnsweredHour:
			if r.Key >= since {
				hour(r.Key).Answered = r.N
			}
		}
	}
	st.Answered = st.Outcomes[callctl.OutcomeAnswered]
	if st.Calls > 0 {
		st.ConnectRate = float64(st.Answered) / float64(st.Calls)
	}
	if c.Answered > 0 {
		st.AvgTalkSec = float64(c.TalkSecSum) / float64(c.Answered)
	}
	sortedStrings(order)
	for _, k := range order {
		st.ByHour = append(st.ByHour, *hours[k])
	}
	return st, nil
}

// Kinds of CampaignStat rows.
const (
	statOutcome      = "outcome"
	statGrade        = "grade"
	statHour         = "hour"
	statAnsweredHour = "answ_hr"
	hourKey          = "2006-01-02T15"
)

// countFinished adds a finished, dialed attempt to its campaign's counts.
func countFinished(tx *gorm.DB, a *store.CallAttempt, at time.Time) error {
	keys := [][2]string{{statOutcome, a.Outcome}, {statHour, at.UTC().Format(hourKey)}}
	if a.Grade != "" {
		keys = append(keys, [2]string{statGrade, a.Grade})
	}
	if a.Outcome == callctl.OutcomeAnswered {
		keys = append(keys, [2]string{statAnsweredHour, at.UTC().Format(hourKey)})
	}
	for _, k := range keys {
		row := &store.CampaignStat{CampaignID: a.CampaignID, Kind: k[0], Key: truncate(k[1], 32), N: 1}
		row.TenantID = a.TenantID
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "campaign_id"}, {Name: "kind"}, {Name: "key"}},
			DoUpdates: clause.Assignments(map[string]any{"n": gorm.Expr("n + 1")}),
		}).Create(row).Error
		if err != nil {
			return fmt.Errorf("count finished call: %w", err)
		}
	}
	return nil
}

// RebuildStats recomputes a campaign's counts from its call records (after
// records were written outside AttemptFinished, or to repair them).
//
// The records are read in slices of rebuildSlice ids, each one short
// statement: a campaign with ten million records would otherwise run one
// aggregate for minutes, past the driver's read timeout, and hold a
// transaction open the whole time. The counts are then replaced in one
// short transaction. Calls finishing while it reads may be counted or not;
// run it on a quiet campaign (or run it again).
func (s *Service) RebuildStats(ctx context.Context, campaignID uint64) error {
	c, err := s.GetCampaign(ctx, campaignID)
	if err != nil {
		return err
	}
	hourExpr := "strftime('%Y-%m-%dT%H', queued_at)"
	if s.db.Dialect == store.MySQL {
		hourExpr = "DATE_FORMAT(queued_at, '%Y-%m-%dT%H')"
	}
	db := s.db.With(ctx)
	counts := map[[2]string]int64{}
	err = inIDSlices(db, "call_attempts", c.ID, func(lo, hi uint64) error {
		var rows []struct {
			Outcome, Grade, Hour string
			N                    int64
		}
		err := db.Raw("SELECT outcome, grade, "+hourExpr+" AS hour, COUNT(*) AS n FROM call_attempts "+
			"WHERE campaign_id = ? AND tenant_id = ? AND state = 'finished' AND not_dialed = ? AND id >= ? AND id < ? "+
			"GROUP BY outcome, grade, "+hourExpr, c.ID, c.TenantID, false, lo, hi).Scan(&rows).Error
		if err != nil {
			return err
		}
		for _, r := range rows {
			counts[[2]string{statOutcome, r.Outcome}] += r.N
			counts[[2]string{statHour, r.Hour}] += r.N
			if r.Grade != "" {
				counts[[2]string{statGrade, r.Grade}] += r.N
			}
			if r.Outcome == callctl.OutcomeAnswered {
				counts[[2]string{statAnsweredHour, r.Hour}] += r.N
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild counts: %w", err)
	}
	var done int64
	err = inIDSlices(db, "campaign_contacts", c.ID, func(lo, hi uint64) error {
		var n int64
		err := db.Model(&store.CampaignContact{}).Where("campaign_id = ? AND state = ? AND id >= ? AND id < ?", c.ID, store.CCDone, lo, hi).Count(&n).Error
		done += n
		return err
	})
	if err != nil {
		return fmt.Errorf("rebuild done count: %w", err)
	}
	stats := make([]store.CampaignStat, 0, len(counts))
	for k, n := range counts {
		row := store.CampaignStat{CampaignID: c.ID, Kind: k[0], Key: truncate(k[1], 32), N: n}
		row.TenantID = c.TenantID
		stats = append(stats, row)
	}
	return s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("campaign_id = ?", c.ID).Delete(&store.CampaignStat{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&store.Campaign{}).Where("id = ?", c.ID).Update("contacts_done", done).Error; err != nil {
			return fmt.Errorf("rebuild done count: %w", err)
		}
		if len(stats) == 0 {
			return nil
		}
		return tx.CreateInBatches(stats, 500).Error
	})
}

// rebuildSlice is how many ids one RebuildStats statement covers.
var rebuildSlice uint64 = 200_000

// inIDSlices calls f with consecutive [lo, hi) id ranges covering the
// campaign's rows of table (MIN and MAX come from the campaign_id index).
func inIDSlices(db *gorm.DB, table string, campaignID uint64, f func(lo, hi uint64) error) error {
	var r struct{ Lo, Hi *uint64 }
	if err := db.Raw("SELECT MIN(id) AS lo, MAX(id) AS hi FROM "+table+" WHERE campaign_id = ?", campaignID).Scan(&r).Error; err != nil {
		return err
	}
	if r.Lo == nil || r.Hi == nil {
		return nil
	}
	for lo := *r.Lo; lo <= *r.Hi; lo += rebuildSlice {
		if err := f(lo, lo+rebuildSlice); err != nil {
			return err
		}
	}
	return nil
}

// FollowUp changes a lead's follow-up fields.
type FollowUp struct {
	Handled    *bool   `json:"handled"`
	AssigneeID *uint64 `json:"assignee_id"`
	Notes      *string `json:"notes"`
}

// SetFollowUp updates the follow-up of the contact of call record id.
func (s *Service) SetFollowUp(ctx context.Context, id uint64, f FollowUp) (*store.CampaignContact, error) {
	a, err := s.GetResult(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := map[string]any{}
	if f.Handled != nil {
		upd["handled"] = *f.Handled
	}
	if f.AssigneeID != nil {
		if *f.AssigneeID != 0 {
			var u store.User
			if err := s.db.With(ctx).First(&u, *f.AssigneeID).Error; err != nil {
				return nil, apperr.Invalid("assignee_id", "no such user")
			}
		}
		upd["assignee_id"] = *f.AssigneeID
	}
	if f.Notes != nil {
		if len(*f.Notes) > 4000 {
			return nil, apperr.Invalid("notes", "at most 4000 bytes")
		}
		upd["notes"] = *f.Notes
	}
	if len(upd) == 0 {
		return nil, apperr.Invalid("body", "give handled, assignee_id or notes")
	}
	q := s.db.With(ctx).Model(&store.CampaignContact{}).Where("campaign_id = ? AND contact_id = ?", a.CampaignID, a.ContactID)
	if err := q.Updates(upd).Error; err != nil {
		return nil, err
	}
	var cc store.CampaignContact
	if err := s.db.With(ctx).Where("campaign_id = ? AND contact_id = ?", a.CampaignID, a.ContactID).First(&cc).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &cc, nil
}

var exportHeader = []string{"id", "uuid", "campaign_id", "phone", "caller_id", "attempt_no", "outcome", "hangup_cause", "sip_status",
	"grade", "tags", "queued_at", "answered_at", "ended_at", "ring_sec", "talk_sec", "cost_fen", "vars"}

func exportRow(a *store.CallAttempt) []string {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	}
	row := []string{strconv.FormatUint(a.ID, 10), a.UUID, strconv.FormatUint(a.CampaignID, 10), a.Phone, a.CallerID,
		strconv.Itoa(a.AttemptNo), a.Outcome, a.HangupCause, strconv.Itoa(a.SIPStatus), a.Grade, a.Tags,
		a.QueuedAt.UTC().Format("2006-01-02 15:04:05"), ts(a.AnsweredAt), ts(a.EndedAt), strconv.Itoa(a.RingSec),
		strconv.Itoa(a.TalkSec), strconv.FormatInt(a.CostFen, 10), a.Vars}
	for i := range row {
		row[i] = NeutralizeCell(row[i])
	}
	return row
}

// Export streams the filtered results as csv or xlsx, oldest first, in
// pages of 1000 rows so memory stays flat. Cells that would run as
// formulas are neutralized.
func (s *Service) Export(ctx context.Context, f ResultFilter, format string, w io.Writer) error {
	return s.exportTable(ctx, f, format, w, nil)
}

// exportTable is Export that also hands every written row to onRow (when
// set), so a ZIP export knows exactly which rows its table holds.
func (s *Service) exportTable(ctx context.Context, f ResultFilter, format string, w io.Writer, onRow func(a *store.CallAttempt) error) error {
	if format != "csv" && format != "xlsx" {
		return apperr.Invalid("format", "must be csv or xlsx")
	}
	q, err := s.resultQuery(ctx, f)
	if err != nil {
		return err
	}
	each := func(fn func(a *store.CallAttempt) error) error {
		var after uint64
		for {
			var rows []store.CallAttempt
			if err := q.Session(&gorm.Session{}).Where("call_attempts.id > ?", after).Order("call_attempts.id").Limit(1000).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				return nil
			}
			for i := range rows {
				after = rows[i].ID
				if err := fn(&rows[i]); err != nil {
					return err
				}
				if onRow != nil {
					if err := onRow(&rows[i]); err != nil {
						return err
					}
				}
			}
		}
	}
	switch format {
	case "csv":
		_, _ = w.Write([]byte("\xEF\xBB\xBF"))
		cw := csv.NewWriter(w)
		_ = cw.Write(exportHeader)
		if err := each(func(a *store.CallAttempt) error { return cw.Write(exportRow(a)) }); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		sw, err := x.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		n := 1
		write := func(cells []string) error {
			vals := make([]any, len(cells))
			for i, c := range cells {
				vals[i] = c // strings are written as text, never as formulas
			}
			cell, _ := excelize.CoordinatesToCellName(1, n)
			n++
			return sw.SetRow(cell, vals)
		}
		if err := write(exportHeader); err != nil {
			return err
		}
		if err := each(func(a *store.CallAttempt) error { return write(exportRow(a)) }); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return x.Write(w)
	}
	return apperr.Invalid("format", "must be csv or xlsx")
}
