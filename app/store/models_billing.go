package store

import "time"

// Ledger account kinds. Every tenant has a balance account (what it has paid
// in and not yet spent) and an arrears account (what it owes when a call
// cost more than it could cover). The platform's own accounts have TenantID
// 0; their balances are the sum of their entries and are never stored, so no
// charge anywhere waits on one hot row.
const (
	AccountBalance  = "balance"
	AccountArrears  = "arrears"
	AccountRevenue  = "revenue"
	AccountCash     = "cash"
	AccountGifts    = "gifts"
	AccountAdjusted = "adjustments"
)

// BillingAccount is one ledger account. For a tenant's balance account,
// Balance is the running sum of its entries, Held the sum of its open holds,
// and available funds are Balance - Held + CreditLimit. The CHECK is the last
// wall behind the conditional updates in app/billing: no statement, whatever
// its origin, can leave a balance account with negative available funds.
type BillingAccount struct {
	ID          uint64 `gorm:"primaryKey"`
	TenantID    uint64 `gorm:"not null;uniqueIndex:idx_billing_account,priority:1"`
	Kind        string `gorm:"size:16;not null;uniqueIndex:idx_billing_account,priority:2"`
	Balance     int64  `gorm:"not null;default:0;check:chk_billing_available,kind <> 'balance' OR balance - held + credit_limit >= 0"`
	Held        int64  `gorm:"not null;default:0;check:chk_billing_held,held >= 0"`
	CreditLimit int64  `gorm:"not null;default:0;check:chk_billing_credit,credit_limit >= 0"`
	// LowBalanceFen is the alert threshold on available funds (0 = the
	// platform default); LowAlertAt is set when an alert went out and cleared
	// when funds recover, so one dip sends one alert.
	LowBalanceFen int64 `gorm:"not null;default:0"`
	LowAlertAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Ledger transaction kinds.
const (
	TxnCharge     = "charge"     // a call's cost
	TxnCorrection = "correction" // a call re-rated when a late CDR disagreed
	TxnRecharge   = "recharge"
	TxnGift       = "gift"
	TxnAdjustment = "adjustment"
	TxnCollect    = "collect" // arrears paid from new funds
)

// LedgerTxn is one balanced posting. Key is the business key (call UUID and
// sequence, recharge id, adjustment id): unique, so replaying a step posts
// nothing twice. Day is the posting day in the billing time zone, stored so
// statements group by the customer's calendar on both engines alike.
type LedgerTxn struct {
	ID          uint64    `gorm:"primaryKey"`
	Key         string    `gorm:"size:128;not null;uniqueIndex"`
	TenantID    uint64    `gorm:"not null;index:idx_ledger_txn_day,priority:1"`
	Day         string    `gorm:"size:10;not null;index:idx_ledger_txn_day,priority:2"`
	Kind        string    `gorm:"size:16;not null"`
	AmountFen   int64     `gorm:"not null"` // what the tenant's funds changed by (signed)
	CampaignID  uint64    `gorm:"not null;default:0"`
	AttemptUUID string    `gorm:"size:36;not null;default:''"`
	Memo        string    `gorm:"size:255;not null;default:''"`
	CreatedAt   time.Time `gorm:"not null"`
}

// LedgerEntry is one leg of a LedgerTxn; the legs of a transaction sum to zero.
type LedgerEntry struct {
	ID        uint64 `gorm:"primaryKey"`
	TxnID     uint64 `gorm:"not null;index"`
	AccountID uint64 `gorm:"not null;index:idx_ledger_entry_account,priority:1"`
	AmountFen int64  `gorm:"not null"`
	// BalanceAfter is the account's stored balance after this entry (tenant
	// accounts only), so a ledger page explains itself row by row.
	BalanceAfter int64     `gorm:"not null;default:0"`
	CreatedAt    time.Time `gorm:"not null"`
}

// Hold states.
const (
	HoldHeld     = "held"
	HoldSettled  = "settled"
	HoldReleased = "released"
)

// BillingHold reserves funds for one call attempt from before it is dialed
// until its charge is posted (settled) or it is known not to cost anything
// (released). FinishedAt marks an attempt that ended and waits for its CDR.
type BillingHold struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	AttemptUUID string `gorm:"size:36;not null;uniqueIndex"`
	CampaignID  uint64 `gorm:"not null;default:0"`
	PlanID      uint64 `gorm:"not null;default:0"`
	AmountFen   int64  `gorm:"not null"`
	State       string `gorm:"size:12;not null;index:idx_billing_hold_state,priority:1"`
	FinishedAt  *time.Time
	ClosedAt    *time.Time
	CreatedAt   time.Time `gorm:"not null;index:idx_billing_hold_state,priority:2"`
	UpdatedAt   time.Time
}

// Charge sources: the CDR is authoritative; the attempt's own BillSec is used
// when no CDR came within the reconciliation interval.
const (
	SourceCDR     = "cdr"
	SourceAttempt = "attempt"
)

// CallCharge is a call's rated cost, line by line: what a tenant reads in the
// call detail and in exports. One per attempt.
type CallCharge struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	AttemptUUID string `gorm:"size:36;not null;uniqueIndex"`
	CampaignID  uint64 `gorm:"not null;default:0;index"`
	PlanID      uint64 `gorm:"not null;default:0"`
	Source      string `gorm:"size:8;not null"`
	BillSec     int    `gorm:"not null"`
	BilledSec   int    `gorm:"not null"` // after free seconds and rounding up to the increment
	VoiceFen    int64  `gorm:"not null"`
	PerCallFen  int64  `gorm:"not null"`
	ASRFen      int64  `gorm:"not null"`
	TTSFen      int64  `gorm:"not null"`
	LLMFen      int64  `gorm:"not null"`
	MinimumFen  int64  `gorm:"not null"` // top-up to the plan's minimum charge
	TotalFen    int64  `gorm:"not null"`
	// UnpaidFen is the part the balance could not cover, booked as arrears.
	UnpaidFen int64     `gorm:"not null;default:0"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time
}

// CallUsage is what a call consumed of pass-through engines; call control
// records it before the attempt finishes.
type CallUsage struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	AttemptUUID string `gorm:"size:36;not null;uniqueIndex"`
	ASRSec      int    `gorm:"not null;default:0"`
	TTSChars    int    `gorm:"not null;default:0"`
	LLMTokens   int    `gorm:"not null;default:0"`
	CreatedAt   time.Time
}

// PricePlan is the operator's price list for tenants. Money in fen.
type PricePlan struct {
	ID          uint64 `gorm:"primaryKey"`
	Name        string `gorm:"size:64;not null;uniqueIndex"`
	Description string `gorm:"size:255;not null;default:''"`
	// PerMinuteFen is the voice price for 60 billed seconds; billed seconds
	// are rounded up to IncrementSec (6 or 60).
	PerMinuteFen int64 `gorm:"not null"`
	IncrementSec int   `gorm:"not null;default:60"`
	// Calls no longer than FreeSec cost nothing.
	FreeSec      int   `gorm:"not null;default:0"`
	MinChargeFen int64 `gorm:"not null;default:0"`
	PerCallFen   int64 `gorm:"not null;default:0"`
	// Pass-through engine costs: ASR per billed minute, TTS per 1000
	// characters, LLM per 1000 tokens.
	ASRPerMinuteFen int64 `gorm:"not null;default:0"`
	TTSPer1kFen     int64 `gorm:"not null;default:0"`
	LLMPer1kFen     int64 `gorm:"not null;default:0"`
	// IsDefault applies the plan to tenants without one.
	IsDefault bool `gorm:"not null;default:false"`
	Active    bool `gorm:"not null;default:true"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Recharge order states and methods.
const (
	RechargePending  = "pending"
	RechargePaid     = "paid"
	RechargeCanceled = "canceled"
	RechargeRejected = "rejected"

	RechargeBank = "bank_transfer"
)

// RechargeOrder is a tenant's request to add funds (充值).
type RechargeOrder struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	No        string `gorm:"size:32;not null;uniqueIndex"` // shown to the customer, quoted on the transfer
	AmountFen int64  `gorm:"not null"`
	Method    string `gorm:"size:16;not null"`
	State     string `gorm:"size:12;not null;index"`
	PayerName string `gorm:"size:128;not null;default:''"`
	Note      string `gorm:"size:255;not null;default:''"`
	// Reference is the bank's or provider's transaction number.
	Reference    string `gorm:"size:128;not null;default:''"`
	RejectReason string `gorm:"size:255;not null;default:''"`
	CreatedBy    uint64 `gorm:"not null;default:0"`
	ConfirmedBy  uint64 `gorm:"not null;default:0"`
	ConfirmedAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Adjustment kinds.
const (
	AdjustGift   = "gift"
	AdjustCredit = "credit"
	AdjustDebit  = "debit"
)

// Adjustment is an operator's gift or manual correction, always with a reason.
type Adjustment struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Kind      string `gorm:"size:8;not null"`
	AmountFen int64  `gorm:"not null"`
	Reason    string `gorm:"size:255;not null"`
	StaffID   uint64 `gorm:"not null;default:0"`
	CreatedAt time.Time
}

// InvoiceTitle is a tenant's saved invoice header (发票抬头).
type InvoiceTitle struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Company     string `gorm:"size:128;not null"`
	TaxID       string `gorm:"size:32;not null"`
	Address     string `gorm:"size:255;not null;default:''"`
	Phone       string `gorm:"size:32;not null;default:''"`
	Bank        string `gorm:"size:128;not null;default:''"`
	BankAccount string `gorm:"size:64;not null;default:''"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Invoice states.
const (
	InvoiceRequested = "requested"
	InvoiceIssued    = "issued"
	InvoiceRejected  = "rejected"
)

// Invoice is a tenant's request for a tax invoice and, once issued, its PDF.
// The title is copied so a later edit of the title does not rewrite history.
type Invoice struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	AmountFen    int64  `gorm:"not null"`
	Company      string `gorm:"size:128;not null"`
	TaxID        string `gorm:"size:32;not null"`
	Address      string `gorm:"size:255;not null;default:''"`
	Phone        string `gorm:"size:32;not null;default:''"`
	Bank         string `gorm:"size:128;not null;default:''"`
	BankAccount  string `gorm:"size:64;not null;default:''"`
	Email        string `gorm:"size:191;not null;default:''"`
	State        string `gorm:"size:12;not null;index"`
	RejectReason string `gorm:"size:255;not null;default:''"`
	InvoiceNo    string `gorm:"size:64;not null;default:''"`
	PDFSize      int    `gorm:"not null;default:0"`
	ReviewedBy   uint64 `gorm:"not null;default:0"`
	ReviewedAt   *time.Time
	CreatedBy    uint64 `gorm:"not null;default:0"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// InvoiceFile holds an issued invoice's PDF apart from the row, so lists
// never read the blobs.
type InvoiceFile struct {
	InvoiceID uint64 `gorm:"primaryKey;autoIncrement:false"`
	Data      []byte `gorm:"not null"`
	CreatedAt time.Time
}
