package billing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

func TestRate(t *testing.T) {
	p6 := &store.PricePlan{PerMinuteFen: 10, IncrementSec: 6}
	p60 := &store.PricePlan{PerMinuteFen: 12, IncrementSec: 60, FreeSec: 5, MinChargeFen: 20, PerCallFen: 3, ASRPerMinuteFen: 2, TTSPer1kFen: 50, LLMPer1kFen: 7}
	cases := []struct {
		name   string
		plan   *store.PricePlan
		sec    int
		u      billing.Usage
		billed int
		total  int64
	}{
		{"unanswered", p6, 0, billing.Usage{}, 0, 0},
		{"1s rounds to 6s", p6, 1, billing.Usage{}, 6, 1},
		{"6s", p6, 6, billing.Usage{}, 6, 1},
		{"7s rounds to 12s", p6, 7, billing.Usage{}, 12, 2},
		{"61s", p6, 61, billing.Usage{}, 66, 11},
		{"within free seconds", p60, 5, billing.Usage{TTSChars: 1000}, 0, 0},
		// 6s after free -> 60s billed: voice 12 + asr 2 + per call 3 = 17 < min 20
		{"minimum charge", p60, 11, billing.Usage{}, 60, 20},
		// 125s-5 = 120 billed: voice 24 + asr 4 + tts ceil(1500*50/1000)=75 + llm ceil(2001*7/1000)=15 + 3 = 121
		{"pass-through", p60, 125, billing.Usage{TTSChars: 1500, LLMTokens: 2001}, 120, 121},
		{"no plan", nil, 100, billing.Usage{}, 0, 0},
	}
	for _, c := range cases {
		b := billing.Rate(c.plan, c.sec, c.u)
		if b.BilledSec != c.billed || b.TotalFen != c.total {
			t.Errorf("%s: billed %d total %d, want %d %d (%+v)", c.name, b.BilledSec, b.TotalFen, c.billed, c.total, b)
		}
		if sum := b.VoiceFen + b.ASRFen + b.TTSFen + b.LLMFen + b.PerCallFen + b.MinimumFen; sum != b.TotalFen {
			t.Errorf("%s: lines sum to %d, total %d", c.name, sum, b.TotalFen)
		}
	}
}

func TestParseYuan(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 100, "88.8": 8880, "88.80": 8880, "0.01": 1, "1234567.89": 123456789}
	for in, want := range good {
		if got, err := billing.ParseYuan(in); err != nil || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.234", "-1", "abc", "1.-1", ".5", "1e3"} {
		if _, err := billing.ParseYuan(in); err == nil {
			t.Errorf("ParseYuan(%q) accepted", in)
		}
	}
}

func TestHoldChargeSettle(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 10, IncrementSec: 6})
		tn := f.tenant(plan)
		a := f.attempt(tn, 7)
		// 180s at 10 fen/min = 30 fen hold; no money yet.
		err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) })
		if !errors.Is(err, apperr.ErrInsufficientFunds) {
			t.Fatalf("hold without funds: %v", err)
		}
		var n int64
		f.db.With(f.ctx).Model(&store.BillingHold{}).Count(&n)
		if n != 0 {
			t.Fatalf("a refused hold left %d rows", n)
		}
		f.recharge(tn, 100)
		for range 2 { // a replayed hold holds once
			if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
				t.Fatal(err)
			}
		}
		if b := f.balance(tn); b.HeldFen != 30 || b.AvailableFen != 70 {
			t.Fatalf("after hold: %+v", b)
		}
		f.verify()
		// Finished, answered: waits for its CDR.
		if err := f.finish(a, 61); err != nil {
			t.Fatal(err)
		}
		if f.charge(a.UUID) != nil {
			t.Fatal("charged before the CDR")
		}
		f.verify()
		for range 2 { // a re-posted CDR charges once
			err := f.tx(func(tx *gorm.DB) error {
				c := &store.CDR{UUID: a.UUID, TenantID: tn.ID, AttemptUUID: a.UUID, BillSec: 62, ReceivedAt: f.clock.Now()}
				return f.svc.CDRReceived(f.ctx, tx, c, a)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		c := f.charge(a.UUID)
		if c == nil || c.TotalFen != 11 || c.Source != store.SourceCDR || c.BillSec != 62 {
			t.Fatalf("charge %+v", c)
		}
		if b := f.balance(tn); b.BalanceFen != 89 || b.HeldFen != 0 || b.AvailableFen != 89 {
			t.Fatalf("after settle: %+v", b)
		}
		var cost int64
		f.db.With(f.ctx).Model(&store.CallAttempt{}).Where("uuid = ?", a.UUID).Pluck("cost_fen", &cost)
		if cost != 11 {
			t.Fatalf("attempt cost_fen %d", cost)
		}
		f.verify()
	})
}

func TestCDRFirstThenFinished(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 60, IncrementSec: 60})
		tn := f.tenant(plan)
		f.recharge(tn, 10000)
		a := f.attempt(tn, 1)
		if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
			t.Fatal(err)
		}
		if err := f.cdr(a, 30); err != nil {
			t.Fatal(err)
		}
		if err := f.finish(a, 29); err != nil {
			t.Fatal(err)
		}
		if c := f.charge(a.UUID); c == nil || c.TotalFen != 60 || c.Source != store.SourceCDR {
			t.Fatalf("charge %+v", c)
		}
		if b := f.balance(tn); b.BalanceFen != 9940 || b.HeldFen != 0 {
			t.Fatalf("balance %+v", b)
		}
		f.verify()
	})
}

func TestReconcileWithoutCDRAndLateCDR(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 60, IncrementSec: 60})
		tn := f.tenant(plan)
		f.recharge(tn, 1000)
		a := f.attempt(tn, 1)
		if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
			t.Fatal(err)
		}
		if err := f.finish(a, 50); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f.charge(a.UUID) != nil {
			t.Fatal("charged before the CDR wait ended")
		}
		f.clock.Advance(11 * time.Minute)
		f.restart()
		if _, err := f.svc.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c := f.charge(a.UUID); c == nil || c.TotalFen != 60 || c.Source != store.SourceAttempt {
			t.Fatalf("charge from attempt %+v", c)
		}
		f.verify()
		// The CDR arrives late and says 130s: re-rated once to 180 fen.
		for range 2 {
			if err := f.tx(func(tx *gorm.DB) error {
				return f.svc.CDRReceived(f.ctx, tx, &store.CDR{UUID: a.UUID, TenantID: tn.ID, BillSec: 130}, nil)
			}); err != nil {
				t.Fatal(err)
			}
		}
		if c := f.charge(a.UUID); c == nil || c.TotalFen != 180 || c.Source != store.SourceCDR {
			t.Fatalf("re-rated charge %+v", c)
		}
		if b := f.balance(tn); b.BalanceFen != 820 {
			t.Fatalf("balance %+v", b)
		}
		f.verify()
	})
}

func TestUnansweredReleasesAndOrphans(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 60, IncrementSec: 60})
		tn := f.tenant(plan)
		f.recharge(tn, 1000)
		a, b, c := f.attempt(tn, 1), f.attempt(tn, 1), f.attempt(tn, 1)
		for _, x := range []*store.CallAttempt{a, b, c} {
			if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, x) }); err != nil {
				t.Fatal(err)
			}
		}
		if bal := f.balance(tn); bal.HeldFen != 540 {
			t.Fatalf("held %+v", bal)
		}
		if err := f.finish(a, 0); err != nil { // no answer: released now
			t.Fatal(err)
		}
		if err := f.tx(func(tx *gorm.DB) error { return f.svc.Release(f.ctx, tx, b) }); err != nil {
			t.Fatal(err)
		}
		if bal := f.balance(tn); bal.HeldFen != 180 {
			t.Fatalf("held %+v", bal)
		}
		// c never left the queue; its hold is released after OrphanAfter.
		f.clock.Advance(31 * time.Minute)
		if _, err := f.svc.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		if bal := f.balance(tn); bal.HeldFen != 0 || bal.BalanceFen != 1000 {
			t.Fatalf("after reconcile %+v", bal)
		}
		f.verify()
	})
}

func TestShortfallGoesToArrearsAndIsCollected(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 100, IncrementSec: 60})
		tn := f.tenant(plan)
		f.recharge(tn, 300)
		a := f.attempt(tn, 1)
		if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
			t.Fatal(err)
		}
		// Extending past the funds is refused: the call must end.
		err := f.tx(func(tx *gorm.DB) error { return f.svc.ExtendHold(f.ctx, tx, a, 300) })
		if !errors.Is(err, apperr.ErrInsufficientFunds) {
			t.Fatalf("extend: %v", err)
		}
		secs, err := f.svc.MaxTalkSeconds(f.ctx, f.db.With(f.ctx), a, 3600)
		if err != nil || secs != 180 {
			t.Fatalf("max talk %d %v", secs, err)
		}
		// The switch hung up late: 10 minutes billed, 1000 fen, 300 paid.
		if err := f.cdr(a, 600); err != nil {
			t.Fatal(err)
		}
		if c := f.charge(a.UUID); c.TotalFen != 1000 || c.UnpaidFen != 700 {
			t.Fatalf("charge %+v", c)
		}
		if bal := f.balance(tn); bal.BalanceFen != 0 || bal.ArrearsFen != 700 || bal.AvailableFen != 0 {
			t.Fatalf("balance %+v", bal)
		}
		f.verify()
		f.recharge(tn, 500)
		if bal := f.balance(tn); bal.BalanceFen != 0 || bal.ArrearsFen != 200 {
			t.Fatalf("after recharge %+v", bal)
		}
		if _, err := f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: store.AdjustGift, AmountFen: 250, Reason: "goodwill"}); err != nil {
			t.Fatal(err)
		}
		if bal := f.balance(tn); bal.BalanceFen != 50 || bal.ArrearsFen != 0 {
			t.Fatalf("after gift %+v", bal)
		}
		f.verify()
	})
}

func TestCheckConstraintIsTheLastWall(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		tn := f.tenant(nil)
		f.recharge(tn, 100)
		err := f.db.With(f.ctx).Exec("UPDATE billing_accounts SET balance = balance - 101 WHERE tenant_id = ? AND kind = 'balance'", tn.ID).Error
		if err == nil {
			t.Fatal("the database accepted a negative available balance")
		}
		err = f.db.With(f.ctx).Exec("UPDATE billing_accounts SET held = -1 WHERE tenant_id = ? AND kind = 'balance'", tn.ID).Error
		if err == nil {
			t.Fatal("the database accepted negative held funds")
		}
		if b := f.balance(tn); b.BalanceFen != 100 {
			t.Fatalf("balance %+v", b)
		}
	})
}

// funds is campaign's Funds interface (CONTRACTS.md), restated so a change
// of either side's shape fails here.
type funds interface {
	Hold(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error
	Release(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error
}

// callSettler is what call control calls (CONTRACTS.md).
type callSettler interface {
	AttemptFinished(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error
	CDRReceived(ctx context.Context, tx *gorm.DB, cdr *store.CDR, a *store.CallAttempt) error
}

var (
	_ funds       = (*billing.Service)(nil)
	_ callSettler = (*billing.Service)(nil)
)

func TestSeedDemoIsIdempotent(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		tn := f.tenant(nil)
		for range 2 {
			if err := f.svc.SeedDemo(context.Background(), tn.ID); err != nil {
				t.Fatal(err)
			}
		}
		if b := f.balance(tn); b.BalanceFen != 100000 {
			t.Fatalf("demo balance %+v", b)
		}
		a := f.attempt(tn, 1)
		if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(tn); b.HeldFen != 42 { // 180 s: voice 36 fen + ASR 6 fen
			t.Fatalf("demo hold %+v", b)
		}
	})
}
