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

	"github.com/waihu/waihu/app/apperr"
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

func (s *Service) resultQuery(ctx context.Context, f ResultFilter) (*gorm.DB, error) {
	q := s.db.With(ctx).Model(&store.CallAttempt{}).Where("call_attempts.state = ? AND call_attempts.not_dialed = ?", store.AttemptFinished, false)
	if f.CampaignID != 0 {
		q = q.Where("call_attempts.campaign_id = ?", f.CampaignID)
	}
	if f.Outcome != "" {
		q = q.Where("call_attempts.outcome = ?", f.Outcome)
	}
	if f.Grade != "" {
		if len(f.Grade) != 1 {
			return nil, apperr.Invalid("grade", "is one letter A to F")
		}
		q = q.Where("call_attempts.grade = ?", f.Grade)
	}
	if f.Phone != "" {
		d := strings.TrimPrefix(cleanDigits(f.Phone), "+")
		if d == "x" || d == "" {
			return nil, apperr.Invalid("phone", "give digits of the number")
		}
		q = q.Where("call_attempts.phone LIKE ?", "%"+d+"%")
	}
	if f.From != nil {
		q = q.Where("call_attempts.queued_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("call_attempts.queued_at < ?", f.To.UTC())
	}
	if f.Handled != nil {
		q = q.Where("EXISTS (SELECT 1 FROM campaign_contacts cc WHERE cc.campaign_id = call_attempts.campaign_id AND cc.contact_id = call_attempts.contact_id AND cc.handled = ?)", *f.Handled)
	}
	return q, nil
}

// Results pages through call records, newest first.
func (s *Service) Results(ctx context.Context, f ResultFilter, p store.Page) ([]store.CallAttempt, uint64, error) {
	q, err := s.resultQuery(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	var rows []store.CallAttempt
	if err := p.Apply(q, "call_attempts.id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(a store.CallAttempt) uint64 { return a.ID })
	return rows, next, nil
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
	var states []kv
	if err := db.Model(&store.CampaignContact{}).Select("state AS k, COUNT(*) AS n").Where("campaign_id = ?", c.ID).Group("state").Scan(&states).Error; err != nil {
		return nil, err
	}
	for _, r := range states {
		st.Total += r.N
		switch r.K {
		case store.CCPending:
			st.Pending = r.N
		case store.CCActive:
			st.InFlight = r.N
		case store.CCDone:
			st.Done = r.N
		case store.CCSkipped:
			st.Skipped = r.N
		}
	}
	var outs []kv
	if err := db.Model(&store.CallAttempt{}).Select("outcome AS k, COUNT(*) AS n").
		Where("campaign_id = ? AND state = ? AND not_dialed = ?", c.ID, store.AttemptFinished, false).Group("outcome").Scan(&outs).Error; err != nil {
		return nil, err
	}
	for _, r := range outs {
		st.Outcomes[r.K] = r.N
		st.Calls += r.N
	}
	st.Answered = st.Outcomes["answered"]
	if st.Calls > 0 {
		st.ConnectRate = float64(st.Answered) / float64(st.Calls)
	}
	if c.Answered > 0 {
		st.AvgTalkSec = float64(c.TalkSecSum) / float64(c.Answered)
	}
	var grades []kv
	if err := db.Model(&store.CallAttempt{}).Select("grade AS k, COUNT(*) AS n").
		Where("campaign_id = ? AND state = ? AND grade <> ''", c.ID, store.AttemptFinished).Group("grade").Scan(&grades).Error; err != nil {
		return nil, err
	}
	for _, r := range grades {
		st.Grades[r.K] = r.N
	}
	// By hour over the last 48 hours, bucketed in Go to stay portable.
	since := s.now().Add(-48 * time.Hour)
	rows, err := db.Model(&store.CallAttempt{}).Select("queued_at, outcome").
		Where("campaign_id = ? AND queued_at >= ? AND state = ? AND not_dialed = ?", c.ID, since, store.AttemptFinished, false).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hours := map[string]*HourStat{}
	var order []string
	for rows.Next() {
		var t time.Time
		var o string
		if err := rows.Scan(&t, &o); err != nil {
			return nil, err
		}
		h := t.UTC().Truncate(time.Hour).Format(time.RFC3339)
		hs := hours[h]
		if hs == nil {
			hs = &HourStat{Hour: h}
			hours[h] = hs
			order = append(order, h)
		}
		hs.Calls++
		if o == "answered" {
			hs.Answered++
		}
	}
	sortedStrings(order)
	for _, h := range order {
		st.ByHour = append(st.ByHour, *hours[h])
	}
	return st, rows.Err()
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
