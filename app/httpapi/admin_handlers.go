package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

type adminDashboardJSON struct {
	Cards []card `json:"cards"`
}

type suspendRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) registerAdmin() {
	s.add(Route{Method: http.MethodGet, Path: "/admin/dashboard", Tag: "admin", Summary: "Back-office dashboard", Auth: AuthStaff, Area: "dashboard",
		Response: adminDashboardJSON{}, Handler: s.adminDashboard})
	s.add(Route{Method: http.MethodGet, Path: "/admin/tenants", Tag: "admin-tenants", Summary: "List tenants", Auth: AuthStaff, Area: "tenants.read",
		Query:    append([]QueryParam{{"status", "string", "pending, active or suspended"}, {"q", "string", "search name or contact email"}}, pageParams...),
		Response: listOf[tenantRowJSON]{}, Handler: s.adminListTenants})
	s.add(Route{Method: http.MethodGet, Path: "/admin/tenants/:id", Tag: "admin-tenants", Summary: "One tenant", Resource: "tenant", Auth: AuthStaff, Area: "tenants.read",
		Response: tenantJSON{}, Handler: s.adminGetTenant})
	s.add(Route{Method: http.MethodPost, Path: "/admin/tenants/:id/activate", Tag: "admin-tenants", Summary: "Activate a pending or suspended tenant", Resource: "tenant",
		Auth: AuthStaff, Area: "tenants.activate", Response: tenantJSON{}, Handler: s.adminActivateTenant})
	s.add(Route{Method: http.MethodPost, Path: "/admin/tenants/:id/suspend", Tag: "admin-tenants", Summary: "Suspend a tenant (calls stop, data kept)", Resource: "tenant",
		Auth: AuthStaff, Area: "tenants", Request: suspendRequest{}, Response: tenantJSON{}, Handler: s.adminSuspendTenant})
	s.add(Route{Method: http.MethodPatch, Path: "/admin/tenants/:id", Tag: "admin-tenants", Summary: "Change a tenant's plan, quota, features or branding", Resource: "tenant",
		Auth: AuthStaff, Area: "tenants", Request: tenant.TenantPatch{}, Response: tenantJSON{}, Handler: s.adminUpdateTenant})
	s.add(Route{Method: http.MethodGet, Path: "/admin/staff", Tag: "admin-staff", Summary: "List staff", Auth: AuthStaff, Area: "staff",
		Query: pageParams, Response: listOf[staffJSON]{}, Handler: s.adminListStaff})
	s.add(Route{Method: http.MethodPost, Path: "/admin/staff", Tag: "admin-staff", Summary: "Create a staff account", Auth: AuthStaff, Area: "staff",
		Request: tenant.NewStaff{}, Response: staffJSON{}, Status: http.StatusCreated, Handler: s.adminCreateStaff})
	s.add(Route{Method: http.MethodPatch, Path: "/admin/staff/:id", Tag: "admin-staff", Summary: "Change a staff account's name, role or disabled flag", Resource: "staff",
		Auth: AuthStaff, Area: "staff", Request: tenant.StaffPatch{}, Response: staffJSON{}, Handler: s.adminUpdateStaff})
	s.add(Route{Method: http.MethodGet, Path: "/admin/audit", Tag: "admin", Summary: "Audit log", Auth: AuthStaff, Area: "audit",
		Query: append([]QueryParam{{"action", "string", "an action, or a prefix ending in '.'"}, {"tenant_id", "integer", "tenant"},
			{"actor_kind", "string", "staff, user, api_key, system, anonymous"}, {"actor_id", "integer", "actor id"},
			{"since", "string", "RFC 3339 time"}, {"until", "string", "RFC 3339 time"}}, pageParams...),
		Response: listOf[auditJSON]{}, Handler: s.adminAudit})
}

func (s *Server) adminDashboard(c *gin.Context) {
	c.JSON(http.StatusOK, adminDashboardJSON{Cards: []card{}})
}

func (s *Server) adminListTenants(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	status := c.Query("status")
	if status != "" && status != store.TenantPending && status != store.TenantActive && status != store.TenantSuspended {
		fail(c, &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{"status": "must be pending, active or suspended"}})
		return
	}
	q := c.Query("q")
	if len(q) > 128 {
		fail(c, &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: map[string]string{"q": "must be 1 to 128 characters"}})
		return
	}
	rows, next, err := s.deps.Accounts.ListTenants(c.Request.Context(), tenant.TenantFilter{Status: status, Query: q}, p)
	if err != nil {
		fail(c, err)
		return
	}
	out, err := s.tenantRows(c.Request.Context(), rows)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf[tenantRowJSON]{Items: out, NextCursor: encodeCursor(next)})
}

// tenantRowJSON is a tenant in the back office's list, with its money and
// its last 30 days of calls beside the account data.
type tenantRowJSON struct {
	tenantJSON
	BalanceFen   *int64 `json:"balance_fen"` // nil when billing is not running
	AvailableFen *int64 `json:"available_fen"`
	Calls30d     int64  `json:"calls_30d"`
	Answered30d  int64  `json:"answered_30d"`
}

func (s *Server) tenantRows(ctx context.Context, rows []store.Tenant) ([]tenantRowJSON, error) {
	out := make([]tenantRowJSON, len(rows))
	ids := make([]uint64, len(rows))
	for i := range rows {
		out[i].tenantJSON = toTenant(&rows[i])
		ids[i] = rows[i].ID
	}
	if len(rows) == 0 {
		return out, nil
	}
	type usage struct {
		TenantID uint64
		Calls    int64
		Answered int64
	}
	var us []usage
	pctx := store.AsPlatform(ctx)
	err := s.deps.DB.With(pctx).Model(&store.CallAttempt{}).
		Select("tenant_id, COUNT(*) AS calls, SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered").
		Where("tenant_id IN ? AND state = ? AND ended_at >= ?", ids, store.AttemptFinished, time.Now().UTC().AddDate(0, 0, -30)).
		Group("tenant_id").Scan(&us).Error
	if err != nil {
		return nil, err
	}
	byTenant := map[uint64]usage{}
	for _, u := range us {
		byTenant[u.TenantID] = u
	}
	var money map[uint64]billing.TenantBalance
	if s.deps.Billing != nil {
		if money, err = s.deps.Billing.Balances(pctx, ids); err != nil {
			return nil, err
		}
	}
	for i := range out {
		u := byTenant[out[i].ID]
		out[i].Calls30d, out[i].Answered30d = u.Calls, u.Answered
		if b, ok := money[out[i].ID]; ok {
			out[i].BalanceFen, out[i].AvailableFen = &b.BalanceFen, &b.AvailableFen
		}
	}
	return out, nil
}

func (s *Server) adminGetTenant(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.Accounts.GetTenant(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTenant(t))
}

func (s *Server) adminActivateTenant(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.Accounts.ActivateTenant(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTenant(t))
}

func (s *Server) adminSuspendTenant(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in suspendRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.Accounts.SuspendTenant(c.Request.Context(), id, in.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTenant(t))
}

func (s *Server) adminUpdateTenant(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in tenant.TenantPatch
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.Accounts.UpdateTenant(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toTenant(t))
}

func (s *Server) adminListStaff(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Accounts.ListStaff(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toStaff))
}

func (s *Server) adminCreateStaff(c *gin.Context) {
	var in tenant.NewStaff
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	st, err := s.deps.Accounts.CreateStaff(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toStaff(st))
}

func (s *Server) adminUpdateStaff(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in tenant.StaffPatch
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	st, err := s.deps.Accounts.UpdateStaff(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toStaff(st))
}

func (s *Server) adminAudit(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := tenant.AuditFilter{Action: c.Query("action"), ActorKind: c.Query("actor_kind")}
	fields := map[string]string{}
	for name, dst := range map[string]*uint64{"tenant_id": &f.TenantID, "actor_id": &f.ActorID} {
		if v := c.Query(name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				fields[name] = "must be a positive integer id"
			}
			*dst = n
		}
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fields[name] = "must be an RFC 3339 time"
			}
			*dst = t
		}
	}
	if len(f.Action) > 64 {
		fields["action"] = "must be 1 to 64 characters"
	}
	if len(fields) > 0 {
		fail(c, &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: fields})
		return
	}
	rows, next, err := s.deps.Accounts.ListAudit(c.Request.Context(), f, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toAudit))
}
