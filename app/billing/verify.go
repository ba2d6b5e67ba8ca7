package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/waihu/waihu/app/store"
)

// Verify checks the money invariants over the whole database and returns
// every violation found (nil when the books are sound). Tests call it after
// every step; an operator can run it on a live system (it only reads).
//   - every ledger transaction's entries sum to zero;
//   - every tenant account's stored balance equals the sum of its entries;
//   - every balance account's held funds equal its open holds, and its
//     available funds are not negative;
//   - every call charge is posted to the ledger for exactly its total;
//   - every finished attempt is charged, or waits for its CDR with a hold.
func (s *Service) Verify(ctx context.Context) error {
	db := s.db.With(pctx(ctx))
	var errs []error
	type sumRow struct {
		ID  uint64
		Sum int64
	}
	var unbalanced []sumRow
	if err := db.Table("ledger_entries").Select("txn_id AS id, SUM(amount_fen) AS sum").Group("txn_id").Having("SUM(amount_fen) <> 0").Scan(&unbalanced).Error; err != nil {
		return err
	}
	for _, r := range unbalanced {
		errs = append(errs, fmt.Errorf("transaction %d entries sum to %d", r.ID, r.Sum))
	}
	var total int64
	if err := db.Table("ledger_entries").Select("COALESCE(SUM(amount_fen), 0)").Scan(&total).Error; err != nil {
		return err
	}
	if total != 0 {
		errs = append(errs, fmt.Errorf("the ledger sums to %d", total))
	}
	var accounts []store.BillingAccount
	if err := db.Where("tenant_id <> 0").Find(&accounts).Error; err != nil {
		return err
	}
	var sums []sumRow
	if err := db.Table("ledger_entries").Select("account_id AS id, SUM(amount_fen) AS sum").Group("account_id").Scan(&sums).Error; err != nil {
		return err
	}
	bySum := map[uint64]int64{}
	for _, r := range sums {
		bySum[r.ID] = r.Sum
	}
	var held []sumRow
	if err := db.Table("billing_holds").Select("tenant_id AS id, SUM(amount_fen) AS sum").Where("state = ?", store.HoldHeld).Group("tenant_id").Scan(&held).Error; err != nil {
		return err
	}
	heldBy := map[uint64]int64{}
	for _, r := range held {
		heldBy[r.ID] = r.Sum
	}
	for _, a := range accounts {
		if a.Balance != bySum[a.ID] {
			errs = append(errs, fmt.Errorf("tenant %d %s account stores %d, entries sum to %d", a.TenantID, a.Kind, a.Balance, bySum[a.ID]))
		}
		if a.Kind != store.AccountBalance {
			continue
		}
		if a.Held != heldBy[a.TenantID] {
			errs = append(errs, fmt.Errorf("tenant %d holds %d, open holds sum to %d", a.TenantID, a.Held, heldBy[a.TenantID]))
		}
		if a.Balance-a.Held+a.CreditLimit < 0 {
			errs = append(errs, fmt.Errorf("tenant %d available funds %d are negative", a.TenantID, a.Balance-a.Held+a.CreditLimit))
		}
	}
	// Charges against the ledger: what the call transactions took equals the
	// charge's total, for every call.
	var charges []store.CallCharge
	if err := db.Find(&charges).Error; err != nil {
		return err
	}
	type posted struct {
		AttemptUUID string
		Sum         int64
	}
	var ps []posted
	if err := db.Table("ledger_txns").Select("attempt_uuid, SUM(amount_fen) AS sum").Where("kind IN ?", []string{store.TxnCharge, store.TxnCorrection}).
		Group("attempt_uuid").Scan(&ps).Error; err != nil {
		return err
	}
	postedBy := map[string]int64{}
	for _, p := range ps {
		postedBy[p.AttemptUUID] = p.Sum
	}
	charged := map[string]bool{}
	for _, c := range charges {
		charged[c.AttemptUUID] = true
		if -postedBy[c.AttemptUUID] != c.TotalFen {
			errs = append(errs, fmt.Errorf("call %s: charge %d fen, ledger took %d", c.AttemptUUID, c.TotalFen, -postedBy[c.AttemptUUID]))
		}
	}
	for uuid := range postedBy {
		if !charged[uuid] {
			errs = append(errs, fmt.Errorf("call %s: posted to the ledger without a charge record", uuid))
		}
	}
	var finished []string
	if err := db.Model(&store.CallAttempt{}).Where("state = ?", store.AttemptFinished).Pluck("uuid", &finished).Error; err != nil {
		return err
	}
	var waiting []string
	if err := db.Model(&store.BillingHold{}).Where("state = ? AND finished_at IS NOT NULL", store.HoldHeld).Pluck("attempt_uuid", &waiting).Error; err != nil {
		return err
	}
	isWaiting := map[string]bool{}
	for _, u := range waiting {
		isWaiting[u] = true
	}
	// An attempt that never became a call (campaign's ReleaseNotDialed:
	// canceled, its hold released) is finished without a charge.
	var released []string
	if err := db.Model(&store.BillingHold{}).Where("state = ?", store.HoldReleased).Pluck("attempt_uuid", &released).Error; err != nil {
		return err
	}
	var canceled []string
	if err := db.Model(&store.CallAttempt{}).Where("state = ? AND outcome = ?", store.AttemptFinished, "canceled").Pluck("uuid", &canceled).Error; err != nil {
		return err
	}
	wasReleased := map[string]bool{}
	for _, u := range released {
		wasReleased[u] = true
	}
	for _, u := range canceled {
		if wasReleased[u] {
			isWaiting[u] = true
		}
	}
	for _, u := range finished {
		if !charged[u] && !isWaiting[u] {
			errs = append(errs, fmt.Errorf("finished call %s is neither charged nor waiting for its CDR", u))
		}
	}
	if len(errs) > 20 {
		errs = append(errs[:20], fmt.Errorf("… and %d more", len(errs)-20))
	}
	return errors.Join(errs...)
}
