package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// Monthly statements: on StatementDay at StatementHour (billing's zone,
// default the 1st at 02:00 China Standard Time) every active tenant gets
// its statement for the previous month: an in-console notice and, when
// SMTP is configured and the tenant has a contact address, the XLSX by
// e-mail. One outbox job per tenant and month (key
// billing.statement:<tenant>:<YYYY-MM>) makes it idempotent: a rerun of the
// scheduler, or a second waihu process running it, enqueues nothing new,
// and the job's completion commits with the notice, so nothing is sent
// twice. The scheduler keeps checking for the rest of the month, so a
// process that was down at the hour still sends them when it comes back.

// JobMonthlyStatement sends one tenant's statement for one month.
const JobMonthlyStatement = "billing.statement"

// jobScheduleStatements is the periodic check that enqueues them.
const jobScheduleStatements = "billing.statements"

type statementPayload struct {
	TenantID uint64 `json:"tenant_id"`
	Month    string `json:"month"`
}

// statementDue returns the month whose statements are due at now, or "" if
// this month's sending time has not come yet.
func (s *Service) statementDue(now time.Time) string {
	now = now.In(s.opt.Zone)
	day := min(s.opt.StatementDay, 28)
	at := time.Date(now.Year(), now.Month(), day, *s.opt.StatementHour, 0, 0, 0, s.opt.Zone)
	if now.Before(at) {
		return ""
	}
	return time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, s.opt.Zone).Format("2006-01")
}

// ScheduleStatements enqueues the due month's statement job of every active
// tenant that existed before that month ended, and returns how many it
// enqueued now. Safe to run any number of times, from any process.
func (s *Service) ScheduleStatements(ctx context.Context) (int, error) {
	ctx = pctx(ctx)
	month := s.statementDue(s.now())
	if month == "" {
		return 0, nil
	}
	start, _ := time.ParseInLocation("2006-01", month, s.opt.Zone)
	end := start.AddDate(0, 1, 0)
	var ids []uint64
	if err := s.db.With(ctx).Model(&store.Tenant{}).Where("status = ? AND created_at < ?", store.TenantActive, end.UTC()).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("statements: list tenants: %w", err)
	}
	// One read of the jobs already there, rather than an insert per tenant
	// on every check for the rest of the month.
	var keys []string
	if err := s.db.With(ctx).Model(&store.OutboxTask{}).Where("kind = ? AND `key` LIKE ?", JobMonthlyStatement, "%:"+month).
		Pluck("key", &keys).Error; err != nil {
		return 0, fmt.Errorf("statements: list jobs: %w", err)
	}
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[k] = true
	}
	n := 0
	for _, id := range ids {
		key := statementKey(id, month)
		if have[key] {
			continue
		}
		if err := jobs.Enqueue(ctx, s.db.With(ctx), JobMonthlyStatement, key, statementPayload{TenantID: id, Month: month}, time.Time{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func statementKey(tenantID uint64, month string) string {
	return fmt.Sprintf("%s:%d:%s", JobMonthlyStatement, tenantID, month)
}

// errStatementSent: another delivery of the job already sent it.
var errStatementSent = errors.New("statement already sent")

// SendMonthlyStatement is the job: the notice is written in the
// transaction that completes the job (conditional on the job still being
// pending, so two deliveries cannot both send), then the e-mail goes out
// once, best effort — a failing relay is logged, not retried, so a flaky
// relay cannot send the statement twice. The operator can always send it
// again by hand (POST …/statements/:month/send).
func (s *Service) SendMonthlyStatement(ctx context.Context, task *store.OutboxTask) error {
	var p statementPayload
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil || p.TenantID == 0 || !monthRe.MatchString(p.Month) {
		return fmt.Errorf("statement payload %q: %w", task.Payload, jobs.ErrPermanent)
	}
	ctx = pctx(ctx)
	st, err := s.MonthStatement(ctx, p.TenantID, p.Month)
	if err != nil {
		return err
	}
	var t store.Tenant
	if err := s.db.With(ctx).Take(&t, p.TenantID).Error; err != nil {
		return fmt.Errorf("statement: %w", store.Translate(err))
	}
	err = s.db.Tx(store.WithTenant(ctx, p.TenantID), func(tx *gorm.DB) error {
		res := tx.WithContext(ctx).Model(&store.OutboxTask{}).Where("id = ? AND status = ?", task.ID, store.TaskPending).
			Updates(map[string]any{"status": store.TaskDone, "done_at": time.Now().UTC(), "attempts": gorm.Expr("attempts + 1"), "last_error": ""})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errStatementSent
		}
		// Title is an i18n key; the body carries the month and the figures.
		body := fmt.Sprintf("%s consumption=%s calls=%d closing=%s", p.Month, FormatYuan(st.ConsumptionFen), st.Calls, FormatYuan(st.ClosingFen))
		n := &store.Notification{TenantOwned: store.TenantOwned{TenantID: p.TenantID}, Kind: "billing.statement", Title: "billing.notice.statement", Body: body}
		if err := tx.Create(n).Error; err != nil {
			return fmt.Errorf("create notice: %w", err)
		}
		return nil
	})
	if errors.Is(err, errStatementSent) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, ok := s.opt.Mailer.(AttachmentMailer); !ok || strings.TrimSpace(t.ContactEmail) == "" {
		return nil
	}
	if err := s.SendStatement(ctx, p.TenantID, p.Month); err != nil {
		s.log.WarnContext(ctx, "monthly statement e-mail failed", "tenant", p.TenantID, "month", p.Month, "err", err)
	}
	return nil
}
