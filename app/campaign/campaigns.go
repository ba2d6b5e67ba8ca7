package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// CampaignInput creates or changes a campaign.
type CampaignInput struct {
	Name            string     `json:"name"`
	ListID          uint64     `json:"list_id"`
	ScriptVersionID uint64     `json:"script_version_id"`
	Priority        int        `json:"priority"`
	MaxConcurrent   int        `json:"max_concurrent"`
	TrunkID         uint64     `json:"trunk_id"`
	StartAt         *time.Time `json:"start_at"`
	EndAt           *time.Time `json:"end_at"`
	Rules           *Rules     `json:"rules"`
}

func (s *Service) validateInput(ctx context.Context, in *CampaignInput) error {
	var v apperr.Validator
	in.Name = strings.TrimSpace(in.Name)
	v.Check(in.Name != "" && utf8.RuneCountInString(in.Name) <= 128, "name", "must be 1 to 128 characters")
	v.Check(in.ListID > 0, "list_id", "is required")
	v.Check(in.Priority >= 0 && in.Priority <= 100, "priority", "must be 0 to 100")
	if in.MaxConcurrent == 0 {
		in.MaxConcurrent = 10
	}
	v.Check(in.MaxConcurrent >= 1 && in.MaxConcurrent <= 10000, "max_concurrent", "must be 1 to 10000")
	if in.StartAt != nil && in.EndAt != nil {
		v.Check(in.EndAt.After(*in.StartAt), "end_at", "must be after start_at")
	}
	if in.EndAt != nil {
		v.Check(in.EndAt.After(s.now()), "end_at", "is in the past")
	}
	if in.Rules == nil {
		r := DefaultRules()
		in.Rules = &r
	}
	if err := in.Rules.Validate(); err != nil {
		if ve, ok := err.(*apperr.ValidationError); ok {
			for f, r := range ve.Fields {
				v.Check(false, f, r)
			}
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	l, err := s.GetList(ctx, in.ListID)
	if err != nil {
		return apperr.Invalid("list_id", "no such list")
	}
	if l.State != store.ListReady {
		return apperr.Invalid("list_id", "the list is not ready (still importing or failed)")
	}
	if in.TrunkID != 0 {
		tid, _ := store.TenantFrom(ctx)
		var n int64
		if err := s.db.With(store.AsPlatform(ctx)).Model(&store.TrunkAssignment{}).Where("tenant_id = ? AND trunk_id = ?", tid, in.TrunkID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return apperr.Invalid("trunk_id", "this trunk is not assigned to you")
		}
	}
	if in.ScriptVersionID != 0 {
		// A published version of one of this tenant's scripts (the tenant
		// scope filters other tenants' versions out).
		var n int64
		if err := s.db.With(ctx).Model(&store.ScriptVersion{}).Where("id = ?", in.ScriptVersionID).Count(&n).Error; err != nil {
			return err
		} else if n == 0 {
			return apperr.Invalid("script_version_id", "no such script version")
		}
		if err := s.checkScriptColumns(ctx, in.ScriptVersionID, l); err != nil {
			return err
		}
	}
	return nil
}

// CreateCampaign stores a draft campaign.
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (*store.Campaign, error) {
	if err := s.validateInput(ctx, &in); err != nil {
		return nil, err
	}
	rj, _ := json.Marshal(in.Rules)
	c := &store.Campaign{Name: in.Name, ListID: in.ListID, ScriptVersionID: in.ScriptVersionID, State: store.CampaignDraft,
		Priority: in.Priority, MaxConcurrent: in.MaxConcurrent, TrunkID: in.TrunkID, StartAt: utcPtr(in.StartAt), EndAt: utcPtr(in.EndAt), Rules: string(rj)}
	if p := principalID(ctx); p != 0 {
		c.CreatedBy = p
	}
	if err := s.db.With(ctx).Create(c).Error; err != nil {
		return nil, fmt.Errorf("create campaign: %w", err)
	}
	return c, nil
}

// UpdateCampaign changes a campaign that is not running. The list can
// change only in draft.
func (s *Service) UpdateCampaign(ctx context.Context, id uint64, in CampaignInput) (*store.Campaign, error) {
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	switch c.State {
	case store.CampaignDraft, store.CampaignScheduled, store.CampaignPaused:
	default:
		return nil, apperr.Invalid("state", "a "+c.State+" campaign cannot be changed; pause it first")
	}
	if c.State != store.CampaignDraft && in.ListID != c.ListID {
		return nil, apperr.Invalid("list_id", "the list cannot change after the campaign started; append contacts instead")
	}
	if err := s.validateInput(ctx, &in); err != nil {
		return nil, err
	}
	rj, _ := json.Marshal(in.Rules)
	err = s.db.With(ctx).Model(c).Updates(map[string]any{"name": in.Name, "list_id": in.ListID, "script_version_id": in.ScriptVersionID,
		"priority": in.Priority, "max_concurrent": in.MaxConcurrent, "trunk_id": in.TrunkID, "start_at": utcPtr(in.StartAt),
		"end_at": utcPtr(in.EndAt), "rules": string(rj)}).Error
	if err != nil {
		return nil, err
	}
	return s.GetCampaign(ctx, id)
}

// GetCampaign returns one campaign of the context's tenant.
func (s *Service) GetCampaign(ctx context.Context, id uint64) (*store.Campaign, error) {
	var c store.Campaign
	if err := s.db.With(ctx).First(&c, id).Error; err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, store.Translate(err))
	}
	return &c, nil
}

// Campaigns pages through the tenant's campaigns, optionally by state.
func (s *Service) Campaigns(ctx context.Context, state string, p store.Page) ([]store.Campaign, uint64, error) {
	q := s.db.With(ctx)
	if state != "" {
		q = q.Where("state = ?", state)
	}
	var rows []store.Campaign
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	rows, next := store.Trim(p, rows, func(c store.Campaign) uint64 { return c.ID })
	return rows, next, nil
}

// DeleteCampaign removes a draft.
func (s *Service) DeleteCampaign(ctx context.Context, id uint64) error {
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return err
	}
	if c.State != store.CampaignDraft {
		return apperr.Invalid("state", "only a draft can be deleted; stop the campaign instead")
	}
	return s.db.With(ctx).Delete(c).Error
}

// Lifecycle actions.
const (
	ActionStart  = "start"
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionStop   = "stop"
)

// allowed lists the states each action may leave from.
var allowed = map[string][]string{
	ActionStart:  {store.CampaignDraft},
	ActionPause:  {store.CampaignRunning, store.CampaignScheduled},
	ActionResume: {store.CampaignPaused},
	ActionStop:   {store.CampaignDraft, store.CampaignScheduled, store.CampaignRunning, store.CampaignPaused},
}

// Act applies a lifecycle action: start (draft → scheduled or running, the
// list's contacts enter the campaign), pause, resume, stop.
func (s *Service) Act(ctx context.Context, id uint64, action, reason string) (*store.Campaign, error) {
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	from, ok := allowed[action]
	if !ok {
		return nil, apperr.Invalid("action", "must be start, pause, resume or stop")
	}
	okFrom := false
	for _, st := range from {
		okFrom = okFrom || st == c.State
	}
	if !okFrom {
		return nil, apperr.Coded(409, "bad_state", fmt.Sprintf("cannot %s a %s campaign", action, c.State))
	}
	if action == ActionStart && c.ScriptVersionID != 0 {
		// Again at start: the draft may predate this check. Read outside
		// the transaction, which SQLite holds as its one writer.
		if l, err := s.GetList(ctx, c.ListID); err == nil {
			if err := s.checkScriptColumns(ctx, c.ScriptVersionID, l); err != nil {
				return nil, err
			}
		}
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		switch action {
		case ActionStart:
			if c.ScriptVersionID == 0 {
				return apperr.Invalid("script_version_id", "choose a script version before starting")
			}
			l, err := s.GetList(ctx, c.ListID)
			if err != nil || l.State != store.ListReady {
				return apperr.Invalid("list_id", "the list is not ready")
			}
			n, err := enrollContacts(tx, c, 0, now)
			if err != nil {
				return err
			}
			to := store.CampaignRunning
			if c.StartAt != nil && c.StartAt.After(now) {
				to = store.CampaignScheduled
			}
			return s.transition(ctx, tx, c, to, "", map[string]any{"total": n, "started_at": now})
		case ActionPause:
			if reason == "" {
				reason = "paused by user"
			}
			return s.transition(ctx, tx, c, store.CampaignPaused, reason, nil)
		case ActionResume:
			return s.transition(ctx, tx, c, store.CampaignRunning, "", nil)
		case ActionStop:
			if reason == "" {
				reason = "stopped by user"
			}
			return s.transition(ctx, tx, c, store.CampaignStopped, reason, map[string]any{"ended_at": now})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.nudge()
	return s.GetCampaign(ctx, id)
}

// transition changes state only from the state c was read in, so two
// concurrent actions cannot both apply; it records a webhook event.
func (s *Service) transition(ctx context.Context, tx *gorm.DB, c *store.Campaign, to, reason string, extra map[string]any) error {
	upd := map[string]any{"state": to, "pause_reason": truncate(reason, 255)}
	for k, v := range extra {
		upd[k] = v
	}
	res := tx.WithContext(store.WithTenant(ctx, c.TenantID)).Model(&store.Campaign{}).Where("id = ? AND state = ?", c.ID, c.State).Updates(upd)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.Coded(409, "bad_state", "the campaign changed meanwhile; reload")
	}
	from := c.State
	c.State, c.PauseReason = to, reason
	s.hub.publish(c.TenantID, c.ID)
	return s.emit(ctx, tx, c.TenantID, EventCampaignState, map[string]any{
		"campaign_id": c.ID, "name": c.Name, "from": from, "to": to, "reason": reason, "at": s.now().Format(time.RFC3339)})
}

// enrollContacts puts a list's contacts into a campaign (all of them, or
// those with id > afterID) with one INSERT … SELECT.
func enrollContacts(tx *gorm.DB, c *store.Campaign, afterContactID uint64, now time.Time) (int64, error) {
	res := tx.Exec(`INSERT INTO campaign_contacts (tenant_id, campaign_id, contact_id, phone, state, next_at, attempts, attempt_seq,
		last_outcome, last_grade, skip_reason, handled, assignee_id, notes, updated_at)
		SELECT tenant_id, ?, id, phone, ?, ?, 0, 0, '', '', '', ?, 0, '', ? FROM contacts
		WHERE list_id = ? AND tenant_id = ? AND id > ? AND id NOT IN (SELECT contact_id FROM campaign_contacts WHERE campaign_id = ?)`,
		c.ID, store.CCPending, now, false, now, c.ListID, c.TenantID, afterContactID, c.ID)
	if res.Error != nil {
		return 0, fmt.Errorf("enroll contacts: %w", res.Error)
	}
	var n int64
	if err := tx.Model(&store.CampaignContact{}).Where("campaign_id = ?", c.ID).Count(&n).Error; err != nil {
		return 0, err
	}
	return n, nil
}

// AppendContacts adds contacts to a campaign's list and, once the campaign
// has started, to its queue.
func (s *Service) AppendContacts(ctx context.Context, id uint64, in []ContactInput) (*AddResult, error) {
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.State == store.CampaignCompleted || c.State == store.CampaignStopped {
		return nil, apperr.Invalid("state", "the campaign has ended")
	}
	res, added, err := s.AddContacts(ctx, c.ListID, in)
	if err != nil || len(added) == 0 || c.State == store.CampaignDraft {
		return res, err
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		minID := added[0].ID
		for _, a := range added {
			minID = min(minID, a.ID)
		}
		n, err := enrollContacts(tx, c, minID-1, now)
		if err != nil {
			return err
		}
		return tx.Model(&store.Campaign{}).Where("id = ?", c.ID).Update("total", n).Error
	})
	s.nudge()
	return res, err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
