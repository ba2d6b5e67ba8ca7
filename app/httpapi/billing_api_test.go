package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

func TestBillingRechargeFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.newTenant("Alpha", "AAAMARK")
		ctx := context.Background()
		for _, st := range []tenant.NewStaff{{Email: "fin@op.test", Name: "Fin", Role: store.StaffFinance, Password: "secret123"},
			{Email: "sales@op.test", Name: "Sales", Role: store.StaffSales, Password: "secret123"}} {
			if _, err := e.accounts.CreateStaff(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		fin, sales := e.loginStaff("fin@op.test", "secret123"), e.loginStaff("sales@op.test", "secret123")

		status, body := a.cookie.do("POST", "/api/v1/billing/recharges", map[string]any{"amount_fen": 123456, "method": "bank_transfer", "payer_name": "深圳示例"})
		if status != 201 || body["state"] != "pending" {
			t.Fatalf("create recharge: %d %v", status, body)
		}
		id := itoa(uint64(body["id"].(float64)))
		if status, _ := sales.do("POST", "/api/v1/admin/billing/recharges/"+id+"/confirm", map[string]any{"reference": "x"}); status != 403 {
			t.Fatalf("sales confirmed a recharge: %d", status)
		}
		status, body = fin.do("GET", "/api/v1/admin/billing/recharges?state=pending", nil)
		if status != 200 || len(body["items"].([]any)) != 2 { // the fixture's and ours
			t.Fatalf("pending recharges: %d %v", status, body)
		}
		for range 2 {
			if status, body = fin.do("POST", "/api/v1/admin/billing/recharges/"+id+"/confirm", map[string]any{"reference": "ICBC-1"}); status != 200 || body["state"] != "paid" {
				t.Fatalf("confirm: %d %v", status, body)
			}
		}
		status, body = a.cookie.do("GET", "/api/v1/billing/balance", nil)
		if status != 200 || body["balance_fen"].(float64) != 123456 || body["invoiceable_fen"].(float64) != 123456-100 {
			t.Fatalf("balance: %d %v", status, body)
		}
		// Gift needs a reason; with one it lands and is audited.
		tid := itoa(a.tenant.ID)
		if status, _ := fin.do("POST", "/api/v1/admin/billing/tenants/"+tid+"/adjustments", map[string]any{"kind": "gift", "amount_fen": 100, "reason": ""}); status != 422 {
			t.Fatalf("gift without reason: %d", status)
		}
		if status, body = fin.do("POST", "/api/v1/admin/billing/tenants/"+tid+"/adjustments", map[string]any{"kind": "gift", "amount_fen": 544, "reason": "开业赠送"}); status != 201 {
			t.Fatalf("gift: %d %v", status, body)
		}
		status, body = a.cookie.do("GET", "/api/v1/billing/ledger", nil)
		if status != 200 || len(body["items"].([]any)) != 2 {
			t.Fatalf("ledger: %d %v", status, body)
		}
		if status, body = fin.do("GET", "/api/v1/admin/billing/balances", nil); status != 200 || !strings.Contains(mustString(body), `"balance_fen":124000`) {
			t.Fatalf("balances: %d %v", status, body)
		}
		// Invoice: request, issue with a PDF, download.
		if status, body = a.cookie.do("POST", "/api/v1/billing/invoices", map[string]any{"title_id": a.resources["invoice_title"], "amount_fen": 100000}); status != 201 {
			t.Fatalf("request invoice: %d %v", status, body)
		}
		inv := itoa(uint64(body["id"].(float64)))
		pdf := []byte("%PDF-1.4\n%%EOF\n0123456789")
		if status, body = fin.do("POST", "/api/v1/admin/billing/invoices/"+inv+"/issue", map[string]any{"invoice_no": "No.88", "pdf_base64": base64.StdEncoding.EncodeToString([]byte("not a pdf at all, really"))}); status != 422 {
			t.Fatalf("issue non-PDF: %d %v", status, body)
		}
		if status, body = fin.do("POST", "/api/v1/admin/billing/invoices/"+inv+"/issue", map[string]any{"invoice_no": "No.88", "pdf_base64": base64.StdEncoding.EncodeToString(pdf)}); status != 200 || body["state"] != "issued" {
			t.Fatalf("issue: %d %v", status, body)
		}
		status, text, hdr := a.cookie.raw("GET", "/api/v1/billing/invoices/"+inv+"/pdf", "", nil)
		if status != 200 || text != string(pdf) || hdr.Get("Content-Type") != "application/pdf" {
			t.Fatalf("download: %d %q", status, text)
		}
		// Statement XLSX downloads.
		status, _, hdr = a.cookie.raw("GET", "/api/v1/billing/statement.xlsx?month=2026-11", "", nil)
		if status != 200 || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("xlsx: %d %v", status, hdr)
		}
		if status, _ := a.cookie.do("GET", "/api/v1/billing/statement?month=2026-13", nil); status != 422 {
			t.Fatalf("bad month: %d", status)
		}
		// An unsigned provider callback is refused.
		if status, _, _ := e.anon().raw("POST", "/api/v1/billing/notify/alipay", "application/x-www-form-urlencoded", []byte("out_trade_no=x")); status != 404 && status != 400 {
			t.Fatalf("notify: %d", status)
		}
	})
}

func mustString(v any) string { return string(mustJSON(v)) }

// TestAlipayNotifyOverHTTP posts a signed Alipay notification form to the
// callback route: verified, credited once, answered "success"; a forged one
// is a 400 and credits nothing.
func TestAlipayNotifyOverHTTP(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	alipayKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	merchant, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, db, func(d *httpapi.Deps) {
		d.Billing = billing.New(db, d.Accounts, storetest.Logger(), billing.Options{Providers: map[string]billing.Provider{
			"alipay": &billing.Alipay{AppID: "2021000000000002", PrivateKey: merchant, AlipayKey: &alipayKey.PublicKey}}})
		d.Config.PublicURL = "https://waihu.example"
	})
	a := e.newTenant("Alpha", "AAAMARK")
	status, body := a.cookie.do("POST", "/api/v1/billing/recharges", map[string]any{"amount_fen": 10000, "method": "alipay"})
	if status != 201 || !strings.HasPrefix(body["pay_url"].(string), "https://openapi.alipay.com/gateway.do?") ||
		!strings.Contains(body["pay_url"].(string), url.QueryEscape("https://waihu.example/api/v1/billing/notify/alipay")) {
		t.Fatalf("create: %d %v", status, body)
	}
	form := url.Values{"app_id": {"2021000000000002"}, "out_trade_no": {body["no"].(string)}, "trade_no": {"2026112422001"},
		"total_amount": {"100.00"}, "trade_status": {"TRADE_SUCCESS"}, "notify_id": {"n"}, "charset": {"utf-8"}, "sign_type": {"RSA2"}}
	sig, _ := billing.Sign(alipayKey, form)
	form.Set("sign", sig)
	forged := url.Values{}
	for k, v := range form {
		forged[k] = v
	}
	forged.Set("total_amount", "1000.00")
	if status, text, _ := e.anon().raw("POST", "/api/v1/billing/notify/alipay", "application/x-www-form-urlencoded", []byte(forged.Encode())); status != 400 {
		t.Fatalf("forged notice: %d %s", status, text)
	}
	for range 2 {
		if status, text, _ := e.anon().raw("POST", "/api/v1/billing/notify/alipay", "application/x-www-form-urlencoded", []byte(form.Encode())); status != 200 || text != "success" {
			t.Fatalf("notice: %d %s", status, text)
		}
	}
	if status, body = a.cookie.do("GET", "/api/v1/billing/balance", nil); body["balance_fen"].(float64) != 10000 {
		t.Fatalf("balance %d %v", status, body)
	}
}
