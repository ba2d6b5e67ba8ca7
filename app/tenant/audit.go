package tenant

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/store"
)

// Entry is one audit record to write. Actor defaults to the context's principal.
type Entry struct {
	TenantID uint64
	Action   string
	Target   string
	Detail   any
	Actor    *Principal
}

// Audit writes an entry outside any transaction.
func (s *Service) Audit(ctx context.Context, e Entry) error { return s.audit(ctx, nil, e) }

// AuditTx writes an entry inside tx, so the record and the change it
// describes commit together.
func (s *Service) AuditTx(ctx context.Context, tx *gorm.DB, e Entry) error {
	return s.audit(ctx, tx, e)
}

func (s *Service) audit(ctx context.Context, tx *gorm.DB, e Entry) error {
	actor := e.Actor
	if actor == nil {
		if p, ok := PrincipalFrom(ctx); ok {
			actor = p
		} else {
			actor = &Principal{Kind: ActorSystem, Name: "system"}
		}
	}
	tenantID := e.TenantID
	if tenantID == 0 {
		tenantID = actor.TenantID
	}
	r := requestFrom(ctx)
	name := actor.Name
	if actor.Email != "" {
		name = actor.Email
	}
	kind := actor.Kind
	if actor.SupportView {
		kind = ActorStaff
	}
	row := &store.AuditLog{
		At: s.opt.Now(), ActorKind: kind, ActorID: actor.ID, ActorName: truncate(name, 191), TenantID: tenantID,
		Action: e.Action, Target: truncate(e.Target, 191), Detail: jsonString(e.Detail), IP: r.IP, RequestID: r.RequestID,
	}
	db := tx
	if db == nil {
		// Audit rows are written even from read-only support views: the
		// support view itself must be recorded.
		db = s.db.With(store.AsPlatform(context.WithoutCancel(ctx)))
	}
	if err := db.Create(row).Error; err != nil {
		s.log.ErrorContext(ctx, "audit log write failed", "action", e.Action, "err", err)
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	TenantID  uint64
	Action    string // exact action or a prefix ending in "."
	ActorKind string
	ActorID   uint64
	Since     time.Time
	Until     time.Time
}

// ListAudit returns audit entries newest first. Operator callers pass any
// filter; tenant callers must go through ListTenantAudit.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter, p store.Page) ([]store.AuditLog, uint64, error) {
	q := s.db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{})
	if f.TenantID != 0 {
		q = q.Where("tenant_id = ?", f.TenantID)
	}
	if f.Action != "" {
		if f.Action[len(f.Action)-1] == '.' {
			q = q.Where("action LIKE ?", escapeLike(f.Action)+"%")
		} else {
			q = q.Where("action = ?", f.Action)
		}
	}
	if f.ActorKind != "" {
		q = q.Where("actor_kind = ?", f.ActorKind)
	}
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until)
	}
	var rows []store.AuditLog
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit log: %w", err)
	}
	out, next := store.Trim(p, rows, func(r store.AuditLog) uint64 { return r.ID })
	return out, next, nil
}

// ListTenantAudit is the tenant's own audit log: the tenant comes from the
// context, never from the caller.
func (s *Service) ListTenantAudit(ctx context.Context, f AuditFilter, p store.Page) ([]store.AuditLog, uint64, error) {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return nil, 0, store.ErrNoTenantScope
	}
	f.TenantID = tid
	return s.ListAudit(ctx, f, p)
}

func escapeLike(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '_' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
