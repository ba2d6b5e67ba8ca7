package billing_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func BenchmarkRate(b *testing.B) {
	p := &store.PricePlan{PerMinuteFen: 12, IncrementSec: 6, FreeSec: 3, MinChargeFen: 5, PerCallFen: 1, TTSPer1kFen: 30}
	for i := 0; b.Loop(); i++ {
		billing.Rate(p, i%600, billing.Usage{TTSChars: 800})
	}
}

// BenchmarkCallMoney is the money work of one call: the hold before the
// dial, then the CDR (charge and settlement) and the attempt's finish, each
// in its own transaction as in production, on one tenant.
func BenchmarkCallMoney(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			f := newFx(b, storetest.Open(b, e))
			tn := f.tenant(f.plan(store.PricePlan{PerMinuteFen: 10, IncrementSec: 6}))
			f.recharge(tn, 100_000_000)
			attempts := make([]*store.CallAttempt, b.N)
			for i := range attempts {
				attempts[i] = f.attempt(tn, 1)
			}
			b.ResetTimer()
			for _, a := range attempts {
				if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
					b.Fatal(err)
				}
				if err := f.cdr(a, 42); err != nil {
					b.Fatal(err)
				}
				if err := f.finish(a, 42); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
