package httpapi

import (
	"encoding/json"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// The JSON shapes of the API. They are separate from the store models so a
// column can never leak (password hashes, lockout counters) and the API can
// stay stable while the schema changes.

type userJSON struct {
	ID          uint64     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Locale      string     `json:"locale"`
	Disabled    bool       `json:"disabled"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toUser(u *store.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Locale: u.Locale, Disabled: u.Disabled, LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt}
}

type tenantJSON struct {
	ID            uint64          `json:"id"`
	Name          string          `json:"name"`
	Status        string          `json:"status"`
	DisplayName   string          `json:"display_name"`
	LogoURL       string          `json:"logo_url"`
	ContactName   string          `json:"contact_name"`
	ContactEmail  string          `json:"contact_email"`
	ContactPhone  string          `json:"contact_phone"`
	LineQuota     int             `json:"line_quota"`
	PricePlanID   *uint64         `json:"price_plan_id"`
	Features      map[string]bool `json:"features"`
	SuspendReason string          `json:"suspend_reason,omitempty"`
	ActivatedAt   *time.Time      `json:"activated_at"`
	CreatedAt     time.Time       `json:"created_at"`
}

func toTenant(t *store.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Name: t.Name, Status: t.Status, DisplayName: t.DisplayName, LogoURL: t.LogoURL,
		ContactName: t.ContactName, ContactEmail: t.ContactEmail, ContactPhone: t.ContactPhone, LineQuota: t.LineQuota,
		PricePlanID: t.PricePlanID, Features: tenant.Features(t), SuspendReason: t.SuspendReason, ActivatedAt: t.ActivatedAt, CreatedAt: t.CreatedAt}
}

type staffJSON struct {
	ID          uint64     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Locale      string     `json:"locale"`
	Disabled    bool       `json:"disabled"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toStaff(s *store.Staff) staffJSON {
	return staffJSON{ID: s.ID, Email: s.Email, Name: s.Name, Role: s.Role, Locale: s.Locale, Disabled: s.Disabled, LastLoginAt: s.LastLoginAt, CreatedAt: s.CreatedAt}
}

type apiKeyJSON struct {
	ID         uint64     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       string     `json:"role"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func toAPIKey(k *store.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Role: k.Role, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt, CreatedAt: k.CreatedAt}
}

type auditJSON struct {
	ID        uint64         `json:"id"`
	At        time.Time      `json:"at"`
	ActorKind string         `json:"actor_kind"`
	ActorID   uint64         `json:"actor_id"`
	ActorName string         `json:"actor_name"`
	TenantID  uint64         `json:"tenant_id"`
	Action    string         `json:"action"`
	Target    string         `json:"target"`
	Detail    map[string]any `json:"detail"`
	IP        string         `json:"ip"`
	RequestID string         `json:"request_id"`
}

func toAudit(a *store.AuditLog) auditJSON {
	var detail map[string]any
	if a.Detail != "" {
		_ = json.Unmarshal([]byte(a.Detail), &detail)
	}
	return auditJSON{ID: a.ID, At: a.At, ActorKind: a.ActorKind, ActorID: a.ActorID, ActorName: a.ActorName, TenantID: a.TenantID,
		Action: a.Action, Target: a.Target, Detail: detail, IP: a.IP, RequestID: a.RequestID}
}

type notificationJSON struct {
	ID        uint64     `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func toNotification(n *store.Notification) notificationJSON {
	return notificationJSON{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, ReadAt: n.ReadAt, CreatedAt: n.CreatedAt}
}
