package billing

import (
	"gorm.io/gorm"

	"context"
	"fmt"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
)

// TenantBalance is one row of the operator's balance list.
type TenantBalance struct {
	TenantID     uint64  `json:"tenant_id"`
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	PricePlanID  *uint64 `json:"price_plan_id"`
	BalanceFen   int64   `json:"balance_fen"`
	HeldFen      int64   `json:"held_fen"`
	CreditFen    int64   `json:"credit_limit_fen"`
	AvailableFen int64   `json:"available_fen"`
	ArrearsFen   int64   `json:"arrears_fen"`
}

// ListBalances lists every tenant's money, newest tenant first (operator).
func (s *Service) ListBalances(ctx context.Context, p store.Page) ([]TenantBalance, uint64, error) {
	q := s.balancesQuery(ctx)
	var rows []TenantBalance
	if err := p.Apply(q, "t.id").Scan(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list balances: %w", err)
	}
	out, next := store.Trim(p, rows, func(r TenantBalance) uint64 { return r.TenantID })
	return out, next, nil
}

// balancesQuery reads tenants' money without creating accounts (a tenant
// that never had money reads as zero).
func (s *Service) balancesQuery(ctx context.Context) *gorm.DB {
	return s.db.With(pctx(ctx)).Table("tenants AS t").
		Select("t.id AS tenant_id, t.name, t.status, t.price_plan_id, COALESCE(b.balance, 0) AS balance_fen, COALESCE(b.held, 0) AS held_fen, "+
			"COALESCE(b.credit_limit, 0) AS credit_fen, COALESCE(b.balance - b.held + b.credit_limit, 0) AS available_fen, -COALESCE(r.balance, 0) AS arrears_fen").
		Joins("LEFT JOIN billing_accounts b ON b.tenant_id = t.id AND b.kind = ?", store.AccountBalance).
		Joins("LEFT JOIN billing_accounts r ON r.tenant_id = t.id AND r.kind = ?", store.AccountArrears)
}

// Balances reads the money of the given tenants in one query (the back
// office's tenant list).
func (s *Service) Balances(ctx context.Context, tenantIDs []uint64) (map[uint64]TenantBalance, error) {
	out := make(map[uint64]TenantBalance, len(tenantIDs))
	if len(tenantIDs) == 0 {
		return out, nil
	}
	var rows []TenantBalance
	if err := s.balancesQuery(ctx).Where("t.id IN ?", tenantIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read balances: %w", err)
	}
	for _, r := range rows {
		out[r.TenantID] = r
	}
	return out, nil
}

// RevenueRow is call revenue for one day or one tenant.
type RevenueRow struct {
	Key       string `json:"key"` // the day, or the tenant id
	TenantID  uint64 `json:"tenant_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Calls     int64  `json:"calls"`
	AmountFen int64  `json:"amount_fen"`
}

// Revenue sums call charges across tenants by day or by tenant (operator).
func (s *Service) Revenue(ctx context.Context, by, from, to string) ([]RevenueRow, error) {
	var v apperr.Validator
	v.Check(by == "day" || by == "tenant", "by", "must be day or tenant")
	v.Check(validDay(from), "from", "must be a date YYYY-MM-DD")
	v.Check(validDay(to), "to", "must be a date YYYY-MM-DD")
	if err := v.Err(); err != nil {
		return nil, err
	}
	q := s.db.With(pctx(ctx)).Table("ledger_txns AS x").
		Where("x.kind IN ? AND x.day >= ? AND x.day <= ?", []string{store.TxnCharge, store.TxnCorrection}, from, to)
	sums := "SUM(CASE WHEN x.kind = 'charge' THEN 1 ELSE 0 END) AS calls, -SUM(x.amount_fen) AS amount_fen"
	var rows []RevenueRow
	var err error
	if by == "day" {
		err = q.Select("x.day AS `key`, " + sums).Group("x.day").Order("x.day").Scan(&rows).Error
	} else {
		err = q.Joins("JOIN tenants t ON t.id = x.tenant_id").Select("x.tenant_id, t.name, " + sums).
			Group("x.tenant_id, t.name").Order("amount_fen DESC").Scan(&rows).Error
		for i := range rows {
			rows[i].Key = fmt.Sprint(rows[i].TenantID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("revenue: %w", err)
	}
	return rows, nil
}
