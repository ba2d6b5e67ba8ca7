package callctl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/pii"
	"github.com/waihu/waihu/app/store"
)

// FinishHook runs in the transaction that moves an attempt to finished, so
// what campaigns and billing derive from the end of a call commits with it
// or not at all.
type FinishHook func(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error

// CDRHook runs in the transaction that stores a new CDR. a is nil when no
// attempt carries the CDR's UUID (a call waihu did not place, or one whose
// attempt row is gone).
type CDRHook func(ctx context.Context, tx *gorm.DB, cdr *store.CDR, a *store.CallAttempt) error

// Options configure the call-control service.
type Options struct {
	Log *slog.Logger
	// OutcomeRules are the operator's overrides, checked before the defaults.
	OutcomeRules []OutcomeRule
}

// Service owns the life of calls: their final state, CDR intake, and (in
// dialer.go and session.go) placing calls over FreeSWITCH.
type Service struct {
	db          *store.DB
	log         *slog.Logger
	rules       []OutcomeRule
	finishHooks []FinishHook
	cdrHooks    []CDRHook
	usageHooks  []UsageHook
}

// New returns a call-control service over db.
func New(db *store.DB, o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{db: db, log: o.Log, rules: o.OutcomeRules}
}

// OnFinish registers a hook for attempts reaching their final state. Hooks
// are registered at wiring time, before the service handles calls.
func (s *Service) OnFinish(h FinishHook) { s.finishHooks = append(s.finishHooks, h) }

// OnCDR registers a hook for newly stored CDRs.
func (s *Service) OnCDR(h CDRHook) { s.cdrHooks = append(s.cdrHooks, h) }

// Final is what is known about an attempt when it ends.
type Final struct {
	Ending
	AnsweredAt *time.Time
	EndedAt    time.Time
	BillSec    int
	// Set by the dialogue when the call ran a script.
	Grade      string
	Tags       string
	Vars       string
	Timeline   string
	RecordPath string
	Error      string
	// Usage is what the call consumed of pass-through engines (usage.go).
	Usage Usage
}

// Finish moves the attempt with this UUID to finished, exactly once: the
// update is conditional on the attempt not being finished yet, so two paths
// racing to end one call (the event tracker and a late CDR, or two waihu
// processes after a reconnect) produce one final state and one run of the
// hooks. It reports whether this call was the one that finished it.
func (s *Service) Finish(ctx context.Context, uuid string, f Final) (bool, error) {
	ctx = store.AsPlatform(ctx)
	var done bool
	err := s.db.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		done, err = s.finishTx(ctx, tx, uuid, f)
		return err
	})
	return done, err
}

func (s *Service) finishTx(ctx context.Context, tx *gorm.DB, uuid string, f Final) (bool, error) {
	var a store.CallAttempt
	if err := tx.Where("uuid = ?", uuid).Take(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return false, fmt.Errorf("finish attempt %s: %w", uuid, apperr.ErrNotFound)
		}
		return false, fmt.Errorf("finish attempt %s: %w", uuid, err)
	}
	if a.State == store.AttemptFinished {
		return false, nil
	}
	outcome := Classify(f.Ending, s.rules)
	if f.EndedAt.IsZero() {
		f.EndedAt = time.Now().UTC()
	}
	updates := map[string]any{
		"state":        store.AttemptFinished,
		"outcome":      outcome,
		"hangup_cause": clip(f.HangupCause, 64),
		"sip_status":   f.SIPStatus,
		"early_media":  clip(f.EarlyMedia, 32),
		"ended_at":     f.EndedAt,
		"updated_at":   time.Now().UTC(),
	}
	if f.AnsweredAt != nil {
		updates["answered_at"] = *f.AnsweredAt
		updates["talk_sec"] = int(f.EndedAt.Sub(*f.AnsweredAt).Round(time.Second) / time.Second)
	}
	if a.DialedAt != nil {
		ringEnd := f.EndedAt
		if f.AnsweredAt != nil {
			ringEnd = *f.AnsweredAt
		}
		if d := ringEnd.Sub(*a.DialedAt); d > 0 {
			updates["ring_sec"] = int(d.Round(time.Second) / time.Second)
		}
	}
	if f.BillSec > 0 {
		updates["bill_sec"] = f.BillSec
	}
	for k, v := range map[string]string{"grade": f.Grade, "tags": f.Tags, "vars": f.Vars, "timeline": f.Timeline, "record_path": f.RecordPath, "error": clip(f.Error, 512)} {
		if v != "" {
			updates[k] = v
		}
	}
	res := tx.Model(&store.CallAttempt{}).Where("id = ? AND state <> ?", a.ID, store.AttemptFinished).Updates(updates)
	if res.Error != nil {
		return false, fmt.Errorf("finish attempt %s: %w", uuid, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	if err := tx.Where("id = ?", a.ID).Take(&a).Error; err != nil {
		return false, fmt.Errorf("reload attempt %s: %w", uuid, err)
	}
	if err := s.recordUsage(ctx, tx, &a, f.Usage); err != nil {
		return false, err
	}
	for _, h := range s.finishHooks {
		if err := h(ctx, tx, &a); err != nil {
			return false, fmt.Errorf("finish attempt %s: %w", uuid, err)
		}
	}
	s.log.Info("call finished", "attempt", uuid, "outcome", outcome, "cause", f.HangupCause, "sip", f.SIPStatus, "phone", pii.MaskPhone(a.Phone))
	return true, nil
}

// IngestCDR stores a CDR posted by FreeSWITCH once per channel UUID. A
// duplicate post (FreeSWITCH retrying after a lost answer) changes nothing
// and reports created=false. It does not finish the attempt: FreeSWITCH
// posts the CDR before CHANNEL_HANGUP_COMPLETE (the reporting state comes
// first, see the traces), while the process following the call is still
// writing the dialogue's result. FinishFromCDRs finishes the attempts no
// process finished — waihu was down or lost the node when the call ended.
func (s *Service) IngestCDR(ctx context.Context, c *store.CDR) (created bool, err error) {
	ctx = store.AsPlatform(ctx)
	err = s.db.Tx(ctx, func(tx *gorm.DB) error {
		// Look first, then insert: the unique index on uuid settles a race
		// between two posts of the same CDR to two waihu processes. (An
		// upsert cannot tell "inserted" from "was there" on MySQL without
		// CLIENT_FOUND_ROWS games.)
		var seen int64
		if err := tx.Model(&store.CDR{}).Where("uuid = ?", c.UUID).Count(&seen).Error; err != nil {
			return fmt.Errorf("look up CDR %s: %w", c.UUID, err)
		}
		if seen > 0 {
			return errDuplicateCDR
		}
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(store.Translate(err), store.ErrConflict) {
				return errDuplicateCDR
			}
			return fmt.Errorf("store CDR %s: %w", c.UUID, err)
		}
		var a *store.CallAttempt
		key := c.AttemptUUID
		if key == "" {
			key = c.UUID
		}
		var row store.CallAttempt
		switch err := tx.Where("uuid = ?", key).Take(&row).Error; {
		case err == nil:
			a = &row
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return fmt.Errorf("find attempt of CDR %s: %w", c.UUID, err)
		}
		if a != nil && c.TenantID == 0 {
			// The CDR is filed under the attempt's tenant even when the
			// channel variable was lost (a transfer leg, an old config).
			tx.Model(c).Update("tenant_id", a.TenantID)
			c.TenantID = a.TenantID
		}
		if a != nil && c.BillSec > 0 && a.BillSec != c.BillSec {
			// FreeSWITCH's billsec is the one billed: it counts from the
			// 200 OK, waihu's own clock only approximates it.
			if err := tx.Model(&store.CallAttempt{}).Where("id = ?", a.ID).Update("bill_sec", c.BillSec).Error; err != nil {
				return err
			}
			a.BillSec = c.BillSec
		}
		for _, h := range s.cdrHooks {
			if err := h(ctx, tx, c, a); err != nil {
				return fmt.Errorf("CDR %s: %w", c.UUID, err)
			}
		}
		return nil
	})
	if errors.Is(err, errDuplicateCDR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// FinishFromCDRs finishes attempts still open whose CDR arrived before
// cutoff: the calls that ended while no waihu process followed them. It
// returns how many it finished.
func (s *Service) FinishFromCDRs(ctx context.Context, cutoff time.Time) (int, error) {
	ctx = store.AsPlatform(ctx)
	var rows []store.CDR
	err := s.db.With(ctx).Table("cdrs").Select("cdrs.*").
		Joins("JOIN call_attempts a ON a.uuid = cdrs.uuid OR (cdrs.attempt_uuid <> '' AND a.uuid = cdrs.attempt_uuid)").
		Where("a.state <> ? AND cdrs.received_at < ?", store.AttemptFinished, cutoff).
		Limit(500).Find(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("find CDRs of open attempts: %w", err)
	}
	n := 0
	for _, c := range rows {
		key := c.AttemptUUID
		if key == "" {
			key = c.UUID
		}
		f := Final{
			Ending:     Ending{Answered: c.AnswerAt != nil, HangupCause: c.HangupCause, SIPStatus: c.SIPTermStatus},
			AnsweredAt: c.AnswerAt,
			BillSec:    c.BillSec,
			RecordPath: c.RecordPath,
		}
		if c.EndAt != nil {
			f.EndedAt = *c.EndAt
		}
		done, err := s.Finish(ctx, key, f)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}
