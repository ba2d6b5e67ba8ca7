package billing_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

// TestUsageChargedWhicheverComesFirst: a call's pass-through usage is in
// its charge whether the call is settled at its finish (usage recorded
// first, in the same transaction) or by its CDR before the usage is known
// (the usage is then charged once, on its own key). Either way the
// breakdown and the ledger agree with Rate, a replayed usage report or
// finish changes nothing, and the books verify.
func TestUsageChargedWhicheverComesFirst(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 12, IncrementSec: 6, MinChargeFen: 5, ASRPerMinuteFen: 6, TTSPer1kFen: 500, LLMPer1kFen: 100})
		tn := f.tenant(plan)
		f.recharge(tn, 100000)
		u := billing.Usage{ASRSec: 20, TTSChars: 150, LLMTokens: 2640}
		want := billing.Rate(plan, 47, u)
		record := func(a *store.CallAttempt) error {
			return f.tx(func(tx *gorm.DB) error { return f.svc.RecordUsage(f.ctx, tx, a, u) })
		}
		for _, order := range []string{"finish-first", "cdr-first"} {
			a := f.attempt(tn, 7)
			if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
				t.Fatal(err)
			}
			if order == "cdr-first" {
				if err := f.cdr(a, 47); err != nil {
					t.Fatal(err)
				}
				if c := f.charge(a.UUID); c == nil || c.TTSFen != 0 || c.LLMFen != 0 {
					t.Fatalf("%s: charge before the usage %+v", order, c)
				}
			}
			// Call control's finish: usage, then the final state, in one tx.
			if err := record(a); err != nil {
				t.Fatal(err)
			}
			if err := f.finish(a, 47); err != nil {
				t.Fatal(err)
			}
			if order == "finish-first" {
				if err := f.cdr(a, 47); err != nil {
					t.Fatal(err)
				}
			}
			// Replays: the usage report again, a larger one, the finish again.
			if err := record(a); err != nil {
				t.Fatal(err)
			}
			if err := f.tx(func(tx *gorm.DB) error {
				return f.svc.RecordUsage(f.ctx, tx, a, billing.Usage{TTSChars: 9999, LLMTokens: 99999})
			}); err != nil {
				t.Fatal(err)
			}
			if err := f.finish(a, 47); err != nil {
				t.Fatal(err)
			}
			c := f.charge(a.UUID)
			if c == nil || c.TotalFen != want.TotalFen || c.ASRFen != want.ASRFen || c.TTSFen != want.TTSFen || c.LLMFen != want.LLMFen || c.MinimumFen != want.MinimumFen {
				t.Fatalf("%s: charge %+v, want %+v", order, c, want)
			}
			var took int64
			f.db.With(f.ctx).Model(&store.LedgerTxn{}).Where("attempt_uuid = ?", a.UUID).Select("COALESCE(SUM(amount_fen), 0)").Scan(&took)
			if -took != want.TotalFen {
				t.Fatalf("%s: the ledger took %d, want %d", order, -took, want.TotalFen)
			}
			f.verify()
		}
	})
}
