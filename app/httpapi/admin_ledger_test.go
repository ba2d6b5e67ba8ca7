package httpapi_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// TestAdminTenantLedger: the operator pages one tenant's ledger with
// filters and running totals, reads its totals, and downloads it as XLSX
// whose every figure equals the ledger's (sum of the tenant's entries in
// the database). Another tenant's lines never appear; bad filters are 422s
// naming the field; a sales operator cannot read it.
func TestAdminTenantLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b := e.newTenant("Alpha", "AAAMARK"), e.newTenant("Beta", "BBBMARK")
		ctx := context.Background()
		for _, st := range []tenant.NewStaff{{Email: "fin@op.test", Name: "Fin", Role: store.StaffFinance, Password: "secret123"},
			{Email: "sales@op.test", Name: "Sales", Role: store.StaffSales, Password: "secret123"}} {
			if _, err := e.accounts.CreateStaff(ctx, st); err != nil {
				t.Fatal(err)
			}
		}
		fin, sales := e.loginStaff("fin@op.test", "secret123"), e.loginStaff("sales@op.test", "secret123")
		tid, bid := itoa(a.tenant.ID), itoa(b.tenant.ID)
		for i, adj := range []map[string]any{
			{"kind": "gift", "amount_fen": 1000, "reason": "g1"}, {"kind": "credit", "amount_fen": 250, "reason": "c1"},
			{"kind": "debit", "amount_fen": 125, "reason": "d1"}, {"kind": "gift", "amount_fen": 33, "reason": "g2"},
			{"kind": "debit", "amount_fen": 7, "reason": "d2"},
		} {
			if status, body := fin.do("POST", "/api/v1/admin/billing/tenants/"+tid+"/adjustments", adj); status != 201 {
				t.Fatalf("adjustment %d: %d %v", i, status, body)
			}
		}
		if status, body := fin.do("POST", "/api/v1/admin/billing/tenants/"+bid+"/adjustments", map[string]any{"kind": "gift", "amount_fen": 999999, "reason": "other tenant"}); status != 201 {
			t.Fatalf("beta gift: %d %v", status, body)
		}
		// The ledger in the database, for the tenant's balance and arrears accounts.
		var want int64
		db.With(store.AsPlatform(ctx)).Table("ledger_entries AS e").Joins("JOIN billing_accounts ac ON ac.id = e.account_id").
			Where("ac.tenant_id = ?", a.tenant.ID).Select("COALESCE(SUM(e.amount_fen), 0)").Scan(&want)

		// Paging, newest first, with running totals that chain across pages.
		var lines []map[string]any
		path := "/api/v1/admin/billing/tenants/" + tid + "/ledger?limit=2"
		for page := 0; path != ""; page++ {
			status, body := fin.do("GET", path, nil)
			if status != 200 || page > 10 {
				t.Fatalf("ledger page %d: %d %v", page, status, body)
			}
			for _, it := range body["items"].([]any) {
				lines = append(lines, it.(map[string]any))
			}
			path = ""
			if c, _ := body["next_cursor"].(string); c != "" {
				path = "/api/v1/admin/billing/tenants/" + tid + "/ledger?limit=2&cursor=" + c
			}
		}
		if len(lines) < 5 {
			t.Fatalf("%d ledger lines, want at least the 5 adjustments", len(lines))
		}
		var sum int64
		for i := len(lines) - 1; i >= 0; i-- {
			sum += int64(lines[i]["amount_fen"].(float64))
			if got := int64(lines[i]["running_fen"].(float64)); got != sum {
				t.Fatalf("line %v: running total %d, want %d", lines[i]["id"], got, sum)
			}
			if strings.Contains(lines[i]["memo"].(string), "other tenant") {
				t.Fatal("another tenant's line in the ledger")
			}
		}
		if sum != want || int64(lines[0]["running_fen"].(float64)) != want {
			t.Fatalf("ledger lines sum to %d, the database to %d", sum, want)
		}
		status, body := fin.do("GET", "/api/v1/admin/billing/tenants/"+tid+"/ledger/summary", nil)
		if status != 200 || int64(body["net_fen"].(float64)) != want || int(body["lines"].(float64)) != len(lines) ||
			int64(body["credit_fen"].(float64))-int64(body["debit_fen"].(float64)) != want {
			t.Fatalf("summary %d %v, want net %d over %d lines", status, body, want, len(lines))
		}
		// A kind filter.
		status, body = fin.do("GET", "/api/v1/admin/billing/tenants/"+tid+"/ledger/summary?kind=gift", nil)
		if status != 200 || body["net_fen"].(float64) != 1033 || body["lines"].(float64) != 2 {
			t.Fatalf("gift summary %d %v", status, body)
		}
		for _, q := range []string{"?from=2026-13-01", "?kind=bogus", "?campaign_id=x"} {
			for _, p := range []string{"/ledger", "/ledger/summary", "/ledger.xlsx"} {
				status, body := fin.do("GET", "/api/v1/admin/billing/tenants/"+tid+p+q, nil)
				if status != 422 && status != 400 {
					t.Fatalf("%s%s: %d %v", p, q, status, body)
				}
			}
		}
		if status, _ := sales.do("GET", "/api/v1/admin/billing/tenants/"+tid+"/ledger.xlsx", nil); status != 403 {
			t.Fatalf("sales downloaded a ledger: %d", status)
		}
		if status, _ := fin.do("GET", "/api/v1/admin/billing/tenants/99999/ledger.xlsx", nil); status != 404 {
			t.Fatalf("unknown tenant: %d", status)
		}

		// The XLSX: every line, oldest first, amounts and running totals in
		// yuan equal to the ledger, and the totals row.
		status, text, hdr := fin.raw("GET", "/api/v1/admin/billing/tenants/"+tid+"/ledger.xlsx", "", nil)
		if status != 200 || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("xlsx: %d %v", status, hdr)
		}
		x, err := excelize.OpenReader(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows("Ledger")
		if err != nil {
			t.Fatal(err)
		}
		fen := func(s string) int64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("cell %q is not a number", s)
			}
			return int64(math.Round(v * 100))
		}
		var xsum int64
		n := 0
		for _, r := range rows[1:] {
			if len(r) < 11 {
				break
			}
			n++
			want := lines[len(lines)-n]
			if r[0] != itoa(uint64(want["id"].(float64))) || fen(r[8]) != int64(want["amount_fen"].(float64)) || fen(r[9]) != int64(want["balance_after_fen"].(float64)) {
				t.Fatalf("xlsx row %d %v, ledger line %v", n, r, want)
			}
			xsum += fen(r[8])
			if fen(r[10]) != xsum {
				t.Fatalf("xlsx row %d running total %s, want %d fen", n, r[10], xsum)
			}
		}
		if n != len(lines) || xsum != want {
			t.Fatalf("xlsx has %d lines summing to %d, ledger %d lines summing to %d", n, xsum, len(lines), want)
		}
		last := rows[len(rows)-1]
		if !strings.HasPrefix(last[0], "Net") || fen(last[1]) != want {
			t.Fatalf("totals row %v, want net %d", last, want)
		}
	})
}
