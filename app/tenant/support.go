package tenant

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// SessionSupport is the session kind of an operator's read-only view of a
// tenant's console. It authenticates on the tenant cookie like a tenant
// session, with a principal marked SupportView: the store refuses its
// writes and the HTTP layer refuses its write requests.
const SessionSupport = "support"

// SupportViewTTL is the absolute lifetime of a support view.
const SupportViewTTL = time.Hour

// StartSupportView opens a read-only session on a tenant's console for the
// acting staff member and records it in the tenant's audit log.
func (s *Service) StartSupportView(ctx context.Context, tenantID uint64) (*LoginResult, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.Kind != ActorStaff || !StaffCan(p.Role, "tenants.support_view") {
		return nil, apperr.ErrForbidden
	}
	t, err := s.GetTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	pctx := store.AsPlatform(ctx)
	token := randomToken(32)
	now := s.opt.Now()
	r := requestFrom(ctx)
	sess := &store.Session{ID: HashToken(token), Kind: SessionSupport, UserID: p.ID, TenantID: t.ID, CSRFToken: randomToken(24),
		IP: r.IP, UserAgent: truncate(r.UserAgent, 255), ExpiresAt: now.Add(SupportViewTTL), LastSeenAt: now}
	if err := s.db.With(pctx).Create(sess).Error; err != nil {
		return nil, fmt.Errorf("create support session: %w", err)
	}
	if err := s.audit(pctx, nil, Entry{TenantID: t.ID, Action: "tenant.support_view", Target: targetTenant(t.ID),
		Detail: map[string]any{"expires_at": sess.ExpiresAt}}); err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, Session: sess, Tenant: t}, nil
}

// supportPrincipal resolves a support session: the staff member must still
// be active and allowed support views, and the view expires after
// SupportViewTTL however active it is.
func (s *Service) supportPrincipal(ctx context.Context, sess *store.Session) (*Principal, error) {
	if s.opt.Now().Sub(sess.CreatedAt) > SupportViewTTL {
		return nil, apperr.ErrUnauthorized
	}
	var st store.Staff
	if err := s.db.With(ctx).First(&st, sess.UserID).Error; err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return nil, apperr.ErrUnauthorized
		}
		return nil, err
	}
	if st.Disabled || !StaffCan(st.Role, "tenants.support_view") {
		return nil, apperr.ErrUnauthorized
	}
	// Owner rank lets the view read every page; nothing can be changed.
	return &Principal{Kind: ActorStaff, ID: st.ID, TenantID: sess.TenantID, Role: store.RoleOwner, Name: "support · " + st.Name,
		Email: st.Email, Locale: st.Locale, SupportView: true}, nil
}
