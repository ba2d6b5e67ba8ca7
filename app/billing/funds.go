package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// planFor returns the tenant's price plan: its own, else the default plan,
// else a free plan (a platform that has not set prices charges nothing).
func planFor(tx *gorm.DB, tenantID uint64) (*store.PricePlan, error) {
	var t store.Tenant
	if err := tx.Select("id", "price_plan_id").Take(&t, tenantID).Error; err != nil {
		return nil, fmt.Errorf("read tenant %d: %w", tenantID, store.Translate(err))
	}
	var p store.PricePlan
	if t.PricePlanID != nil {
		err := tx.Take(&p, *t.PricePlanID).Error
		if err == nil {
			return &p, nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("read price plan: %w", err)
		}
	}
	return defaultPlan(tx)
}

func defaultPlan(tx *gorm.DB) (*store.PricePlan, error) {
	var p store.PricePlan
	err := tx.Where("is_default = ?", true).Order("id").Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &store.PricePlan{IncrementSec: 60}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read default price plan: %w", err)
	}
	return &p, nil
}

// planByID is the plan a hold was made under (0 = the tenant's current one).
func planByID(tx *gorm.DB, tenantID, planID uint64) (*store.PricePlan, error) {
	if planID != 0 {
		var p store.PricePlan
		if err := tx.Take(&p, planID).Error; err == nil {
			return &p, nil
		}
	}
	return planFor(tx, tenantID)
}

func findHold(tx *gorm.DB, uuid string) (*store.BillingHold, error) {
	var h store.BillingHold
	err := tx.Where("attempt_uuid = ?", uuid).Take(&h).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read hold: %w", err)
	}
	return &h, nil
}

// Hold reserves funds for an attempt's expected maximum cost (HoldSeconds
// of talk at its tenant's plan) before it is dialed. It implements
// campaign's Funds interface: idempotent by attempt UUID, and
// apperr.ErrInsufficientFunds (with nothing changed) when the tenant's
// available funds cannot cover it.
func (s *Service) Hold(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error {
	if a == nil || a.UUID == "" || a.TenantID == 0 {
		return errors.New("billing hold: attempt with a UUID and tenant required")
	}
	tx = tx.WithContext(pctx(ctx))
	plan, err := planFor(tx, a.TenantID)
	if err != nil {
		return err
	}
	amount := Rate(plan, s.opt.HoldSeconds, Usage{}).TotalFen
	acc, err := lockAccounts(tx, a.TenantID)
	if err != nil {
		return err
	}
	h := &store.BillingHold{TenantOwned: store.TenantOwned{TenantID: a.TenantID}, AttemptUUID: a.UUID, CampaignID: a.CampaignID,
		PlanID: plan.ID, AmountFen: amount, State: store.HoldHeld, CreatedAt: s.now()}
	inserted, err := insertOnce(tx, h)
	if err != nil {
		return fmt.Errorf("billing hold: %w", err)
	}
	rearm := false
	if !inserted {
		old, err := findHold(tx.Clauses(clause.Locking{Strength: "UPDATE"}), a.UUID)
		if err != nil || old == nil || old.State != store.HoldReleased {
			return err // held or settled already: a replay
		}
		var charged int64
		if err := tx.Model(&store.CallCharge{}).Where("attempt_uuid = ?", a.UUID).Count(&charged).Error; err != nil || charged > 0 {
			return err // the call is over and paid for
		}
		// Released (not dialed after all) and now dialed again: hold anew.
		r := tx.Model(&store.BillingHold{}).Where("id = ? AND state = ?", old.ID, store.HoldReleased).
			Updates(map[string]any{"state": store.HoldHeld, "amount_fen": amount, "plan_id": plan.ID, "closed_at": nil})
		if r.Error != nil || r.RowsAffected == 0 {
			return r.Error
		}
		h, rearm = old, true
	}
	if amount > 0 {
		if _, err := moveBalance(tx, acc.bal.ID, store.AccountBalance, 0, amount); err != nil {
			// Leave nothing behind: the caller may go on with its transaction.
			if rearm {
				tx.Model(&store.BillingHold{}).Where("id = ?", h.ID).Updates(map[string]any{"state": store.HoldReleased, "amount_fen": 0})
			} else {
				tx.Delete(&store.BillingHold{}, h.ID)
			}
			if errors.Is(err, apperr.ErrInsufficientFunds) {
				return fmt.Errorf("hold %d fen for call %s: %w", amount, a.UUID, apperr.ErrInsufficientFunds)
			}
			return err
		}
	}
	return s.checkLow(ctx, tx, a.TenantID)
}

// Release returns an attempt's held funds when it was not dialed after all.
// Releasing twice, or after settlement, changes nothing.
func (s *Service) Release(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error {
	if a == nil || a.UUID == "" {
		return errors.New("billing release: attempt with a UUID required")
	}
	return s.release(tx.WithContext(pctx(ctx)), a.UUID)
}

func (s *Service) release(tx *gorm.DB, uuid string) error {
	h, err := findHold(tx, uuid)
	if err != nil || h == nil || h.State != store.HoldHeld {
		return err
	}
	if _, err := lockAccounts(tx, h.TenantID); err != nil {
		return err
	}
	res := tx.Model(&store.BillingHold{}).Where("id = ? AND state = ?", h.ID, store.HoldHeld).
		Updates(map[string]any{"state": store.HoldReleased, "closed_at": s.now()})
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	// The row is ours now; its amount cannot change under us.
	if err := tx.Where("id = ?", h.ID).Take(h).Error; err != nil {
		return err
	}
	acc, err := lockAccounts(tx, h.TenantID)
	if err != nil {
		return err
	}
	_, err = moveBalance(tx, acc.bal.ID, store.AccountBalance, 0, -h.AmountFen)
	return err
}

// ExtendHold makes an attempt's hold cover a call of coverSec billable
// seconds. Call control calls it about once a minute during a long call with
// the talk time so far plus a margin; apperr.ErrInsufficientFunds means the
// funds have run out and the call should be ended politely now
// (FreeSWITCH's sched_hangup, set from MaxTalkSeconds, is the wall behind).
func (s *Service) ExtendHold(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, coverSec int) error {
	tx = tx.WithContext(pctx(ctx))
	h, err := findHold(tx, a.UUID)
	if err != nil || h == nil || h.State != store.HoldHeld {
		return err
	}
	plan, err := planByID(tx, h.TenantID, h.PlanID)
	if err != nil {
		return err
	}
	need := Rate(plan, coverSec, Usage{}).TotalFen - h.AmountFen
	if need <= 0 {
		return nil
	}
	acc, err := lockAccounts(tx, h.TenantID)
	if err != nil {
		return err
	}
	res := tx.Model(&store.BillingHold{}).Where("id = ? AND state = ?", h.ID, store.HoldHeld).Update("amount_fen", gorm.Expr("amount_fen + ?", need))
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if _, err := moveBalance(tx, acc.bal.ID, store.AccountBalance, 0, need); err != nil {
		tx.Model(&store.BillingHold{}).Where("id = ?", h.ID).Update("amount_fen", gorm.Expr("amount_fen - ?", need))
		if errors.Is(err, apperr.ErrInsufficientFunds) {
			return fmt.Errorf("extend hold of call %s to %ds: %w", a.UUID, coverSec, apperr.ErrInsufficientFunds)
		}
		return err
	}
	return s.checkLow(ctx, tx, h.TenantID)
}

// MaxTalkSeconds is how long (in billable seconds, at most limit) the call
// can last on its current hold plus the tenant's available funds: the time
// to give FreeSWITCH's sched_hangup so a call ends even if waihu is gone.
func (s *Service) MaxTalkSeconds(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, limit int) (int, error) {
	tx = tx.WithContext(pctx(ctx))
	h, err := findHold(tx, a.UUID)
	if err != nil {
		return 0, err
	}
	var held int64
	planID := uint64(0)
	if h != nil && h.State == store.HoldHeld {
		held, planID = h.AmountFen, h.PlanID
	}
	plan, err := planByID(tx, a.TenantID, planID)
	if err != nil {
		return 0, err
	}
	b, err := s.GetBalance(ctx, a.TenantID)
	if err != nil {
		return 0, err
	}
	return secondsCovered(plan, held+max(b.AvailableFen, 0), limit), nil
}

// RecordUsage stores what a call consumed of pass-through engines (ASR, TTS,
// LLM). Call control records it in the transaction that finishes the
// attempt, before AttemptFinished runs, so a call settled at its finish is
// rated with its usage. FreeSWITCH posts the CDR before the hangup event,
// though, so a call is usually charged from its CDR before its usage is
// known: the usage is then charged once, as its own ledger transaction
// (key call:<uuid>:usage) that re-rates the call's charge record with the
// usage lines. Only the first report of a call counts; replays change nothing.
func (s *Service) RecordUsage(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, u Usage) error {
	if a == nil || a.UUID == "" || a.TenantID == 0 {
		return errors.New("billing usage: attempt with a UUID and tenant required")
	}
	tx = tx.WithContext(pctx(ctx))
	// The first report is the call's usage: a call is finished once, so a
	// second report is a replay (or a stray) and changes nothing.
	var seen int64
	if err := tx.Model(&store.CallUsage{}).Where("attempt_uuid = ?", a.UUID).Count(&seen).Error; err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	if seen > 0 {
		return nil
	}
	row := store.CallUsage{TenantOwned: store.TenantOwned{TenantID: a.TenantID}, AttemptUUID: a.UUID, ASRSec: u.ASRSec, TTSChars: u.TTSChars, LLMTokens: u.LLMTokens}
	inserted, err := insertOnce(tx, &row)
	if err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	if !inserted {
		return nil
	}
	return s.chargeUsage(ctx, tx, a, u)
}

// chargeUsage adds a late usage report to a call charged already.
func (s *Service) chargeUsage(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, u Usage) error {
	if _, err := lockAccounts(tx, a.TenantID); err != nil {
		return err
	}
	var cc store.CallCharge
	err := tx.Where("attempt_uuid = ?", a.UUID).Take(&cc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // not charged yet: the charge reads the usage row
	}
	if err != nil {
		return fmt.Errorf("read call charge: %w", err)
	}
	key := "call:" + a.UUID + ":usage"
	var posted int64
	if err := tx.Model(&store.LedgerTxn{}).Where(map[string]any{"key": key}).Count(&posted).Error; err != nil {
		return fmt.Errorf("look up usage charge: %w", err)
	}
	if posted > 0 {
		return nil
	}
	plan, err := planByID(tx, cc.TenantID, cc.PlanID)
	if err != nil {
		return err
	}
	b := Rate(plan, cc.BillSec, u)
	delta := b.TotalFen - cc.TotalFen
	if delta < 0 || (b.TTSFen == cc.TTSFen && b.LLMFen == cc.LLMFen && b.ASRFen == cc.ASRFen) {
		return nil // nothing new to charge (or a smaller report than the one charged)
	}
	upd := map[string]any{"asr_fen": b.ASRFen, "tts_fen": b.TTSFen, "llm_fen": b.LLMFen, "minimum_fen": b.MinimumFen, "total_fen": b.TotalFen, "updated_at": s.now()}
	res := tx.Model(&store.CallCharge{}).Where("id = ? AND total_fen = ?", cc.ID, cc.TotalFen).Updates(upd)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if delta > 0 {
		unpaid, err := s.debit(ctx, tx, txnSpec{key: key, tenantID: cc.TenantID, kind: store.TxnCharge, campaignID: cc.CampaignID, attemptUUID: a.UUID,
			memo: fmt.Sprintf("call usage: ASR %ds, TTS %d chars, LLM %d tokens", u.ASRSec, u.TTSChars, u.LLMTokens)}, delta, 0)
		if err != nil {
			return err
		}
		if unpaid > 0 {
			if err := tx.Model(&store.CallCharge{}).Where("id = ?", cc.ID).Update("unpaid_fen", gorm.Expr("unpaid_fen + ?", unpaid)).Error; err != nil {
				return err
			}
		}
	}
	a.CostFen = b.TotalFen
	return setAttemptCost(tx, a.UUID, b.TotalFen)
}

// AttemptFinished is called by call control in the transaction that writes
// the attempt's final state. A CDR already received charges the call now; an
// unanswered call is settled at zero now (a late CDR that says otherwise
// re-rates it); an answered call without a CDR waits CDRWait for one and is
// then charged from the attempt's BillSec by Reconcile.
func (s *Service) AttemptFinished(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error {
	if a == nil || a.UUID == "" || a.TenantID == 0 {
		return errors.New("billing: finished attempt with a UUID and tenant required")
	}
	tx = tx.WithContext(pctx(ctx))
	cdr, err := findCDR(tx, a.UUID)
	if err != nil {
		return err
	}
	if cdr != nil {
		if err := s.charge(ctx, tx, chargeIn{tenantID: a.TenantID, uuid: a.UUID, campaignID: a.CampaignID, billSec: cdr.BillSec, source: store.SourceCDR}); err != nil {
			return err
		}
		return syncCost(tx, a)
	}
	if a.AnsweredAt == nil && a.BillSec <= 0 {
		if err := s.charge(ctx, tx, chargeIn{tenantID: a.TenantID, uuid: a.UUID, campaignID: a.CampaignID, billSec: 0, source: store.SourceAttempt}); err != nil {
			return err
		}
		return syncCost(tx, a)
	}
	// Mark the hold as waiting for its CDR; a call that had no hold gets a
	// zero one, so reconciliation finds it either way.
	now := s.now()
	h := &store.BillingHold{TenantOwned: store.TenantOwned{TenantID: a.TenantID}, AttemptUUID: a.UUID, CampaignID: a.CampaignID,
		State: store.HoldHeld, FinishedAt: &now, CreatedAt: now}
	if _, err := insertOnce(tx, h); err != nil {
		return fmt.Errorf("mark call finished: %w", err)
	}
	if err := tx.Model(&store.BillingHold{}).Where("attempt_uuid = ? AND finished_at IS NULL", a.UUID).Update("finished_at", now).Error; err != nil {
		return fmt.Errorf("mark call finished: %w", err)
	}
	// A hold released earlier (an orphan released by reconciliation, a
	// Release before a dial that happened after all) becomes an empty open
	// marker again, unless the call is already charged.
	var charged int64
	if err := tx.Model(&store.CallCharge{}).Where("attempt_uuid = ?", a.UUID).Count(&charged).Error; err != nil {
		return err
	}
	if charged > 0 {
		return nil
	}
	return tx.Model(&store.BillingHold{}).Where("attempt_uuid = ? AND state = ?", a.UUID, store.HoldReleased).
		Updates(map[string]any{"state": store.HoldHeld, "amount_fen": 0, "finished_at": now, "closed_at": nil}).Error
}

// CDRReceived is called by call control in the transaction that stores a
// CDR. The CDR's billsec is authoritative: it charges the call if it was not
// charged yet, and re-rates it once if it was charged from the attempt's
// BillSec. a may be nil; the attempt is then looked up by UUID.
func (s *Service) CDRReceived(ctx context.Context, tx *gorm.DB, cdr *store.CDR, a *store.CallAttempt) error {
	if cdr == nil {
		return errors.New("billing: CDR required")
	}
	tx = tx.WithContext(pctx(ctx))
	uuid := cdr.AttemptUUID
	if uuid == "" {
		uuid = cdr.UUID
	}
	if a == nil {
		var row store.CallAttempt
		err := tx.Where("uuid = ?", uuid).Take(&row).Error
		switch {
		case err == nil:
			a = &row
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return fmt.Errorf("find attempt of CDR: %w", err)
		}
	}
	in := chargeIn{uuid: uuid, billSec: cdr.BillSec, source: store.SourceCDR, tenantID: cdr.TenantID}
	if a != nil {
		in.tenantID, in.campaignID = a.TenantID, a.CampaignID
	}
	if in.tenantID == 0 {
		return nil // not a tenant's call (an agent leg, a test call)
	}
	return s.charge(ctx, tx, in)
}

func findCDR(tx *gorm.DB, uuid string) (*store.CDR, error) {
	var c store.CDR
	err := tx.Where("attempt_uuid = ? OR uuid = ?", uuid, uuid).Order("id").Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find CDR: %w", err)
	}
	return &c, nil
}

type chargeIn struct {
	tenantID   uint64
	uuid       string
	campaignID uint64
	billSec    int
	source     string
}

// charge rates and posts a call exactly once (the CallCharge row is unique
// by attempt UUID), settling its hold.
func (s *Service) charge(ctx context.Context, tx *gorm.DB, in chargeIn) error {
	h, err := findHold(tx, in.uuid)
	if err != nil {
		return err
	}
	planID := uint64(0)
	if h != nil {
		planID = h.PlanID
	}
	plan, err := planByID(tx, in.tenantID, planID)
	if err != nil {
		return err
	}
	var u store.CallUsage
	tx.Where("attempt_uuid = ?", in.uuid).Limit(1).Find(&u)
	b := Rate(plan, in.billSec, Usage{ASRSec: u.ASRSec, TTSChars: u.TTSChars, LLMTokens: u.LLMTokens})
	now := s.now()
	cc := &store.CallCharge{TenantOwned: store.TenantOwned{TenantID: in.tenantID}, AttemptUUID: in.uuid, CampaignID: in.campaignID,
		PlanID: plan.ID, Source: in.source, CreatedAt: now}
	fill(cc, b)
	if _, err := lockAccounts(tx, in.tenantID); err != nil {
		return err
	}
	inserted, err := insertOnce(tx, cc)
	if err != nil {
		return fmt.Errorf("record call charge: %w", err)
	}
	if !inserted {
		// Charged already. A hold opened again since (a replayed Hold after
		// a Release) has nothing left to pay for.
		if h != nil && h.State == store.HoldHeld {
			if err := s.release(tx, in.uuid); err != nil {
				return err
			}
		}
		if in.source == store.SourceCDR {
			return s.rerate(ctx, tx, in, b)
		}
		return nil
	}
	var heldAmt int64
	if h != nil && h.State == store.HoldHeld {
		r := tx.Model(&store.BillingHold{}).Where("id = ? AND state = ?", h.ID, store.HoldHeld).
			Updates(map[string]any{"state": store.HoldSettled, "closed_at": now})
		if r.Error != nil {
			return fmt.Errorf("settle hold: %w", r.Error)
		}
		if r.RowsAffected == 1 {
			if err := tx.Where("id = ?", h.ID).Take(h).Error; err != nil {
				return err
			}
			heldAmt = h.AmountFen
		}
	}
	unpaid, err := s.debit(ctx, tx, txnSpec{key: "call:" + in.uuid + ":1", tenantID: in.tenantID, kind: store.TxnCharge,
		campaignID: in.campaignID, attemptUUID: in.uuid, memo: fmt.Sprintf("call %ds billed %ds", b.BillSec, b.BilledSec)}, b.TotalFen, heldAmt)
	if err != nil {
		return err
	}
	if unpaid > 0 {
		if err := tx.Model(&store.CallCharge{}).Where("id = ?", cc.ID).Update("unpaid_fen", unpaid).Error; err != nil {
			return err
		}
	}
	return setAttemptCost(tx, in.uuid, b.TotalFen)
}

func fill(cc *store.CallCharge, b Breakdown) {
	cc.BillSec, cc.BilledSec, cc.VoiceFen, cc.PerCallFen = b.BillSec, b.BilledSec, b.VoiceFen, b.PerCallFen
	cc.ASRFen, cc.TTSFen, cc.LLMFen, cc.MinimumFen, cc.TotalFen = b.ASRFen, b.TTSFen, b.LLMFen, b.MinimumFen, b.TotalFen
}

// syncCost copies a charged call's cost onto the attempt, row and struct:
// the CDR may have charged the call before call control wrote the attempt's
// final state from a struct that did not know the cost yet.
func syncCost(tx *gorm.DB, a *store.CallAttempt) error {
	var cc store.CallCharge
	err := tx.Where("attempt_uuid = ?", a.UUID).Take(&cc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	a.CostFen = cc.TotalFen
	return setAttemptCost(tx, a.UUID, cc.TotalFen)
}

func setAttemptCost(tx *gorm.DB, uuid string, fen int64) error {
	if err := tx.Model(&store.CallAttempt{}).Where("uuid = ?", uuid).Update("cost_fen", fen).Error; err != nil {
		return fmt.Errorf("write call cost: %w", err)
	}
	return nil
}

// rerate corrects, once, a call charged from the attempt's BillSec when its
// CDR arrives late with a different figure.
func (s *Service) rerate(ctx context.Context, tx *gorm.DB, in chargeIn, b Breakdown) error {
	var old store.CallCharge
	// Locking read: the row may have been committed by another transaction
	// after this one's snapshot began.
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("attempt_uuid = ?", in.uuid).Take(&old).Error; err != nil {
		return fmt.Errorf("read call charge: %w", err)
	}
	if old.Source != store.SourceAttempt {
		return nil
	}
	upd := map[string]any{"source": store.SourceCDR, "bill_sec": b.BillSec, "billed_sec": b.BilledSec, "voice_fen": b.VoiceFen,
		"per_call_fen": b.PerCallFen, "asr_fen": b.ASRFen, "tts_fen": b.TTSFen, "llm_fen": b.LLMFen, "minimum_fen": b.MinimumFen, "total_fen": b.TotalFen}
	res := tx.Model(&store.CallCharge{}).Where("id = ? AND source = ?", old.ID, store.SourceAttempt).Updates(upd)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	delta := b.TotalFen - old.TotalFen
	spec := txnSpec{key: "call:" + in.uuid + ":2", tenantID: in.tenantID, kind: store.TxnCorrection, campaignID: old.CampaignID,
		attemptUUID: in.uuid, memo: fmt.Sprintf("re-rated from CDR: %ds instead of %ds", b.BillSec, old.BillSec)}
	switch {
	case delta > 0:
		unpaid, err := s.debit(ctx, tx, spec, delta, 0)
		if err != nil {
			return err
		}
		if unpaid > 0 {
			tx.Model(&store.CallCharge{}).Where("id = ?", old.ID).Update("unpaid_fen", gorm.Expr("unpaid_fen + ?", unpaid))
		}
	case delta < 0:
		spec.amount = -delta
		if _, err := s.credit(ctx, tx, spec, store.AccountRevenue); err != nil && !errors.Is(err, errPosted) {
			return err
		}
	}
	return setAttemptCost(tx, in.uuid, b.TotalFen)
}

// debit takes amount from a tenant for revenue while releasing releaseHeld of
// its held funds. What the tenant's available funds cannot cover is booked
// to its arrears account; debit returns that unpaid part.
func (s *Service) debit(ctx context.Context, tx *gorm.DB, t txnSpec, amount, releaseHeld int64) (int64, error) {
	acc, err := lockAccounts(tx, t.tenantID)
	if err != nil {
		return 0, err
	}
	if amount == 0 {
		if releaseHeld != 0 {
			_, err := moveBalance(tx, acc.bal.ID, store.AccountBalance, 0, -releaseHeld)
			return 0, err
		}
		return 0, nil
	}
	rev, err := platformAccount(tx, store.AccountRevenue)
	if err != nil {
		return 0, err
	}
	avail := acc.bal.Balance - (acc.bal.Held - releaseHeld) + acc.bal.CreditLimit
	pay := min(amount, max(avail, 0))
	unpaid := amount - pay
	t.amount = -amount
	legs := []leg{{accountID: acc.bal.ID, kind: store.AccountBalance, amount: -pay, heldDelta: -releaseHeld}, {accountID: rev, kind: store.AccountRevenue, amount: amount}}
	if unpaid > 0 {
		legs = append(legs, leg{accountID: acc.arr.ID, kind: store.AccountArrears, amount: -unpaid})
	}
	if _, err := s.post(tx, t, legs); err != nil {
		if errors.Is(err, errPosted) {
			return 0, nil
		}
		return 0, err
	}
	return unpaid, s.checkLow(ctx, tx, t.tenantID)
}

// JobLowBalance sends one low-balance alert.
const JobLowBalance = "billing.low_balance"

type lowBalancePayload struct {
	TenantID     uint64 `json:"tenant_id"`
	AvailableFen int64  `json:"available_fen"`
}

// checkLow arms a low-balance alert job when available funds fell under the
// threshold and no alert is out for this dip yet.
func (s *Service) checkLow(ctx context.Context, tx *gorm.DB, tenantID uint64) error {
	acc, err := lockAccounts(tx, tenantID)
	if err != nil {
		return err
	}
	th := s.threshold(&acc.bal)
	if th <= 0 || acc.bal.LowAlertAt != nil || acc.available() >= th {
		return nil
	}
	now := s.now()
	res := tx.Model(&store.BillingAccount{}).Where("id = ? AND low_alert_at IS NULL", acc.bal.ID).Update("low_alert_at", now)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	key := fmt.Sprintf("%s:%d:%d", JobLowBalance, tenantID, now.UnixNano())
	return jobs.Enqueue(ctx, tx, JobLowBalance, key, lowBalancePayload{TenantID: tenantID, AvailableFen: acc.available()}, time.Time{})
}
