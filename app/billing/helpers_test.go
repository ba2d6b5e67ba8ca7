package billing_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
)

// clock is a settable test clock.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.t.Add(int64(d)) }

type fx struct {
	t     testing.TB
	db    *store.DB
	acc   *tenant.Service
	clock *clock
	opt   billing.Options
	svc   *billing.Service
	ctx   context.Context
}

func newFx(t testing.TB, db *store.DB) *fx {
	c := newClock()
	opt := billing.Options{Now: c.Now, HoldSeconds: 180, CDRWait: 10 * time.Minute, OrphanAfter: 30 * time.Minute}
	acc := tenant.New(db, storetest.Logger(), tenant.Options{Now: c.Now})
	f := &fx{t: t, db: db, acc: acc, clock: c, opt: opt, ctx: store.AsPlatform(context.Background())}
	f.restart()
	return f
}

// restart is a crash and a new process: a new service over the same database.
func (f *fx) restart() { f.svc = billing.New(f.db, f.acc, storetest.Logger(), f.opt) }

var seq atomic.Int64

func (f *fx) tenant(plan *store.PricePlan) *store.Tenant {
	f.t.Helper()
	tn := &store.Tenant{Name: fmt.Sprintf("T%d", seq.Add(1)), Status: store.TenantActive, ContactEmail: "owner@example.com"}
	if plan != nil {
		tn.PricePlanID = &plan.ID
	}
	if err := f.db.With(f.ctx).Create(tn).Error; err != nil {
		f.t.Fatal(err)
	}
	return tn
}

func (f *fx) plan(p store.PricePlan) *store.PricePlan {
	f.t.Helper()
	if p.Name == "" {
		p.Name = fmt.Sprintf("plan%d", seq.Add(1))
	}
	if err := f.db.With(f.ctx).Create(&p).Error; err != nil {
		f.t.Fatal(err)
	}
	return &p
}

func (f *fx) attempt(tn *store.Tenant, campaign uint64) *store.CallAttempt {
	f.t.Helper()
	n := seq.Add(1)
	a := &store.CallAttempt{TenantOwned: store.TenantOwned{TenantID: tn.ID}, UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		CampaignID: campaign, ContactID: uint64(n), AttemptNo: 1, Phone: "+8613800138000", State: store.AttemptQueued, QueuedAt: f.clock.Now()}
	if err := f.db.With(f.ctx).Create(a).Error; err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fx) tx(fn func(tx *gorm.DB) error) error { return f.db.Tx(f.ctx, fn) }

func (f *fx) recharge(tn *store.Tenant, fen int64) {
	f.t.Helper()
	o, err := f.svc.CreateRecharge(store.WithTenant(context.Background(), tn.ID), billing.NewRecharge{AmountFen: fen, Method: store.RechargeBank})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.ConfirmRecharge(context.Background(), o.ID, "bank-ref"); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fx) balance(tn *store.Tenant) *billing.Balance {
	f.t.Helper()
	b, err := f.svc.GetBalance(context.Background(), tn.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fx) verify() {
	f.t.Helper()
	if err := f.svc.Verify(context.Background()); err != nil {
		f.t.Fatalf("money invariants broken:\n%v", err)
	}
}

// finish writes the attempt's final state and calls AttemptFinished in the
// same transaction, as call control does.
func (f *fx) finish(a *store.CallAttempt, billSec int) error {
	return f.tx(func(tx *gorm.DB) error {
		now := f.clock.Now()
		a.State, a.Outcome, a.BillSec, a.EndedAt = store.AttemptFinished, "answered", billSec, &now
		if billSec > 0 {
			a.AnsweredAt = &now
		} else {
			a.Outcome = "no_answer"
		}
		if err := tx.Save(a).Error; err != nil {
			return err
		}
		return f.svc.AttemptFinished(f.ctx, tx, a)
	})
}

func (f *fx) cdr(a *store.CallAttempt, billSec int) error {
	return f.tx(func(tx *gorm.DB) error {
		c := &store.CDR{UUID: a.UUID, TenantID: a.TenantID, AttemptUUID: a.UUID, BillSec: billSec, ReceivedAt: f.clock.Now()}
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		return f.svc.CDRReceived(f.ctx, tx, c, nil)
	})
}

func (f *fx) charge(uuid string) *store.CallCharge {
	var c store.CallCharge
	if err := f.db.With(f.ctx).Where("attempt_uuid = ?", uuid).Take(&c).Error; err != nil {
		return nil
	}
	return &c
}

func eachFx(t *testing.T, fn func(t *testing.T, f *fx)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, newFx(t, db)) })
}

func (f *fx) svcZone() *time.Location { return time.FixedZone("CST", 8*3600) }
