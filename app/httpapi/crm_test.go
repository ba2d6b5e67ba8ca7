package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
	"github.com/waihu/waihu/app/web/site"
)

// TestLeadToTenantOverAPI walks the back office's CRM: a website lead is
// listed, followed up, converted into a tenant, the tenant activated and its
// owner logs in; the funnel shows it, roles are enforced, and the support
// view is read-only and audited.
func TestLeadToTenantOverAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for _, st := range []tenant.NewStaff{
			{Email: "root@op.test", Name: "Root", Role: store.StaffAdmin, Password: "secret123"},
			{Email: "fin@op.test", Name: "Fin", Role: store.StaffFinance, Password: "secret123"},
		} {
			if _, err := e.accounts.CreateStaff(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		admin := e.loginStaff("root@op.test", "secret123")
		finance := e.loginStaff("fin@op.test", "secret123")
		svc := crm.New(db, e.accounts, storetest.Logger(), crm.Options{})
		lead, err := svc.SubmitContact(ctx, crm.ContactInput{Company: "云帆保险", ContactName: "周", Phone: "13600136000", Email: "zhou@yunfan.test"})
		if err != nil {
			t.Fatal(err)
		}
		id := itoa(lead.ID)

		status, body := admin.do("GET", "/api/v1/admin/leads?pool=1", nil)
		if status != 200 || len(body["items"].([]any)) != 1 {
			t.Fatalf("pool: %d %v", status, body)
		}
		if status, _ := finance.do("GET", "/api/v1/admin/leads", nil); status != 403 {
			t.Errorf("finance staff listed leads: %d", status)
		}
		if status, body := admin.do("GET", "/api/v1/admin/leads?stage=bogus", nil); status != 422 {
			t.Errorf("bad stage filter: %d %v", status, body)
		}
		if status, body := admin.do("POST", "/api/v1/admin/leads/"+id+"/follow-ups", map[string]any{"kind": "call", "note": "聊了十分钟", "next_at": "2099-01-01T08:00:00Z"}); status != 201 {
			t.Fatalf("follow-up: %d %v", status, body)
		}
		if status, body := admin.do("POST", "/api/v1/admin/leads/"+id+"/follow-ups", map[string]any{"kind": "call", "note": "x", "next_at": "tomorrow"}); status != 422 || body["error"].(map[string]any)["fields"].(map[string]any)["next_at"] == nil {
			t.Errorf("bad date: %d %v", status, body)
		}
		status, body = admin.do("GET", "/api/v1/admin/leads/"+id, nil)
		if status != 200 || body["lead"].(map[string]any)["stage"] != "contacted" || len(body["follow_ups"].([]any)) != 1 {
			t.Fatalf("lead detail: %d %v", status, body)
		}
		status, body = admin.do("POST", "/api/v1/admin/leads/"+id+"/convert", map[string]any{"password": "Welcome123"})
		if status != 201 {
			t.Fatalf("convert: %d %v", status, body)
		}
		tid := itoa(uint64(body["tenant"].(map[string]any)["id"].(float64)))
		if body["owner_email"] != "zhou@yunfan.test" || body["tenant"].(map[string]any)["status"] != "pending" {
			t.Fatalf("convert answer %v", body)
		}
		if status, _ := admin.do("POST", "/api/v1/admin/leads/"+id+"/convert", map[string]any{}); status != 409 {
			t.Errorf("second conversion: %d", status)
		}
		if status, _ := admin.do("POST", "/api/v1/admin/tenants/"+tid+"/activate", nil); status != 200 {
			t.Fatalf("activate: %d", status)
		}
		owner := e.loginTenant("zhou@yunfan.test", "Welcome123")
		if status, _ := owner.do("GET", "/api/v1/auth/me", nil); status != 200 {
			t.Fatal("converted owner cannot use the console")
		}
		status, body = admin.do("GET", "/api/v1/admin/stats/funnel?days=7", nil)
		if status != 200 || body["contacts"] != float64(1) || body["activated"] != float64(1) {
			t.Errorf("funnel: %d %v", status, body)
		}
		if status, _ := admin.do("GET", "/api/v1/admin/stats/funnel?days=0", nil); status != 422 {
			t.Errorf("days=0: %d", status)
		}
		for _, p := range []string{"/api/v1/admin/stats/platform", "/api/v1/admin/stats/traffic", "/api/v1/admin/leads/reminders", "/api/v1/admin/help-docs"} {
			if status, body := admin.do("GET", p, nil); status != 200 {
				t.Errorf("GET %s: %d %v", p, status, body)
			}
		}
		status, body = admin.do("POST", "/api/v1/admin/leads", map[string]any{"company": "展会客户", "contact_name": "钱", "phone": "13300133000", "email": "", "message": "展会上认识"})
		if status != 201 || body["source"] != "manual" || body["owner_id"] == float64(0) {
			t.Fatalf("manual lead: %d %v", status, body)
		}
		status, body = admin.do("GET", "/api/v1/admin/tenants/"+tid+"/support-view", nil)
		if status != 200 || body["read_only"] != true || len(body["users"].([]any)) != 1 {
			t.Fatalf("support view: %d %v", status, body)
		}
		var n int64
		db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{}).Where("action = ?", "tenant.support_view").Count(&n)
		if n != 1 {
			t.Errorf("support view audited %d times", n)
		}
		// Help documents: lines in, Markdown out on the website.
		status, body = admin.do("POST", "/api/v1/admin/help-docs", map[string]any{"slug": "faq", "lang": "zh-CN", "title": "常见问题", "body_lines": []string{"# 常见问题", "", "- 如何充值？"}, "published": true})
		if status != 201 || body["body"] != "# 常见问题\n\n- 如何充值？" {
			t.Fatalf("create doc: %d %v", status, body)
		}
		if status, _ := admin.do("POST", "/api/v1/admin/help-docs", map[string]any{"slug": "faq", "lang": "zh-CN", "title": "again", "body_lines": []string{}}); status != 422 {
			t.Errorf("duplicate slug: %d", status)
		}
	})
}

// TestSwitchAdmin covers the node, trunk and caller-ID routes: the
// write-only secrets, drain, assignment, and "not connected" while call
// control has not provided SwitchOps.
func TestSwitchAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.newTenant("Alpha", "AAAMARK")
		for _, st := range []tenant.NewStaff{
			{Email: "root@op.test", Name: "Root", Role: store.StaffAdmin, Password: "secret123"},
			{Email: "help@op.test", Name: "Help", Role: store.StaffSupport, Password: "secret123"},
		} {
			if _, err := e.accounts.CreateStaff(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		admin := e.loginStaff("root@op.test", "secret123")
		support := e.loginStaff("help@op.test", "secret123")

		status, body := admin.do("POST", "/api/v1/admin/nodes", map[string]any{"name": "fs-bj-1", "esl_addr": "10.1.0.5:8021", "esl_password": "VerySecret1"})
		if status != 201 {
			t.Fatalf("create node: %d %v", status, body)
		}
		nid := itoa(uint64(body["id"].(float64)))
		if status, text, _ := admin.raw("GET", "/api/v1/admin/nodes", "", nil); status != 200 || strings.Contains(text, "VerySecret1") {
			t.Fatalf("node list leaks the ESL password or fails: %d %s", status, text)
		}
		if status, body := admin.do("POST", "/api/v1/admin/nodes/"+nid+"/drain", nil); status != 200 || body["state"] != "draining" {
			t.Fatalf("drain: %d %v", status, body)
		}
		if status, body := admin.do("GET", "/api/v1/admin/nodes/"+nid+"/health", nil); status != 200 || body["available"] != false {
			t.Fatalf("health without call control: %d %v", status, body)
		}
		if status, _ := support.do("POST", "/api/v1/admin/nodes/"+nid+"/enable", nil); status != 403 {
			t.Errorf("support enabled a node: %d", status)
		}
		if status, _ := support.do("GET", "/api/v1/admin/nodes", nil); status != 200 {
			t.Errorf("support cannot read nodes: %d", status)
		}

		status, body = admin.do("POST", "/api/v1/admin/trunks", map[string]any{"name": "ct-gz", "host": "sip.ct.test", "password": "TrunkPass9", "register": true})
		if status != 201 || body["has_password"] != true || body["password"] != nil {
			t.Fatalf("create trunk: %d %v", status, body)
		}
		tid := itoa(uint64(body["id"].(float64)))
		status, body = admin.do("POST", "/api/v1/admin/trunks/"+tid+"/assignments", map[string]any{"tenant_id": a.tenant.ID, "max_concurrent": 5})
		if status != 200 || len(body["items"].([]any)) != 1 {
			t.Fatalf("assign: %d %v", status, body)
		}
		if status, body := admin.do("POST", "/api/v1/admin/trunks/"+tid+"/test", nil); status != 200 || body["available"] != false {
			t.Fatalf("gateway test without call control: %d %v", status, body)
		}
		status, body = admin.do("POST", "/api/v1/admin/caller-ids", map[string]any{"trunk_id": uint64(0), "number": "02088880000"})
		if status != 422 {
			t.Fatalf("caller id on no trunk: %d %v", status, body)
		}
		trunkID := uint64(0)
		fmt.Sscan(tid, &trunkID)
		status, body = admin.do("POST", "/api/v1/admin/caller-ids", map[string]any{"trunk_id": trunkID, "number": "02088880000", "area_code": "20", "tenant_id": a.tenant.ID})
		if status != 201 || body["number"] != "+862088880000" {
			t.Fatalf("caller id: %d %v", status, body)
		}
		cid := itoa(uint64(body["id"].(float64)))
		if status, body := admin.do("PATCH", "/api/v1/admin/caller-ids/"+cid, map[string]any{"flagged": true, "flag_reason": "投诉多"}); status != 200 || body["flagged"] != true {
			t.Fatalf("flag: %d %v", status, body)
		}
		status, body = admin.do("GET", "/api/v1/admin/caller-ids?trunk_id="+tid, nil)
		if status != 200 || len(body["items"].([]any)) != 1 {
			t.Fatalf("list caller ids: %d %v", status, body)
		}
		var n int64
		db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{}).Where("action IN ?", []string{"node.save", "node.draining", "trunk.save", "trunk.assign", "caller_id.create", "caller_id.update"}).Count(&n)
		if n != 6 {
			t.Errorf("%d infrastructure audit entries, want 6", n)
		}
	})
}

// TestPublicSiteThroughRouter serves the website as Deps.Public behind the
// router's NoRoute (which starts every answer as a 404): every public path
// must answer with its own status.
func TestPublicSiteThroughRouter(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	log := storetest.Logger()
	accounts := tenant.New(db, log, tenant.Options{})
	c := crm.New(db, accounts, log, crm.Options{})
	pub, err := site.New(context.Background(), site.Options{CRM: c, DB: db, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.Deps{DB: db, Accounts: accounts, CRM: c, Log: log, Public: pub, NoRateLimits: true})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200}, {"HEAD", "/", 200}, {"GET", "/site.css", 200}, {"GET", "/robots.txt", 200}, {"GET", "/sitemap.xml", 200},
		{"GET", "/help/getting-started", 200}, {"GET", "/nope", 404}, {"GET", "/favicon.ico", 204}, {"POST", "/contact", 403},
		{"DELETE", "/", 405}, {"GET", "/api/v1/nope", 404},
	} {
		req, _ := http.NewRequest(tc.method, hs.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
}

// TestSupportSession opens a tenant's console read-only for support: reads
// work, every write is refused and changes nothing, the opening is audited,
// and staff without the support area cannot open one.
func TestSupportSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.newTenant("Alpha", "AAAMARK")
		for _, st := range []tenant.NewStaff{
			{Email: "help@op.test", Name: "Help", Role: store.StaffSupport, Password: "secret123"},
			{Email: "sales@op.test", Name: "Sales", Role: store.StaffSales, Password: "secret123"},
		} {
			if _, err := e.accounts.CreateStaff(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		support := e.loginStaff("help@op.test", "secret123")
		sales := e.loginStaff("sales@op.test", "secret123")
		path := "/api/v1/admin/tenants/" + itoa(a.tenant.ID) + "/support-session"
		if status, _ := sales.do("POST", path, nil); status != 403 {
			t.Errorf("sales opened a support view: %d", status)
		}
		before := snapshot(t, db, a.tenant.ID)
		status, body := support.do("POST", path, nil)
		if status != 200 || body["redirect"] != "/console" {
			t.Fatalf("support session: %d %v", status, body)
		}
		// The same browser now holds the console cookie of the support view.
		status, me := support.do("GET", "/api/v1/auth/me", nil)
		if status != 200 || me["tenant"].(map[string]any)["id"] != float64(a.tenant.ID) {
			t.Fatalf("support me: %d %v", status, me)
		}
		support.csrf = me["csrf_token"].(string)
		if status, body := support.do("GET", "/api/v1/users", nil); status != 200 || len(body["items"].([]any)) < 2 {
			t.Fatalf("support reads users: %d %v", status, body)
		}
		status, body = support.do("POST", "/api/v1/users", map[string]any{"email": "x@alpha.test", "name": "X", "role": "viewer", "password": "secret123"})
		if status != 403 || body["error"].(map[string]any)["code"] != "read_only" {
			t.Fatalf("support wrote: %d %v", status, body)
		}
		if after := snapshot(t, db, a.tenant.ID); after != before {
			t.Error("the support view changed tenant data")
		}
		var n int64
		db.With(store.AsPlatform(ctx)).Model(&store.AuditLog{}).Where("action = ? AND tenant_id = ? AND actor_kind = ?", "tenant.support_view", a.tenant.ID, "staff").Count(&n)
		if n != 1 {
			t.Errorf("support view audited %d times", n)
		}
		if status, _ := support.do("POST", "/api/v1/auth/logout", nil); status != 204 {
			t.Errorf("support logout: %d", status)
		}
		if status, _ := support.do("GET", "/api/v1/users", nil); status != 401 {
			t.Errorf("after logout: %d", status)
		}
	})
}
