package httpapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/store"
)

// ---- JSON shapes ----

type pricePlanJSON struct {
	ID              uint64 `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	PerMinuteFen    int64  `json:"per_minute_fen"`
	IncrementSec    int    `json:"increment_sec"`
	FreeSec         int    `json:"free_sec"`
	MinChargeFen    int64  `json:"min_charge_fen"`
	PerCallFen      int64  `json:"per_call_fen"`
	ASRPerMinuteFen int64  `json:"asr_per_minute_fen"`
	TTSPer1kFen     int64  `json:"tts_per_1k_chars_fen"`
	LLMPer1kFen     int64  `json:"llm_per_1k_tokens_fen"`
	IsDefault       bool   `json:"is_default"`
	Active          bool   `json:"active"`
}

func toPlan(p *store.PricePlan) pricePlanJSON {
	return pricePlanJSON{ID: p.ID, Name: p.Name, Description: p.Description, PerMinuteFen: p.PerMinuteFen, IncrementSec: p.IncrementSec,
		FreeSec: p.FreeSec, MinChargeFen: p.MinChargeFen, PerCallFen: p.PerCallFen, ASRPerMinuteFen: p.ASRPerMinuteFen,
		TTSPer1kFen: p.TTSPer1kFen, LLMPer1kFen: p.LLMPer1kFen, IsDefault: p.IsDefault, Active: p.Active}
}

type rechargeJSON struct {
	ID           uint64     `json:"id"`
	TenantID     uint64     `json:"tenant_id"`
	No           string     `json:"no"`
	AmountFen    int64      `json:"amount_fen"`
	Method       string     `json:"method"`
	State        string     `json:"state"`
	PayerName    string     `json:"payer_name"`
	Note         string     `json:"note"`
	Reference    string     `json:"reference"`
	RejectReason string     `json:"reject_reason"`
	ConfirmedAt  *time.Time `json:"confirmed_at"`
	CreatedAt    time.Time  `json:"created_at"`
	PayURL       string     `json:"pay_url,omitempty"`
}

func toRecharge(o *store.RechargeOrder) rechargeJSON {
	return rechargeJSON{ID: o.ID, TenantID: o.TenantID, No: o.No, AmountFen: o.AmountFen, Method: o.Method, State: o.State, PayerName: o.PayerName,
		Note: o.Note, Reference: o.Reference, RejectReason: o.RejectReason, ConfirmedAt: o.ConfirmedAt, CreatedAt: o.CreatedAt}
}

type invoiceTitleJSON struct {
	ID          uint64 `json:"id"`
	Company     string `json:"company"`
	TaxID       string `json:"tax_id"`
	Address     string `json:"address"`
	Phone       string `json:"phone"`
	Bank        string `json:"bank"`
	BankAccount string `json:"bank_account"`
}

func toTitle(t *store.InvoiceTitle) invoiceTitleJSON {
	return invoiceTitleJSON{ID: t.ID, Company: t.Company, TaxID: t.TaxID, Address: t.Address, Phone: t.Phone, Bank: t.Bank, BankAccount: t.BankAccount}
}

type invoiceJSON struct {
	ID           uint64     `json:"id"`
	TenantID     uint64     `json:"tenant_id"`
	AmountFen    int64      `json:"amount_fen"`
	Company      string     `json:"company"`
	TaxID        string     `json:"tax_id"`
	Address      string     `json:"address"`
	Phone        string     `json:"phone"`
	Bank         string     `json:"bank"`
	BankAccount  string     `json:"bank_account"`
	Email        string     `json:"email"`
	State        string     `json:"state"`
	RejectReason string     `json:"reject_reason"`
	InvoiceNo    string     `json:"invoice_no"`
	PDFSize      int        `json:"pdf_size"`
	ReviewedAt   *time.Time `json:"reviewed_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toInvoice(i *store.Invoice) invoiceJSON {
	return invoiceJSON{ID: i.ID, TenantID: i.TenantID, AmountFen: i.AmountFen, Company: i.Company, TaxID: i.TaxID, Address: i.Address, Phone: i.Phone,
		Bank: i.Bank, BankAccount: i.BankAccount, Email: i.Email, State: i.State, RejectReason: i.RejectReason, InvoiceNo: i.InvoiceNo,
		PDFSize: i.PDFSize, ReviewedAt: i.ReviewedAt, CreatedAt: i.CreatedAt}
}

type callChargeJSON struct {
	AttemptUUID string    `json:"attempt_uuid"`
	CampaignID  uint64    `json:"campaign_id"`
	PlanID      uint64    `json:"plan_id"`
	Source      string    `json:"source"`
	BillSec     int       `json:"bill_sec"`
	BilledSec   int       `json:"billed_sec"`
	VoiceFen    int64     `json:"voice_fen"`
	PerCallFen  int64     `json:"per_call_fen"`
	ASRFen      int64     `json:"asr_fen"`
	TTSFen      int64     `json:"tts_fen"`
	LLMFen      int64     `json:"llm_fen"`
	MinimumFen  int64     `json:"minimum_fen"`
	TotalFen    int64     `json:"total_fen"`
	UnpaidFen   int64     `json:"unpaid_fen"`
	CreatedAt   time.Time `json:"created_at"`
}

func toCallCharge(c *store.CallCharge) callChargeJSON {
	return callChargeJSON{AttemptUUID: c.AttemptUUID, CampaignID: c.CampaignID, PlanID: c.PlanID, Source: c.Source, BillSec: c.BillSec, BilledSec: c.BilledSec,
		VoiceFen: c.VoiceFen, PerCallFen: c.PerCallFen, ASRFen: c.ASRFen, TTSFen: c.TTSFen, LLMFen: c.LLMFen, MinimumFen: c.MinimumFen,
		TotalFen: c.TotalFen, UnpaidFen: c.UnpaidFen, CreatedAt: c.CreatedAt}
}

type adjustmentJSON struct {
	ID        uint64    `json:"id"`
	TenantID  uint64    `json:"tenant_id"`
	Kind      string    `json:"kind"`
	AmountFen int64     `json:"amount_fen"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

type balanceJSON struct {
	billing.Balance
	Plan           *pricePlanJSON `json:"plan"`
	InvoiceableFen int64          `json:"invoiceable_fen"`
	PaymentMethods []string       `json:"payment_methods"`
}

type itemsOf[T any] struct {
	Items []T `json:"items"`
}

type referenceRequest struct {
	Reference string `json:"reference"`
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

type monthRequest struct {
	Month string `json:"month"`
}

type assignPlanRequest struct {
	PlanID uint64 `json:"plan_id"`
}

type creditLimitRequest struct {
	CreditLimitFen int64  `json:"credit_limit_fen"`
	Reason         string `json:"reason"`
}

type issueInvoiceRequest struct {
	InvoiceNo string `json:"invoice_no"`
	// PDFBase64 is the invoice PDF, base64 encoded; the request body limit
	// bounds it (about 750 KB of PDF under the default 1 MiB).
	PDFBase64 string `json:"pdf_base64"`
}

var ledgerFilterParams = []QueryParam{{"kind", "string", "charge, correction, recharge, gift, adjustment or collect"},
	{"from", "string", "first day YYYY-MM-DD"}, {"to", "string", "last day YYYY-MM-DD"}, {"campaign_id", "integer", "campaign"}}

var ledgerParams = append(append([]QueryParam{}, ledgerFilterParams...), pageParams...)

var rangeParams = []QueryParam{{"by", "string", "day or month (tenant); day or tenant (revenue)"}, {"from", "string", "first day YYYY-MM-DD"}, {"to", "string", "last day YYYY-MM-DD"}}

var monthParam = []QueryParam{{"month", "string", "YYYY-MM"}}

func (s *Server) registerBilling() {
	const tag, atag = "billing", "admin-billing"
	// Tenant side.
	s.add(Route{Method: http.MethodGet, Path: "/billing/balance", Tag: tag, Summary: "Balance, held funds, credit, plan and invoiceable total", Auth: AuthTenant,
		Response: balanceJSON{}, Handler: s.billingBalance})
	s.add(Route{Method: http.MethodGet, Path: "/billing/ledger", Tag: tag, Summary: "Ledger lines, newest first", Auth: AuthTenant, MinRole: store.RoleManager,
		Query: ledgerParams, Response: listOf[billing.LedgerRow]{}, Handler: s.billingLedger})
	s.add(Route{Method: http.MethodGet, Path: "/billing/consumption", Tag: tag, Summary: "Call consumption by day or month and campaign", Auth: AuthTenant,
		MinRole: store.RoleManager, Query: rangeParams, Response: itemsOf[billing.ConsumptionRow]{}, Handler: s.billingConsumption})
	s.add(Route{Method: http.MethodGet, Path: "/billing/statement", Tag: tag, Summary: "Monthly statement", Auth: AuthTenant, MinRole: store.RoleManager,
		Query: monthParam, Response: billing.Statement{}, Handler: s.billingStatement})
	s.add(Route{Method: http.MethodGet, Path: "/billing/statement.xlsx", Tag: tag, Summary: "Monthly statement as XLSX", Auth: AuthTenant, MinRole: store.RoleManager,
		Query: monthParam, Handler: s.billingStatementXLSX})
	s.add(Route{Method: http.MethodGet, Path: "/billing/call-charges.xlsx", Tag: tag, Summary: "Per-call cost breakdown between two days as XLSX", Auth: AuthTenant,
		MinRole: store.RoleManager, Query: rangeParams[1:], Handler: s.billingCallChargesXLSX})
	s.add(Route{Method: http.MethodGet, Path: "/billing/call-charge", Tag: tag, Summary: "One call's cost breakdown", Auth: AuthTenant,
		Query: []QueryParam{{"attempt_uuid", "string", "the call attempt's UUID"}}, Response: callChargeJSON{}, Handler: s.billingCallCharge})
	s.add(Route{Method: http.MethodGet, Path: "/billing/recharges", Tag: tag, Summary: "Recharge orders", Auth: AuthTenant, MinRole: store.RoleManager,
		Query: append([]QueryParam{{"state", "string", "pending, paid, canceled or rejected"}}, pageParams...), Response: listOf[rechargeJSON]{}, Handler: s.billingListRecharges})
	s.add(Route{Method: http.MethodPost, Path: "/billing/recharges", Tag: tag, Summary: "Create a recharge order", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Request: billing.NewRecharge{}, Response: rechargeJSON{}, Status: http.StatusCreated, Handler: s.billingCreateRecharge})
	s.add(Route{Method: http.MethodPost, Path: "/billing/recharges/:id/cancel", Tag: tag, Summary: "Cancel a pending recharge order", Auth: AuthTenant,
		MinRole: store.RoleAdmin, Resource: "recharge", Response: rechargeJSON{}, Handler: s.billingCancelRecharge})
	s.add(Route{Method: http.MethodGet, Path: "/billing/invoice-titles", Tag: tag, Summary: "Invoice titles", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Response: itemsOf[invoiceTitleJSON]{}, Handler: s.billingListTitles})
	s.add(Route{Method: http.MethodPost, Path: "/billing/invoice-titles", Tag: tag, Summary: "Save an invoice title", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Request: billing.TitleInput{}, Response: invoiceTitleJSON{}, Status: http.StatusCreated, Handler: s.billingSaveTitle})
	s.add(Route{Method: http.MethodPut, Path: "/billing/invoice-titles/:id", Tag: tag, Summary: "Change an invoice title", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Resource: "invoice_title", Request: billing.TitleInput{}, Response: invoiceTitleJSON{}, Handler: s.billingSaveTitle})
	s.add(Route{Method: http.MethodDelete, Path: "/billing/invoice-titles/:id", Tag: tag, Summary: "Delete an invoice title", Auth: AuthTenant, MinRole: store.RoleAdmin,
		Resource: "invoice_title", Status: http.StatusNoContent, Handler: s.billingDeleteTitle})
	s.add(Route{Method: http.MethodGet, Path: "/billing/invoices", Tag: tag, Summary: "Invoices", Auth: AuthTenant, MinRole: store.RoleManager,
		Query: append([]QueryParam{{"state", "string", "requested, issued or rejected"}}, pageParams...), Response: listOf[invoiceJSON]{}, Handler: s.billingListInvoices})
	s.add(Route{Method: http.MethodPost, Path: "/billing/invoices", Tag: tag, Summary: "Request an invoice (up to the invoiceable total)", Auth: AuthTenant,
		MinRole: store.RoleAdmin, Request: billing.InvoiceRequest{}, Response: invoiceJSON{}, Status: http.StatusCreated, Handler: s.billingRequestInvoice})
	s.add(Route{Method: http.MethodGet, Path: "/billing/invoices/:id/pdf", Tag: tag, Summary: "Download an issued invoice's PDF", Auth: AuthTenant,
		MinRole: store.RoleManager, Resource: "invoice", Handler: s.billingInvoicePDF})
	s.add(Route{Method: http.MethodPost, Path: "/billing/notify/:provider", Tag: tag, Summary: "Payment provider callback (Alipay: signed form; WeChat Pay v3: JSON signed in headers)", Auth: AuthNone,
		Handler: s.billingNotify})

	// Operator side.
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/plans", Tag: atag, Summary: "Price plans", Auth: AuthStaff, Area: "plans.read",
		Response: itemsOf[pricePlanJSON]{}, Handler: s.adminListPlans})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/plans", Tag: atag, Summary: "Create a price plan", Auth: AuthStaff, Area: "plans",
		Request: billing.PlanInput{}, Response: pricePlanJSON{}, Status: http.StatusCreated, Handler: s.adminSavePlan})
	s.add(Route{Method: http.MethodPut, Path: "/admin/billing/plans/:id", Tag: atag, Summary: "Change a price plan", Auth: AuthStaff, Area: "plans",
		Resource: "plan", Request: billing.PlanInput{}, Response: pricePlanJSON{}, Handler: s.adminSavePlan})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/balances", Tag: atag, Summary: "Every tenant's balance", Auth: AuthStaff, Area: "billing",
		Query: pageParams, Response: listOf[billing.TenantBalance]{}, Handler: s.adminListBalances})
	s.add(Route{Method: http.MethodPut, Path: "/admin/billing/tenants/:id/plan", Tag: atag, Summary: "Assign a price plan (0 = default)", Auth: AuthStaff, Area: "billing",
		Resource: "tenant", Request: assignPlanRequest{}, Response: balanceJSON{}, Handler: s.adminAssignPlan})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/tenants/:id/balance", Tag: atag, Summary: "A tenant's balance", Auth: AuthStaff, Area: "billing",
		Resource: "tenant", Response: balanceJSON{}, Handler: s.adminTenantBalance})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/tenants/:id/adjustments", Tag: atag, Summary: "Gift or manual adjustment (reason required)", Auth: AuthStaff,
		Area: "billing", Resource: "tenant", Request: billing.NewAdjustment{}, Response: adjustmentJSON{}, Status: http.StatusCreated, Handler: s.adminAdjust})
	s.add(Route{Method: http.MethodPut, Path: "/admin/billing/tenants/:id/credit-limit", Tag: atag, Summary: "Set a tenant's credit limit (reason required)", Auth: AuthStaff,
		Area: "billing", Resource: "tenant", Request: creditLimitRequest{}, Response: balanceJSON{}, Handler: s.adminCreditLimit})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/tenants/:id/ledger", Tag: atag, Summary: "A tenant's ledger", Auth: AuthStaff, Area: "billing",
		Resource: "tenant", Query: ledgerParams, Response: listOf[billing.LedgerRow]{}, Handler: s.adminTenantLedger})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/tenants/:id/ledger/summary", Tag: atag, Summary: "Totals of a tenant's ledger lines under the same filters",
		Auth: AuthStaff, Area: "billing", Resource: "tenant", Query: ledgerFilterParams, Response: billing.LedgerTotals{}, Handler: s.adminLedgerSummary})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/tenants/:id/ledger.xlsx", Tag: atag, Summary: "A tenant's ledger lines as XLSX (oldest first, running total, totals row)",
		Auth: AuthStaff, Area: "billing", Resource: "tenant", Query: ledgerFilterParams, Handler: s.adminLedgerXLSX})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/tenants/:id/statement.xlsx", Tag: atag, Summary: "A tenant's monthly statement as XLSX (to send)", Auth: AuthStaff,
		Area: "billing", Resource: "tenant", Query: monthParam, Handler: s.adminStatementXLSX})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/tenants/:id/statement/send", Tag: atag, Summary: "E-mail a tenant its monthly statement (XLSX)",
		Auth: AuthStaff, Area: "billing", Resource: "tenant", Request: monthRequest{}, Status: http.StatusNoContent, Handler: s.adminSendStatement})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/recharges", Tag: atag, Summary: "Recharge orders of every tenant", Auth: AuthStaff, Area: "billing",
		Query:    append([]QueryParam{{"state", "string", "pending, paid, canceled or rejected"}, {"tenant_id", "integer", "tenant"}}, pageParams...),
		Response: listOf[rechargeJSON]{}, Handler: s.adminListRecharges})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/recharges/:id/confirm", Tag: atag, Summary: "Confirm a bank transfer arrived (credits the tenant once)",
		Auth: AuthStaff, Area: "billing", Resource: "recharge", Request: referenceRequest{}, Response: rechargeJSON{}, Handler: s.adminConfirmRecharge})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/recharges/:id/reject", Tag: atag, Summary: "Reject a recharge order that was not paid",
		Auth: AuthStaff, Area: "billing", Resource: "recharge", Request: reasonRequest{}, Response: rechargeJSON{}, Handler: s.adminRejectRecharge})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/invoices", Tag: atag, Summary: "Invoice queue", Auth: AuthStaff, Area: "billing",
		Query:    append([]QueryParam{{"state", "string", "requested, issued or rejected"}, {"tenant_id", "integer", "tenant"}}, pageParams...),
		Response: listOf[invoiceJSON]{}, Handler: s.adminListInvoices})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/invoices/:id/issue", Tag: atag, Summary: "Mark an invoice issued with its PDF", Auth: AuthStaff,
		Area: "billing", Resource: "invoice", Request: issueInvoiceRequest{}, Response: invoiceJSON{}, Handler: s.adminIssueInvoice})
	s.add(Route{Method: http.MethodPost, Path: "/admin/billing/invoices/:id/reject", Tag: atag, Summary: "Reject an invoice request with a reason", Auth: AuthStaff,
		Area: "billing", Resource: "invoice", Request: reasonRequest{}, Response: invoiceJSON{}, Handler: s.adminRejectInvoice})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/invoices/:id/pdf", Tag: atag, Summary: "An issued invoice's PDF", Auth: AuthStaff, Area: "billing",
		Resource: "invoice", Handler: s.adminInvoicePDF})
	s.add(Route{Method: http.MethodGet, Path: "/admin/billing/revenue", Tag: atag, Summary: "Call revenue by day or by tenant", Auth: AuthStaff, Area: "billing",
		Query: rangeParams, Response: itemsOf[billing.RevenueRow]{}, Handler: s.adminRevenue})
}

// ctxTenant is the request's tenant (set by requireTenant).
func ctxTenant(c *gin.Context) uint64 {
	id, _ := store.TenantFrom(c.Request.Context())
	return id
}

func queryID(c *gin.Context, name string) (uint64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, apperr.Invalid(name, "must be a positive integer id")
	}
	return n, nil
}

func ledgerFilter(c *gin.Context) (billing.LedgerFilter, store.Page, error) {
	p, err := pageFrom(c)
	if err != nil {
		return billing.LedgerFilter{}, p, err
	}
	f := billing.LedgerFilter{Kind: c.Query("kind"), From: c.Query("from"), To: c.Query("to")}
	f.CampaignID, err = queryID(c, "campaign_id")
	return f, p, err
}

func (s *Server) balanceOf(c *gin.Context, tenantID uint64) (*balanceJSON, error) {
	ctx := c.Request.Context()
	b, err := s.deps.Billing.GetBalance(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := &balanceJSON{Balance: *b, PaymentMethods: s.deps.Billing.PaymentMethods()}
	if p, err := s.deps.Billing.TenantPlan(ctx, tenantID); err == nil && p.ID != 0 {
		pj := toPlan(p)
		out.Plan = &pj
	}
	if out.InvoiceableFen, err = s.deps.Billing.Invoiceable(ctx, tenantID); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) billingBalance(c *gin.Context) {
	out, err := s.balanceOf(c, ctxTenant(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) billingLedger(c *gin.Context) { s.ledgerFor(c, ctxTenant(c)) }

func (s *Server) ledgerFor(c *gin.Context, tenantID uint64) {
	f, p, err := ledgerFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Billing.Ledger(c.Request.Context(), tenantID, f, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf[billing.LedgerRow]{Items: rows, NextCursor: encodeCursor(next)})
}

func (s *Server) billingConsumption(c *gin.Context) {
	rows, err := s.deps.Billing.Consumption(c.Request.Context(), ctxTenant(c), c.DefaultQuery("by", "day"), c.Query("from"), c.Query("to"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsOf[billing.ConsumptionRow]{Items: append([]billing.ConsumptionRow{}, rows...)})
}

func (s *Server) billingStatement(c *gin.Context) {
	st, err := s.deps.Billing.MonthStatement(c.Request.Context(), ctxTenant(c), c.Query("month"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) billingStatementXLSX(c *gin.Context) { s.statementXLSX(c, ctxTenant(c)) }

func (s *Server) statementXLSX(c *gin.Context, tenantID uint64) {
	month := c.Query("month")
	// Build first so an error is still a JSON error, not half a workbook.
	if _, err := s.deps.Billing.MonthStatement(c.Request.Context(), tenantID, month); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="statement-%d-%s.xlsx"`, tenantID, month))
	if err := s.deps.Billing.WriteStatementXLSX(c.Request.Context(), c.Writer, tenantID, month); err != nil {
		fail(c, err)
	}
}

func (s *Server) billingCallChargesXLSX(c *gin.Context) {
	from, to := c.Query("from"), c.Query("to")
	// Validate before the first byte, so bad input is a JSON error.
	if _, err := s.deps.Billing.Consumption(c.Request.Context(), ctxTenant(c), "day", from, to); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="calls-%s-%s.xlsx"`, from, to))
	if err := s.deps.Billing.WriteCallChargesXLSX(c.Request.Context(), c.Writer, ctxTenant(c), from, to); err != nil {
		fail(c, err)
	}
}

func (s *Server) billingCallCharge(c *gin.Context) {
	uuid := c.Query("attempt_uuid")
	if uuid == "" || len(uuid) > 36 {
		fail(c, apperr.Invalid("attempt_uuid", "must be a call attempt UUID"))
		return
	}
	cc, err := s.deps.Billing.GetCallCharge(c.Request.Context(), uuid)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCallCharge(cc))
}

var rechargeStates = map[string]bool{"": true, store.RechargePending: true, store.RechargePaid: true, store.RechargeCanceled: true, store.RechargeRejected: true}
var invoiceStates = map[string]bool{"": true, store.InvoiceRequested: true, store.InvoiceIssued: true, store.InvoiceRejected: true}

func (s *Server) billingListRecharges(c *gin.Context) { s.listRecharges(c, ctxTenant(c)) }

func (s *Server) listRecharges(c *gin.Context, tenantID uint64) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	if !rechargeStates[c.Query("state")] {
		fail(c, apperr.Invalid("state", "must be pending, paid, canceled or rejected"))
		return
	}
	rows, next, err := s.deps.Billing.ListRecharges(c.Request.Context(), billing.RechargeFilter{TenantID: tenantID, State: c.Query("state")}, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toRecharge))
}

func (s *Server) billingCreateRecharge(c *gin.Context) {
	var in billing.NewRecharge
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	o, err := s.deps.Billing.CreateRecharge(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	out := toRecharge(o)
	if o.Method != store.RechargeBank {
		base := strings.TrimRight(s.deps.Config.PublicURL, "/")
		if out.PayURL, err = s.deps.Billing.CheckoutURL(c.Request.Context(), o, base+apiBase+"/billing/notify/"+o.Method); err != nil {
			fail(c, err)
			return
		}
	}
	c.JSON(http.StatusCreated, out)
}

func (s *Server) billingCancelRecharge(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	o, err := s.deps.Billing.CancelRecharge(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRecharge(o))
}

func (s *Server) billingListTitles(c *gin.Context) {
	rows, err := s.deps.Billing.ListTitles(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := itemsOf[invoiceTitleJSON]{Items: make([]invoiceTitleJSON, len(rows))}
	for i := range rows {
		out.Items[i] = toTitle(&rows[i])
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) billingSaveTitle(c *gin.Context) {
	var id uint64
	status := http.StatusCreated
	if c.Param("id") != "" {
		var err error
		if id, err = pathID(c, "id"); err != nil {
			fail(c, err)
			return
		}
		status = http.StatusOK
		// Another tenant's id is a 404 whatever the body says.
		if _, err := s.deps.Billing.GetTitle(c.Request.Context(), id); err != nil {
			fail(c, err)
			return
		}
	}
	var in billing.TitleInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.Billing.SaveTitle(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, toTitle(t))
}

func (s *Server) billingDeleteTitle(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Billing.DeleteTitle(c.Request.Context(), id); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) billingListInvoices(c *gin.Context) { s.listInvoices(c, ctxTenant(c)) }

func (s *Server) listInvoices(c *gin.Context, tenantID uint64) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	if !invoiceStates[c.Query("state")] {
		fail(c, apperr.Invalid("state", "must be requested, issued or rejected"))
		return
	}
	rows, next, err := s.deps.Billing.ListInvoices(c.Request.Context(), billing.InvoiceFilter{TenantID: tenantID, State: c.Query("state")}, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, list(rows, next, toInvoice))
}

func (s *Server) billingRequestInvoice(c *gin.Context) {
	var in billing.InvoiceRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	inv, err := s.deps.Billing.RequestInvoice(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toInvoice(inv))
}

func (s *Server) billingInvoicePDF(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	pdf, err := s.deps.Billing.InvoicePDF(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="invoice-%d.pdf"`, id))
	c.Data(http.StatusOK, "application/pdf", pdf)
}

// billingNotify is a payment provider's server-to-server callback: a form
// POST whose signature is the only authentication, so it needs no session
// and no CSRF token. The answer body is what the provider expects.
func (s *Server) billingNotify(c *gin.Context) {
	// The body as sent: WeChat Pay signs the raw JSON, Alipay a form.
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		fail(c, badRequest("the body is unreadable or larger than 1 MiB"))
		return
	}
	ack, err := s.deps.Billing.HandleNotifyRequest(c.Request.Context(), c.Param("provider"), c.Request.Header, body)
	if err != nil {
		if errors.Is(err, billing.ErrBadSignature) {
			fail(c, apperr.Coded(http.StatusBadRequest, "bad_signature", "the notification's signature does not verify"))
			return
		}
		fail(c, err)
		return
	}
	c.String(http.StatusOK, ack)
}

// ---- operator ----

func (s *Server) adminListPlans(c *gin.Context) {
	rows, err := s.deps.Billing.ListPlans(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := itemsOf[pricePlanJSON]{Items: make([]pricePlanJSON, len(rows))}
	for i := range rows {
		out.Items[i] = toPlan(&rows[i])
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminSavePlan(c *gin.Context) {
	var id uint64
	status := http.StatusCreated
	if c.Param("id") != "" {
		var err error
		if id, err = pathID(c, "id"); err != nil {
			fail(c, err)
			return
		}
		status = http.StatusOK
	}
	var in billing.PlanInput
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	p, err := s.deps.Billing.SavePlan(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, toPlan(p))
}

func (s *Server) adminListBalances(c *gin.Context) {
	p, err := pageFrom(c)
	if err != nil {
		fail(c, err)
		return
	}
	rows, next, err := s.deps.Billing.ListBalances(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf[billing.TenantBalance]{Items: append([]billing.TenantBalance{}, rows...), NextCursor: encodeCursor(next)})
}

// adminTenant reads the :id tenant, so a missing tenant is a 404 before any body is read.
func (s *Server) adminTenant(c *gin.Context) (uint64, bool) {
	id, err := pathID(c, "id")
	if err == nil {
		_, err = s.deps.Accounts.GetTenant(c.Request.Context(), id)
	}
	if err != nil {
		fail(c, err)
		return 0, false
	}
	return id, true
}

func (s *Server) adminTenantBalance(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	out, err := s.balanceOf(c, id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) adminAssignPlan(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	var in assignPlanRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Billing.AssignPlan(c.Request.Context(), id, in.PlanID); err != nil {
		fail(c, err)
		return
	}
	s.adminTenantBalance(c)
}

func (s *Server) adminAdjust(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	var in billing.NewAdjustment
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	a, err := s.deps.Billing.Adjust(c.Request.Context(), id, in)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, adjustmentJSON{ID: a.ID, TenantID: a.TenantID, Kind: a.Kind, AmountFen: a.AmountFen, Reason: a.Reason, CreatedAt: a.CreatedAt})
}

func (s *Server) adminCreditLimit(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	var in creditLimitRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if _, err := s.deps.Billing.SetCreditLimit(c.Request.Context(), id, in.CreditLimitFen, in.Reason); err != nil {
		fail(c, err)
		return
	}
	s.adminTenantBalance(c)
}

func (s *Server) adminTenantLedger(c *gin.Context) {
	if id, ok := s.adminTenant(c); ok {
		s.ledgerFor(c, id)
	}
}

func (s *Server) adminLedgerSummary(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	f, _, err := ledgerFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	t, err := s.deps.Billing.LedgerSummary(c.Request.Context(), id, f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (s *Server) adminLedgerXLSX(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	f, _, err := ledgerFilter(c)
	if err != nil {
		fail(c, err)
		return
	}
	// Validate (and count) before the first byte, so bad input is a JSON error.
	tot, err := s.deps.Billing.LedgerSummary(c.Request.Context(), id, f)
	if err == nil && tot.Lines > billing.MaxLedgerExportLines {
		err = apperr.Invalid("from", fmt.Sprintf("the range has %d lines, more than %d: choose fewer days", tot.Lines, billing.MaxLedgerExportLines))
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="ledger-%d.xlsx"`, id))
	if err := s.deps.Billing.WriteLedgerXLSX(c.Request.Context(), c.Writer, id, f); err != nil {
		fail(c, err)
	}
}

func (s *Server) adminStatementXLSX(c *gin.Context) {
	if id, ok := s.adminTenant(c); ok {
		s.statementXLSX(c, id)
	}
}

func (s *Server) adminSendStatement(c *gin.Context) {
	id, ok := s.adminTenant(c)
	if !ok {
		return
	}
	var in monthRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.deps.Billing.SendStatement(c.Request.Context(), id, in.Month); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) adminListRecharges(c *gin.Context) {
	tid, err := queryID(c, "tenant_id")
	if err != nil {
		fail(c, err)
		return
	}
	c.Request = c.Request.WithContext(store.AsPlatform(c.Request.Context()))
	s.listRecharges(c, tid)
}

func (s *Server) adminConfirmRecharge(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.deps.Billing.GetRecharge(store.AsPlatform(c.Request.Context()), id); err != nil {
		fail(c, err)
		return
	}
	var in referenceRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	o, err := s.deps.Billing.ConfirmRecharge(c.Request.Context(), id, in.Reference)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRecharge(o))
}

func (s *Server) adminRejectRecharge(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := s.deps.Billing.GetRecharge(store.AsPlatform(c.Request.Context()), id); err != nil {
		fail(c, err)
		return
	}
	var in reasonRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	o, err := s.deps.Billing.RejectRecharge(c.Request.Context(), id, in.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRecharge(o))
}

func (s *Server) adminListInvoices(c *gin.Context) {
	tid, err := queryID(c, "tenant_id")
	if err != nil {
		fail(c, err)
		return
	}
	c.Request = c.Request.WithContext(store.AsPlatform(c.Request.Context()))
	s.listInvoices(c, tid)
}

func (s *Server) adminInvoice(c *gin.Context) (uint64, bool) {
	id, err := pathID(c, "id")
	if err == nil {
		_, err = s.deps.Billing.GetInvoice(store.AsPlatform(c.Request.Context()), id)
	}
	if err != nil {
		fail(c, err)
		return 0, false
	}
	return id, true
}

func (s *Server) adminIssueInvoice(c *gin.Context) {
	id, ok := s.adminInvoice(c)
	if !ok {
		return
	}
	var in issueInvoiceRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	pdf, err := base64.StdEncoding.DecodeString(in.PDFBase64)
	if err != nil {
		fail(c, apperr.Invalid("pdf_base64", "must be a base64-encoded PDF"))
		return
	}
	inv, err := s.deps.Billing.IssueInvoice(c.Request.Context(), id, in.InvoiceNo, pdf)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toInvoice(inv))
}

func (s *Server) adminRejectInvoice(c *gin.Context) {
	id, ok := s.adminInvoice(c)
	if !ok {
		return
	}
	var in reasonRequest
	if err := bindJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	inv, err := s.deps.Billing.RejectInvoice(c.Request.Context(), id, in.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toInvoice(inv))
}

func (s *Server) adminInvoicePDF(c *gin.Context) {
	c.Request = c.Request.WithContext(store.AsPlatform(c.Request.Context()))
	s.billingInvoicePDF(c)
}

func (s *Server) adminRevenue(c *gin.Context) {
	rows, err := s.deps.Billing.Revenue(c.Request.Context(), c.DefaultQuery("by", "day"), c.Query("from"), c.Query("to"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, itemsOf[billing.RevenueRow]{Items: append([]billing.RevenueRow{}, rows...)})
}
