package billing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

// retryable reports a transaction the database chose to abort (a MySQL
// deadlock or lock wait timeout, SQLite busy): the caller retries it, as
// call control and the campaign workers do.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "Deadlock") || strings.Contains(s, "Lock wait timeout") || strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}

func withRetry(fn func() error) error {
	for i := 0; ; i++ {
		err := fn()
		if !retryable(err) || i == 20 {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
}

// TestConcurrentCallsOneTenant runs many calls of one tenant at once, each
// held, answered, finished and its CDR posted by racing goroutines (the CDR
// posted twice, from two "processes"), while recharges land: the books stay
// sound and every call is charged exactly once.
func TestConcurrentCallsOneTenant(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		plan := f.plan(store.PricePlan{PerMinuteFen: 20, IncrementSec: 6})
		tn := f.tenant(plan)
		f.recharge(tn, 2000)
		const calls = 40
		var attempts []*store.CallAttempt
		for range calls {
			attempts = append(attempts, f.attempt(tn, 1))
		}
		var wg sync.WaitGroup
		errs := make(chan error, calls*4)
		var refused sync.Map
		for i, a := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				svc := billing.New(f.db, f.acc, nil, f.opt) // every goroutine its own process
				err := withRetry(func() error { return f.tx(func(tx *gorm.DB) error { return svc.Hold(f.ctx, tx, a) }) })
				if errors.Is(err, apperr.ErrInsufficientFunds) {
					refused.Store(a.UUID, true)
					return
				}
				if err != nil {
					errs <- fmt.Errorf("hold: %w", err)
					return
				}
				sec := 1 + i*7
				var inner sync.WaitGroup
				for range 2 { // the same CDR from two processes at once
					inner.Add(1)
					go func() {
						defer inner.Done()
						err := withRetry(func() error {
							return f.tx(func(tx *gorm.DB) error {
								return svc.CDRReceived(f.ctx, tx, &store.CDR{UUID: a.UUID, TenantID: tn.ID, AttemptUUID: a.UUID, BillSec: sec}, nil)
							})
						})
						if err != nil {
							errs <- fmt.Errorf("cdr: %w", err)
						}
					}()
				}
				inner.Add(1)
				go func() {
					defer inner.Done()
					err := withRetry(func() error {
						return f.tx(func(tx *gorm.DB) error {
							b := *a
							now := f.clock.Now()
							b.State, b.BillSec, b.AnsweredAt = store.AttemptFinished, sec, &now
							if err := tx.Model(&store.CallAttempt{}).Where("id = ?", b.ID).Updates(map[string]any{"state": b.State, "bill_sec": sec, "answered_at": now}).Error; err != nil {
								return err
							}
							return svc.AttemptFinished(f.ctx, tx, &b)
						})
					})
					if err != nil {
						errs <- fmt.Errorf("finish: %w", err)
					}
				}()
				inner.Wait()
			}()
			if i%10 == 0 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o, err := f.svc.CreateRecharge(store.WithTenant(context.Background(), tn.ID), billing.NewRecharge{AmountFen: 500, Method: store.RechargeBank})
					if err == nil {
						err = withRetry(func() error { _, err := f.svc.ConfirmRecharge(context.Background(), o.ID, "r"); return err })
					}
					if err != nil {
						errs <- fmt.Errorf("recharge: %w", err)
					}
				}()
			}
		}
		// Meanwhile the operator adjusts and reconciliation runs.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				kind := []string{store.AdjustGift, store.AdjustDebit, store.AdjustCredit}[i%3]
				err := withRetry(func() error {
					_, err := f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: kind, AmountFen: int64(10 + i), Reason: "concurrent"})
					return err
				})
				if err != nil && !errors.Is(err, apperr.ErrInsufficientFunds) {
					errs <- fmt.Errorf("adjust: %w", err)
				}
				if err := withRetry(func() error { _, err := f.svc.Reconcile(context.Background()); return err }); err != nil {
					errs <- fmt.Errorf("reconcile: %w", err)
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		f.verify()
		for i, a := range attempts {
			if _, ok := refused.Load(a.UUID); ok {
				continue
			}
			c := f.charge(a.UUID)
			if c == nil || c.BillSec != 1+i*7 {
				t.Fatalf("call %d charge %+v", i, c)
			}
		}
	})
}
