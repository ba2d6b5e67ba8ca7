package store

import "time"

// Lead stages in the operator's CRM.
const (
	LeadNew         = "new"
	LeadContacted   = "contacted"
	LeadTrial       = "trial"
	LeadNegotiating = "negotiating"
	LeadWon         = "won"
	LeadLost        = "lost"
)

// Lead is a prospective customer (线索): every contact-sales form and every
// sign-up becomes one. OwnerID 0 means the lead sits in the shared pool (公海).
type Lead struct {
	ID          uint64 `gorm:"primaryKey"`
	Company     string `gorm:"size:128;not null;default:''"`
	ContactName string `gorm:"size:64;not null;default:''"`
	Phone       string `gorm:"size:32;not null;default:''"` // E.164
	Email       string `gorm:"size:191;not null;default:'';index"`
	Message     string `gorm:"type:text"`
	// Source: contact (website form), signup (console sign-up), manual (staff).
	Source      string `gorm:"size:16;not null;index"`
	UTMSource   string `gorm:"size:64;not null;default:''"`
	UTMMedium   string `gorm:"size:64;not null;default:''"`
	UTMCampaign string `gorm:"size:64;not null;default:''"`
	Landing     string `gorm:"size:191;not null;default:''"`
	Referrer    string `gorm:"size:191;not null;default:''"`
	Stage       string `gorm:"size:16;not null;index"`
	LostReason  string `gorm:"size:255;not null;default:''"`
	OwnerID     uint64 `gorm:"not null;default:0;index"`
	// TenantID is the tenant the lead became (sign-up or conversion).
	TenantID       uint64 `gorm:"not null;default:0;index"`
	AssignedAt     *time.Time
	LastFollowUpAt *time.Time
	NextFollowUpAt *time.Time `gorm:"index"`
	PooledAt       *time.Time
	CreatedAt      time.Time `gorm:"index"`
	UpdatedAt      time.Time
}

// TableName prefixes the CRM's tables.
func (Lead) TableName() string { return "crm_leads" }

// Follow-up kinds.
const (
	FollowUpCall   = "call"
	FollowUpVisit  = "visit"
	FollowUpWeChat = "wechat"
	FollowUpNote   = "note"
)

// FollowUp is one contact with a lead recorded by staff.
type FollowUp struct {
	ID        uint64 `gorm:"primaryKey"`
	LeadID    uint64 `gorm:"not null;index"`
	StaffID   uint64 `gorm:"not null;default:0"`
	StaffName string `gorm:"size:191;not null;default:''"`
	Kind      string `gorm:"size:16;not null"`
	Note      string `gorm:"type:text"`
	NextAt    *time.Time
	CreatedAt time.Time
}

// TableName prefixes the CRM's tables.
func (FollowUp) TableName() string { return "crm_follow_ups" }

// PageView is one counted view of a public page. The visitor is a hash of
// the address and browser under a salt that changes every day, so views can
// be grouped per visitor per day and never linked to a person or across days.
type PageView struct {
	ID          uint64    `gorm:"primaryKey"`
	At          time.Time `gorm:"not null;index"`
	Day         string    `gorm:"size:10;not null;index:idx_pv_day_visitor,priority:1"` // UTC yyyy-mm-dd
	Visitor     string    `gorm:"size:32;not null;index:idx_pv_day_visitor,priority:2"`
	Path        string    `gorm:"size:191;not null"`
	Referrer    string    `gorm:"size:191;not null;default:''"` // external host only
	UTMSource   string    `gorm:"size:64;not null;default:''"`
	UTMMedium   string    `gorm:"size:64;not null;default:''"`
	UTMCampaign string    `gorm:"size:64;not null;default:''"`
	Landing     bool      `gorm:"not null;default:false"` // first view of the visitor that day
	Lang        string    `gorm:"size:8;not null;default:''"`
}

// TableName prefixes the CRM's tables.
func (PageView) TableName() string { return "crm_page_views" }

// Milestone kinds of a tenant's funnel.
const (
	MilestoneActivated     = "activated"
	MilestoneFirstRecharge = "first_recharge"
)

// Milestone records the first time a tenant reached a funnel step; the
// unique index makes recording it idempotent.
type Milestone struct {
	ID        uint64    `gorm:"primaryKey"`
	TenantID  uint64    `gorm:"not null;uniqueIndex:idx_milestone,priority:1"`
	Kind      string    `gorm:"size:32;not null;uniqueIndex:idx_milestone,priority:2"`
	AmountFen int64     `gorm:"not null;default:0"`
	At        time.Time `gorm:"not null;index"`
}

// TableName prefixes the CRM's tables.
func (Milestone) TableName() string { return "crm_milestones" }

// HelpDoc is a help-center article (Markdown), managed in the back office.
type HelpDoc struct {
	ID        uint64 `gorm:"primaryKey"`
	Slug      string `gorm:"size:64;not null;uniqueIndex:idx_help_slug,priority:1"`
	Lang      string `gorm:"size:8;not null;uniqueIndex:idx_help_slug,priority:2"`
	Title     string `gorm:"size:191;not null"`
	Body      string `gorm:"type:mediumtext"`
	Position  int    `gorm:"not null;default:0"`
	Published bool   `gorm:"not null;default:true"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName prefixes the CRM's tables.
func (HelpDoc) TableName() string { return "crm_help_docs" }
