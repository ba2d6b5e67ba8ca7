package tenant

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// JobActivationNotice puts a welcome notice in a newly activated tenant's
// console. It is the foundation's end-to-end job: written with the
// activation, carried by asynq, done once.
const JobActivationNotice = "tenant.activation_notice"

// JobPurgeSessions deletes expired sessions every hour.
const JobPurgeSessions = "tenant.purge_sessions"

type activationPayload struct {
	TenantID uint64 `json:"tenant_id"`
}

// RegisterJobs hooks the accounts service to the job runner.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	prev := s.Hooks.AfterActivate
	s.Hooks.AfterActivate = func(ctx context.Context, tx *gorm.DB, t *store.Tenant) error {
		if prev != nil {
			if err := prev(ctx, tx, t); err != nil {
				return err
			}
		}
		key := fmt.Sprintf("%s:%d:%d", JobActivationNotice, t.ID, s.opt.Now().UnixNano())
		return jobs.Enqueue(ctx, tx, JobActivationNotice, key, activationPayload{TenantID: t.ID}, time.Time{})
	}
	r.Handle(JobActivationNotice, s.sendActivationNotice)
	r.Every(jobs.Periodic{Kind: JobPurgeSessions, Every: time.Hour, Run: func(ctx context.Context) error {
		_, err := s.PurgeSessions(ctx)
		return err
	}})
}

func (s *Service) sendActivationNotice(ctx context.Context, task *store.OutboxTask) error {
	var p activationPayload
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil || p.TenantID == 0 {
		return fmt.Errorf("activation notice payload %q: %w", task.Payload, jobs.ErrPermanent)
	}
	tctx := store.WithTenant(ctx, p.TenantID)
	return s.db.Tx(tctx, func(tx *gorm.DB) error {
		n := &store.Notification{Kind: "account.activated", Title: "notice.account_activated.title", Body: "notice.account_activated.body"}
		if err := tx.Create(n).Error; err != nil {
			return fmt.Errorf("create notice: %w", err)
		}
		return jobs.MarkDone(ctx, tx, task)
	})
}
