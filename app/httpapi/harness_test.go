package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

type env struct {
	t         *testing.T
	db        *store.DB
	accounts  *tenant.Service
	campaigns *campaign.Service
	srv       *httpapi.Server
	http      *httptest.Server
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	return newEnvWith(t, db, nil)
}

// newEnvWith is newEnv with a chance to change the services and config
// before the server is built (a test's own billing provider, a public URL).
func newEnvWith(t *testing.T, db *store.DB, adjust func(d *httpapi.Deps)) *env {
	t.Helper()
	log := storetest.Logger()
	accounts := tenant.New(db, log, tenant.Options{})
	crmSvc := crm.New(db, accounts, log, crm.Options{})
	accounts.Hooks = crmSvc.Hooks(accounts.Hooks)
	cfg := &config.Config{MaxBodyBytes: 64 << 10, SecureCookies: "auto", FSSecret: "fs-secret"}
	calls := callctl.New(db, callctl.Options{Log: log})
	bill := billing.New(db, accounts, log, billing.Options{})
	camps := campaign.New(db, campaign.Options{DataDir: t.TempDir(), Log: log})
	deps := httpapi.Deps{
		Speech:      newSpeechConsole(t, db),
		Campaigns:   camps,
		CRM:         crmSvc,
		Billing:     bill,
		Config:      cfg,
		DB:          db,
		Accounts:    accounts,
		CallControl: calls,
		// Announcement audio goes to a temp dir per test.
		Announcements: callctl.NewAnnouncements(db, t.TempDir()),
		Scripts:       scriptstore.New(db, accounts),
		Log:           log,
		Version:       "test",
		NoRateLimits:  true,
	}
	if adjust != nil {
		adjust(&deps)
	}
	srv := httpapi.New(deps)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, db: db, accounts: deps.Accounts, campaigns: camps, srv: srv, http: hs}
}

// client is a browser-like API client: a cookie jar and the CSRF token.
type client struct {
	e      *env
	hc     *http.Client
	csrf   string
	bearer string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar}}
}

func (e *env) loginTenant(email, password string) *client {
	e.t.Helper()
	c := e.anon()
	status, body := c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
	if status != 200 {
		e.t.Fatalf("login %s: %d %s", email, status, body)
	}
	c.csrf = body["csrf_token"].(string)
	return c
}

func (e *env) loginStaff(email, password string) *client {
	e.t.Helper()
	c := e.anon()
	status, body := c.do("POST", "/api/v1/admin/auth/login", map[string]any{"email": email, "password": password})
	if status != 200 {
		e.t.Fatalf("staff login %s: %d %s", email, status, body)
	}
	c.csrf = body["csrf_token"].(string)
	return c
}

func (e *env) apiKeyClient(secret string) *client {
	c := e.anon()
	c.bearer = secret
	return c
}

// raw sends a request with a literal body and returns status and body text.
func (c *client) raw(method, path, contentType string, body []byte) (int, string, http.Header) {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.csrf != "" && method != "GET" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// do sends JSON (nil for no body) and decodes a JSON object answer.
func (c *client) do(method, path string, body any) (int, map[string]any) {
	c.e.t.Helper()
	var b []byte
	ct := ""
	if body != nil {
		b, _ = json.Marshal(body)
		ct = "application/json"
	}
	status, text, _ := c.raw(method, path, ct, b)
	out := map[string]any{}
	if strings.TrimSpace(text) != "" {
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			c.e.t.Fatalf("%s %s: answer is not a JSON object: %q", method, path, text)
		}
	}
	return status, out
}

// fixture is one tenant with an owner session, an API key and objects.
type fixture struct {
	tenant    *store.Tenant
	owner     *store.User
	cookie    *client
	apiKey    *client
	resources map[string]uint64 // resource name -> id of an object of this tenant
	marker    string
}

// newTenant creates an active tenant whose objects all carry marker in
// their names, so any leak of them into another tenant's answer is visible.
func (e *env) newTenant(name, marker string) *fixture {
	e.t.Helper()
	ctx := context.Background()
	tn, owner, err := e.accounts.CreateTenant(ctx, tenant.SignupInput{CompanyName: name + marker, ContactName: "Owner" + marker,
		Email: strings.ToLower(name) + "@" + strings.ToLower(marker) + ".test", Phone: "13800138000", Password: "secret123"}, true)
	if err != nil {
		e.t.Fatal(err)
	}
	f := &fixture{tenant: tn, owner: owner, marker: marker, resources: map[string]uint64{}}
	f.cookie = e.loginTenant(owner.Email, "secret123")
	status, body := f.cookie.do("POST", "/api/v1/users", map[string]any{"email": "staff@" + strings.ToLower(marker) + ".test", "name": "Member" + marker, "role": "manager", "password": "secret123"})
	if status != 201 {
		e.t.Fatalf("create user: %d %v", status, body)
	}
	f.resources["user"] = uint64(body["id"].(float64))
	status, body = f.cookie.do("POST", "/api/v1/api-keys", map[string]any{"name": "key" + marker})
	if status != 201 {
		e.t.Fatalf("create key: %d %v", status, body)
	}
	f.resources["api_key"] = uint64(body["api_key"].(map[string]any)["id"].(float64))
	f.apiKey = e.apiKeyClient(body["secret"].(string))
	n := store.Notification{Kind: "test", Title: "notice" + marker, Body: marker}
	if err := e.db.With(store.WithTenant(ctx, tn.ID)).Create(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	f.resources["notification"] = n.ID
	status, body = f.cookie.do("POST", "/api/v1/scripts/from-template", map[string]any{"template": "collections", "name": "script" + marker})
	if status != 201 {
		e.t.Fatalf("create script: %d %v", status, body)
	}
	f.resources["script"] = uint64(body["id"].(float64))
	status, body = f.cookie.do("POST", "/api/v1/scripts/"+itoa(f.resources["script"])+"/publish", map[string]any{"note": "v1" + marker})
	if status != 201 {
		e.t.Fatalf("publish script: %d %v", status, body)
	}
	f.resources["script_version"] = uint64(body["id"].(float64))
	e.billingFixtures(f)
	e.campaignFixtures(f)
	// Operator-side objects (leads, help documents, nodes, trunks, caller IDs)
	// for the back-office routes' path parameters.
	pctx := store.AsPlatform(ctx)
	lead := store.Lead{Company: "Lead" + marker, Source: "contact", Stage: store.LeadNew, Phone: "+8613800138000", Email: "lead@" + strings.ToLower(marker) + ".test"}
	doc := store.HelpDoc{Slug: strings.ToLower(marker), Lang: "en", Title: "Doc" + marker, Body: marker, Published: true}
	node := store.Node{Name: "node" + marker, ESLAddr: "127.0.0.1:8021", ESLPassword: "ClueCon"}
	trunk := store.Trunk{Name: "trunk" + marker, Host: "sip.example.test"}
	for _, row := range []any{&lead, &doc, &node, &trunk} {
		if err := e.db.With(pctx).Create(row).Error; err != nil {
			e.t.Fatal(err)
		}
	}
	var nCIDs int64
	e.db.With(pctx).Model(&store.CallerIDNumber{}).Count(&nCIDs)
	cid := store.CallerIDNumber{TrunkID: trunk.ID, Number: fmt.Sprintf("+867558888%04d", nCIDs+1)}
	if err := e.db.With(pctx).Create(&cid).Error; err != nil {
		e.t.Fatal(err)
	}
	f.resources["lead"], f.resources["help_doc"] = lead.ID, doc.ID
	f.resources["node"], f.resources["trunk"], f.resources["caller_id"] = node.ID, trunk.ID, cid.ID
	return f
}

// campaignFixtures gives the tenant a list, an import, a campaign, a call
// record, a do-not-call entry and a webhook, all marked.
func (e *env) campaignFixtures(f *fixture) {
	e.t.Helper()
	ctx := store.WithTenant(context.Background(), f.tenant.ID)
	cs := e.campaigns
	p, err := cs.Upload(ctx, "upload"+f.marker, "f.csv", strings.NewReader("phone,name\n13800138000,"+f.marker+"\n"))
	if err != nil {
		e.t.Fatal(err)
	}
	f.resources["import"] = p.ImportID
	// The columns the collections template's variables need.
	l := &store.ContactList{Name: "list" + f.marker, State: store.ListReady, Columns: `["amount","due_date"]`}
	if err := e.db.With(ctx).Create(l).Error; err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := cs.AddContacts(ctx, l.ID, []campaign.ContactInput{{Phone: "13800138000", Name: "who" + f.marker,
		Vars: map[string]string{"amount": "100", "due_date": "2026-12-01"}}}); err != nil {
		e.t.Fatal(err)
	}
	f.resources["list"] = l.ID
	c, err := cs.CreateCampaign(ctx, campaign.CampaignInput{Name: "camp" + f.marker, ListID: l.ID, ScriptVersionID: f.resources["script_version"]})
	if err != nil {
		e.t.Fatal(err)
	}
	f.resources["campaign"] = c.ID
	var contact store.Contact
	e.db.With(ctx).Where("list_id = ?", l.ID).First(&contact)
	a := &store.CallAttempt{UUID: uuidFor(f.marker), CampaignID: c.ID, ContactID: contact.ID, AttemptNo: 1, Phone: contact.Phone,
		State: store.AttemptFinished, Outcome: "answered", Grade: "A", Vars: `{"note":"` + f.marker + `"}`}
	if err := e.db.With(ctx).Create(a).Error; err != nil {
		e.t.Fatal(err)
	}
	f.resources["call"] = a.ID
	if _, err := cs.AddDNC(ctx, false, []string{"13900000001"}, "", "dnc"+f.marker); err != nil {
		e.t.Fatal(err)
	}
	var d store.DNCEntry
	e.db.With(ctx).First(&d)
	f.resources["dnc"] = d.ID
	w, err := cs.CreateWebhook(ctx, campaign.WebhookInput{URL: "https://hooks.example/" + f.marker})
	if err != nil {
		e.t.Fatal(err)
	}
	f.resources["webhook"] = w.ID
	pctx := store.AsPlatform(context.Background())
	if _, err := cs.AddDNC(pctx, true, []string{"13900000002"}, "", ""); err != nil {
		e.t.Fatal(err)
	}
	var pd store.PlatformDNC
	e.db.With(pctx).First(&pd)
	f.resources["platform_dnc"] = pd.ID
}

func uuidFor(marker string) string {
	h := fmt.Sprintf("%x", sha256.Sum256([]byte(marker)))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// fillPath replaces :param segments with ids of the fixture's resources.
func fillPath(t *testing.T, r httpapi.Route, f *fixture) string {
	parts := strings.Split(r.Path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			id, ok := f.resources[r.Resource]
			if !ok {
				t.Fatalf("route %s %s has a path parameter for resource %q and the test has no fixture for it: add one to newTenant", r.Method, r.Path, r.Resource)
			}
			parts[i] = itoa(id)
		}
	}
	return "/api/v1" + strings.Join(parts, "/")
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
