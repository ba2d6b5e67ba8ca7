package billing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

// TestStatementsEqualLedger posts random calls, recharges and adjustments
// over three months and checks that every statement, consumption figure and
// XLSX cell equals the sums taken straight from the ledger rows.
func TestStatementsEqualLedger(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
		plan := f.plan(store.PricePlan{PerMinuteFen: 15, IncrementSec: 6, PerCallFen: 1})
		tn := f.tenant(plan)
		other := f.tenant(plan)
		f.recharge(other, 5000) // another tenant's money never shows up
		for range 150 {
			f.clock.Advance(time.Duration(rng.IntN(20)) * time.Hour)
			switch rng.IntN(6) {
			case 0:
				f.recharge(tn, int64(100+rng.IntN(5000)))
			case 1:
				kinds := []string{store.AdjustGift, store.AdjustCredit, store.AdjustDebit}
				_, err := f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: kinds[rng.IntN(3)], AmountFen: int64(1 + rng.IntN(300)), Reason: "r"})
				if err != nil && !errors.Is(err, apperr.ErrInsufficientFunds) {
					t.Fatal(err)
				}
			default:
				a := f.attempt(tn, uint64(1+rng.IntN(3)))
				if err := f.cdr(a, rng.IntN(300)); err != nil {
					t.Fatal(err)
				}
			}
		}
		f.verify()
		var txns []store.LedgerTxn
		f.db.With(f.ctx).Where("tenant_id = ?", tn.ID).Order("id").Find(&txns)
		var acc store.BillingAccount
		f.db.With(f.ctx).Where("tenant_id = ? AND kind = ?", tn.ID, store.AccountBalance).Take(&acc)
		var entries []store.LedgerEntry
		f.db.With(f.ctx).Where("account_id = ?", acc.ID).Find(&entries)
		entryByTxn := map[uint64]int64{}
		for _, e := range entries {
			entryByTxn[e.TxnID] += e.AmountFen
		}
		zone := time.FixedZone("CST", 8*3600)
		months := map[string]bool{}
		for _, x := range txns {
			if x.Day != x.CreatedAt.In(zone).Format("2006-01-02") {
				t.Fatalf("txn %d day %s at %s", x.ID, x.Day, x.CreatedAt)
			}
			months[x.Day[:7]] = true
		}
		if len(months) < 2 {
			t.Fatalf("random data spans %d months", len(months))
		}
		running := int64(0)
		for _, month := range sortedKeys(months) {
			st, err := f.svc.MonthStatement(context.Background(), tn.ID, month)
			if err != nil {
				t.Fatal(err)
			}
			var opening, closing, consumption, calls int64
			moves := map[string]int64{}
			daily := map[string]int64{}
			for _, x := range txns {
				switch {
				case x.Day[:7] < month:
					opening += entryByTxn[x.ID]
				case x.Day[:7] == month:
					moves[x.Kind] += entryByTxn[x.ID]
					if x.Kind == store.TxnCharge || x.Kind == store.TxnCorrection {
						consumption -= x.AmountFen
						daily[fmt.Sprintf("%s/%d", x.Day, x.CampaignID)] -= x.AmountFen
					}
					if x.Kind == store.TxnCharge {
						calls++
					}
				}
				if x.Day[:7] <= month {
					closing += entryByTxn[x.ID]
				}
			}
			if st.OpeningFen != opening || st.ClosingFen != closing || st.ConsumptionFen != consumption || st.Calls != calls {
				t.Fatalf("%s: statement %+v; ledger opening %d closing %d consumption %d calls %d", month, st, opening, closing, consumption, calls)
			}
			if running != 0 && st.OpeningFen != running {
				t.Fatalf("%s opens at %d, previous month closed at %d", month, st.OpeningFen, running)
			}
			running = st.ClosingFen
			var sumMoves int64
			for k, v := range st.MovementsFen {
				if moves[k] != v {
					t.Fatalf("%s %s: statement %d, ledger %d", month, k, v, moves[k])
				}
				sumMoves += v
			}
			if st.OpeningFen+sumMoves != st.ClosingFen {
				t.Fatalf("%s: opening %d + movements %d != closing %d", month, st.OpeningFen, sumMoves, st.ClosingFen)
			}
			for _, d := range st.Daily {
				if daily[fmt.Sprintf("%s/%d", d.Period, d.CampaignID)] != d.AmountFen {
					t.Fatalf("%s campaign %d: %d vs ledger %d", d.Period, d.CampaignID, d.AmountFen, daily[d.Period])
				}
			}
			// The XLSX says the same.
			var buf bytes.Buffer
			if err := f.svc.WriteStatementXLSX(context.Background(), &buf, tn.ID, month); err != nil {
				t.Fatal(err)
			}
			x, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows("Daily")
			var cents int64
			for _, r := range rows[1:] {
				v, err := billing.ParseYuan(r[3])
				if err != nil {
					if fv, ferr := strconv.ParseFloat(r[3], 64); ferr == nil {
						v = int64(fv*100 + 0.5*sign(fv))
					} else {
						t.Fatalf("cell %q: %v", r[3], err)
					}
				}
				cents += v
			}
			if cents != consumption {
				t.Fatalf("%s: XLSX daily sums to %d fen, ledger %d", month, cents, consumption)
			}
			x.Close()
		}
		if running != acc.Balance {
			t.Fatalf("last statement closes at %d, account holds %d", running, acc.Balance)
		}
		// Monthly consumption equals the sum of the days.
		cons, err := f.svc.Consumption(context.Background(), tn.ID, "month", "2026-01-01", "2027-12-31")
		if err != nil {
			t.Fatal(err)
		}
		var byMonth, all int64
		for _, c := range cons {
			byMonth += c.AmountFen
		}
		for _, x := range txns {
			if x.Kind == store.TxnCharge || x.Kind == store.TxnCorrection {
				all -= x.AmountFen
			}
		}
		if byMonth != all {
			t.Fatalf("monthly consumption %d, ledger %d", byMonth, all)
		}
		// The per-call export adds up to the same consumption.
		var xb bytes.Buffer
		if err := f.svc.WriteCallChargesXLSX(context.Background(), &xb, tn.ID, "2026-01-01", "2027-12-31"); err != nil {
			t.Fatal(err)
		}
		xf, err := excelize.OpenReader(&xb)
		if err != nil {
			t.Fatal(err)
		}
		callRows, _ := xf.GetRows("Calls")
		xf.Close()
		var exported int64
		for _, r := range callRows[1:] {
			fv, err := strconv.ParseFloat(r[12], 64)
			if err != nil {
				t.Fatalf("total cell %q", r[12])
			}
			exported += int64(fv*100 + 0.5*sign(fv))
		}
		if exported != all {
			t.Fatalf("call export sums to %d fen, ledger consumption %d", exported, all)
		}
		rows, _, err := f.svc.Ledger(context.Background(), tn.ID, billing.LedgerFilter{Kind: store.TxnRecharge}, store.Page{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Kind != store.TxnRecharge || r.AmountFen <= 0 {
				t.Fatalf("ledger filter returned %+v", r)
			}
		}
	})
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestInvoices(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		tn := f.tenant(nil)
		tctx := store.WithTenant(context.Background(), tn.ID)
		if _, err := f.svc.SaveTitle(tctx, 0, billing.TitleInput{Company: "深圳示例科技有限公司", TaxID: "9144-0300"}); err == nil {
			t.Fatal("bad tax id accepted")
		}
		title, err := f.svc.SaveTitle(tctx, 0, billing.TitleInput{Company: "深圳示例科技有限公司", TaxID: "91440300ma5examp1x", Bank: "招商银行", BankAccount: "755912345678"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RequestInvoice(tctx, billing.InvoiceRequest{TitleID: title.ID, AmountFen: 100}); err == nil {
			t.Fatal("invoice beyond recharged total accepted")
		}
		f.recharge(tn, 30000)
		inv, err := f.svc.RequestInvoice(tctx, billing.InvoiceRequest{TitleID: title.ID, AmountFen: 20000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RequestInvoice(tctx, billing.InvoiceRequest{TitleID: title.ID, AmountFen: 10001}); err == nil {
			t.Fatal("second invoice beyond the rest accepted")
		}
		// Another tenant sees nothing.
		other := f.tenant(nil)
		octx := store.WithTenant(context.Background(), other.ID)
		if _, err := f.svc.GetInvoice(octx, inv.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other tenant reads invoice: %v", err)
		}
		if _, err := f.svc.RequestInvoice(octx, billing.InvoiceRequest{TitleID: title.ID, AmountFen: 1}); err == nil {
			t.Fatal("other tenant used tenant A's title")
		}
		// Review: not a PDF, too big, then issued.
		if _, err := f.svc.IssueInvoice(context.Background(), inv.ID, "No.1", []byte("hello, not a pdf at all")); err == nil {
			t.Fatal("non-PDF accepted")
		}
		big := append([]byte("%PDF-1.7\n"), make([]byte, 6<<20)...)
		if _, err := f.svc.IssueInvoice(context.Background(), inv.ID, "No.1", append(big, "%%EOF"...)); err == nil {
			t.Fatal("oversized PDF accepted")
		}
		pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
		if _, err := f.svc.IssueInvoice(context.Background(), inv.ID, "No.1", pdf); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RejectInvoice(context.Background(), inv.ID, "late"); err == nil {
			t.Fatal("issued invoice rejected")
		}
		got, err := f.svc.InvoicePDF(tctx, inv.ID)
		if err != nil || !bytes.Equal(got, pdf) {
			t.Fatalf("download: %v", err)
		}
		inv2, err := f.svc.RequestInvoice(tctx, billing.InvoiceRequest{TitleID: title.ID, AmountFen: 10000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.RejectInvoice(context.Background(), inv2.ID, "wrong title"); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.svc.Invoiceable(context.Background(), tn.ID); n != 10000 {
			t.Fatalf("invoiceable %d after a rejection", n)
		}
		var audits int64
		f.db.With(f.ctx).Model(&store.AuditLog{}).Where("tenant_id = ? AND action LIKE ?", tn.ID, "billing.invoice.%").Count(&audits)
		if audits != 4 {
			t.Fatalf("%d invoice audit entries", audits)
		}
	})
}
