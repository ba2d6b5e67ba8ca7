package billing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
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

// Attachment is a file sent with an e-mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// AttachmentMailer is a Mailer that can also send files (statements).
type AttachmentMailer interface {
	SendWithAttachment(ctx context.Context, to []string, subject, body string, a Attachment) error
}

// Send delivers the message.
func (m *SMTPMailer) Send(ctx context.Context, to []string, subject, body string) error {
	return m.send(ctx, to, subject, body, nil)
}

// SendWithAttachment delivers a message with one attached file (multipart/mixed).
func (m *SMTPMailer) SendWithAttachment(ctx context.Context, to []string, subject, body string, a Attachment) error {
	return m.send(ctx, to, subject, body, &a)
}

func (m *SMTPMailer) send(ctx context.Context, to []string, subject, body string, att *Attachment) error {
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
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		m.From, strings.Join(to, ", "), mime.BEncoding.Encode("UTF-8", subject), time.Now().UTC().Format(time.RFC1123Z))
	text := "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n")
	if att == nil {
		b.WriteString(text)
	} else {
		boundary := "waihu-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n--%s\r\n%s\r\n--%s\r\n", boundary, boundary, text, boundary)
		fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=%q\r\n\r\n",
			att.ContentType, mime.BEncoding.Encode("UTF-8", att.Name))
		enc := base64.StdEncoding.EncodeToString(att.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		fmt.Fprintf(&b, "%s\r\n--%s--\r\n", enc, boundary)
	}
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

// RegisterJobs hooks billing to the job runner: the low-balance alert, the
// periodic reconciliation of holds, and the monthly statements.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	r.Handle(JobLowBalance, s.sendLowBalance)
	r.Every(jobs.Periodic{Kind: "billing.reconcile", Every: s.opt.ReconcileEvery, Run: func(ctx context.Context) error {
		_, err := s.Reconcile(ctx)
		return err
	}})
	r.Handle(JobMonthlyStatement, s.SendMonthlyStatement)
	r.Every(jobs.Periodic{Kind: jobScheduleStatements, Every: s.opt.StatementCheckEvery, Run: func(ctx context.Context) error {
		n, err := s.ScheduleStatements(ctx)
		if n > 0 {
			r.Nudge()
		}
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

// SendStatement e-mails a tenant's monthly statement (XLSX attached) to its
// contact address, and records that in the audit log.
func (s *Service) SendStatement(ctx context.Context, tenantID uint64, month string) error {
	ctx = pctx(ctx)
	var buf bytes.Buffer
	if err := s.WriteStatementXLSX(ctx, &buf, tenantID, month); err != nil {
		return err
	}
	m, ok := s.opt.Mailer.(AttachmentMailer)
	if !ok {
		return apperr.Coded(409, "mail_not_configured", "e-mail (SMTP) is not configured")
	}
	var t store.Tenant
	if err := s.db.With(ctx).Take(&t, tenantID).Error; err != nil {
		return store.Translate(err)
	}
	if t.ContactEmail == "" {
		return apperr.Coded(409, "no_contact_email", "the tenant has no contact e-mail")
	}
	body := fmt.Sprintf("%s:\n\n附件为贵司 %s 月的对账单。\nAttached is your statement for %s.\n", t.Name, month, month)
	att := Attachment{Name: fmt.Sprintf("statement-%s.xlsx", month), ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: buf.Bytes()}
	if err := m.SendWithAttachment(ctx, []string{t.ContactEmail}, "对账单 / Statement "+month, body, att); err != nil {
		return err
	}
	return s.accounts.Audit(ctx, tenant.Entry{TenantID: tenantID, Action: "billing.statement.send", Target: fmt.Sprintf("tenant:%d", tenantID),
		Detail: map[string]any{"month": month, "to": t.ContactEmail}})
}
