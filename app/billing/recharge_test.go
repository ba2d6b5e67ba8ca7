package billing_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/jobs/jobstest"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

func TestRechargeConfirmOnceAndAudit(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		tn := f.tenant(nil)
		tctx := store.WithTenant(context.Background(), tn.ID)
		bad := []billing.NewRecharge{{AmountFen: 99, Method: store.RechargeBank}, {AmountFen: 1000, Method: "bitcoin"},
			{AmountFen: 1000, Method: store.RechargeBank, Note: "a\nb"}}
		for _, in := range bad {
			var ve *apperr.ValidationError
			if _, err := f.svc.CreateRecharge(tctx, in); !errors.As(err, &ve) {
				t.Errorf("%+v: %v", in, err)
			}
		}
		o, err := f.svc.CreateRecharge(tctx, billing.NewRecharge{AmountFen: 50000, Method: store.RechargeBank, PayerName: "深圳示例科技"})
		if err != nil {
			t.Fatal(err)
		}
		added := 0
		f.svc.Hooks.FundsAdded = func(ctx context.Context, _ *gorm.DB, tenantID uint64, avail int64) error { added++; return nil }
		if _, err := f.svc.ConfirmRecharge(context.Background(), o.ID, "ICBC-123"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmRecharge(context.Background(), o.ID, "ICBC-123"); err != nil { // a double click is a replay
			t.Fatal(err)
		}
		if b := f.balance(tn); b.BalanceFen != 50000 || added != 1 {
			t.Fatalf("balance %+v, hook ran %d times", b, added)
		}
		var n int64
		f.db.With(f.ctx).Model(&store.AuditLog{}).Where("action = ? AND tenant_id = ?", "billing.recharge.confirm", tn.ID).Count(&n)
		if n != 1 {
			t.Fatalf("%d confirm audit entries", n)
		}
		// Adjustments need a reason; a debit cannot overdraw.
		if _, err := f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: store.AdjustGift, AmountFen: 100}); err == nil {
			t.Fatal("gift without a reason accepted")
		}
		if _, err := f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: store.AdjustDebit, AmountFen: 50001, Reason: "x"}); !errors.Is(err, apperr.ErrInsufficientFunds) {
			t.Fatalf("overdrawing debit: %v", err)
		}
		if _, err := f.svc.Adjust(context.Background(), tn.ID, billing.NewAdjustment{Kind: store.AdjustDebit, AmountFen: 1000, Reason: "duplicate transfer"}); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(tn); b.BalanceFen != 49000 {
			t.Fatalf("balance %+v", b)
		}
		f.verify()
	})
}

func TestAlipayNotify(t *testing.T) {
	merchant, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	alipay, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	adapter := &billing.Alipay{AppID: "2021000000000001", PrivateKey: merchant, AlipayKey: &alipay.PublicKey, Gateway: "https://openapi.alipay.com/gateway.do"}
	eachFx(t, func(t *testing.T, f *fx) {
		f.opt.Providers = map[string]billing.Provider{"alipay": adapter}
		f.restart()
		tn := f.tenant(nil)
		o, err := f.svc.CreateRecharge(store.WithTenant(context.Background(), tn.ID), billing.NewRecharge{AmountFen: 8888, Method: "alipay"})
		if err != nil {
			t.Fatal(err)
		}
		// The checkout URL is signed with the merchant key.
		u, err := f.svc.CheckoutURL(context.Background(), o, "https://waihu.example/api/v1/billing/notify/alipay")
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(u)
		q := pu.Query()
		if q.Get("method") != "alipay.trade.page.pay" || !strings.Contains(q.Get("biz_content"), `"total_amount":"88.88"`) {
			t.Fatalf("checkout %s", u)
		}
		verifier := &billing.Alipay{AppID: adapter.AppID, AlipayKey: &merchant.PublicKey}
		if _, err := verifier.VerifyNotify(q); err != nil && errors.Is(err, billing.ErrBadSignature) {
			t.Fatalf("checkout signature does not verify: %v", err)
		}
		notice := func(amount string, status string) url.Values {
			v := url.Values{}
			for k, val := range map[string]string{"notify_time": "2026-03-01 10:00:00", "notify_type": "trade_status_sync", "notify_id": "n1",
				"app_id": adapter.AppID, "charset": "utf-8", "version": "1.0", "trade_no": "2026030122001", "out_trade_no": o.No,
				"total_amount": amount, "trade_status": status, "subject": "waihu recharge", "buyer_logon_id": "ab***@example.com"} {
				v.Set(k, val)
			}
			v.Set("sign_type", "RSA2")
			sig, err := billing.Sign(alipay, v)
			if err != nil {
				t.Fatal(err)
			}
			v.Set("sign", sig)
			return v
		}
		forged := notice("88.88", "TRADE_SUCCESS")
		forged.Set("total_amount", "888.88")
		if _, err := f.svc.HandleNotify(context.Background(), "alipay", forged); !errors.Is(err, billing.ErrBadSignature) {
			t.Fatalf("tampered notice: %v", err)
		}
		wrongKey := notice("88.88", "TRADE_SUCCESS")
		sig, _ := billing.Sign(merchant, wrongKey)
		wrongKey.Set("sign", sig)
		if _, err := f.svc.HandleNotify(context.Background(), "alipay", wrongKey); !errors.Is(err, billing.ErrBadSignature) {
			t.Fatalf("notice signed by another key: %v", err)
		}
		if ack, err := f.svc.HandleNotify(context.Background(), "alipay", notice("88.88", "WAIT_BUYER_PAY")); err != nil || ack != "success" {
			t.Fatalf("waiting notice: %q %v", ack, err)
		}
		if b := f.balance(tn); b.BalanceFen != 0 {
			t.Fatalf("credited before payment: %+v", b)
		}
		if _, err := f.svc.HandleNotify(context.Background(), "alipay", notice("8.88", "TRADE_SUCCESS")); err == nil {
			t.Fatal("a notice for the wrong amount was accepted")
		}
		for range 3 { // Alipay resends until it reads "success"
			if ack, err := f.svc.HandleNotify(context.Background(), "alipay", notice("88.88", "TRADE_SUCCESS")); err != nil || ack != "success" {
				t.Fatalf("notice: %q %v", ack, err)
			}
		}
		if b := f.balance(tn); b.BalanceFen != 8888 {
			t.Fatalf("balance %+v", b)
		}
		f.verify()
	})
}

// smtpSink is a tiny SMTP server that keeps the messages it receives.
type smtpSink struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
}

func newSMTPSink(t *testing.T) *smtpSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(l string) { c.Write([]byte(l + "\r\n")) }
	w("220 sink ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			w("250 sink")
		case strings.HasPrefix(cmd, "DATA"):
			w("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.mu.Unlock()
			w("250 queued")
		case strings.HasPrefix(cmd, "QUIT"):
			w("221 bye")
			return
		default:
			w("250 ok")
		}
	}
}

func (s *smtpSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func TestLowBalanceAlert(t *testing.T) {
	for i, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			db := storetest.Open(t, e)
			sink := newSMTPSink(t)
			f := newFx(t, db)
			f.opt.LowBalanceFen = 5000
			f.opt.Mailer = &billing.SMTPMailer{Addr: sink.ln.Addr().String(), From: "billing@waihu.test"}
			f.restart()
			hooked := make(chan int64, 4)
			f.svc.Hooks.LowBalance = func(_ context.Context, _ uint64, avail int64) error { hooked <- avail; return nil }
			runner, err := jobs.New(db, jobs.Options{Redis: jobstest.URL(t, 6+i), Concurrency: 2, RelayEvery: 50 * time.Millisecond, Log: storetest.Logger()})
			if err != nil {
				t.Fatal(err)
			}
			f.svc.RegisterJobs(runner)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := runner.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer runner.Close()
			plan := f.plan(store.PricePlan{PerMinuteFen: 1000, IncrementSec: 60})
			tn := f.tenant(plan)
			f.recharge(tn, 8000)
			a := f.attempt(tn, 1)
			// Holding 3000 of 8000 leaves 5000: not under the threshold yet.
			if err := f.tx(func(tx *gorm.DB) error { return f.svc.Hold(f.ctx, tx, a) }); err != nil {
				t.Fatal(err)
			}
			if err := f.cdr(a, 200); err != nil { // 4 minutes: 4000, leaves 4000
				t.Fatal(err)
			}
			runner.Nudge()
			select {
			case avail := <-hooked:
				if avail != 4000 {
					t.Fatalf("hook saw %d available", avail)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("no low-balance alert")
			}
			msgs := sink.messages()
			if len(msgs) != 1 || !strings.Contains(msgs[0], "owner@example.com") || !strings.Contains(msgs[0], "40.00") {
				t.Fatalf("mail %q", msgs)
			}
			var notes []store.Notification
			db.With(store.WithTenant(context.Background(), tn.ID)).Where("kind = ?", "billing.low_balance").Find(&notes)
			if len(notes) != 1 {
				t.Fatalf("%d notices", len(notes))
			}
			// A second dip before recovering sends nothing; a recharge re-arms.
			b := f.attempt(tn, 1)
			if err := f.cdr(b, 30); err != nil {
				t.Fatal(err)
			}
			var pending int64
			db.With(f.ctx).Model(&store.OutboxTask{}).Where("kind = ?", billing.JobLowBalance).Count(&pending)
			if pending != 1 {
				t.Fatalf("%d alert jobs for one dip", pending)
			}
			f.recharge(tn, 10000)
			if bal := f.balance(tn); bal.AvailableFen != 13000 {
				t.Fatalf("balance %+v", bal)
			}
			var acc store.BillingAccount
			db.With(f.ctx).Where("tenant_id = ? AND kind = ?", tn.ID, store.AccountBalance).Take(&acc)
			if acc.LowAlertAt != nil {
				t.Fatal("the alert was not re-armed by the recharge")
			}
		})
	}
}
