package httpapi_test

import (
	"context"
	"testing"

	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
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
