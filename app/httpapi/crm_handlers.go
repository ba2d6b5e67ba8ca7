package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

type leadJSON struct {
	ID             uint64     `json:"id"`
	Company        string     `json:"company"`
	ContactName    string     `json:"contact_name"`
	Phone          string     `json:"phone"`
	Email          string     `json:"email"`
	Message        string     `json:"message"`
	Source         string     `json:"source"`
	UTMSource      string     `json:"utm_source"`
	UTMMedium      string     `json:"utm_medium"`
	UTMCampaign    string     `json:"utm_campaign"`
	Landing        string     `json:"landing"`
	Referrer       string     `json:"referrer"`
	Stage          string     `json:"stage"`
	LostReason     string     `json:"lost_reason"`
	OwnerID        uint64     `json:"owner_id"`
	TenantID       uint64     `json:"tenant_id"`
	LastFollowUpAt *time.Time `json:"last_follow_up_at"`
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`
	PooledAt       *time.Time `json:"pooled_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

func toLead(l *store.Lead) leadJSON {
	return leadJSON{ID: l.ID, Company: l.Company, ContactName: l.ContactName, Phone: l.Phone, Email: l.Email, Message: l.Message,
		Source: l.Source, UTMSource: l.UTMSource, UTMMedium: l.UTMMedium, UTMCampaign: l.UTMCampaign, Landing: l.Landing, Referrer: l.Referrer,
		Stage: l.Stage, LostReason: l.LostReason, OwnerID: l.OwnerID, TenantID: l.TenantID, LastFollowUpAt: l.LastFollowUpAt,
		NextFollowUpAt: l.NextFollowUpAt, PooledAt: l.PooledAt, CreatedAt: l.CreatedAt}
}

type followUpJSON struct {
	ID        uint64     `json:"id"`
	StaffID   uint64     `json:"staff_id"`
	StaffName string     `json:"staff_name"`
	Kind      string     `json:"kind"`
	Note      string     `json:"note"`
	NextAt    *time.Time `json:"next_at"`
	CreatedAt time.Time  `json:"created_at"`
}

func toFollowUp(f *store.FollowUp) followUpJSON {
	return followUpJSON{ID: f.ID, StaffID: f.StaffID, StaffName: f.StaffName, Kind: f.Kind, Note: f.Note, NextAt: f.NextAt, CreatedAt: f.CreatedAt}
}

type leadDetailJSON struct {
	Lead      leadJSON       `json:"lead"`
	FollowUps []followUpJSON `json:"follow_ups"`
}

// leadPatchRequest is crm.LeadPatch with the date as text, so a bad date is
// a validation error naming its field.
type leadPatchRequest struct {
	Company        *string `json:"company"`
	ContactName    *string `json:"contact_name"`
	Phone          *string `json:"phone"`
	Email          *string `json:"email"`
	Stage          *string `json:"stage"`
	LostReason     *string `json:"lost_reason"`
	OwnerID        *uint64 `json:"owner_id"`
	NextFollowUpAt *string `json:"next_follow_up_at"`
}

type followUpRequest struct {
	Kind   string  `json:"kind"`
	Note   string  `json:"note"`
	NextAt *string `json:"next_at"`
}

type convertResponse struct {
	Tenant     tenantJSON `json:"tenant"`
	OwnerEmail string     `json:"owner_email"`
	Password   string     `json:"password"`
	Lead       leadJSON   `json:"lead"`
}

type helpDocJSON struct {
	ID        uint64    `json:"id"`
	Slug      string    `json:"slug"`
	Lang      string    `json:"lang"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Position  int       `json:"position"`
	Published bool      `json:"published"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toHelpDoc(d *store.HelpDoc) helpDocJSON {
	return helpDocJSON{ID: d.ID, Slug: d.Slug, Lang: d.Lang, Title: d.Title, Body: d.Body, Position: d.Position, Published: d.Published, UpdatedAt: d.UpdatedAt}
}

// helpDocRequest carries the Markdown body as lines: documents are long,
// and every single string field of the API is kept short.
type helpDocRequest struct {
	Slug      string   `json:"slug"`
	Lang      string   `json:"lang"`
	Title     string   `json:"title"`
	BodyLines []string `json:"body_lines"`
	Position  int      `json:"position"`
	Published bool     `json:"published"`
}

type supportViewJSON struct {
	Tenant   tenantJSON `json:"tenant"`
	Users    []userJSON `json:"users"`
	ReadOnly bool       `json:"read_only"`
}

type remindersJSON struct {
	Items []leadJSON `json:"items"`
}

type listJSON[T any] struct {
	Items []T `json:"items"`
}

var statsRange = []QueryParam{{"days", "integer", "last N days, 1 to 366 (default 30)"}}

func (s *Server) registerCRM() {
	if s.deps.CRM == nil {
		return
	}
	s.add(Route{Method: http.MethodGet, Path: "/admin/leads", Tag: "admin-crm", Summary: "List leads", Auth: AuthStaff, Area: "leads",
		Query: append([]QueryParam{{"stage", "string", "a lead stage"}, {"source", "string", "contact, signup or manual"},
			{"owner", "string", "'me' or a staff id"}, {"pool", "boolean", "only leads in the shared pool"}, {"q", "string", "search"}}, pageParams...),
		Response: listOf[leadJSON]{}, Handler: s.adminListLeads})
	s.add(Route{Method: http.MethodPost, Path: "/admin/leads", Tag: "admin-crm", Summary: "Enter a lead by hand (owned by the author)", Auth: AuthStaff, Area: "leads",
		Request: crm.ManualLead{}, Response: leadJSON{}, Status: http.StatusCreated, Handler: s.adminCreateLead})
	s.add(Route{Method: http.MethodGet, Path: "/admin/leads/reminders", Tag: "admin-crm", Summary: "My leads due for a follow-up by the end of today",
		Auth: AuthStaff, Area: "leads", Response: remindersJSON{}, Handler: s.adminLeadReminders})
	s.add(Route{Method: http.MethodGet, Path: "/admin/leads/:id", Tag: "admin-crm", Summary: "One lead with its follow-ups", Resource: "lead",
		Auth: AuthStaff, Area: "leads", Response: leadDetailJSON{}, Handler: s.adminGetLead})
	s.add(Route{Method: http.MethodPatch, Path: "/admin/leads/:id", Tag: "admin-crm", Summary: "Change a lead's details, stage or owner (owner 0 = pool)",
		Resource: "lead", Auth: AuthStaff, Area: "leads", Request: leadPatchRequest{}, Response: leadJSON{}, Handler: s.adminUpdateLead})
	s.add(Route{Method: http.MethodPost, Path: "/admin/leads/:id/follow-ups", Tag: "admin-crm", Summary: "Record a follow-up (call, visit, wechat, note)",
		Resource: "lead", Auth: AuthStaff, Area: "leads", Request: followUpRequest{}, Response: followUpJSON{}, Status: http.StatusCreated, Handler: s.adminAddFollowUp})
	s.add(Route{Method: http.MethodPost, Path: "/admin/leads/:id/claim", Tag: "admin-crm", Summary: "Take a lead from the shared pool",
		Resource: "lead", Auth: AuthStaff, Area: "leads", Response: leadJSON{}, Handler: s.adminClaimLead})
	s.add(Route{Method: http.MethodPost, Path: "/admin/leads/:id/convert", Tag: "admin-crm", Summary: "Turn a lead into a pending tenant with its owner",
		Resource: "lead", Auth: AuthStaff, Area: "leads", Request: crm.ConvertInput{}, Response: convertResponse{}, Status: http.StatusCreated, Handler: s.adminConvertLead})

	s.add(Route{Method: http.MethodGet, Path: "/admin/stats/funnel", Tag: "admin-stats", Summary: "Funnel: visitors, leads, activated tenants, first recharges",
		Auth: AuthStaff, Area: "stats", Query: statsRange, Response: crm.Funnel{}, Handler: s.adminFunnel})
	s.add(Route{Method: http.MethodGet, Path: "/admin/stats/traffic", Tag: "admin-stats", Summary: "Website traffic: views, visitors, pages, referrers, campaigns",
		Auth: AuthStaff, Area: "stats", Query: statsRange, Response: crm.Traffic{}, Handler: s.adminTraffic})
	s.add(Route{Method: http.MethodGet, Path: "/admin/stats/platform", Tag: "admin-stats", Summary: "Calls, minutes, connect rate, revenue and active tenants by day",
		Auth: AuthStaff, Area: "stats", Query: statsRange, Response: crm.PlatformStats{}, Handler: s.adminPlatformStats})

	s.add(Route{Method: http.MethodGet, Path: "/admin/help-docs", Tag: "admin-site", Summary: "List help-center documents", Auth: AuthStaff, Area: "site",
		Query: []QueryParam{{"lang", "string", "zh-CN or en"}, {"q", "string", "search"}}, Response: listJSON[helpDocJSON]{}, Handler: s.adminListDocs})
	s.add(Route{Method: http.MethodPost, Path: "/admin/help-docs", Tag: "admin-site", Summary: "Create a help-center document (Markdown)", Auth: AuthStaff, Area: "site",
		Request: helpDocRequest{}, Response: helpDocJSON{}, Status: http.StatusCreated, Handler: s.adminSaveDoc})
	s.add(Route{Method: http.MethodPut, Path: "/admin/help-docs/:id", Tag: "admin-site", Summary: "Replace a help-center document", Resource: "help_doc",
		Auth: AuthStaff, Area: "site", Request: helpDocRequest{}, Response: helpDocJSON{}, Handler: s.adminSaveDoc})
	s.add(Route{Method: http.MethodDelete, Path: "/admin/help-docs/:id", Tag: "admin-site", Summary: "Delete a help-center document", Resource: "help_doc",
		Auth: AuthStaff, Area: "site", Status: http.StatusNoContent, Handler: s.adminDeleteDoc})

	s.add(Route{Method: http.MethodPost, Path: "/admin/tenants/:id/support-session", Tag: "admin-tenants",
		Summary:  "Open the tenant's console read-only for support (sets the console cookie for one hour; audited)",
		Resource: "tenant", Auth: AuthStaff, Area: "tenants.support_view", Response: supportSessionJSON{}, Handler: s.adminSupportSession})
	s.add(Route{Method: http.MethodGet, Path: "/admin/tenants/:id/support-view", Tag: "admin-tenants", Summary: "Read-only view of a tenant's console data for support (audited)",
		Resource: "tenant", Auth: AuthStaff, Area: "tenants.support_view", Response: supportViewJSON{}, Handler: s.adminSupportView})
}

func validation(fields map[string]string) error {
	return &apiError{status: http.StatusUnprocessableEntity, code: "validation_failed", fields: fields}
}

func (s *Server) adminListLeads(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := crm.LeadFilter{Stage: c.Query("stage"), Source: c.Query("source"), Query: c.Query("q"), Pool: c.Query("pool") == "true" || c.Query("pool") == "1"}
	fields := map[string]string{}
	if f.Stage != "" && !contains(crm.Stages, f.Stage) {
		fields["stage"] = "must be one of " + strings.Join(crm.Stages, ", ")
	}
	if f.Source != "" && !contains([]string{"contact", "signup", "manual"}, f.Source) {
		fields["source"] = "must be contact, signup or manual"
	}
	if len(f.Query) > 128 {
		fields["q"] = "must be 1 to 128 characters"
	}
	switch o := c.Query("owner"); o {
	case "":
	case "me":
		f.OwnerID = principal(c).ID
	default:
		id, err := strconv.ParseUint(o, 10, 64)
		if err != nil || id == 0 {
			fields["owner"] = "must be 'me' or a staff id"
		}
		f.OwnerID = id
	}
	if len(fields) > 0 {
		fail(c, validation(fields))
		return
	}
	rows, next, err := s.deps.CRM.ListLeads(c.Request.Context(), f, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toLead))
}

func (s *Server) adminCreateLead(c *gin.Context) {
	var in crm.ManualLead
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	l, err := s.deps.CRM.CreateLead(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toLead(l))
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func (s *Server) adminLeadReminders(c *gin.Context) {
	now := time.Now().UTC()
	endOfDay := time.Date(now.Year(), now.Month(), now.Day(), 23, 59, 59, 0, time.UTC)
	rows, err := s.deps.CRM.Reminders(c.Request.Context(), principal(c).ID, endOfDay)
	if err != nil {
		fail(c, err)
		return
	}
	out := remindersJSON{Items: make([]leadJSON, len(rows))}
	for i := range rows {
		out.Items[i] = toLead(&rows[i])
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminGetLead(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	l, err := s.deps.CRM.GetLead(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	fus, err := s.deps.CRM.FollowUps(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	out := leadDetailJSON{Lead: toLead(l), FollowUps: make([]followUpJSON, len(fus))}
	for i := range fus {
		out.FollowUps[i] = toFollowUp(&fus[i])
	}
	c.JSON(http.StatusOK, out)
}

func parseTimeField(v *string, name string, fields map[string]string) *time.Time {
	if v == nil || *v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, *v)
	if err != nil {
		fields[name] = "must be an RFC 3339 time"
		return nil
	}
	return &t
}

func (s *Server) adminUpdateLead(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in leadPatchRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	fields := map[string]string{}
	patch := crm.LeadPatch{Company: in.Company, ContactName: in.ContactName, Phone: in.Phone, Email: in.Email, Stage: in.Stage,
		LostReason: in.LostReason, OwnerID: in.OwnerID, NextFollowUpAt: parseTimeField(in.NextFollowUpAt, "next_follow_up_at", fields)}
	if len(fields) > 0 {
		fail(c, validation(fields))
		return
	}
	l, err := s.deps.CRM.UpdateLead(c.Request.Context(), id, patch)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toLead(l))
}

func (s *Server) adminAddFollowUp(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in followUpRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	fields := map[string]string{}
	next := parseTimeField(in.NextAt, "next_at", fields)
	if len(fields) > 0 {
		fail(c, validation(fields))
		return
	}
	f, err := s.deps.CRM.AddFollowUp(c.Request.Context(), id, crm.NewFollowUp{Kind: in.Kind, Note: in.Note, NextAt: next})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toFollowUp(f))
}

func (s *Server) adminClaimLead(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	l, err := s.deps.CRM.Claim(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toLead(l))
}

func (s *Server) adminConvertLead(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	var in crm.ConvertInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	res, err := s.deps.CRM.Convert(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, convertResponse{Tenant: toTenant(res.Tenant), OwnerEmail: res.Owner.Email, Password: res.Password, Lead: toLead(res.Lead)})
}

// statsWindow reads ?days= into [since, until) ending at the next UTC midnight.
func statsWindow(c *gin.Context) (time.Time, time.Time, error) {
	days := 30
	if v := c.Query("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 366 {
			return time.Time{}, time.Time{}, validation(map[string]string{"days": "must be an integer from 1 to 366"})
		}
		days = n
	}
	now := time.Now().UTC()
	until := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	return until.AddDate(0, 0, -days), until, nil
}

func (s *Server) adminFunnel(c *gin.Context) {
	since, until, err := statsWindow(c)
	if err != nil {
		fail(c, err)
		return
	}
	f, err := s.deps.CRM.Funnel(c.Request.Context(), since, until)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}

func (s *Server) adminTraffic(c *gin.Context) {
	since, until, err := statsWindow(c)
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.CRM.Traffic(c.Request.Context(), since, until)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (s *Server) adminPlatformStats(c *gin.Context) {
	since, until, err := statsWindow(c)
	if err != nil {
		fail(c, err)
		return
	}
	st, err := s.deps.CRM.Platform(c.Request.Context(), since, until, s.deps.CRM.Revenue)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) adminListDocs(c *gin.Context) {
	lang, q := c.Query("lang"), c.Query("q")
	if (lang != "" && !contains(crm.Langs, lang)) || len(q) > 128 {
		fail(c, validation(map[string]string{"lang": "must be zh-CN or en", "q": "must be at most 128 characters"}))
		return
	}
	docs, err := s.deps.CRM.Docs(c.Request.Context(), lang, q, true)
	if err != nil {
		fail(c, err)
		return
	}
	out := listJSON[helpDocJSON]{Items: make([]helpDocJSON, len(docs))}
	for i := range docs {
		out.Items[i] = toHelpDoc(&docs[i])
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminSaveDoc(c *gin.Context) {
	var id uint64
	if c.Param("id") != "" {
		var err error
		if id, err = pathID(c, "id"); err != nil {
			fail(c, err)
			return
		}
	}
	var in helpDocRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if len(in.BodyLines) > 5000 {
		fail(c, apperr.Invalid("body_lines", "at most 5000 lines"))
		return
	}
	d, err := s.deps.CRM.SaveDoc(c.Request.Context(), id, crm.DocInput{Slug: in.Slug, Lang: in.Lang, Title: in.Title,
		Body: strings.Join(in.BodyLines, "\n"), Position: in.Position, Published: in.Published})
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	c.JSON(status, toHelpDoc(d))
}

func (s *Server) adminDeleteDoc(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.CRM.DeleteDoc(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type supportSessionJSON struct {
	Redirect  string    `json:"redirect"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) adminSupportSession(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	res, err := s.deps.Accounts.StartSupportView(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	s.setSessionCookie(c, tenantCookie, res.Token, int(tenant.SupportViewTTL.Seconds()))
	c.JSON(http.StatusOK, supportSessionJSON{Redirect: "/console", ExpiresAt: res.Session.ExpiresAt})
}

// adminSupportView shows support staff what a tenant's console holds,
// through a read-only tenant scope (any write fails in the store), and
// records that they looked.
func (s *Server) adminSupportView(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	t, err := s.deps.Accounts.GetTenant(ctx, id)
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Accounts.Audit(ctx, tenant.Entry{TenantID: id, Action: "tenant.support_view", Target: "tenant:" + strconv.FormatUint(id, 10)}); err != nil {
		fail(c, err)
		return
	}
	p := *principal(c)
	p.TenantID, p.SupportView = id, true
	users, _, err := s.deps.Accounts.ListUsers(tenant.WithPrincipal(ctx, &p), store.Page{Limit: store.MaxPageSize})
	if err != nil {
		fail(c, err)
		return
	}
	out := supportViewJSON{Tenant: toTenant(t), Users: make([]userJSON, len(users)), ReadOnly: true}
	for i := range users {
		out.Users[i] = toUser(&users[i])
	}
	c.JSON(http.StatusOK, out)
}
