package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// TitleInput is a tenant's invoice title (发票抬头).
type TitleInput struct {
	Company     string `json:"company"`
	TaxID       string `json:"tax_id"`
	Address     string `json:"address"`
	Phone       string `json:"phone"`
	Bank        string `json:"bank"`
	BankAccount string `json:"bank_account"`
}

// A unified social credit code is 18 characters of digits and capitals
// (older tax IDs 15 or 20); accept 15–20 so old titles still fit.
var taxIDRe = regexp.MustCompile(`^[0-9A-Z]{15,20}$`)

func (in *TitleInput) validate() error {
	in.Company, in.TaxID = strings.TrimSpace(in.Company), strings.ToUpper(strings.TrimSpace(in.TaxID))
	in.Address, in.Phone = strings.TrimSpace(in.Address), strings.TrimSpace(in.Phone)
	in.Bank, in.BankAccount = strings.TrimSpace(in.Bank), strings.TrimSpace(in.BankAccount)
	var v apperr.Validator
	v.Check(in.Company != "" && textOK(in.Company, 128), "company", "must be 1 to 128 characters on one line")
	v.Check(taxIDRe.MatchString(in.TaxID), "tax_id", "must be a tax ID of 15 to 20 digits and capital letters")
	v.Check(textOK(in.Address, 255), "address", "must be at most 255 characters on one line")
	v.Check(textOK(in.Phone, 32), "phone", "must be at most 32 characters")
	v.Check(textOK(in.Bank, 128), "bank", "must be at most 128 characters on one line")
	v.Check(textOK(in.BankAccount, 64), "bank_account", "must be at most 64 characters")
	return v.Err()
}

// ListTitles lists the context tenant's invoice titles.
func (s *Service) ListTitles(ctx context.Context) ([]store.InvoiceTitle, error) {
	var rows []store.InvoiceTitle
	if err := s.db.With(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list invoice titles: %w", err)
	}
	return rows, nil
}

// SaveTitle creates (id 0) or updates one of the context tenant's titles.
func (s *Service) SaveTitle(ctx context.Context, id uint64, in TitleInput) (*store.InvoiceTitle, error) {
	if _, ok := store.TenantFrom(ctx); !ok {
		return nil, store.ErrNoTenantScope
	}
	t := &store.InvoiceTitle{}
	if id != 0 {
		if err := s.db.With(ctx).Take(t, id).Error; err != nil {
			return nil, store.Translate(err)
		}
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	t.Company, t.TaxID, t.Address, t.Phone, t.Bank, t.BankAccount = in.Company, in.TaxID, in.Address, in.Phone, in.Bank, in.BankAccount
	if err := s.db.With(ctx).Save(t).Error; err != nil {
		return nil, fmt.Errorf("save invoice title: %w", err)
	}
	return t, nil
}

// GetTitle returns one of the context tenant's titles.
func (s *Service) GetTitle(ctx context.Context, id uint64) (*store.InvoiceTitle, error) {
	var t store.InvoiceTitle
	if err := s.db.With(ctx).Take(&t, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &t, nil
}

// DeleteTitle removes one of the context tenant's titles (issued invoices
// keep their copy).
func (s *Service) DeleteTitle(ctx context.Context, id uint64) error {
	res := s.db.With(ctx).Delete(&store.InvoiceTitle{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Invoiceable is what a tenant may still invoice: paid recharges minus
// invoices requested or issued (rejected ones give their amount back).
func (s *Service) Invoiceable(ctx context.Context, tenantID uint64) (int64, error) {
	return invoiceable(s.db.With(pctx(ctx)), tenantID)
}

func invoiceable(tx *gorm.DB, tenantID uint64) (int64, error) {
	var paid, invoiced int64
	if err := tx.Model(&store.RechargeOrder{}).Select("COALESCE(SUM(amount_fen), 0)").
		Where("tenant_id = ? AND state = ?", tenantID, store.RechargePaid).Scan(&paid).Error; err != nil {
		return 0, err
	}
	if err := tx.Model(&store.Invoice{}).Select("COALESCE(SUM(amount_fen), 0)").
		Where("tenant_id = ? AND state IN ?", tenantID, []string{store.InvoiceRequested, store.InvoiceIssued}).Scan(&invoiced).Error; err != nil {
		return 0, err
	}
	return paid - invoiced, nil
}

// InvoiceRequest asks for an invoice on a saved title.
type InvoiceRequest struct {
	TitleID   uint64 `json:"title_id"`
	AmountFen int64  `json:"amount_fen"`
	Email     string `json:"email"` // where to send the PDF, optional
}

// RequestInvoice records the context tenant's request for an invoice of up
// to its invoiceable total.
func (s *Service) RequestInvoice(ctx context.Context, in InvoiceRequest) (*store.Invoice, error) {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return nil, store.ErrNoTenantScope
	}
	in.Email = strings.TrimSpace(in.Email)
	var v apperr.Validator
	v.Check(in.AmountFen > 0 && in.AmountFen <= MaxRechargeFen, "amount_fen", "must be from 1 to 1000000000 fen")
	if in.Email != "" {
		_, err := mail.ParseAddress(in.Email)
		v.Check(err == nil && len(in.Email) <= 191 && !strings.ContainsAny(in.Email, "<>\r\n"), "email", "must be an e-mail address")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var title store.InvoiceTitle
	if err := s.db.With(ctx).Take(&title, in.TitleID).Error; err != nil {
		return nil, apperr.Invalid("title_id", "no such invoice title")
	}
	inv := &store.Invoice{TenantOwned: store.TenantOwned{TenantID: tid}, AmountFen: in.AmountFen, Company: title.Company, TaxID: title.TaxID,
		Address: title.Address, Phone: title.Phone, Bank: title.Bank, BankAccount: title.BankAccount, Email: in.Email, State: store.InvoiceRequested}
	if p, ok := tenant.PrincipalFrom(ctx); ok && p.Kind == tenant.ActorUser {
		inv.CreatedBy = p.ID
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		// The tenant's account row serialises concurrent requests, so two
		// requests cannot both spend the same invoiceable amount.
		if _, err := lockAccounts(tx.WithContext(pctx(ctx)), tid); err != nil {
			return err
		}
		avail, err := invoiceable(tx.WithContext(pctx(ctx)), tid)
		if err != nil {
			return err
		}
		if in.AmountFen > avail {
			return apperr.Invalid("amount_fen", fmt.Sprintf("exceeds the invoiceable total of %d fen", avail))
		}
		if err := tx.Create(inv).Error; err != nil {
			return fmt.Errorf("request invoice: %w", err)
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: tid, Action: "billing.invoice.request", Target: fmt.Sprintf("invoice:%d", inv.ID),
			Detail: map[string]any{"amount_fen": in.AmountFen}})
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// InvoiceFilter selects invoices.
type InvoiceFilter struct {
	TenantID uint64
	State    string
}

// ListInvoices lists invoices newest first (the context tenant's, or any
// tenant's for a platform context).
func (s *Service) ListInvoices(ctx context.Context, f InvoiceFilter, p store.Page) ([]store.Invoice, uint64, error) {
	q := s.db.With(ctx).Model(&store.Invoice{})
	if f.TenantID != 0 {
		q = q.Where("tenant_id = ?", f.TenantID)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	var rows []store.Invoice
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list invoices: %w", err)
	}
	out, next := store.Trim(p, rows, func(r store.Invoice) uint64 { return r.ID })
	return out, next, nil
}

// GetInvoice returns an invoice visible in ctx.
func (s *Service) GetInvoice(ctx context.Context, id uint64) (*store.Invoice, error) {
	var inv store.Invoice
	if err := s.db.With(ctx).Take(&inv, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &inv, nil
}

// ErrNotPDF rejects an upload that is not a PDF.
var ErrNotPDF = apperr.Invalid("file", "must be a PDF document")

// IssueInvoice is the operator marking an invoice issued with the PDF the tax
// system produced.
func (s *Service) IssueInvoice(ctx context.Context, id uint64, invoiceNo string, pdf []byte) (*store.Invoice, error) {
	invoiceNo = strings.TrimSpace(invoiceNo)
	var v apperr.Validator
	v.Check(invoiceNo != "" && textOK(invoiceNo, 64), "invoice_no", "is required, at most 64 characters")
	v.Check(len(pdf) <= s.opt.MaxInvoicePDF, "file", fmt.Sprintf("must be at most %d bytes", s.opt.MaxInvoicePDF))
	if len(pdf) <= s.opt.MaxInvoicePDF {
		v.Check(isPDF(pdf), "file", "must be a PDF document")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.review(ctx, id, func(tx *gorm.DB, inv *store.Invoice) (map[string]any, error) {
		if err := tx.Create(&store.InvoiceFile{InvoiceID: inv.ID, Data: pdf}).Error; err != nil {
			return nil, fmt.Errorf("store invoice PDF: %w", err)
		}
		return map[string]any{"state": store.InvoiceIssued, "invoice_no": invoiceNo, "pdf_size": len(pdf)}, nil
	}, "billing.invoice.issue", map[string]any{"invoice_no": invoiceNo, "pdf_size": len(pdf)})
}

// RejectInvoice returns a request to the tenant with a reason; its amount
// becomes invoiceable again.
func (s *Service) RejectInvoice(ctx context.Context, id uint64, reason string) (*store.Invoice, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || !textOK(reason, 255) {
		return nil, apperr.Invalid("reason", "is required, at most 255 characters on one line")
	}
	return s.review(ctx, id, func(*gorm.DB, *store.Invoice) (map[string]any, error) {
		return map[string]any{"state": store.InvoiceRejected, "reject_reason": reason}, nil
	}, "billing.invoice.reject", map[string]any{"reason": reason})
}

func (s *Service) review(ctx context.Context, id uint64, fn func(*gorm.DB, *store.Invoice) (map[string]any, error), action string, detail any) (*store.Invoice, error) {
	ctx = pctx(ctx)
	inv, err := s.GetInvoice(ctx, id)
	if err != nil {
		return nil, err
	}
	var staffID uint64
	if p, ok := tenant.PrincipalFrom(ctx); ok && p.Kind == tenant.ActorStaff {
		staffID = p.ID
	}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		upd, err := fn(tx, inv)
		if err != nil {
			return err
		}
		upd["reviewed_by"], upd["reviewed_at"] = staffID, s.now()
		res := tx.Model(&store.Invoice{}).Where("id = ? AND state = ?", id, store.InvoiceRequested).Updates(upd)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.Coded(409, "invoice_not_requested", "only a requested invoice can be reviewed")
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: inv.TenantID, Action: action, Target: fmt.Sprintf("invoice:%d", id), Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	return s.GetInvoice(ctx, id)
}

// InvoicePDF returns an issued invoice's PDF, if visible in ctx.
func (s *Service) InvoicePDF(ctx context.Context, id uint64) ([]byte, error) {
	inv, err := s.GetInvoice(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.State != store.InvoiceIssued {
		return nil, store.ErrNotFound
	}
	var f store.InvoiceFile
	if err := s.db.With(pctx(ctx)).Take(&f, "invoice_id = ?", id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return f.Data, nil
}

// isPDF checks the PDF header and trailer: "%PDF-1.x" at the start and
// "%%EOF" near the end (readers tolerate trailing bytes; so do we, up to 1 KiB).
func isPDF(b []byte) bool {
	if len(b) < 16 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		return false
	}
	tail := b[max(0, len(b)-1024):]
	return bytes.Contains(tail, []byte("%%EOF"))
}
