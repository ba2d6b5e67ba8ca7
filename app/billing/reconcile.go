package billing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/store"
)

// Reconcile closes holds that nobody else will close, each in its own
// transaction, and returns how many it closed:
//   - a finished call that waited CDRWait without a CDR is charged from the
//     attempt's BillSec (a CDR arriving later re-rates it once);
//   - a hold whose attempt is gone, or still queued after OrphanAfter
//     (never dialed), is released;
//   - a hold whose attempt finished without AttemptFinished being called is
//     charged from its CDR or BillSec.
//
// Holds of calls in progress are left alone. It runs every ReconcileEvery.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	ctx = pctx(ctx)
	now := s.now()
	var holds []store.BillingHold
	err := s.db.With(ctx).Where("state = ? AND ((finished_at IS NOT NULL AND finished_at < ?) OR (finished_at IS NULL AND created_at < ?))",
		store.HoldHeld, now.Add(-s.opt.CDRWait), now.Add(-s.opt.OrphanAfter)).Order("id").Limit(1000).Find(&holds).Error
	if err != nil {
		return 0, fmt.Errorf("reconcile: list holds: %w", err)
	}
	closed := 0
	var firstErr error
	for i := range holds {
		h := &holds[i]
		err := s.db.Tx(ctx, func(tx *gorm.DB) error {
			var a store.CallAttempt
			err := tx.Where("uuid = ?", h.AttemptUUID).Take(&a).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				cdr, err := findCDR(tx, h.AttemptUUID)
				if err != nil {
					return err
				}
				if cdr != nil {
					return s.charge(ctx, tx, chargeIn{tenantID: h.TenantID, uuid: h.AttemptUUID, campaignID: h.CampaignID, billSec: cdr.BillSec, source: store.SourceCDR})
				}
				return s.release(tx, h.AttemptUUID)
			}
			if err != nil {
				return err
			}
			switch a.State {
			case store.AttemptFinished:
				cdr, err := findCDR(tx, a.UUID)
				if err != nil {
					return err
				}
				in := chargeIn{tenantID: a.TenantID, uuid: a.UUID, campaignID: a.CampaignID, billSec: a.BillSec, source: store.SourceAttempt}
				if cdr != nil {
					in.billSec, in.source = cdr.BillSec, store.SourceCDR
				} else if h.FinishedAt == nil || h.FinishedAt.After(now.Add(-s.opt.CDRWait)) {
					// AttemptFinished was never called: start the CDR wait now.
					return tx.Model(&store.BillingHold{}).Where("id = ? AND finished_at IS NULL", h.ID).Update("finished_at", now).Error
				}
				return s.charge(ctx, tx, in)
			case store.AttemptQueued:
				return s.release(tx, h.AttemptUUID)
			}
			return nil // in progress
		})
		if err != nil {
			s.log.WarnContext(ctx, "reconcile hold failed", "attempt", h.AttemptUUID, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		closed++
	}
	return closed, firstErr
}
