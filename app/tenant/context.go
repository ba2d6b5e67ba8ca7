package tenant

import (
	"context"

	"github.com/waihu/waihu/app/store"
)

// Actor kinds, as written in the audit log.
const (
	ActorStaff     = "staff"
	ActorUser      = "user"
	ActorAPIKey    = "api_key"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Principal is who is acting: a staff member, a tenant user, or a tenant API key.
type Principal struct {
	Kind      string // ActorStaff, ActorUser or ActorAPIKey
	ID        uint64 // staff, user or API key id
	TenantID  uint64 // 0 for staff
	Role      string
	Name      string
	Email     string
	Locale    string
	SessionID string // hashed session id for cookie sessions
	CSRFToken string // for cookie sessions
	// SupportView is set when staff look at a tenant's console read-only.
	SupportView bool
}

// Request is the request metadata written beside audit entries.
type Request struct {
	IP        string
	UserAgent string
	RequestID string
}

type ctxKey int

const (
	principalKey ctxKey = iota
	requestKey
)

// WithPrincipal puts the acting principal in the context. For tenant
// principals it also scopes the store to the tenant, so the two can never
// disagree.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey, p)
	switch {
	case p.TenantID != 0 && p.SupportView:
		ctx = store.WithReadOnlyTenant(ctx, p.TenantID)
	case p.TenantID != 0:
		ctx = store.WithTenant(ctx, p.TenantID)
	}
	return ctx
}

// PrincipalFrom returns the acting principal, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey).(*Principal)
	return p, ok && p != nil
}

// WithRequest attaches request metadata for the audit log.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey, r)
}

func requestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey).(Request)
	return r
}
