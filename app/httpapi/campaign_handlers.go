package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/pii"
	"github.com/waihu/waihu/app/store"
)

// --- response shapes ---

type contactListJSON struct {
	ID           uint64    `json:"id"`
	Name         string    `json:"name"`
	State        string    `json:"state"`
	Columns      []string  `json:"columns"`
	ContactCount int64     `json:"contact_count"`
	CreatedAt    time.Time `json:"created_at"`
}

func toContactList(l *store.ContactList) contactListJSON {
	cols := []string{}
	_ = json.Unmarshal([]byte(l.Columns), &cols)
	return contactListJSON{ID: l.ID, Name: l.Name, State: l.State, Columns: cols, ContactCount: l.ContactCount, CreatedAt: l.CreatedAt}
}

type contactJSON struct {
	ID      uint64            `json:"id"`
	Phone   string            `json:"phone"`
	Name    string            `json:"name"`
	TZ      string            `json:"tz"`
	Vars    map[string]string `json:"vars"`
	FileRow int               `json:"file_row"`
}

type importJSON struct {
	ID         uint64     `json:"id"`
	ListID     uint64     `json:"list_id"`
	FileName   string     `json:"file_name"`
	FileSize   int64      `json:"file_size"`
	Format     string     `json:"format"`
	Encoding   string     `json:"encoding"`
	State      string     `json:"state"`
	TotalRows  int        `json:"total_rows"`
	RowsDone   int        `json:"rows_done"`
	Imported   int        `json:"imported"`
	Duplicates int        `json:"duplicates"`
	Invalid    int        `json:"invalid"`
	DNC        int        `json:"dnc"`
	Error      string     `json:"error"`
	FinishedAt *time.Time `json:"finished_at"`
}

func toImport(i *store.ListImport) importJSON {
	return importJSON{ID: i.ID, ListID: i.ListID, FileName: i.FileName, FileSize: i.FileSize, Format: i.Format, Encoding: i.Encoding,
		State: i.State, TotalRows: i.TotalRows, RowsDone: i.RowsDone, Imported: i.Imported, Duplicates: i.Duplicates, Invalid: i.Invalid,
		DNC: i.DNC, Error: i.Error, FinishedAt: i.FinishedAt}
}

type campaignJSON struct {
	ID              uint64         `json:"id"`
	Name            string         `json:"name"`
	ListID          uint64         `json:"list_id"`
	ScriptVersionID uint64         `json:"script_version_id"`
	State           string         `json:"state"`
	Priority        int            `json:"priority"`
	MaxConcurrent   int            `json:"max_concurrent"`
	TrunkID         uint64         `json:"trunk_id"`
	StartAt         *time.Time     `json:"start_at"`
	EndAt           *time.Time     `json:"end_at"`
	Rules           campaign.Rules `json:"rules"`
	PauseReason     string         `json:"pause_reason"`
	Total           int64          `json:"total"`
	Finished        int64          `json:"finished"`
	Answered        int64          `json:"answered"`
	StartedAt       *time.Time     `json:"started_at"`
	EndedAt         *time.Time     `json:"ended_at"`
	CreatedAt       time.Time      `json:"created_at"`
}

func toCampaign(c *store.Campaign) campaignJSON {
	r := campaign.DefaultRules()
	_ = json.Unmarshal([]byte(c.Rules), &r)
	return campaignJSON{ID: c.ID, Name: c.Name, ListID: c.ListID, ScriptVersionID: c.ScriptVersionID, State: c.State, Priority: c.Priority,
		MaxConcurrent: c.MaxConcurrent, TrunkID: c.TrunkID, StartAt: c.StartAt, EndAt: c.EndAt, Rules: r, PauseReason: c.PauseReason,
		Total: c.Total, Finished: c.Finished, Answered: c.Answered, StartedAt: c.StartedAt, EndedAt: c.EndedAt, CreatedAt: c.CreatedAt}
}

type resultJSON struct {
	ID          uint64          `json:"id"`
	UUID        string          `json:"uuid"`
	CampaignID  uint64          `json:"campaign_id"`
	ContactID   uint64          `json:"contact_id"`
	AttemptNo   int             `json:"attempt_no"`
	Phone       string          `json:"phone"`
	CallerID    string          `json:"caller_id"`
	Outcome     string          `json:"outcome"`
	HangupCause string          `json:"hangup_cause"`
	SIPStatus   int             `json:"sip_status"`
	Grade       string          `json:"grade"`
	Tags        json.RawMessage `json:"tags"`
	Vars        json.RawMessage `json:"vars"`
	QueuedAt    time.Time       `json:"queued_at"`
	AnsweredAt  *time.Time      `json:"answered_at"`
	EndedAt     *time.Time      `json:"ended_at"`
	RingSec     int             `json:"ring_sec"`
	TalkSec     int             `json:"talk_sec"`
	CostFen     int64           `json:"cost_fen"`
	Recording   bool            `json:"recording"`
	Simulated   bool            `json:"simulated"`
	Timeline    json.RawMessage `json:"timeline,omitempty"`
}

func rawJSON(s, empty string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		if strings.TrimSpace(s) != "" && empty == "[]" {
			b, _ := json.Marshal(strings.Split(s, ","))
			return b
		}
		return json.RawMessage(empty)
	}
	return json.RawMessage(s)
}

func toResult(a *store.CallAttempt, mask, detail bool) resultJSON {
	phone := a.Phone
	if mask {
		phone = pii.MaskPhone(phone)
	}
	r := resultJSON{ID: a.ID, UUID: a.UUID, CampaignID: a.CampaignID, ContactID: a.ContactID, AttemptNo: a.AttemptNo, Phone: phone,
		CallerID: a.CallerID, Outcome: a.Outcome, HangupCause: a.HangupCause, SIPStatus: a.SIPStatus, Grade: a.Grade,
		Tags: rawJSON(a.Tags, "[]"), Vars: rawJSON(a.Vars, "{}"), QueuedAt: a.QueuedAt, AnsweredAt: a.AnsweredAt, EndedAt: a.EndedAt,
		RingSec: a.RingSec, TalkSec: a.TalkSec, CostFen: a.CostFen, Recording: a.RecordPath != "", Simulated: a.Simulated}
	if detail {
		r.Timeline = rawJSON(a.Timeline, "{}")
	}
	return r
}

type webhookJSON struct {
	ID        uint64    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Enabled   bool      `json:"enabled"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func toWebhook(w *store.WebhookEndpoint, withSecret bool) webhookJSON {
	ev := []string{}
	if w.Events != "" {
		ev = strings.Split(w.Events, ",")
	}
	out := webhookJSON{ID: w.ID, URL: w.URL, Events: ev, Enabled: w.Enabled, CreatedAt: w.CreatedAt}
	if withSecret {
		out.Secret = w.Secret
	}
	return out
}

type deliveryJSON struct {
	ID          uint64     `json:"id"`
	MsgID       string     `json:"msg_id"`
	Event       string     `json:"event"`
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	LastStatus  int        `json:"last_status"`
	LastError   string     `json:"last_error"`
	DeliveredAt *time.Time `json:"delivered_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toDelivery(d *store.WebhookDelivery) deliveryJSON {
	return deliveryJSON{ID: d.ID, MsgID: d.MsgID, Event: d.Event, Status: d.Status, Attempts: d.Attempts, LastStatus: d.LastStatus,
		LastError: d.LastError, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt}
}

// --- request shapes ---

type addContactsRequest struct {
	Contacts []campaign.ContactInput `json:"contacts"`
}

type dncAddRequest struct {
	Phones []string `json:"phones"`
	Note   string   `json:"note"`
}

// campaignRequest carries times as strings so a bad one is named by field.
type campaignRequest struct {
	Name            string          `json:"name"`
	ListID          uint64          `json:"list_id"`
	ScriptVersionID uint64          `json:"script_version_id"`
	Priority        int             `json:"priority"`
	MaxConcurrent   int             `json:"max_concurrent"`
	TrunkID         uint64          `json:"trunk_id"`
	StartAt         string          `json:"start_at"`
	EndAt           string          `json:"end_at"`
	Rules           *campaign.Rules `json:"rules"`
}

func (r campaignRequest) input() (campaign.CampaignInput, error) {
	in := campaign.CampaignInput{Name: r.Name, ListID: r.ListID, ScriptVersionID: r.ScriptVersionID, Priority: r.Priority,
		MaxConcurrent: r.MaxConcurrent, TrunkID: r.TrunkID, Rules: r.Rules}
	var v apperr.Validator
	parse := func(field, s string) *time.Time {
		if s == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, s)
		v.Check(err == nil, field, "must be an RFC 3339 time like 2026-12-01T09:00:00+08:00")
		if err != nil {
			return nil
		}
		return &t
	}
	in.StartAt = parse("start_at", r.StartAt)
	in.EndAt = parse("end_at", r.EndAt)
	return in, v.Err()
}

type scriptFitRequest struct {
	ListID          uint64 `json:"list_id"`
	ScriptVersionID uint64 `json:"script_version_id"`
}

// scriptFitJSON answers a fitting script version: the contact columns it
// reads. A version that does not fit gets 422 on script_version_id.
type scriptFitJSON struct {
	Columns []string `json:"columns"`
}

type previewRequest struct {
	ListID uint64          `json:"list_id"`
	Rules  *campaign.Rules `json:"rules"`
}

const maxUploadBody = 256 << 20

func (s *Server) registerCampaign() {
	if s.deps.Campaigns == nil {
		return
	}
	mgr := store.RoleManager
	// Lists and imports.
	s.add(Route{Method: http.MethodGet, Path: "/lists", Tag: "lists", Summary: "List contact lists", Auth: AuthTenant,
		Query: pageParams, Response: listOf[contactListJSON]{}, Handler: s.listLists})
	s.add(Route{Method: http.MethodPost, Path: "/lists/upload", Tag: "lists",
		Summary: "Upload a CSV or XLSX file (multipart: file, name); returns the first rows and a suggested column mapping",
		Auth:    AuthTenant, MinRole: mgr, MaxBody: maxUploadBody, Response: campaign.Preview{}, Status: http.StatusCreated, Handler: s.uploadList})
	s.add(Route{Method: http.MethodGet, Path: "/lists/:id", Tag: "lists", Summary: "One contact list", Auth: AuthTenant, Resource: "list",
		Response: contactListJSON{}, Handler: s.getList})
	s.add(Route{Method: http.MethodDelete, Path: "/lists/:id", Tag: "lists", Summary: "Delete a list no campaign uses", Auth: AuthTenant,
		MinRole: mgr, Resource: "list", Status: http.StatusNoContent, Handler: s.deleteList})
	s.add(Route{Method: http.MethodGet, Path: "/lists/:id/contacts", Tag: "lists", Summary: "A list's contacts", Auth: AuthTenant,
		Resource: "list", Query: pageParams, Response: listOf[contactJSON]{}, Handler: s.listContacts})
	s.add(Route{Method: http.MethodPost, Path: "/lists/:id/contacts", Tag: "lists", Summary: "Add contacts to a ready list",
		Auth: AuthTenant, MinRole: mgr, Resource: "list", Request: addContactsRequest{}, Response: campaign.AddResult{}, Handler: s.addContacts})
	s.add(Route{Method: http.MethodGet, Path: "/imports/:id", Tag: "lists", Summary: "An import's state and progress", Auth: AuthTenant,
		Resource: "import", Response: importJSON{}, Handler: s.getImport})
	s.add(Route{Method: http.MethodGet, Path: "/imports/:id/preview", Tag: "lists", Summary: "First rows of an uploaded file",
		Auth: AuthTenant, Resource: "import", Response: campaign.Preview{}, Handler: s.previewImport})
	s.add(Route{Method: http.MethodPost, Path: "/imports/:id/start", Tag: "lists", Summary: "Give the column mapping and start the import",
		Auth: AuthTenant, MinRole: mgr, Resource: "import", Request: campaign.Mapping{}, Response: importJSON{}, Status: http.StatusAccepted, Handler: s.startImport})
	s.add(Route{Method: http.MethodGet, Path: "/imports/:id/errors", Tag: "lists", Summary: "The rows not imported, with the reason (CSV)",
		Auth: AuthTenant, Resource: "import", Handler: s.importErrors})
	// Do-not-call.
	s.add(Route{Method: http.MethodGet, Path: "/dnc", Tag: "dnc", Summary: "The tenant's do-not-call list", Auth: AuthTenant,
		Query: append([]QueryParam{{"search", "string", "digits of the number"}}, pageParams...), Response: listOf[campaign.DNCRow]{}, Handler: s.listDNC(false)})
	s.add(Route{Method: http.MethodPost, Path: "/dnc", Tag: "dnc", Summary: "Add numbers to the do-not-call list", Auth: AuthTenant, MinRole: mgr,
		Request: dncAddRequest{}, Response: campaign.DNCResult{}, Handler: s.addDNC(false)})
	s.add(Route{Method: http.MethodDelete, Path: "/dnc/:id", Tag: "dnc", Summary: "Remove a number from the do-not-call list", Auth: AuthTenant,
		MinRole: mgr, Resource: "dnc", Status: http.StatusNoContent, Handler: s.removeDNC(false)})
	s.add(Route{Method: http.MethodPost, Path: "/dnc/import", Tag: "dnc", Summary: "Import numbers from a CSV file (multipart: file)",
		Auth: AuthTenant, MinRole: mgr, MaxBody: 32 << 20, Response: campaign.DNCResult{}, Handler: s.importDNC(false)})
	s.add(Route{Method: http.MethodGet, Path: "/dnc/export", Tag: "dnc", Summary: "Export the do-not-call list (CSV)", Auth: AuthTenant,
		MinRole: mgr, Handler: s.exportDNC(false)})
	s.add(Route{Method: http.MethodGet, Path: "/admin/dnc", Tag: "admin-dnc", Summary: "The platform do-not-call list", Auth: AuthStaff, Area: "dnc",
		Query: append([]QueryParam{{"search", "string", "digits of the number"}}, pageParams...), Response: listOf[campaign.DNCRow]{}, Handler: s.listDNC(true)})
	s.add(Route{Method: http.MethodPost, Path: "/admin/dnc", Tag: "admin-dnc", Summary: "Add numbers to the platform do-not-call list",
		Auth: AuthStaff, Area: "dnc", Request: dncAddRequest{}, Response: campaign.DNCResult{}, Handler: s.addDNC(true)})
	s.add(Route{Method: http.MethodDelete, Path: "/admin/dnc/:id", Tag: "admin-dnc", Summary: "Remove a number from the platform list",
		Auth: AuthStaff, Area: "dnc", Resource: "platform_dnc", Status: http.StatusNoContent, Handler: s.removeDNC(true)})
	s.add(Route{Method: http.MethodPost, Path: "/admin/dnc/import", Tag: "admin-dnc", Summary: "Import numbers to the platform list (multipart: file)",
		Auth: AuthStaff, Area: "dnc", MaxBody: 32 << 20, Response: campaign.DNCResult{}, Handler: s.importDNC(true)})
	s.add(Route{Method: http.MethodGet, Path: "/admin/dnc/export", Tag: "admin-dnc", Summary: "Export the platform list (CSV)",
		Auth: AuthStaff, Area: "dnc", Handler: s.exportDNC(true)})
	// Campaigns.
	s.add(Route{Method: http.MethodGet, Path: "/campaigns", Tag: "campaigns", Summary: "List campaigns", Auth: AuthTenant,
		Query:    append([]QueryParam{{"state", "string", "draft, scheduled, running, paused, completed or stopped"}}, pageParams...),
		Response: listOf[campaignJSON]{}, Handler: s.listCampaigns})
	s.add(Route{Method: http.MethodPost, Path: "/campaigns", Tag: "campaigns", Summary: "Create a draft campaign", Auth: AuthTenant, MinRole: mgr,
		Request: campaignRequest{}, Response: campaignJSON{}, Status: http.StatusCreated, Handler: s.createCampaign})
	s.add(Route{Method: http.MethodPost, Path: "/compliance/preview", Tag: "campaigns",
		Summary: "How many contacts of a list each compliance rule would hold back now", Auth: AuthTenant,
		Request: previewRequest{}, Response: campaign.CompliancePreview{}, Handler: s.compliancePreview})
	s.add(Route{Method: http.MethodPost, Path: "/campaigns/script-fit", Tag: "campaigns",
		Summary: "Whether a script version fits a list's columns (the wizard's check before create)", Auth: AuthTenant,
		Request: scriptFitRequest{}, Response: scriptFitJSON{}, Handler: s.scriptFit})
	s.add(Route{Method: http.MethodGet, Path: "/campaigns/:id", Tag: "campaigns", Summary: "One campaign", Auth: AuthTenant, Resource: "campaign",
		Response: campaignJSON{}, Handler: s.getCampaign})
	s.add(Route{Method: http.MethodPut, Path: "/campaigns/:id", Tag: "campaigns", Summary: "Change a campaign that is not running",
		Auth: AuthTenant, MinRole: mgr, Resource: "campaign", Request: campaignRequest{}, Response: campaignJSON{}, Handler: s.updateCampaign})
	s.add(Route{Method: http.MethodDelete, Path: "/campaigns/:id", Tag: "campaigns", Summary: "Delete a draft", Auth: AuthTenant, MinRole: mgr,
		Resource: "campaign", Status: http.StatusNoContent, Handler: s.deleteCampaign})
	for _, act := range []string{campaign.ActionStart, campaign.ActionPause, campaign.ActionResume, campaign.ActionStop} {
		s.add(Route{Method: http.MethodPost, Path: "/campaigns/:id/" + act, Tag: "campaigns", Summary: strings.ToUpper(act[:1]) + act[1:] + " the campaign",
			Auth: AuthTenant, MinRole: mgr, Resource: "campaign", Response: campaignJSON{}, Handler: s.actCampaign(act)})
	}
	s.add(Route{Method: http.MethodPost, Path: "/campaigns/:id/contacts", Tag: "campaigns", Summary: "Append contacts to a campaign (also while it runs)",
		Auth: AuthTenant, MinRole: mgr, Resource: "campaign", Request: addContactsRequest{}, Response: campaign.AddResult{}, Handler: s.appendContacts})
	s.add(Route{Method: http.MethodGet, Path: "/campaigns/:id/stats", Tag: "campaigns", Summary: "Campaign statistics", Auth: AuthTenant,
		Resource: "campaign", Response: campaign.Stats{}, Handler: s.campaignStats})
	s.add(Route{Method: http.MethodGet, Path: "/campaigns/:id/calls", Tag: "campaigns", Summary: "Calls in flight (newest 200)",
		Auth: AuthTenant, Resource: "campaign", Response: listOf[resultJSON]{}, Handler: s.inFlightCalls})
	s.add(Route{Method: http.MethodGet, Path: "/campaigns/:id/events", Tag: "campaigns",
		Summary: "Live statistics as Server-Sent Events (event: stats)", Auth: AuthTenant, Resource: "campaign", Handler: s.campaignEvents})
	// Results.
	resultQuery := append([]QueryParam{{"campaign_id", "integer", "campaign"}, {"outcome", "string", "outcome"}, {"grade", "string", "A to F"},
		{"phone", "string", "digits of the number"}, {"from", "string", "RFC 3339 time"}, {"to", "string", "RFC 3339 time"},
		{"handled", "boolean", "follow-up done"}}, pageParams...)
	s.add(Route{Method: http.MethodGet, Path: "/results", Tag: "results", Summary: "Call records, newest first", Auth: AuthTenant,
		Query: resultQuery, Response: listOf[resultJSON]{}, Handler: s.listResults})
	s.add(Route{Method: http.MethodGet, Path: "/results/export", Tag: "results", Summary: "Export the filtered call records (format=csv or xlsx; recordings=true zips the recordings with them)",
		Auth: AuthTenant, MinRole: mgr, Query: append(resultQuery[:7:7], QueryParam{"format", "string", "csv or xlsx"},
			QueryParam{"recordings", "boolean", "true: a ZIP of the table and recordings/<call id>.wav of its rows"}), Handler: s.exportResults})
	s.add(Route{Method: http.MethodGet, Path: "/results/:id", Tag: "results", Summary: "One call record with its timeline", Auth: AuthTenant,
		Resource: "call", Response: resultJSON{}, Handler: s.getResult})
	s.add(Route{Method: http.MethodGet, Path: "/results/:id/recording", Tag: "results", Summary: "The call's recording (audio; Range requests work)",
		Auth: AuthTenant, Resource: "call", Handler: s.resultRecording})
	s.add(Route{Method: http.MethodPatch, Path: "/results/:id/follow-up", Tag: "results", Summary: "Mark handled, assign, add notes",
		Auth: AuthTenant, MinRole: store.RoleAgent, Resource: "call", Request: campaign.FollowUp{}, Handler: s.followUp})
	// Webhooks.
	s.add(Route{Method: http.MethodGet, Path: "/webhooks", Tag: "webhooks", Summary: "List webhook endpoints", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Query: pageParams, Response: listOf[webhookJSON]{}, Handler: s.listWebhooks})
	s.add(Route{Method: http.MethodPost, Path: "/webhooks", Tag: "webhooks", Summary: "Add a webhook endpoint (the signing secret is returned)",
		Auth: AuthTenant, MinRole: store.RoleAdmin, Request: campaign.WebhookInput{}, Response: webhookJSON{}, Status: http.StatusCreated, Handler: s.createWebhook})
	s.add(Route{Method: http.MethodPatch, Path: "/webhooks/:id", Tag: "webhooks", Summary: "Change a webhook endpoint", Auth: AuthTenant,
		MinRole: store.RoleAdmin, Resource: "webhook", Request: campaign.WebhookInput{}, Response: webhookJSON{}, Handler: s.updateWebhook})
	s.add(Route{Method: http.MethodDelete, Path: "/webhooks/:id", Tag: "webhooks", Summary: "Delete a webhook endpoint", Auth: AuthTenant,
		MinRole: store.RoleAdmin, Resource: "webhook", Status: http.StatusNoContent, Handler: s.deleteWebhook})
	s.add(Route{Method: http.MethodGet, Path: "/webhooks/:id/deliveries", Tag: "webhooks", Summary: "Delivery log of an endpoint",
		Auth: AuthTenant, MinRole: store.RoleAdmin, Resource: "webhook", Query: pageParams, Response: listOf[deliveryJSON]{}, Handler: s.listDeliveries})
}

func (s *Server) camp() *campaign.Service { return s.deps.Campaigns }

func maskFor(c *gin.Context) bool {
	p := principal(c)
	return p != nil && p.Role == store.RoleViewer
}

func (s *Server) listLists(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.camp().Lists(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toContactList))
}

// multipartFile opens the "file" part of a multipart upload.
func multipartFile(c *gin.Context) (io.ReadCloser, string, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", mbe
		}
		return nil, "", apperr.Invalid("file", "send the file as multipart/form-data field \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", fmt.Errorf("open upload: %w", err)
	}
	return f, fh.Filename, nil
}

func (s *Server) uploadList(c *gin.Context) {
	f, name, err := multipartFile(c)
	if err != nil {
		fail(c, err)
		return
	}
	defer f.Close()
	p, err := s.camp().Upload(c.Request.Context(), c.PostForm("name"), name, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (s *Server) getList(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	l, err := s.camp().GetList(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toContactList(l))
}

func (s *Server) deleteList(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.camp().DeleteList(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listContacts(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.camp().Contacts(c.Request.Context(), id, p)
	if err != nil {
		fail(c, err)
		return
	}
	mask := maskFor(c)
	c.JSON(http.StatusOK, list(rows, next, func(ct *store.Contact) contactJSON {
		vars := map[string]string{}
		_ = json.Unmarshal([]byte(ct.Vars), &vars)
		phone := ct.Phone
		if mask {
			phone = pii.MaskPhone(phone)
		}
		return contactJSON{ID: ct.ID, Phone: phone, Name: ct.Name, TZ: ct.TZ, Vars: vars, FileRow: ct.FileRow}
	}))
}

func (s *Server) addContacts(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.camp().GetList(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	var in addContactsRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	res, _, err := s.camp().AddContacts(c.Request.Context(), id, in.Contacts)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) getImport(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	imp, err := s.camp().GetImport(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toImport(imp))
}

func (s *Server) previewImport(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	p, err := s.camp().PreviewImport(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) startImport(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.camp().GetImport(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	var m campaign.Mapping
	if err := bindJSON(c, &m); err != nil {
		fail(c, err)
		return
	}
	imp, err := s.camp().StartImport(c.Request.Context(), id, m)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, toImport(imp))
}

func (s *Server) importErrors(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.camp().GetImport(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="import-%d-errors.csv"`, id))
	c.Status(http.StatusOK)
	if err := s.camp().WriteRejects(c.Request.Context(), id, c.Writer); err != nil {
		fail(c, err)
	}
}

func (s *Server) listDNC(platform bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := pageFrom(c)
		if err != nil {
			fail(c, err)
			return
		}
		search := c.Query("search")
		if len(search) > 32 {
			fail(c, apperr.Invalid("search", "at most 32 characters"))
			return
		}
		rows, next, err := s.camp().ListDNC(c.Request.Context(), platform, search, p)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, listOf[campaign.DNCRow]{Items: rows, NextCursor: encodeCursor(next)})
	}
}

func (s *Server) addDNC(platform bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in dncAddRequest
		if err := bindJSON(c, &in); err != nil {
			fail(c, err)
			return
		}
		res, err := s.camp().AddDNC(c.Request.Context(), platform, in.Phones, campaign.DNCManual, in.Note)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

func (s *Server) removeDNC(platform bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c, "id")
		if err != nil {
			fail(c, err)
			return
		}
		if err := s.camp().RemoveDNC(c.Request.Context(), platform, id); err != nil {
			fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

func (s *Server) importDNC(platform bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		f, _, err := multipartFile(c)
		if err != nil {
			fail(c, err)
			return
		}
		defer f.Close()
		res, err := s.camp().ImportDNC(c.Request.Context(), platform, f)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, res)
	}
}

func (s *Server) exportDNC(platform bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="dnc.csv"`)
		c.Status(http.StatusOK)
		if err := s.camp().ExportDNC(c.Request.Context(), platform, c.Writer); err != nil {
			fail(c, err)
		}
	}
}

func (s *Server) listCampaigns(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	state := c.Query("state")
	switch state {
	case "", store.CampaignDraft, store.CampaignScheduled, store.CampaignRunning, store.CampaignPaused, store.CampaignCompleted, store.CampaignStopped:
	default:
		fail(c, apperr.Invalid("state", "unknown state"))
		return
	}
	rows, next, err := s.camp().Campaigns(c.Request.Context(), state, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toCampaign))
}

func (s *Server) createCampaign(c *gin.Context) {
	var req campaignRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	in, err := req.input()
	if err != nil {
		fail(c, err)
		return
	}
	cp, err := s.camp().CreateCampaign(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toCampaign(cp))
}

func (s *Server) compliancePreview(c *gin.Context) {
	var req previewRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	rules := campaign.DefaultRules()
	if req.Rules != nil {
		rules = *req.Rules
	}
	p, err := s.camp().Preview(c.Request.Context(), req.ListID, rules)
	if errors.Is(err, apperr.ErrNotFound) {
		err = apperr.Invalid("list_id", "no such list")
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) scriptFit(c *gin.Context) {
	var req scriptFitRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	cols, err := s.camp().CheckScriptFits(c.Request.Context(), req.ListID, req.ScriptVersionID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, scriptFitJSON{Columns: cols})
}

func (s *Server) campaignFromPath(c *gin.Context) (*store.Campaign, bool) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return nil, false
	}
	cp, err := s.camp().GetCampaign(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return cp, true
}

func (s *Server) getCampaign(c *gin.Context) {
	if cp, ok := s.campaignFromPath(c); ok {
		c.JSON(http.StatusOK, toCampaign(cp))
	}
}

func (s *Server) updateCampaign(c *gin.Context) {
	cp, ok := s.campaignFromPath(c)
	if !ok {
		return
	}
	var req campaignRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	in, err := req.input()
	if err != nil {
		fail(c, err)
		return
	}
	out, err := s.camp().UpdateCampaign(c.Request.Context(), cp.ID, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCampaign(out))
}

func (s *Server) deleteCampaign(c *gin.Context) {
	cp, ok := s.campaignFromPath(c)
	if !ok {
		return
	}
	if err := s.camp().DeleteCampaign(c.Request.Context(), cp.ID); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) actCampaign(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		cp, ok := s.campaignFromPath(c)
		if !ok {
			return
		}
		out, err := s.camp().Act(c.Request.Context(), cp.ID, action, "")
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, toCampaign(out))
	}
}

func (s *Server) appendContacts(c *gin.Context) {
	cp, ok := s.campaignFromPath(c)
	if !ok {
		return
	}
	var in addContactsRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	res, err := s.camp().AppendContacts(c.Request.Context(), cp.ID, in.Contacts)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) campaignStats(c *gin.Context) {
	cp, ok := s.campaignFromPath(c)
	if !ok {
		return
	}
	st, err := s.camp().CampaignStats(c.Request.Context(), cp.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) inFlightCalls(c *gin.Context) {
	cp, ok := s.campaignFromPath(c)
	if !ok {
		return
	}
	rows, err := s.camp().InFlight(c.Request.Context(), cp.ID, 200)
	if err != nil {
		fail(c, err)
		return
	}
	mask := maskFor(c)
	c.JSON(http.StatusOK, list(rows, 0, func(a *store.CallAttempt) resultJSON { return toResult(a, mask, false) }))
}

// campaignEvents streams the campaign's statistics whenever it changes in
// this process, and every two seconds for changes made by other processes.
func (s *Server) campaignEvents(c *gin.Context) {
	cp, ok := s.campaignFromPath(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	nudges, stop := s.camp().Subscribe(cp.ID)
	defer stop()
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var last []byte
	for {
		st, err := s.camp().CampaignStats(ctx, cp.ID)
		if err != nil {
			return
		}
		b, _ := json.Marshal(st)
		if string(b) != string(last) {
			if _, err := fmt.Fprintf(c.Writer, "event: stats\ndata: %s\n\n", b); err != nil {
				return
			}
			c.Writer.Flush()
			last = b
		}
		select {
		case <-ctx.Done():
			return
		case <-nudges:
		case <-tick.C:
		}
	}
}

func resultFilter(c *gin.Context) (campaign.ResultFilter, error) {
	var f campaign.ResultFilter
	var v apperr.Validator
	if s := c.Query("campaign_id"); s != "" {
		id, err := strconv.ParseUint(s, 10, 64)
		v.Check(err == nil, "campaign_id", "must be an integer")
		f.CampaignID = id
	}
	f.Outcome = c.Query("outcome")
	v.Check(len(f.Outcome) <= 32, "outcome", "unknown outcome")
	f.Grade = c.Query("grade")
	f.Phone = c.Query("phone")
	v.Check(len(f.Phone) <= 32, "phone", "at most 32 characters")
	for _, k := range []string{"from", "to"} {
		if s := c.Query(k); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			v.Check(err == nil, k, "must be an RFC 3339 time")
			if k == "from" {
				f.From = &t
			} else {
				f.To = &t
			}
		}
	}
	if s := c.Query("handled"); s != "" {
		b, err := boolQuery(c, "handled")
		if err != nil {
			return f, err
		}
		f.Handled = &b
	}
	return f, v.Err()
}

func (s *Server) listResults(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	f, err := resultFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.camp().Results(c.Request.Context(), f, p)
	if err != nil {
		fail(c, err)
		return
	}
	mask := maskFor(c)
	c.JSON(http.StatusOK, list(rows, next, func(a *store.CallAttempt) resultJSON { return toResult(a, mask, false) }))
}

func (s *Server) getResult(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	a, err := s.camp().GetResult(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toResult(a, maskFor(c), true))
}

// resultRecording serves a recording from the recordings directory only: a
// record path pointing anywhere else is treated as missing. A recording
// uploaded to S3-compatible storage is played through a presigned URL
// instead: a 302 to it, valid for --s3-url-ttl (5 min), so waihu does not
// proxy audio and several waihu processes need no shared disk to play it.
func (s *Server) resultRecording(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	a, err := s.camp().GetResult(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if u := s.deps.Recordings.PlaybackURL(a); u != "" {
		// Uploaded to S3-compatible storage: send the player to a
		// short-lived presigned URL (recordings_handlers.go's doc).
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusFound, u)
		return
	}
	p, ok := campaign.RecordingFile(s.deps.Config.RecordingsDir, a.RecordPath)
	if !ok {
		fail(c, fmt.Errorf("recording of call %d: %w", id, apperr.ErrNotFound))
		return
	}
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		fail(c, fmt.Errorf("recording of call %d: %w", id, apperr.ErrNotFound))
		return
	}
	// The system's MIME table may lack .wav (or call it audio/x-wav):
	// browsers play what the header says, so name the type here.
	c.Header("Content-Type", campaign.RecordingContentType(p))
	c.File(p)
}

func (s *Server) followUp(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.camp().GetResult(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	var in campaign.FollowUp
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	cc, err := s.camp().SetFollowUp(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"handled": cc.Handled, "assignee_id": cc.AssigneeID, "notes": cc.Notes})
}

func (s *Server) exportResults(c *gin.Context) {
	f, err := resultFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "xlsx")
	var ct string
	switch format {
	case "csv":
		ct = "text/csv; charset=utf-8"
	case "xlsx":
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		fail(c, apperr.Invalid("format", "must be csv or xlsx"))
		return
	}
	withRec, err := boolQuery(c, "recordings")
	if err != nil {
		fail(c, err)
		return
	}
	ext := format
	if withRec {
		ct, ext = "application/zip", "zip"
	}
	c.Header("Content-Type", ct)
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="results-%s.%s"`, time.Now().UTC().Format("20060102-150405"), ext))
	c.Status(http.StatusOK)
	if withRec {
		err = s.camp().ExportZip(c.Request.Context(), f, format, s.deps.Config.RecordingsDir, c.Writer)
	} else {
		err = s.camp().Export(c.Request.Context(), f, format, c.Writer)
	}
	if err != nil {
		fail(c, err)
	}
}

func (s *Server) listWebhooks(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.camp().Webhooks(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, func(w *store.WebhookEndpoint) webhookJSON { return toWebhook(w, false) }))
}

func (s *Server) createWebhook(c *gin.Context) {
	var in campaign.WebhookInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	w, err := s.camp().CreateWebhook(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toWebhook(w, true))
}

func (s *Server) updateWebhook(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.camp().GetWebhook(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	var in campaign.WebhookInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	w, err := s.camp().UpdateWebhook(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toWebhook(w, false))
}

func (s *Server) deleteWebhook(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.camp().DeleteWebhook(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listDeliveries(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.camp().Deliveries(c.Request.Context(), id, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toDelivery))
}
