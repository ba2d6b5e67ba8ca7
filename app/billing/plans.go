package billing

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// PlanInput creates or replaces a price plan. Prices in fen.
type PlanInput struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	PerMinuteFen    int64  `json:"per_minute_fen"`
	IncrementSec    int    `json:"increment_sec"` // 6 or 60
	FreeSec         int    `json:"free_sec"`
	MinChargeFen    int64  `json:"min_charge_fen"`
	PerCallFen      int64  `json:"per_call_fen"`
	ASRPerMinuteFen int64  `json:"asr_per_minute_fen"`
	TTSPer1kFen     int64  `json:"tts_per_1k_chars_fen"`
	LLMPer1kFen     int64  `json:"llm_per_1k_tokens_fen"`
	IsDefault       bool   `json:"is_default"`
	Active          bool   `json:"active"`
}

const maxPriceFen = 100_000 // 1000 yuan: far above any per-minute price, far below overflow

func (in *PlanInput) validate() error {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	var v apperr.Validator
	v.Check(in.Name != "" && textOK(in.Name, 64), "name", "must be 1 to 64 characters on one line")
	v.Check(textOK(in.Description, 255), "description", "must be at most 255 characters on one line")
	v.Check(in.IncrementSec == 6 || in.IncrementSec == 60, "increment_sec", "must be 6 or 60")
	v.Check(in.FreeSec >= 0 && in.FreeSec <= 600, "free_sec", "must be from 0 to 600")
	for _, p := range []struct {
		name string
		v    int64
	}{{"per_minute_fen", in.PerMinuteFen}, {"min_charge_fen", in.MinChargeFen}, {"per_call_fen", in.PerCallFen},
		{"asr_per_minute_fen", in.ASRPerMinuteFen}, {"tts_per_1k_chars_fen", in.TTSPer1kFen}, {"llm_per_1k_tokens_fen", in.LLMPer1kFen}} {
		v.Check(p.v >= 0 && p.v <= maxPriceFen, p.name, "must be from 0 to 100000 fen")
	}
	return v.Err()
}

func (in *PlanInput) apply(p *store.PricePlan) {
	p.Name, p.Description, p.PerMinuteFen, p.IncrementSec, p.FreeSec = in.Name, in.Description, in.PerMinuteFen, in.IncrementSec, in.FreeSec
	p.MinChargeFen, p.PerCallFen, p.ASRPerMinuteFen, p.TTSPer1kFen, p.LLMPer1kFen = in.MinChargeFen, in.PerCallFen, in.ASRPerMinuteFen, in.TTSPer1kFen, in.LLMPer1kFen
	p.IsDefault, p.Active = in.IsDefault, in.Active
}

// ListPlans lists price plans (operator; tenants read their own via TenantPlan).
func (s *Service) ListPlans(ctx context.Context) ([]store.PricePlan, error) {
	var rows []store.PricePlan
	if err := s.db.With(pctx(ctx)).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return rows, nil
}

// GetPlan returns one plan.
func (s *Service) GetPlan(ctx context.Context, id uint64) (*store.PricePlan, error) {
	var p store.PricePlan
	if err := s.db.With(pctx(ctx)).Take(&p, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &p, nil
}

// SavePlan creates (id 0) or updates a plan. Changing prices affects calls
// held from now on; calls already held keep the plan they were held under
// (the hold records it), which is the price the tenant saw when it dialed.
func (s *Service) SavePlan(ctx context.Context, id uint64, in PlanInput) (*store.PricePlan, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	ctx = pctx(ctx)
	p := &store.PricePlan{}
	if id != 0 {
		var err error
		if p, err = s.GetPlan(ctx, id); err != nil {
			return nil, err
		}
	}
	in.apply(p)
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if in.IsDefault {
			if err := tx.Model(&store.PricePlan{}).Where("id <> ? AND is_default = ?", p.ID, true).Update("is_default", false).Error; err != nil {
				return err
			}
		}
		if err := tx.Save(p).Error; err != nil {
			if err := store.Translate(err); err == store.ErrConflict {
				return apperr.Invalid("name", "is already used by another plan")
			}
			return fmt.Errorf("save plan: %w", err)
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{Action: "billing.plan.save", Target: fmt.Sprintf("plan:%d", p.ID), Detail: in})
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// AssignPlan sets a tenant's price plan (0 = the default plan).
func (s *Service) AssignPlan(ctx context.Context, tenantID, planID uint64) error {
	ctx = pctx(ctx)
	if planID != 0 {
		if _, err := s.GetPlan(ctx, planID); err != nil {
			return apperr.Invalid("plan_id", "no such plan")
		}
	}
	return s.db.Tx(ctx, func(tx *gorm.DB) error {
		var val any
		if planID != 0 {
			val = planID
		}
		res := tx.Model(&store.Tenant{}).Where("id = ?", tenantID).Update("price_plan_id", val)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: tenantID, Action: "billing.plan.assign", Target: fmt.Sprintf("tenant:%d", tenantID),
			Detail: map[string]any{"plan_id": planID}})
	})
}

// TenantPlan is the plan the tenant is billed under.
func (s *Service) TenantPlan(ctx context.Context, tenantID uint64) (*store.PricePlan, error) {
	return planFor(s.db.With(pctx(ctx)), tenantID)
}

// GetCallCharge is one call's cost breakdown, visible in ctx's tenant.
func (s *Service) GetCallCharge(ctx context.Context, attemptUUID string) (*store.CallCharge, error) {
	var c store.CallCharge
	if err := s.db.With(ctx).Where("attempt_uuid = ?", attemptUUID).Take(&c).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &c, nil
}

// CallCharges returns the breakdowns of many calls at once (for exports).
func (s *Service) CallCharges(ctx context.Context, uuids []string) (map[string]store.CallCharge, error) {
	out := map[string]store.CallCharge{}
	for len(uuids) > 0 {
		n := min(len(uuids), 500)
		var rows []store.CallCharge
		if err := s.db.With(ctx).Where("attempt_uuid IN ?", uuids[:n]).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("read call charges: %w", err)
		}
		for _, r := range rows {
			out[r.AttemptUUID] = r
		}
		uuids = uuids[n:]
	}
	return out, nil
}
