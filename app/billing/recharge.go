package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Recharge limits: one order between 1 yuan and 10 million yuan.
const (
	MinRechargeFen = 100
	MaxRechargeFen = 1_000_000_000
)

// NewRecharge is a tenant's recharge order request.
type NewRecharge struct {
	AmountFen int64  `json:"amount_fen"`
	Method    string `json:"method"` // bank_transfer or a provider name
	PayerName string `json:"payer_name"`
	Note      string `json:"note"`
}

func textOK(s string, max int) bool {
	return len([]rune(s)) <= max && !strings.ContainsAny(s, "\x00\r\n")
}

// CreateRecharge creates a pending recharge order for the context tenant.
func (s *Service) CreateRecharge(ctx context.Context, in NewRecharge) (*store.RechargeOrder, error) {
	tid, ok := store.TenantFrom(ctx)
	if !ok {
		return nil, store.ErrNoTenantScope
	}
	var v apperr.Validator
	v.Check(in.AmountFen >= MinRechargeFen && in.AmountFen <= MaxRechargeFen, "amount_fen", "must be from 100 to 1000000000 fen")
	_, isProvider := s.opt.Providers[in.Method]
	v.Check(in.Method == store.RechargeBank || isProvider, "method", "is not an available payment method")
	v.Check(textOK(in.PayerName, 128), "payer_name", "must be at most 128 characters on one line")
	v.Check(textOK(in.Note, 255), "note", "must be at most 255 characters on one line")
	if err := v.Err(); err != nil {
		return nil, err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	o := &store.RechargeOrder{TenantOwned: store.TenantOwned{TenantID: tid}, No: "R" + s.now().In(s.opt.Zone).Format("20060102150405") + strings.ToUpper(hex.EncodeToString(b)),
		AmountFen: in.AmountFen, Method: in.Method, State: store.RechargePending, PayerName: strings.TrimSpace(in.PayerName), Note: strings.TrimSpace(in.Note)}
	if p, ok := tenant.PrincipalFrom(ctx); ok && p.Kind == tenant.ActorUser {
		o.CreatedBy = p.ID
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(o).Error; err != nil {
			return fmt.Errorf("create recharge order: %w", err)
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: tid, Action: "billing.recharge.create", Target: "recharge:" + o.No,
			Detail: map[string]any{"amount_fen": o.AmountFen, "method": o.Method}})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// PaymentMethods lists how a tenant can pay: bank transfer and the
// configured online providers.
func (s *Service) PaymentMethods() []string {
	out := []string{store.RechargeBank}
	for name := range s.opt.Providers {
		out = append(out, name)
	}
	sort.Strings(out[1:])
	return out
}

// CheckoutURL is where the tenant's browser pays an online order.
func (s *Service) CheckoutURL(ctx context.Context, o *store.RechargeOrder, notifyURL string) (string, error) {
	p, ok := s.opt.Providers[o.Method]
	if !ok {
		return "", nil
	}
	return p.Checkout(o, notifyURL)
}

// RechargeFilter selects recharge orders.
type RechargeFilter struct {
	TenantID uint64
	State    string
}

// ListRecharges lists orders newest first: the context tenant's, or (for the
// operator, with a platform context) any tenant's.
func (s *Service) ListRecharges(ctx context.Context, f RechargeFilter, p store.Page) ([]store.RechargeOrder, uint64, error) {
	q := s.db.With(ctx).Model(&store.RechargeOrder{})
	if f.TenantID != 0 {
		q = q.Where("tenant_id = ?", f.TenantID)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	var rows []store.RechargeOrder
	if err := p.Apply(q, "id").Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list recharges: %w", err)
	}
	out, next := store.Trim(p, rows, func(r store.RechargeOrder) uint64 { return r.ID })
	return out, next, nil
}

// GetRecharge returns one order visible in ctx.
func (s *Service) GetRecharge(ctx context.Context, id uint64) (*store.RechargeOrder, error) {
	var o store.RechargeOrder
	if err := s.db.With(ctx).Take(&o, id).Error; err != nil {
		return nil, store.Translate(err)
	}
	return &o, nil
}

// CancelRecharge lets a tenant withdraw its own pending order.
func (s *Service) CancelRecharge(ctx context.Context, id uint64) (*store.RechargeOrder, error) {
	o, err := s.GetRecharge(ctx, id)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&store.RechargeOrder{}).Where("id = ? AND state = ?", id, store.RechargePending).Update("state", store.RechargeCanceled)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.Coded(409, "recharge_not_pending", "only a pending order can be canceled")
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: o.TenantID, Action: "billing.recharge.cancel", Target: "recharge:" + o.No})
	})
	if err != nil {
		return nil, err
	}
	return s.GetRecharge(ctx, id)
}

// ConfirmRecharge is the operator (finance) confirming a bank transfer has
// arrived: the order is paid and the tenant credited, once.
func (s *Service) ConfirmRecharge(ctx context.Context, id uint64, reference string) (*store.RechargeOrder, error) {
	if !textOK(reference, 128) {
		return nil, apperr.Invalid("reference", "must be at most 128 characters on one line")
	}
	ctx = pctx(ctx)
	var staffID uint64
	if p, ok := tenant.PrincipalFrom(ctx); ok && p.Kind == tenant.ActorStaff {
		staffID = p.ID
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error { return s.pay(ctx, tx, id, strings.TrimSpace(reference), staffID, 0) })
	if err != nil {
		return nil, err
	}
	return s.GetRecharge(ctx, id)
}

// pay marks an order paid and credits it. A paid order is a replay (no
// change); other states cannot be paid. amountFen (online notices) must
// match the order.
func (s *Service) pay(ctx context.Context, tx *gorm.DB, id uint64, reference string, staffID uint64, amountFen int64) error {
	var o store.RechargeOrder
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&o, id).Error; err != nil {
		return store.Translate(err)
	}
	if o.State == store.RechargePaid {
		return nil
	}
	if amountFen != 0 && amountFen != o.AmountFen {
		return apperr.Coded(409, "amount_mismatch", fmt.Sprintf("paid %d fen, order is %d fen", amountFen, o.AmountFen))
	}
	now := s.now()
	res := tx.Model(&store.RechargeOrder{}).Where("id = ? AND state = ?", id, store.RechargePending).
		Updates(map[string]any{"state": store.RechargePaid, "reference": reference, "confirmed_by": staffID, "confirmed_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return apperr.Coded(409, "recharge_not_pending", "only a pending order can be confirmed")
	}
	if _, err := s.credit(ctx, tx, txnSpec{key: fmt.Sprintf("recharge:%d", o.ID), tenantID: o.TenantID, kind: store.TxnRecharge,
		amount: o.AmountFen, memo: "recharge " + o.No}, store.AccountCash); err != nil && !errors.Is(err, errPosted) {
		return err
	}
	return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: o.TenantID, Action: "billing.recharge.confirm", Target: "recharge:" + o.No,
		Detail: map[string]any{"amount_fen": o.AmountFen, "reference": reference, "method": o.Method}})
}

// RejectRecharge closes a pending order that was never paid.
func (s *Service) RejectRecharge(ctx context.Context, id uint64, reason string) (*store.RechargeOrder, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || !textOK(reason, 255) {
		return nil, apperr.Invalid("reason", "is required, at most 255 characters on one line")
	}
	ctx = pctx(ctx)
	o, err := s.GetRecharge(ctx, id)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&store.RechargeOrder{}).Where("id = ? AND state = ?", id, store.RechargePending).
			Updates(map[string]any{"state": store.RechargeRejected, "reject_reason": reason})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.Coded(409, "recharge_not_pending", "only a pending order can be rejected")
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: o.TenantID, Action: "billing.recharge.reject", Target: "recharge:" + o.No, Detail: map[string]any{"reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetRecharge(ctx, id)
}

// HandleNotify processes a provider's callback: verify, then pay the order
// once. It returns the body to answer with.
func (s *Service) HandleNotify(ctx context.Context, provider string, form url.Values) (string, error) {
	p, ok := s.opt.Providers[provider]
	if !ok {
		return "", store.ErrNotFound
	}
	n, err := p.VerifyNotify(form)
	if err != nil {
		return "", err
	}
	return s.notified(ctx, provider, p, n)
}

// HandleNotifyRequest processes a callback as it came: a provider that signs
// a raw body in headers (RawNotifier, WeChat Pay v3) verifies it as is,
// the others read it as a form (Alipay).
func (s *Service) HandleNotifyRequest(ctx context.Context, provider string, h http.Header, body []byte) (string, error) {
	p, ok := s.opt.Providers[provider]
	if !ok {
		return "", store.ErrNotFound
	}
	raw, ok := p.(RawNotifier)
	if !ok {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", apperr.Invalid("body", "is not a form")
		}
		return s.HandleNotify(ctx, provider, form)
	}
	n, err := raw.VerifyRawNotify(h, body)
	if err != nil {
		return "", err
	}
	return s.notified(ctx, provider, p, n)
}

// notified pays the order of a verified notice, once.
func (s *Service) notified(ctx context.Context, provider string, p Provider, n *PaymentNotice) (string, error) {
	if !n.Paid {
		return p.Ack(), nil // e.g. WAIT_BUYER_PAY: nothing to do yet
	}
	ctx = pctx(ctx)
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var o store.RechargeOrder
		if err := tx.Where("`no` = ? AND method = ?", n.OrderNo, provider).Take(&o).Error; err != nil {
			return store.Translate(err)
		}
		return s.pay(ctx, tx, o.ID, n.TradeNo, 0, n.AmountFen)
	})
	if err != nil {
		return "", err
	}
	return p.Ack(), nil
}

// NewAdjustment is an operator's gift or manual correction.
type NewAdjustment struct {
	Kind      string `json:"kind"` // gift, credit or debit
	AmountFen int64  `json:"amount_fen"`
	Reason    string `json:"reason"`
}

// Adjust posts a gift or manual adjustment to a tenant, with its reason in
// the adjustment row and the audit log. A debit cannot take available funds
// below zero.
func (s *Service) Adjust(ctx context.Context, tenantID uint64, in NewAdjustment) (*store.Adjustment, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var v apperr.Validator
	v.Check(in.Kind == store.AdjustGift || in.Kind == store.AdjustCredit || in.Kind == store.AdjustDebit, "kind", "must be gift, credit or debit")
	v.Check(in.AmountFen > 0 && in.AmountFen <= MaxRechargeFen, "amount_fen", "must be from 1 to 1000000000 fen")
	v.Check(in.Reason != "" && textOK(in.Reason, 255), "reason", "is required, at most 255 characters on one line")
	if err := v.Err(); err != nil {
		return nil, err
	}
	ctx = pctx(ctx)
	if err := s.db.With(ctx).Take(&store.Tenant{}, tenantID).Error; err != nil {
		return nil, store.Translate(err)
	}
	adj := &store.Adjustment{TenantOwned: store.TenantOwned{TenantID: tenantID}, Kind: in.Kind, AmountFen: in.AmountFen, Reason: in.Reason}
	if p, ok := tenant.PrincipalFrom(ctx); ok && p.Kind == tenant.ActorStaff {
		adj.StaffID = p.ID
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(adj).Error; err != nil {
			return fmt.Errorf("create adjustment: %w", err)
		}
		if err := s.postAdjustment(ctx, tx, adj); err != nil {
			return err
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: tenantID, Action: "billing.adjust." + in.Kind, Target: fmt.Sprintf("adjustment:%d", adj.ID),
			Detail: map[string]any{"amount_fen": in.AmountFen, "reason": in.Reason}})
	})
	if err != nil {
		return nil, err
	}
	return adj, nil
}

func (s *Service) postAdjustment(ctx context.Context, tx *gorm.DB, adj *store.Adjustment) error {
	key := fmt.Sprintf("adj:%d", adj.ID)
	spec := txnSpec{key: key, tenantID: adj.TenantID, amount: adj.AmountFen, memo: adj.Reason}
	switch adj.Kind {
	case store.AdjustGift:
		spec.kind = store.TxnGift
		_, err := s.credit(ctx, tx, spec, store.AccountGifts)
		return err
	case store.AdjustCredit:
		spec.kind = store.TxnAdjustment
		_, err := s.credit(ctx, tx, spec, store.AccountAdjusted)
		return err
	}
	acc, err := lockAccounts(tx, adj.TenantID)
	if err != nil {
		return err
	}
	dst, err := platformAccount(tx, store.AccountAdjusted)
	if err != nil {
		return err
	}
	spec.kind, spec.amount = store.TxnAdjustment, -adj.AmountFen
	_, err = s.post(tx, spec, []leg{{accountID: acc.bal.ID, kind: store.AccountBalance, amount: -adj.AmountFen}, {accountID: dst, kind: store.AccountAdjusted, amount: adj.AmountFen}})
	return err
}

// SetCreditLimit changes how far below zero a tenant's balance may go.
// Lowering it is refused when the tenant's funds in use would not fit.
func (s *Service) SetCreditLimit(ctx context.Context, tenantID uint64, limitFen int64, reason string) (*Balance, error) {
	reason = strings.TrimSpace(reason)
	var v apperr.Validator
	v.Check(limitFen >= 0 && limitFen <= MaxRechargeFen, "credit_limit_fen", "must be from 0 to 1000000000 fen")
	v.Check(reason != "" && textOK(reason, 255), "reason", "is required, at most 255 characters on one line")
	if err := v.Err(); err != nil {
		return nil, err
	}
	ctx = pctx(ctx)
	if err := s.db.With(ctx).Take(&store.Tenant{}, tenantID).Error; err != nil {
		return nil, store.Translate(err)
	}
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		acc, err := lockAccounts(tx, tenantID)
		if err != nil {
			return err
		}
		res := tx.Model(&store.BillingAccount{}).Where("id = ? AND balance - held + ? >= 0", acc.bal.ID, limitFen).Update("credit_limit", limitFen)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 && acc.bal.CreditLimit != limitFen {
			return fmt.Errorf("lower the credit limit to %d fen: %w", limitFen, apperr.ErrInsufficientFunds)
		}
		if limitFen > acc.bal.CreditLimit {
			if err := s.afterCredit(ctx, tx, tenantID, fmt.Sprintf("collect:credit:%d:%d", tenantID, s.now().UnixNano())); err != nil {
				return err
			}
		}
		return s.accounts.AuditTx(ctx, tx, tenant.Entry{TenantID: tenantID, Action: "billing.credit_limit", Target: fmt.Sprintf("tenant:%d", tenantID),
			Detail: map[string]any{"from_fen": acc.bal.CreditLimit, "to_fen": limitFen, "reason": reason}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetBalance(ctx, tenantID)
}
