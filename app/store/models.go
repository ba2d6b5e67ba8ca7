package store

import (
	"time"
)

// Tenant status values.
const (
	TenantPending   = "pending"
	TenantActive    = "active"
	TenantSuspended = "suspended"
)

// Tenant is a customer company. It is a platform table: the operator sees all
// of them, and a tenant reads its own row by primary key.
type Tenant struct {
	ID            uint64 `gorm:"primaryKey"`
	Name          string `gorm:"size:128;not null"`
	Status        string `gorm:"size:16;not null;index"`
	DisplayName   string `gorm:"size:128;not null;default:''"`
	LogoURL       string `gorm:"size:512;not null;default:''"`
	ContactName   string `gorm:"size:64;not null;default:''"`
	ContactEmail  string `gorm:"size:191;not null;default:''"`
	ContactPhone  string `gorm:"size:32;not null;default:''"`
	LineQuota     int    `gorm:"not null;default:10"`
	PricePlanID   *uint64
	Features      string `gorm:"type:text"` // JSON object of feature flags
	SuspendReason string `gorm:"size:512;not null;default:''"`
	ActivatedAt   *time.Time
	SuspendedAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Tenant user roles, most to least powerful.
const (
	RoleOwner   = "owner"
	RoleAdmin   = "admin"
	RoleManager = "manager"
	RoleAgent   = "agent"
	RoleViewer  = "viewer"
)

// Operator staff roles.
const (
	StaffAdmin   = "admin"
	StaffSales   = "sales"
	StaffFinance = "finance"
	StaffSupport = "support"
)

// User is a tenant's sub-account. Emails are unique across all tenants
// because login names only the email.
type User struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Email        string `gorm:"size:191;not null;uniqueIndex"`
	Name         string `gorm:"size:64;not null"`
	PasswordHash string `gorm:"size:255;not null"`
	Role         string `gorm:"size:16;not null"`
	Locale       string `gorm:"size:8;not null;default:'zh-CN'"`
	Disabled     bool   `gorm:"not null;default:false"`
	FailedLogins int    `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Staff is an operator (platform company) account.
type Staff struct {
	ID           uint64 `gorm:"primaryKey"`
	Email        string `gorm:"size:191;not null;uniqueIndex"`
	Name         string `gorm:"size:64;not null"`
	PasswordHash string `gorm:"size:255;not null"`
	Role         string `gorm:"size:16;not null"`
	Locale       string `gorm:"size:8;not null;default:'zh-CN'"`
	Disabled     bool   `gorm:"not null;default:false"`
	FailedLogins int    `gorm:"not null;default:0"`
	LockedUntil  *time.Time
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName keeps the plural of staff readable.
func (Staff) TableName() string { return "staff" }

// Session kinds.
const (
	SessionTenant = "tenant"
	SessionStaff  = "staff"
)

// Session is a browser login. The cookie holds a random token; only its
// SHA-256 is stored, so a database leak does not leak live sessions.
type Session struct {
	ID         string    `gorm:"primaryKey;size:64"` // hex SHA-256 of the cookie token
	Kind       string    `gorm:"size:8;not null"`
	UserID     uint64    `gorm:"not null;index"`
	TenantID   uint64    `gorm:"not null;default:0"` // 0 for staff sessions
	CSRFToken  string    `gorm:"size:64;not null"`
	IP         string    `gorm:"size:64;not null;default:''"`
	UserAgent  string    `gorm:"size:255;not null;default:''"`
	ExpiresAt  time.Time `gorm:"not null;index"`
	LastSeenAt time.Time `gorm:"not null"`
	CreatedAt  time.Time
}

// APIKey lets a tenant's own systems call the API. The secret is shown once;
// only its SHA-256 is stored.
type APIKey struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	Name       string `gorm:"size:64;not null"`
	Prefix     string `gorm:"size:16;not null"` // first characters of the secret, for recognition
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	Role       string `gorm:"size:16;not null;default:'admin'"`
	CreatedBy  uint64 `gorm:"not null"`
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// AuditLog records who did what. TenantID is set when the action concerns a
// tenant (including operator actions on it); it is not under the automatic
// scope because operator entries about a tenant must stay visible to the operator.
type AuditLog struct {
	ID        uint64    `gorm:"primaryKey"`
	At        time.Time `gorm:"not null;index"`
	ActorKind string    `gorm:"size:16;not null"` // staff, user, api_key, system, anonymous
	ActorID   uint64    `gorm:"not null;default:0"`
	ActorName string    `gorm:"size:191;not null;default:''"`
	TenantID  uint64    `gorm:"not null;default:0;index"`
	Action    string    `gorm:"size:64;not null;index"`
	Target    string    `gorm:"size:191;not null;default:''"`
	Detail    string    `gorm:"type:text"`
	IP        string    `gorm:"size:64;not null;default:''"`
	RequestID string    `gorm:"size:64;not null;default:''"`
}

// Notification is an in-console notice for a tenant's users (UserID 0 = all).
type Notification struct {
	ID uint64 `gorm:"primaryKey"`
	TenantOwned
	UserID    uint64 `gorm:"not null;default:0"`
	Kind      string `gorm:"size:32;not null"`
	Title     string `gorm:"size:191;not null"`
	Body      string `gorm:"type:text"`
	ReadAt    *time.Time
	CreatedAt time.Time `gorm:"index"`
}

// Outbox task states.
const (
	TaskPending = "pending"
	TaskDone    = "done"
	TaskFailed  = "failed"
)

// OutboxTask is the database's record of a job. The row is written in the same
// transaction as the change that needs the job, and asynq only carries it:
// on start and periodically the relay re-enqueues pending rows, so a lost
// Redis loses no work. Key is the business key and the asynq TaskID.
type OutboxTask struct {
	ID          uint64    `gorm:"primaryKey"`
	Kind        string    `gorm:"size:64;not null;index:idx_outbox_due,priority:2"`
	Key         string    `gorm:"size:191;not null;uniqueIndex"`
	Payload     string    `gorm:"type:text"`
	Status      string    `gorm:"size:16;not null;index:idx_outbox_due,priority:1"`
	RunAt       time.Time `gorm:"not null;index:idx_outbox_due,priority:3"`
	EnqueuedAt  *time.Time
	Attempts    int    `gorm:"not null;default:0"`
	MaxAttempts int    `gorm:"not null;default:10"`
	LastError   string `gorm:"size:1024;not null;default:''"`
	DoneAt      *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Setting is a platform key/value (generated secrets, the analytics salt…).
type Setting struct {
	Key       string `gorm:"primaryKey;size:64"`
	Value     string `gorm:"type:text"`
	UpdatedAt time.Time
}
