package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// Mailer sends one plain-text e-mail.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// SMTPMailer sends through an SMTP relay (STARTTLS when the server offers
// it; authentication only when a user is configured).
type SMTPMailer struct {
	Addr     string // host:port
	From     string
	Username string
	Password string
}

// Send delivers the message.
func (m *SMTPMailer) Send(ctx context.Context, to []string, subject, body string) error {
	if m.Addr == "" || m.From == "" {
		return fmt.Errorf("smtp: address and sender required")
	}
	for _, addr := range append([]string{m.From}, to...) {
		if strings.ContainsAny(addr, "\r\n") {
			return fmt.Errorf("smtp: bad address %q", addr)
		}
	}
	var auth smtp.Auth
	if m.Username != "" {
		host, _, _ := net.SplitHostPort(m.Addr)
		auth = smtp.PlainAuth("", m.Username, m.Password, host)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		m.From, strings.Join(to, ", "), mime.BEncoding.Encode("UTF-8", subject), time.Now().UTC().Format(time.RFC1123Z))
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(m.Addr, auth, m.From, to, []byte(b.String())) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("smtp send: %w", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RegisterJobs hooks billing to the job runner: the low-balance alert and
// the periodic reconciliation of holds.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	r.Handle(JobLowBalance, s.sendLowBalance)
	r.Every(jobs.Periodic{Kind: "billing.reconcile", Every: s.opt.ReconcileEvery, Run: func(ctx context.Context) error {
		_, err := s.Reconcile(ctx)
		return err
	}})
}

// sendLowBalance writes the in-console notice (once, with the job's
// completion), then e-mails the tenant's contact and runs the webhook hook.
// Mail and webhook are best effort: a failure is logged, not retried, so a
// flaky relay cannot send the same alert ten times.
func (s *Service) sendLowBalance(ctx context.Context, task *store.OutboxTask) error {
	var p lowBalancePayload
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil || p.TenantID == 0 {
		return fmt.Errorf("low-balance payload %q: %w", task.Payload, jobs.ErrPermanent)
	}
	var t store.Tenant
	if err := s.db.With(pctx(ctx)).Take(&t, p.TenantID).Error; err != nil {
		return fmt.Errorf("low-balance alert: %w", err)
	}
	yuan := FormatYuan(p.AvailableFen)
	err := s.db.Tx(store.WithTenant(ctx, p.TenantID), func(tx *gorm.DB) error {
		n := &store.Notification{Kind: "billing.low_balance", Title: "billing.notice.low_balance", Body: yuan}
		if err := tx.Create(n).Error; err != nil {
			return fmt.Errorf("create notice: %w", err)
		}
		return jobs.MarkDone(ctx, tx, task)
	})
	if err != nil {
		return err
	}
	if s.opt.Mailer != nil && t.ContactEmail != "" {
		subject := "余额不足提醒 / Low balance"
		body := fmt.Sprintf("%s:\n\n您的账户可用余额为 ¥%s,请及时充值以免外呼任务暂停。\nYour available balance is ¥%s. Recharge to keep your campaigns running.\n", t.Name, yuan, yuan)
		if err := s.opt.Mailer.Send(ctx, []string{t.ContactEmail}, subject, body); err != nil {
			s.log.WarnContext(ctx, "low-balance e-mail failed", "tenant", t.ID, "err", err)
		}
	}
	if s.Hooks.LowBalance != nil {
		if err := s.Hooks.LowBalance(ctx, p.TenantID, p.AvailableFen); err != nil {
			s.log.WarnContext(ctx, "low-balance hook failed", "tenant", t.ID, "err", err)
		}
	}
	return nil
}

// FormatYuan renders fen as yuan with two decimals ("-12.05").
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
