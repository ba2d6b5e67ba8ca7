// Package campaign is what a tenant does every day: contact lists and their
// imports, do-not-call lists, compliance rules, campaigns and their durable
// dispatch on asynq, results, exports and webhooks. The database is the
// truth; Redis only carries work and short-lived counters.
//
// Call control plugs in through Dialer (and optionally Reconciler), billing
// through Funds; both are declared here and wired in cmd/waihu.
package campaign

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// Dialer places the call of an attempt already committed as dialing (with
// DialedAt). It reads whatever else it needs (trunk, caller ID, script
// version, ContactVars) from the database by attempt. An error wrapping
// store.ErrNotDialed guarantees nothing reached FreeSWITCH; any other error
// leaves the attempt to reconciliation and it is never re-dialed blindly.
type Dialer interface {
	Dial(ctx context.Context, a *store.CallAttempt) error
}

// Funds holds money for an attempt before it is dialed (billing implements it,
// idempotent by attempt UUID).
type Funds interface {
	// Hold returns an error wrapping apperr.ErrInsufficientFunds when refused.
	Hold(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error
	// Release gives the hold back for an attempt that was not dialed after all.
	Release(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error
}

// Reconciler settles an attempt that was committed as dialing but has not
// progressed for Options.StuckAfter (waihu crashed around the originate, or
// Dial failed ambiguously). Call control asks FreeSWITCH (uuid_exists, CDRs)
// and finishes the attempt through its normal path, which calls
// AttemptFinished. Campaign never re-dials such an attempt itself.
type Reconciler interface {
	Reconcile(ctx context.Context, a *store.CallAttempt) error
}

// Options configure the Service. Zero values take the defaults.
type Options struct {
	// DataDir holds uploaded import files (DataDir/imports).
	DataDir string
	// MaxUploadBytes caps an uploaded file (default 256 MiB).
	MaxUploadBytes int64
	// MaxRows caps the data rows of one file (default 1,000,000).
	MaxRows int
	// BatchSize is the rows committed per import transaction (default
	// 10000: fewer commits, and a crash loses at most one batch of work).
	BatchSize int

	Dialer     Dialer
	Funds      Funds
	Reconciler Reconciler
	// BeforeDial, when set, runs after the attempt is committed as dialing
	// and before Dial; an error stops there as a crash would (fault
	// injection for kill tests).
	BeforeDial func(a *store.CallAttempt) error
	// Redis holds the cross-process tick lock and CPS counters; nil keeps
	// them in process (single-process deployments and unit tests).
	Redis redis.UniversalClient

	// TickEvery is the dispatch scheduler's period (default 1s).
	TickEvery time.Duration
	// NotDialedRetry is how long a contact waits after an attempt that did
	// not reach FreeSWITCH (default 30s).
	NotDialedRetry time.Duration
	// StuckAfter is how long an attempt may stay dialing before it is handed
	// to the Reconciler (default 2 minutes).
	StuckAfter time.Duration
	// ReconcileEvery is how often stuck attempts are looked for (default 30s).
	ReconcileEvery time.Duration
	// PlatformCap is the per-number limit across all tenants (default 2/day, 5/week).
	DailyCap, WeeklyCap int
	// BreakerMinCalls and BreakerFailRate trip the circuit breaker: among the
	// last BreakerMinCalls finished dialed attempts of a campaign, a share of
	// carrier errors/failures of BreakerFailRate or more pauses it
	// (defaults 20 and 0.8).
	BreakerMinCalls int
	BreakerFailRate float64
	// IgnoreWindows turns the calling-window check off (demo, load tests).
	IgnoreWindows bool

	HTTPClient *http.Client // webhook deliveries
	Log        *slog.Logger
	Now        func() time.Time
}

// Service is the campaign domain.
type Service struct {
	db     *store.DB
	opt    Options
	log    *slog.Logger
	runner *jobs.Runner
	tick   *ticker
	hub    *hub
}

// New builds the service.
func New(db *store.DB, opt Options) *Service {
	if opt.MaxUploadBytes <= 0 {
		opt.MaxUploadBytes = 256 << 20
	}
	if opt.MaxRows <= 0 {
		opt.MaxRows = 1_000_000
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 10000
	}
	if opt.TickEvery <= 0 {
		opt.TickEvery = time.Second
	}
	if opt.NotDialedRetry <= 0 {
		opt.NotDialedRetry = 30 * time.Second
	}
	if opt.StuckAfter <= 0 {
		opt.StuckAfter = 2 * time.Minute
	}
	if opt.ReconcileEvery <= 0 {
		opt.ReconcileEvery = 30 * time.Second
	}
	if opt.DailyCap <= 0 {
		opt.DailyCap = 2
	}
	if opt.WeeklyCap <= 0 {
		opt.WeeklyCap = 5
	}
	if opt.BreakerMinCalls <= 0 {
		opt.BreakerMinCalls = 20
	}
	if opt.BreakerFailRate <= 0 {
		opt.BreakerFailRate = 0.8
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.DataDir == "" {
		opt.DataDir = "./data"
	}
	s := &Service{db: db, opt: opt, log: opt.Log, hub: newHub()}
	s.tick = &ticker{s: s}
	return s
}

// Job kinds.
const (
	JobImport    = "campaign.import"
	JobDial      = "campaign.dial"
	JobTick      = "campaign.tick"
	JobReconcile = "campaign.reconcile"
	JobWebhook   = "campaign.webhook"
)

// RegisterJobs attaches the service's job handlers and periodic jobs to r.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	s.runner = r
	r.Handle(JobImport, s.importJob)
	r.Handle(JobDial, s.dialJob)
	r.Handle(JobWebhook, s.webhookJob)
	r.Every(jobs.Periodic{Kind: JobTick, Every: s.opt.TickEvery, Run: s.Tick})
	r.Every(jobs.Periodic{Kind: JobReconcile, Every: s.opt.ReconcileEvery, Run: s.ReconcileStuck})
}

func (s *Service) now() time.Time { return s.opt.Now().UTC() }

func (s *Service) nudge() {
	if s.runner != nil {
		s.runner.Nudge()
	}
}

// Plug sets the engines after construction (call control may itself need
// the campaign service for ContactVars and AttemptFinished). Call it before
// the job runner starts; nil arguments leave the current value.
func (s *Service) Plug(d Dialer, r Reconciler, f Funds) {
	if d != nil {
		s.opt.Dialer = d
	}
	if r != nil {
		s.opt.Reconciler = r
	}
	if f != nil {
		s.opt.Funds = f
	}
}
