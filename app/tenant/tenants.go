package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// OwnTenant returns the context tenant's own row.
func (s *Service) OwnTenant(ctx context.Context) (*store.Tenant, error) {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return nil, store.ErrNoTenantScope
	}
	var t store.Tenant
	if err := s.db.With(ctx).First(&t, tid).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &t, nil
}

// TenantFilter selects tenants in the back office.
type TenantFilter struct {
	Status string
	Query  string // matches name, display name or contact email
}

// ListTenants lists every tenant (operator only).
func (s *Service) ListTenants(ctx context.Context, f TenantFilter, p store.Page) ([]store.Tenant, uint64, error) {
	q := s.db.With(store.AsPlatform(ctx)).Model(&store.Tenant{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Query = strings.TrimSpace(f.Query); f.Query != "" {
		like := "%" + escapeLike(f.Query) + "%"
		q = q.Where("name LIKE ? OR display_name LIKE ? OR contact_email LIKE ?", like, like, like)
	}
	var rows []store.Tenant
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list tenants: %w", err)
	}
	out, next := store.Trim(p, rows, func(t store.Tenant) uint64 { return t.ID })
	return out, next, nil
}

// GetTenant returns any tenant (operator only).
func (s *Service) GetTenant(ctx context.Context, id uint64) (*store.Tenant, error) {
	var t store.Tenant
	if err := s.db.With(store.AsPlatform(ctx)).First(&t, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &t, nil
}

// CreateTenant creates an active tenant with its owner directly from the back
// office (the lead-conversion path and `waihu serve --demo` use it).
func (s *Service) CreateTenant(ctx context.Context, in SignupInput, active bool) (*store.Tenant, *store.User, error) {
	t, u, err := s.Signup(ctx, in)
	if err != nil || !active {
		return t, u, err
	}
	t, err = s.ActivateTenant(ctx, t.ID)
	return t, u, err
}

// ActivateTenant moves a pending or suspended tenant to active.
func (s *Service) ActivateTenant(ctx context.Context, id uint64) (*store.Tenant, error) {
	return s.setStatus(ctx, id, store.TenantActive, "")
}

// SuspendTenant stops a tenant: its users are logged out, its API keys stop
// working and its calls stop being placed; its data stays.
func (s *Service) SuspendTenant(ctx context.Context, id uint64, reason string) (*store.Tenant, error) {
	if !textLen(reason, 1, 512) {
		return nil, apperr.Invalid("reason", "must be 1 to 512 characters")
	}
	return s.setStatus(ctx, id, store.TenantSuspended, strings.TrimSpace(reason))
}

func (s *Service) setStatus(ctx context.Context, id uint64, status, reason string) (*store.Tenant, error) {
	pctx := store.AsPlatform(ctx)
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var t store.Tenant
		if err := tx.First(&t, id).Error; err != nil {
			return store.Translate(err)
		}
		if t.Status == status {
			return nil
		}
		now := s.opt.Now()
		updates := map[string]any{"status": status}
		action := "tenant.activate"
		if status == store.TenantSuspended {
			updates["suspended_at"], updates["suspend_reason"] = now, reason
			action = "tenant.suspend"
			if err := tx.Where("kind = ? AND tenant_id = ?", store.SessionTenant, id).Delete(&store.Session{}).Error; err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		} else {
			updates["suspend_reason"] = ""
			if t.ActivatedAt == nil {
				updates["activated_at"] = now
			}
		}
		if err := tx.Model(&store.Tenant{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return fmt.Errorf("set tenant status: %w", err)
		}
		if err := s.audit(pctx, tx, Entry{TenantID: id, Action: action, Target: targetTenant(id),
			Detail: map[string]any{"from": t.Status, "to": status, "reason": reason}}); err != nil {
			return err
		}
		if status == store.TenantActive && s.Hooks.AfterActivate != nil {
			t.Status = status
			return s.Hooks.AfterActivate(pctx, tx, &t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetTenant(ctx, id)
}

// TenantPatch changes a tenant's settings from the back office; nil fields stay.
type TenantPatch struct {
	Name        *string         `json:"name"`
	DisplayName *string         `json:"display_name"`
	LogoURL     *string         `json:"logo_url"`
	LineQuota   *int            `json:"line_quota"`
	PricePlanID *uint64         `json:"price_plan_id"`
	Features    map[string]bool `json:"features"`
}

// UpdateTenant applies an operator's change to a tenant.
func (s *Service) UpdateTenant(ctx context.Context, id uint64, in TenantPatch) (*store.Tenant, error) {
	var v apperr.Validator
	updates := map[string]any{}
	if in.Name != nil {
		v.Check(textLen(*in.Name, 2, 128), "name", "must be 2 to 128 characters")
		updates["name"] = strings.TrimSpace(*in.Name)
	}
	if in.DisplayName != nil {
		v.Check(textLen(*in.DisplayName, 1, 128), "display_name", "must be 1 to 128 characters")
		updates["display_name"] = strings.TrimSpace(*in.DisplayName)
	}
	if in.LogoURL != nil {
		ok := *in.LogoURL == "" || (len(*in.LogoURL) <= 512 && (strings.HasPrefix(*in.LogoURL, "https://") || strings.HasPrefix(*in.LogoURL, "/")) && !strings.ContainsAny(*in.LogoURL, " \"'<>\r\n"))
		v.Check(ok, "logo_url", "must be an https:// URL or a path")
		updates["logo_url"] = *in.LogoURL
	}
	if in.LineQuota != nil {
		v.Check(*in.LineQuota >= 0 && *in.LineQuota <= 100000, "line_quota", "must be between 0 and 100000")
		updates["line_quota"] = *in.LineQuota
	}
	if in.PricePlanID != nil {
		updates["price_plan_id"] = *in.PricePlanID
	}
	if in.Features != nil {
		v.Check(len(in.Features) <= 64, "features", "at most 64 flags")
		for k := range in.Features {
			v.Check(textLen(k, 1, 64), "features", "flag names must be 1 to 64 characters")
		}
		b, _ := json.Marshal(in.Features)
		updates["features"] = string(b)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	pctx := store.AsPlatform(ctx)
	err := s.db.Tx(pctx, func(tx *gorm.DB) error {
		var t store.Tenant
		if err := tx.First(&t, id).Error; err != nil {
			return store.Translate(err)
		}
		if len(updates) == 0 {
			return nil
		}
		if err := tx.Model(&store.Tenant{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return fmt.Errorf("update tenant: %w", err)
		}
		return s.audit(pctx, tx, Entry{TenantID: id, Action: "tenant.update", Target: targetTenant(id), Detail: updates})
	})
	if err != nil {
		return nil, err
	}
	return s.GetTenant(ctx, id)
}

// Features decodes a tenant's feature flags.
func Features(t *store.Tenant) map[string]bool {
	out := map[string]bool{}
	if t.Features != "" {
		_ = json.Unmarshal([]byte(t.Features), &out)
	}
	return out
}
