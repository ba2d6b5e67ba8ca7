// Package crm is the operator's side of the business: first-party visitor
// analytics of the public website, leads and their follow-ups, the shared
// pool, conversion of a lead into a tenant, the funnel and the platform's
// statistics, and the help-center documents.
package crm

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

// Options tune the CRM.
type Options struct {
	// PoolAfter returns an owned lead to the shared pool when nobody followed
	// it up for this long (default 7 days).
	PoolAfter time.Duration
	Now       func() time.Time
}

// Service is the CRM service.
type Service struct {
	db       *store.DB
	accounts *tenant.Service
	log      *slog.Logger
	opt      Options
	// Revenue feeds the platform statistics' revenue; billing provides it
	// (nil: revenue shows as not available).
	Revenue Revenue

	saltMu sync.Mutex
	salts  map[string]string // day -> salt
}

// New returns the CRM service.
func New(db *store.DB, accounts *tenant.Service, log *slog.Logger, opt Options) *Service {
	if opt.PoolAfter <= 0 {
		opt.PoolAfter = 7 * 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, accounts: accounts, log: log, opt: opt, salts: map[string]string{}}
}

// Hooks returns the account hooks the CRM needs: sign-ups become leads and
// activations become funnel milestones. Chain them with any existing hooks.
func (s *Service) Hooks(prev tenant.Hooks) tenant.Hooks {
	return tenant.Hooks{
		AfterSignup: func(ctx context.Context, tx *gorm.DB, t *store.Tenant, u *store.User) error {
			if prev.AfterSignup != nil {
				if err := prev.AfterSignup(ctx, tx, t, u); err != nil {
					return err
				}
			}
			return s.afterSignup(ctx, tx, t, u)
		},
		AfterActivate: func(ctx context.Context, tx *gorm.DB, t *store.Tenant) error {
			if prev.AfterActivate != nil {
				if err := prev.AfterActivate(ctx, tx, t); err != nil {
					return err
				}
			}
			return s.recordMilestone(ctx, tx, t.ID, store.MilestoneActivated, 0)
		},
	}
}

// JobPoolSweep is the periodic job returning neglected leads to the pool.
const JobPoolSweep = "crm:pool_sweep"

// RegisterJobs schedules the pool sweep, the caller-ID answer-rate check and
// the analytics salt clean-up.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	r.Every(jobs.Periodic{Kind: JobPoolSweep, Every: 15 * time.Minute, Run: func(ctx context.Context) error {
		if _, err := s.SweepPool(ctx); err != nil {
			return err
		}
		if _, err := s.FlagFallingCallerIDs(ctx, 30); err != nil {
			return err
		}
		return s.PurgeOldSalts(ctx)
	}})
}

func clean(s string, max int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s))
	if utf8.RuneCountInString(s) > max {
		return string([]rune(s)[:max])
	}
	return s
}

func oneLine(s string) bool { return !strings.ContainsAny(s, "\r\n\x00") }

func runes(s string) int { return utf8.RuneCountInString(s) }
