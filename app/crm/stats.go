package crm

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/store"
)

// recordMilestone stores the first time a tenant reached a funnel step.
func (s *Service) recordMilestone(ctx context.Context, tx *gorm.DB, tenantID uint64, kind string, amount int64) error {
	m := &store.Milestone{TenantID: tenantID, Kind: kind, AmountFen: amount, At: s.opt.Now()}
	if err := tx.WithContext(store.AsPlatform(ctx)).Clauses(clause.OnConflict{DoNothing: true}).Create(m).Error; err != nil {
		return fmt.Errorf("record milestone %s: %w", kind, err)
	}
	return nil
}

// RecordFirstRecharge marks a tenant's first recharge in the funnel. Billing
// calls it inside the transaction that credits the recharge (any recharge:
// only the first one counts). tx may be nil.
func (s *Service) RecordFirstRecharge(ctx context.Context, tx *gorm.DB, tenantID uint64, amountFen int64) error {
	if tx == nil {
		tx = s.db.With(store.AsPlatform(ctx))
	}
	return s.recordMilestone(ctx, tx, tenantID, store.MilestoneFirstRecharge, amountFen)
}

// Funnel counts each step of visitor → lead → activated tenant → first recharge.
type Funnel struct {
	Visitors      int64 `json:"visitors"`
	Contacts      int64 `json:"contacts"`
	Signups       int64 `json:"signups"`
	Leads         int64 `json:"leads"`
	Activated     int64 `json:"activated"`
	FirstRecharge int64 `json:"first_recharge"`
}

// Funnel reports the funnel for [since, until).
func (s *Service) Funnel(ctx context.Context, since, until time.Time) (*Funnel, error) {
	pctx := store.AsPlatform(ctx)
	f := &Funnel{}
	var err error
	if f.Visitors, err = s.visitors(ctx, since, until); err != nil {
		return nil, err
	}
	count := func(dst *int64, model any, where string, args ...any) error {
		return s.db.With(pctx).Model(model).Where("created_at >= ? AND created_at < ?", since, until).Where(where, args...).Count(dst).Error
	}
	if err := count(&f.Contacts, &store.Lead{}, "source = ?", "contact"); err != nil {
		return nil, err
	}
	if err := count(&f.Signups, &store.Lead{}, "source = ?", "signup"); err != nil {
		return nil, err
	}
	f.Leads = f.Contacts + f.Signups
	ms := func(dst *int64, kind string) error {
		return s.db.With(pctx).Model(&store.Milestone{}).Where("at >= ? AND at < ? AND kind = ?", since, until, kind).Count(dst).Error
	}
	if err := ms(&f.Activated, store.MilestoneActivated); err != nil {
		return nil, err
	}
	if f.FirstRecharge, err = s.firstRecharges(ctx, since, until); err != nil {
		return nil, err
	}
	return f, nil
}

// rechargeTable is billing's table of recharge orders. The CRM reads it by
// name, when it exists, so the funnel counts first recharges without billing
// having to call RecordFirstRecharge (both sources are merged per tenant).
const rechargeTable = "recharge_orders"

// firstRecharges counts tenants whose first recharge falls in [since, until).
func (s *Service) firstRecharges(ctx context.Context, since, until time.Time) (int64, error) {
	pctx := store.AsPlatform(ctx)
	tenants := map[uint64]bool{}
	var ids []uint64
	if err := s.db.With(pctx).Model(&store.Milestone{}).Where("at >= ? AND at < ? AND kind = ?", since, until, store.MilestoneFirstRecharge).
		Pluck("tenant_id", &ids).Error; err != nil {
		return 0, err
	}
	for _, id := range ids {
		tenants[id] = true
	}
	g := s.db.With(pctx)
	if g.Migrator().HasTable(rechargeTable) {
		ids = nil
		err := g.Table(rechargeTable).Select("tenant_id").Where("state = ? AND confirmed_at IS NOT NULL", "paid").
			Group("tenant_id").Having("MIN(confirmed_at) >= ? AND MIN(confirmed_at) < ?", since, until).Pluck("tenant_id", &ids).Error
		if err != nil {
			return 0, fmt.Errorf("first recharges from %s: %w", rechargeTable, err)
		}
		for _, id := range ids {
			tenants[id] = true
		}
	}
	return int64(len(tenants)), nil
}

// Revenue reports recharged or charged money per UTC day (yyyy-mm-dd); billing implements it.
type Revenue interface {
	RevenueByDay(ctx context.Context, since, until time.Time) (map[string]int64, error)
}

// RevenueFunc adapts a function to Revenue.
type RevenueFunc func(ctx context.Context, since, until time.Time) (map[string]int64, error)

// RevenueByDay calls f.
func (f RevenueFunc) RevenueByDay(ctx context.Context, since, until time.Time) (map[string]int64, error) {
	return f(ctx, since, until)
}

// PlatformDay is one day of platform statistics.
type PlatformDay struct {
	Day           string  `json:"day"`
	Calls         int64   `json:"calls"`
	Connected     int64   `json:"connected"`
	BillSec       int64   `json:"bill_sec"`
	Minutes       int64   `json:"minutes"`
	ConnectRate   float64 `json:"connect_rate"`
	ActiveTenants int64   `json:"active_tenants"`
	RevenueFen    int64   `json:"revenue_fen"`
}

// PlatformStats are the platform's totals and days.
type PlatformStats struct {
	Days             []PlatformDay `json:"days"`
	Calls            int64         `json:"calls"`
	Connected        int64         `json:"connected"`
	Minutes          int64         `json:"minutes"`
	ConnectRate      float64       `json:"connect_rate"`
	RevenueFen       int64         `json:"revenue_fen"`
	RevenueAvailable bool          `json:"revenue_available"`
	ActiveTenants    int64         `json:"active_tenants"`
	Tenants          int64         `json:"tenants"`
}

func (s *Service) dayExpr(col string) string {
	if s.db.Dialect == store.MySQL {
		return "DATE_FORMAT(" + col + ", '%Y-%m-%d')"
	}
	return "strftime('%Y-%m-%d', " + col + ")"
}

// Platform computes calls, minutes, connect rate and active tenants per day
// from finished call attempts, and revenue when rev is not nil.
func (s *Service) Platform(ctx context.Context, since, until time.Time, rev Revenue) (*PlatformStats, error) {
	pctx := store.AsPlatform(ctx)
	out := &PlatformStats{Days: []PlatformDay{}}
	day := s.dayExpr("ended_at")
	div := "/" // SQLite divides integers as integers; MySQL needs DIV.
	if s.db.Dialect == store.MySQL {
		div = "DIV"
	}
	// Minutes are billed per started minute, so they are summed per call.
	err := s.db.With(pctx).Model(&store.CallAttempt{}).
		Select(day+" AS day, COUNT(*) AS calls, SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS connected, "+
			"COALESCE(SUM(bill_sec), 0) AS bill_sec, COALESCE(SUM(CASE WHEN bill_sec > 0 THEN (bill_sec + 59) "+div+" 60 ELSE 0 END), 0) AS minutes, "+
			"COUNT(DISTINCT tenant_id) AS active_tenants").
		Where("state = ? AND ended_at >= ? AND ended_at < ?", store.AttemptFinished, since, until).
		Group("day").Order("day").Scan(&out.Days).Error
	if err != nil {
		return nil, fmt.Errorf("platform stats: %w", err)
	}
	var revenue map[string]int64
	if rev != nil {
		if revenue, err = rev.RevenueByDay(ctx, since, until); err != nil {
			return nil, fmt.Errorf("revenue: %w", err)
		}
		out.RevenueAvailable = true
	}
	for i := range out.Days {
		d := &out.Days[i]
		if d.Calls > 0 {
			d.ConnectRate = float64(d.Connected) / float64(d.Calls)
		}
		d.RevenueFen = revenue[d.Day]
		out.Calls += d.Calls
		out.Connected += d.Connected
		out.Minutes += d.Minutes
	}
	for _, v := range revenue {
		out.RevenueFen += v
	}
	if out.Calls > 0 {
		out.ConnectRate = float64(out.Connected) / float64(out.Calls)
	}
	if err := s.db.With(pctx).Model(&store.CallAttempt{}).Where("state = ? AND ended_at >= ? AND ended_at < ?", store.AttemptFinished, since, until).
		Distinct("tenant_id").Count(&out.ActiveTenants).Error; err != nil {
		return nil, err
	}
	if err := s.db.With(pctx).Model(&store.Tenant{}).Where("status = ?", store.TenantActive).Count(&out.Tenants).Error; err != nil {
		return nil, err
	}
	return out, nil
}
