package billing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

// TestMonthlyStatementsScheduled runs the monthly statement scheduler on a
// fixed clock: nothing before the 1st at 02:00 China time; then one job per
// active tenant that existed in the month, whatever the number of reruns
// and processes; each job writes one notice with the statement's figures
// and sends one e-mail with the XLSX, even when two processes both run the
// job; the next month's statements come on the next 1st.
func TestMonthlyStatementsScheduled(t *testing.T) {
	eachFx(t, func(t *testing.T, f *fx) {
		cst := f.svcZone()
		at := func(y int, m time.Month, d, h, min int) {
			f.clock.t.Store(time.Date(y, m, d, h, min, 0, 0, cst).UnixNano())
		}
		sink := newSMTPSink(t)
		f.opt.Mailer = &billing.SMTPMailer{Addr: sink.ln.Addr().String(), From: "billing@waihu.test"}
		f.restart()
		other := billing.New(f.db, f.acc, nil, f.opt) // a second waihu process

		at(2026, 2, 10, 12, 0)
		feb := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
		plan := f.plan(store.PricePlan{PerMinuteFen: 20, IncrementSec: 60})
		active, quiet, suspended := f.tenant(plan), f.tenant(plan), f.tenant(plan)
		f.db.With(f.ctx).Model(&store.Tenant{}).Where("id IN ?", []uint64{active.ID, quiet.ID, suspended.ID}).Update("created_at", feb)
		f.db.With(f.ctx).Model(&store.Tenant{}).Where("id = ?", suspended.ID).Update("status", "suspended")
		f.db.With(f.ctx).Model(&store.Tenant{}).Where("id = ?", quiet.ID).Update("contact_email", "")
		f.recharge(active, 50000)
		a := f.attempt(active, 3)
		if err := f.cdr(a, 95); err != nil {
			t.Fatal(err)
		}
		if err := f.finish(a, 95); err != nil {
			t.Fatal(err)
		}
		late := f.tenant(nil) // signed up in March: no February statement
		f.db.With(f.ctx).Model(&store.Tenant{}).Where("id = ?", late.ID).Update("created_at", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
		ctx := context.Background()
		schedule := func(svc *billing.Service) int {
			t.Helper()
			n, err := svc.ScheduleStatements(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		tasks := func(month string) []store.OutboxTask {
			var rows []store.OutboxTask
			f.db.With(f.ctx).Where("kind = ? AND `key` LIKE ?", billing.JobMonthlyStatement, "%:"+month).Order("id").Find(&rows)
			return rows
		}

		at(2026, 3, 1, 1, 59)
		if n := schedule(f.svc); n != 0 {
			t.Fatalf("scheduled %d statements before 02:00", n)
		}
		at(2026, 3, 1, 2, 0)
		if n := schedule(f.svc) + schedule(other) + schedule(f.svc); n != 2 {
			t.Fatalf("scheduled %d statement jobs, want 2 (the two active tenants, once)", n)
		}
		feb26 := tasks("2026-02")
		if len(feb26) != 2 {
			t.Fatalf("%d February jobs", len(feb26))
		}
		for _, task := range feb26 {
			// Both processes get the same delivery (Redis redelivered it).
			for _, svc := range []*billing.Service{f.svc, other, f.svc} {
				row := task
				if err := svc.SendMonthlyStatement(ctx, &row); err != nil {
					t.Fatal(err)
				}
			}
		}
		st, err := f.svc.MonthStatement(ctx, active.ID, "2026-02")
		if err != nil || st.ConsumptionFen <= 0 || st.Calls != 1 {
			t.Fatalf("statement %+v %v", st, err)
		}
		var notes []store.Notification
		f.db.With(f.ctx).Where("kind = ?", "billing.statement").Order("tenant_id").Find(&notes)
		if len(notes) != 2 || notes[0].TenantID != active.ID || notes[1].TenantID != quiet.ID {
			t.Fatalf("notices %+v, want one for each active tenant", notes)
		}
		if want := "2026-02 consumption=" + billing.FormatYuan(st.ConsumptionFen); !strings.HasPrefix(notes[0].Body, want) {
			t.Fatalf("notice %q, want it to start with %q", notes[0].Body, want)
		}
		msgs := sink.messages()
		if len(msgs) != 1 || !strings.Contains(msgs[0], "statement-2026-02.xlsx") {
			t.Fatalf("%d e-mails, want one (the tenant without an address gets the notice only)", len(msgs))
		}
		for _, task := range tasks("2026-02") {
			if task.Status != store.TaskDone {
				t.Fatalf("job %s is %s", task.Key, task.Status)
			}
		}

		at(2026, 3, 20, 9, 0) // the rest of the month: nothing new
		if n := schedule(other); n != 0 {
			t.Fatalf("scheduled %d more in March", n)
		}
		at(2026, 4, 1, 2, 30)
		if n := schedule(other); n != 3 {
			t.Fatalf("scheduled %d March statements, want 3 (the March signup included)", n)
		}
	})
}
