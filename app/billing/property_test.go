package billing_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

var errCrash = errors.New("simulated crash before commit")

// propSteps is the number of random steps per engine (WAIHU_BILLING_PROP_STEPS).
func propSteps() int {
	if n, err := strconv.Atoi(os.Getenv("WAIHU_BILLING_PROP_STEPS")); err == nil && n > 0 {
		return n
	}
	return 2000
}

type propCall struct {
	a        *store.CallAttempt
	held     bool
	dialed   bool
	finished bool
	billSec  int // what the attempt says
	cdrSec   int // what the CDR says (-1 = no CDR yet)
}

// TestPropertyRandomInterleavings runs thousands of random interleavings of
// holds, extensions, releases, finishes, CDRs (in both orders, replayed,
// late and disagreeing), recharges, gifts, adjustments, credit-limit
// changes, reconciliation, crashes (a step's transaction rolled back) and
// restarts (a new Service over the same database), checking the money
// invariants (Service.Verify) after every step, and at the end that every
// finished call is charged exactly once from the right figure and every hold
// is closed.
func TestPropertyRandomInterleavings(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		seed := uint64(time.Now().UnixNano())
		if v, err := strconv.ParseUint(os.Getenv("WAIHU_BILLING_PROP_SEED"), 10, 64); err == nil {
			seed = v
		}
		t.Logf("seed %d (WAIHU_BILLING_PROP_SEED to replay)", seed)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		f.opt.LowBalanceFen = 500
		f.restart()
		plans := []*store.PricePlan{
			f.plan(store.PricePlan{PerMinuteFen: 12, IncrementSec: 6}),
			f.plan(store.PricePlan{PerMinuteFen: 50, IncrementSec: 60, FreeSec: 6, MinChargeFen: 30, PerCallFen: 2, ASRPerMinuteFen: 3, TTSPer1kFen: 40, LLMPer1kFen: 9}),
		}
		var tenants []*store.Tenant
		for i := range 3 {
			tenants = append(tenants, f.tenant(plans[i%2]))
		}
		var calls []*propCall
		pick := func(ok func(c *propCall) bool) *propCall {
			var cands []*propCall
			for _, c := range calls {
				if ok(c) {
					cands = append(cands, c)
				}
			}
			if len(cands) == 0 {
				return nil
			}
			return cands[rng.IntN(len(cands))]
		}
		// inTx runs a step as call control would, in its own transaction;
		// with crash set the transaction is rolled back at its end, as if
		// the process died before the commit.
		inTx := func(crash bool, fn func(tx *gorm.DB) error) error {
			err := f.tx(func(tx *gorm.DB) error {
				if err := fn(tx); err != nil {
					return err
				}
				if crash {
					return errCrash
				}
				return nil
			})
			if errors.Is(err, errCrash) {
				return nil
			}
			return err
		}
		steps := propSteps()
		counts := map[string]int{}
		for step := 0; step < steps; step++ {
			crash := rng.IntN(10) == 0
			op := rng.IntN(100)
			var err error
			name := ""
			switch {
			case op < 20: // a new call is held
				name = "hold"
				tn := tenants[rng.IntN(len(tenants))]
				c := &propCall{a: f.attempt(tn, uint64(1+rng.IntN(3))), cdrSec: -1}
				calls = append(calls, c)
				err = inTx(crash, func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, c.a) })
				if errors.Is(err, apperr.ErrInsufficientFunds) {
					err = nil
				} else if err == nil && !crash {
					c.held = true
				}
			case op < 25: // replay a hold
				name = "hold replay"
				if c := pick(func(c *propCall) bool { return c.held && !c.finished }); c != nil {
					err = inTx(crash, func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, c.a) })
					// Reconciliation may have released the hold of a call
					// left queued; a replay then holds anew, and may find
					// the money gone like any first hold.
					if errors.Is(err, apperr.ErrInsufficientFunds) {
						err = nil
						if !crash {
							c.held = false
						}
					}
				}
			case op < 30: // not dialed after all
				name = "release"
				if c := pick(func(c *propCall) bool { return !c.dialed && !c.finished }); c != nil {
					err = inTx(crash, func(tx *gorm.DB) error { return f.svc.Release(f.ctx, tx, c.a) })
				}
			case op < 40: // dialed
				name = "dial"
				if c := pick(func(c *propCall) bool { return !c.dialed && !c.finished }); c != nil {
					err = inTx(crash, func(tx *gorm.DB) error {
						return tx.Model(&store.CallAttempt{}).Where("id = ?", c.a.ID).Update("state", store.AttemptDialing).Error
					})
					if !crash {
						c.dialed, c.a.State = true, store.AttemptDialing
					}
				}
			case op < 45: // a long call extends its hold
				name = "extend"
				if c := pick(func(c *propCall) bool { return c.dialed && !c.finished }); c != nil {
					err = inTx(crash, func(tx *gorm.DB) error { return f.svc.ExtendHold(f.ctx, tx, c.a, 60+rng.IntN(600)) })
					if errors.Is(err, apperr.ErrInsufficientFunds) {
						err = nil
					}
				}
			case op < 58: // the call ends: attempt final state + AttemptFinished in one tx
				name = "finish"
				if c := pick(func(c *propCall) bool { return c.dialed && !c.finished }); c != nil {
					sec := 0
					if rng.IntN(3) > 0 {
						sec = 1 + rng.IntN(400)
					}
					a := *c.a
					err = inTx(crash, func(tx *gorm.DB) error {
						now := f.clock.Now()
						a.State, a.BillSec, a.EndedAt = store.AttemptFinished, sec, &now
						if sec > 0 {
							a.AnsweredAt = &now
						}
						if err := tx.Model(&store.CallAttempt{}).Where("id = ?", a.ID).Updates(map[string]any{
							"state": a.State, "bill_sec": sec, "ended_at": now, "answered_at": a.AnsweredAt}).Error; err != nil {
							return err
						}
						if rng.IntN(4) == 0 {
							if err := f.svc.RecordUsage(f.ctx, tx, &a, billing.Usage{TTSChars: rng.IntN(3000), LLMTokens: rng.IntN(5000)}); err != nil {
								return err
							}
						}
						return f.svc.AttemptFinished(f.ctx, tx, &a)
					})
					if err == nil && !crash {
						*c.a = a
						c.finished, c.billSec = true, sec
					}
				}
			case op < 70: // the CDR arrives (before or after the finish, maybe disagreeing)
				name = "cdr"
				if c := pick(func(c *propCall) bool { return c.dialed && c.cdrSec < 0 }); c != nil {
					sec := c.billSec
					if !c.finished || rng.IntN(4) == 0 {
						sec = rng.IntN(400)
					}
					err = inTx(crash, func(tx *gorm.DB) error {
						cdr := &store.CDR{UUID: c.a.UUID, TenantID: c.a.TenantID, AttemptUUID: c.a.UUID, BillSec: sec, ReceivedAt: f.clock.Now()}
						if err := tx.Create(cdr).Error; err != nil {
							return err
						}
						var a *store.CallAttempt
						if rng.IntN(2) == 0 {
							a = c.a
						}
						return f.svc.CDRReceived(f.ctx, tx, cdr, a)
					})
					if err == nil && !crash {
						c.cdrSec = sec
					}
				}
			case op < 74: // FreeSWITCH re-posts a CDR / call control replays the finish
				name = "replay"
				if c := pick(func(c *propCall) bool { return c.cdrSec >= 0 || c.finished }); c != nil {
					err = inTx(crash, func(tx *gorm.DB) error {
						if c.cdrSec >= 0 && rng.IntN(2) == 0 {
							return f.svc.CDRReceived(f.ctx, tx, &store.CDR{UUID: c.a.UUID, TenantID: c.a.TenantID, BillSec: c.cdrSec}, nil)
						}
						if c.finished {
							return f.svc.AttemptFinished(f.ctx, tx, c.a)
						}
						return nil
					})
				}
			case op < 82:
				name = "recharge"
				tn := tenants[rng.IntN(len(tenants))]
				o, e := f.svc.CreateRecharge(store.WithTenant(context.Background(), tn.ID), billing.NewRecharge{AmountFen: int64(100 + rng.IntN(3000)), Method: store.RechargeBank})
				if err = e; err == nil && rng.IntN(5) > 0 {
					for range 1 + rng.IntN(2) { // a double click confirms once
						if _, e := f.svc.ConfirmRecharge(context.Background(), o.ID, "ref"); e != nil {
							var ce *apperr.CodedError
							if !errors.As(e, &ce) {
								err = e
							}
						}
					}
				}
			case op < 87:
				name = "adjust"
				tn := tenants[rng.IntN(len(tenants))]
				kinds := []string{store.AdjustGift, store.AdjustCredit, store.AdjustDebit}
				_, err = f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: kinds[rng.IntN(3)], AmountFen: int64(1 + rng.IntN(800)), Reason: "property test"})
				if errors.Is(err, apperr.ErrInsufficientFunds) {
					err = nil
				}
			case op < 89:
				name = "credit limit"
				tn := tenants[rng.IntN(len(tenants))]
				_, err = f.svc.SetCreditLimit(context.Background(), tn.ID, int64(rng.IntN(4)*200), "property test")
				if errors.Is(err, apperr.ErrInsufficientFunds) {
					err = nil
				}
			case op < 96:
				name = "reconcile"
				f.clock.Advance(time.Duration(rng.IntN(15*60)) * time.Second)
				_, err = f.svc.Reconcile(context.Background())
			default:
				name = "restart"
				f.restart()
			}
			if err != nil {
				t.Fatalf("step %d (%s, crash %v): %v", step, name, crash, err)
			}
			counts[name]++
			if err := f.svc.Verify(context.Background()); err != nil {
				t.Fatalf("step %d (%s, crash %v): invariants broken:\n%v", step, name, crash, err)
			}
		}
		// Let every call end and every wait run out: then every hold is
		// closed and every finished call charged once from the right figure.
		for _, c := range calls {
			if c.dialed && !c.finished {
				if err := f.finish(c.a, 0); err != nil {
					t.Fatal(err)
				}
				c.finished = true
			}
		}
		f.clock.Advance(2 * time.Hour)
		f.restart()
		if _, err := f.svc.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.verify()
		var open int64
		f.db.With(f.ctx).Model(&store.BillingHold{}).Where("state = ?", store.HoldHeld).Count(&open)
		if open != 0 {
			t.Fatalf("%d holds still open at the end", open)
		}
		var nCharged int
		for _, c := range calls {
			ch := f.charge(c.a.UUID)
			if !c.finished {
				continue
			}
			if ch == nil {
				t.Fatalf("finished call %s not charged", c.a.UUID)
			}
			nCharged++
			want := c.a.BillSec
			if c.cdrSec >= 0 {
				want = c.cdrSec
			}
			var a store.CallAttempt
			f.db.With(f.ctx).Where("uuid = ?", c.a.UUID).Take(&a)
			if c.cdrSec < 0 {
				want = a.BillSec
			}
			if ch.BillSec != want {
				t.Fatalf("call %s charged for %ds, want %ds (cdr %d, attempt %d, source %s)", c.a.UUID, ch.BillSec, want, c.cdrSec, a.BillSec, ch.Source)
			}
			if a.CostFen != ch.TotalFen {
				t.Fatalf("call %s attempt cost %d, charge %d", c.a.UUID, a.CostFen, ch.TotalFen)
			}
		}
		t.Logf("%d steps, %d calls, %d charged; steps by kind %v", steps, len(calls), nCharged, fmt.Sprint(counts))
	})
}
