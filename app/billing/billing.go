// Package billing keeps the money: a double-entry ledger in fen, price plans
// and call rating, prepaid holds settled from FreeSWITCH's CDRs, recharges,
// gifts and adjustments, low-balance alerts, statements and invoices.
//
// Money rules enforced here and in the schema:
//   - every posting is a LedgerTxn whose entries sum to zero, unique by a
//     business key, so replaying any step posts nothing twice;
//   - a tenant balance account's available funds (balance - held + credit
//     limit) never go below zero: debits are conditional UPDATEs and a CHECK
//     constraint is the last wall;
//   - a call whose cost exceeds what the tenant can pay is still charged in
//     full: the uncovered part is booked to the tenant's arrears account and
//     collected from the next funds that arrive.
//
// Wiring (cmd/waihu):
//   - campaign.Funds: pass *Service (Hold before the dial, in the transaction
//     that commits the attempt as dialing; Release when it was not dialed).
//     Hold returns apperr.ErrInsufficientFunds with nothing changed: the
//     campaign pauses itself. Hooks.FundsAdded runs inside every credit's
//     transaction (recharge, gift, credit, refund) with the available funds:
//     the campaign resumes what it paused there.
//   - call control: AttemptFinished in the transaction that writes the
//     attempt's final state; CDRReceived in the transaction that stores a CDR
//     (either order, replays are no-ops); RecordUsage (ASR/TTS/LLM) in the
//     finish transaction before AttemptFinished (callctl's OnUsage hook; a
//     call the CDR settled first gets its usage charged then); during a call, ExtendHold about once a minute
//     (ErrInsufficientFunds = end the call politely) and MaxTalkSeconds for
//     FreeSWITCH's sched_hangup.
//   - RegisterJobs(runner): the low-balance alert job, the periodic
//     Reconcile and the monthly statements (monthly.go); Hooks.LowBalance
//     for webhooks.
//   - Verify checks every money invariant (kill tests call it).
package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Options configure the service. Zero values take the defaults.
type Options struct {
	Now func() time.Time
	// Zone is the calendar of statements and posting days (default UTC+8,
	// China Standard Time, which has no daylight saving).
	Zone *time.Location
	// HoldSeconds is how much talk time a new call holds funds for.
	HoldSeconds int
	// CDRWait is how long a finished answered call waits for its CDR before
	// it is charged from the attempt's own BillSec.
	CDRWait time.Duration
	// OrphanAfter releases holds of attempts that never left the queue or
	// no longer exist.
	OrphanAfter time.Duration
	// ReconcileEvery is the period of the reconciliation job.
	ReconcileEvery time.Duration
	// LowBalanceFen is the default low-balance alert threshold (0 = off).
	LowBalanceFen int64
	// Mailer sends low-balance e-mail; nil sends none.
	Mailer Mailer
	// Providers are the online payment providers by name.
	Providers map[string]Provider
	// MaxInvoicePDF caps an uploaded invoice PDF.
	MaxInvoicePDF int
	// Monthly statements are sent on StatementDay (1–28, default 1) from
	// StatementHour (0–23; nil = 2) in Zone; StatementCheckEvery is how
	// often the scheduler looks (default 10 min).
	StatementDay        int
	StatementHour       *int
	StatementCheckEvery time.Duration
}

// Hooks let other domains react to money events without billing importing them.
type Hooks struct {
	// FundsAdded runs inside the transaction of every credit to a tenant
	// (recharge, gift, credit adjustment, refund by re-rating) with the
	// tenant's available funds afterwards. The campaign service uses it to
	// resume campaigns it paused on apperr.ErrInsufficientFunds.
	FundsAdded func(ctx context.Context, tx *gorm.DB, tenantID uint64, availableFen int64) error
	// LowBalance runs from the alert job (outside any transaction) after the
	// in-console notice and e-mail; campaign webhooks hang here.
	LowBalance func(ctx context.Context, tenantID uint64, availableFen int64) error
}

// Service is the billing service.
type Service struct {
	db       *store.DB
	log      *slog.Logger
	opt      Options
	accounts *tenant.Service
	Hooks    Hooks
}

// New returns the billing service. accounts writes the audit log.
func New(db *store.DB, accounts *tenant.Service, log *slog.Logger, opt Options) *Service {
	if log == nil {
		log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.Zone == nil {
		opt.Zone = time.FixedZone("CST", 8*3600)
	}
	if opt.HoldSeconds <= 0 {
		opt.HoldSeconds = 180
	}
	if opt.CDRWait <= 0 {
		opt.CDRWait = 10 * time.Minute
	}
	if opt.OrphanAfter <= 0 {
		opt.OrphanAfter = 30 * time.Minute
	}
	if opt.ReconcileEvery <= 0 {
		opt.ReconcileEvery = time.Minute
	}
	if opt.MaxInvoicePDF <= 0 {
		opt.MaxInvoicePDF = 5 << 20
	}
	if opt.StatementDay <= 0 || opt.StatementDay > 28 {
		opt.StatementDay = 1
	}
	if opt.StatementHour == nil || *opt.StatementHour < 0 || *opt.StatementHour > 23 {
		h := 2
		opt.StatementHour = &h
	}
	if opt.StatementCheckEvery <= 0 {
		opt.StatementCheckEvery = 10 * time.Minute
	}
	return &Service{db: db, log: log, opt: opt, accounts: accounts}
}

func (s *Service) now() time.Time { return s.opt.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) day(t time.Time) string { return t.In(s.opt.Zone).Format("2006-01-02") }

// pctx lets billing read and write every tenant's rows; billing always names
// the tenant explicitly in its queries.
func pctx(ctx context.Context) context.Context { return store.AsPlatform(ctx) }

// accountPair is a tenant's balance and arrears accounts, read under lock.
type accountPair struct {
	bal, arr store.BillingAccount
}

func (a *accountPair) available() int64 { return a.bal.Balance - a.bal.Held + a.bal.CreditLimit }

// ensureAccounts creates a tenant's accounts if they do not exist yet.
func ensureAccounts(tx *gorm.DB, tenantID uint64) error {
	for _, kind := range []string{store.AccountBalance, store.AccountArrears} {
		var n int64
		if err := tx.Model(&store.BillingAccount{}).Where("tenant_id = ? AND kind = ?", tenantID, kind).Count(&n).Error; err != nil {
			return fmt.Errorf("find account: %w", err)
		}
		if n > 0 {
			continue
		}
		acc := store.BillingAccount{TenantID: tenantID, Kind: kind}
		if err := insertOnceErr(tx, &acc); err != nil {
			return fmt.Errorf("create %s account: %w", kind, err)
		}
	}
	return nil
}

// lockAccounts returns a tenant's accounts locked for the rest of tx (on
// MySQL; SQLite transactions already hold the database's write lock).
func lockAccounts(tx *gorm.DB, tenantID uint64) (*accountPair, error) {
	var rows []store.BillingAccount
	read := func() error {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = ? AND kind IN ?", tenantID,
			[]string{store.AccountBalance, store.AccountArrears}).Order("id").Find(&rows).Error
	}
	if err := read(); err != nil {
		return nil, fmt.Errorf("lock accounts: %w", err)
	}
	if len(rows) < 2 { // a tenant's first money event
		if err := ensureAccounts(tx, tenantID); err != nil {
			return nil, err
		}
		if err := read(); err != nil {
			return nil, fmt.Errorf("lock accounts: %w", err)
		}
	}
	p := &accountPair{}
	for _, r := range rows {
		switch r.Kind {
		case store.AccountBalance:
			p.bal = r
		case store.AccountArrears:
			p.arr = r
		}
	}
	if p.bal.ID == 0 || p.arr.ID == 0 {
		return nil, fmt.Errorf("lock accounts of tenant %d: accounts missing", tenantID)
	}
	return p, nil
}

// platformAccount returns the id of a platform account, creating it once.
func platformAccount(tx *gorm.DB, kind string) (uint64, error) {
	var acc store.BillingAccount
	err := tx.Where("tenant_id = 0 AND kind = ?", kind).Take(&acc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// The migration creates them; this is for a database that lost one.
		acc = store.BillingAccount{TenantID: 0, Kind: kind}
		if err := insertOnceErr(tx, &acc); err != nil {
			return 0, fmt.Errorf("create platform account %s: %w", kind, err)
		}
		// A locking read sees a row another transaction committed after
		// this one's snapshot (MySQL's REPEATABLE READ).
		err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("tenant_id = 0 AND kind = ?", kind).Take(&acc).Error
	}
	if err != nil {
		return 0, fmt.Errorf("platform account %s: %w", kind, err)
	}
	return acc.ID, nil
}

// insertOnce inserts a row whose unique key makes the step idempotent and
// reports whether it was new. A duplicate key is the replay case (on both
// engines it fails only the statement, not the transaction).
func insertOnce(tx *gorm.DB, row any) (bool, error) {
	err := tx.Create(row).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	return err == nil, err
}

func insertOnceErr(tx *gorm.DB, row any) error {
	_, err := insertOnce(tx, row)
	return err
}

// leg is one side of a posting.
type leg struct {
	accountID uint64
	kind      string // account kind, decides whether the stored balance moves
	amount    int64
	heldDelta int64 // balance accounts only
}

type txnSpec struct {
	key         string
	tenantID    uint64
	kind        string
	amount      int64 // change of the tenant's funds, for display
	campaignID  uint64
	attemptUUID string
	memo        string
}

// errPosted says a transaction with the key exists: the step was replayed.
var errPosted = errors.New("billing: already posted")

// post writes one balanced transaction. It returns errPosted when the key was
// posted before (nothing changes), apperr.ErrInsufficientFunds when a
// balance leg would take available funds below zero (the caller's
// transaction must then be rolled back).
func (s *Service) post(tx *gorm.DB, t txnSpec, legs []leg) (*store.LedgerTxn, error) {
	var sum int64
	for _, l := range legs {
		sum += l.amount
	}
	if sum != 0 {
		return nil, fmt.Errorf("billing: unbalanced transaction %s (sum %d)", t.key, sum)
	}
	now := s.now()
	row := &store.LedgerTxn{Key: t.key, TenantID: t.tenantID, Day: s.day(now), Kind: t.kind, AmountFen: t.amount,
		CampaignID: t.campaignID, AttemptUUID: t.attemptUUID, Memo: truncate(t.memo, 255), CreatedAt: now}
	inserted, err := insertOnce(tx, row)
	if err != nil {
		return nil, fmt.Errorf("post %s: %w", t.key, err)
	}
	if !inserted {
		return nil, errPosted
	}
	entries := make([]store.LedgerEntry, 0, len(legs))
	for _, l := range legs {
		e := store.LedgerEntry{TxnID: row.ID, AccountID: l.accountID, AmountFen: l.amount, CreatedAt: now}
		if l.kind == store.AccountBalance || l.kind == store.AccountArrears {
			after, err := moveBalance(tx, l.accountID, l.kind, l.amount, l.heldDelta)
			if err != nil {
				return nil, fmt.Errorf("post %s: %w", t.key, err)
			}
			e.BalanceAfter = after
		}
		if l.amount != 0 {
			entries = append(entries, e)
		}
	}
	if len(entries) > 0 {
		if err := tx.Create(&entries).Error; err != nil {
			return nil, fmt.Errorf("post %s entries: %w", t.key, err)
		}
	}
	return row, nil
}

// moveBalance changes a tenant account's stored balance (and held funds)
// with a conditional UPDATE that cannot leave a balance account's available
// funds negative, and returns the new balance.
func moveBalance(tx *gorm.DB, accountID uint64, kind string, amount, heldDelta int64) (int64, error) {
	if amount != 0 || heldDelta != 0 {
		q := tx.Model(&store.BillingAccount{}).Where("id = ?", accountID)
		if kind == store.AccountBalance && (amount < 0 || heldDelta > 0) {
			q = q.Where("balance + ? - (held + ?) + credit_limit >= 0", amount, heldDelta)
		}
		res := q.Updates(map[string]any{"balance": gorm.Expr("balance + ?", amount), "held": gorm.Expr("held + ?", heldDelta)})
		if res.Error != nil {
			return 0, fmt.Errorf("update account %d: %w", accountID, res.Error)
		}
		if res.RowsAffected == 0 {
			return 0, apperr.ErrInsufficientFunds
		}
	}
	var acc store.BillingAccount
	if err := tx.Select("balance").Where("id = ?", accountID).Take(&acc).Error; err != nil {
		return 0, fmt.Errorf("read account %d: %w", accountID, err)
	}
	return acc.Balance, nil
}

// credit adds funds to a tenant from a platform account, then collects any
// arrears from them and tells the FundsAdded hook.
func (s *Service) credit(ctx context.Context, tx *gorm.DB, t txnSpec, from string) (*store.LedgerTxn, error) {
	acc, err := lockAccounts(tx, t.tenantID)
	if err != nil {
		return nil, err
	}
	src, err := platformAccount(tx, from)
	if err != nil {
		return nil, err
	}
	row, err := s.post(tx, t, []leg{{accountID: acc.bal.ID, kind: store.AccountBalance, amount: t.amount}, {accountID: src, kind: from, amount: -t.amount}})
	if err != nil {
		return nil, err
	}
	if err := s.afterCredit(ctx, tx, t.tenantID, "collect:"+t.key); err != nil {
		return nil, err
	}
	return row, nil
}

// afterCredit collects arrears from new funds, re-arms the low-balance alert
// and runs the FundsAdded hook.
func (s *Service) afterCredit(ctx context.Context, tx *gorm.DB, tenantID uint64, collectKey string) error {
	acc, err := lockAccounts(tx, tenantID)
	if err != nil {
		return err
	}
	owed := -acc.arr.Balance
	if avail := acc.bal.Balance - acc.bal.Held; owed > 0 && avail > 0 {
		// Arrears are paid from the tenant's own money, never from its credit line.
		x := min(owed, avail)
		_, err := s.post(tx, txnSpec{key: collectKey, tenantID: tenantID, kind: store.TxnCollect, amount: -x, memo: "arrears collected"},
			[]leg{{accountID: acc.bal.ID, kind: store.AccountBalance, amount: -x}, {accountID: acc.arr.ID, kind: store.AccountArrears, amount: x}})
		if err != nil && !errors.Is(err, errPosted) {
			return err
		}
		if acc, err = lockAccounts(tx, tenantID); err != nil {
			return err
		}
	}
	if acc.bal.LowAlertAt != nil && acc.available() >= s.threshold(&acc.bal) {
		if err := tx.Model(&store.BillingAccount{}).Where("id = ?", acc.bal.ID).Update("low_alert_at", nil).Error; err != nil {
			return fmt.Errorf("re-arm low-balance alert: %w", err)
		}
	}
	if s.Hooks.FundsAdded != nil {
		if err := s.Hooks.FundsAdded(ctx, tx, tenantID, acc.available()); err != nil {
			return fmt.Errorf("funds-added hook: %w", err)
		}
	}
	return nil
}

func (s *Service) threshold(a *store.BillingAccount) int64 {
	if a.LowBalanceFen > 0 {
		return a.LowBalanceFen
	}
	return s.opt.LowBalanceFen
}

// Balance is a tenant's money at a glance.
type Balance struct {
	TenantID      uint64 `json:"tenant_id"`
	BalanceFen    int64  `json:"balance_fen"`
	HeldFen       int64  `json:"held_fen"`
	CreditFen     int64  `json:"credit_limit_fen"`
	AvailableFen  int64  `json:"available_fen"`
	ArrearsFen    int64  `json:"arrears_fen"`
	LowBalanceFen int64  `json:"low_balance_fen"`
}

// GetBalance returns a tenant's balance (creating its accounts if new).
func (s *Service) GetBalance(ctx context.Context, tenantID uint64) (*Balance, error) {
	var out *Balance
	err := s.db.Tx(pctx(ctx), func(tx *gorm.DB) error {
		if err := ensureAccounts(tx, tenantID); err != nil {
			return err
		}
		var rows []store.BillingAccount
		if err := tx.Where("tenant_id = ? AND kind IN ?", tenantID, []string{store.AccountBalance, store.AccountArrears}).Find(&rows).Error; err != nil {
			return err
		}
		p := accountPair{}
		for _, r := range rows {
			if r.Kind == store.AccountBalance {
				p.bal = r
			} else {
				p.arr = r
			}
		}
		out = &Balance{TenantID: tenantID, BalanceFen: p.bal.Balance, HeldFen: p.bal.Held, CreditFen: p.bal.CreditLimit,
			AvailableFen: p.available(), ArrearsFen: -p.arr.Balance, LowBalanceFen: s.threshold(&p.bal)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read balance: %w", err)
	}
	return out, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
