package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/pii"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

func principalID(ctx context.Context) uint64 {
	if p, ok := tenant.PrincipalFrom(ctx); ok && p.Kind == tenant.ActorUser {
		return p.ID
	}
	return 0
}

// inFlightStates are the attempt states that hold a line.
var inFlightStates = []string{store.AttemptQueued, store.AttemptDialing, store.AttemptRinging, store.AttemptEarly, store.AttemptTalking}

// ticker serialises scheduler passes: asynq's periodic job runs in one
// process per period, and the Redis lock (or the mutex without Redis) keeps
// a slow pass from overlapping the next one.
type ticker struct {
	s  *Service
	mu sync.Mutex
	// rot rotates caller IDs between passes.
	rot uint64
}

const tickLockKey = "waihu:campaign:tick"

func (t *ticker) lock(ctx context.Context) (func(), bool) {
	if !t.mu.TryLock() {
		return nil, false
	}
	r := t.s.opt.Redis
	if r == nil {
		return t.mu.Unlock, true
	}
	token := uuid.NewString()
	ok, err := r.SetNX(ctx, tickLockKey, token, 5*t.s.opt.TickEvery+2*time.Second).Result()
	if err != nil || !ok {
		t.mu.Unlock()
		return nil, false
	}
	return func() {
		// Delete only our own lock.
		if v, _ := r.Get(context.WithoutCancel(ctx), tickLockKey).Result(); v == token {
			r.Del(context.WithoutCancel(ctx), tickLockKey)
		}
		t.mu.Unlock()
	}, true
}

type dialPayload struct {
	UUID     string `json:"uuid"`
	TenantID uint64 `json:"tenant_id"`
}

// Tick is one scheduler pass: it starts scheduled campaigns, ends expired
// ones, and for each running campaign creates as many attempts as every
// limit allows (campaign cap, tenant lines lent by priority, trunk
// concurrency and CPS, node capacity), each with its dial job in the same
// transaction. Limits are counted from the database on every pass, so they
// are right after any restart or a lost Redis.
func (s *Service) Tick(ctx context.Context) error {
	if s.opt.Dialer == nil {
		return nil
	}
	unlock, ok := s.tick.lock(ctx)
	if !ok {
		return nil
	}
	defer unlock()
	pctx := store.AsPlatform(ctx)
	now := s.now()
	db := s.db.With(pctx)

	var sched []store.Campaign
	if err := db.Where("state = ?", store.CampaignScheduled).Find(&sched).Error; err != nil {
		return err
	}
	for i := range sched {
		c := &sched[i]
		if c.StartAt == nil || !c.StartAt.After(now) {
			_ = s.db.Tx(pctx, func(tx *gorm.DB) error { return s.transition(pctx, tx, c, store.CampaignRunning, "", nil) })
		}
	}
	var running []store.Campaign
	if err := db.Where("state = ?", store.CampaignRunning).Order("tenant_id, priority DESC, id").Find(&running).Error; err != nil {
		return err
	}
	if len(running) == 0 {
		return nil
	}
	ids := make([]uint64, len(running))
	tenantIDs := []uint64{}
	for i, c := range running {
		ids[i] = c.ID
		if !slices.Contains(tenantIDs, c.TenantID) {
			tenantIDs = append(tenantIDs, c.TenantID)
		}
	}
	lim, err := s.loadLimits(pctx, tenantIDs)
	if err != nil {
		return err
	}
	created := 0
	for i := range running {
		c := &running[i]
		if c.EndAt != nil && !c.EndAt.After(now) {
			_ = s.db.Tx(pctx, func(tx *gorm.DB) error {
				return s.transition(pctx, tx, c, store.CampaignCompleted, "end time reached", map[string]any{"ended_at": now})
			})
			continue
		}
		if tripped, why, err := s.breaker(pctx, c); err == nil && tripped {
			_ = s.db.Tx(pctx, func(tx *gorm.DB) error { return s.transition(pctx, tx, c, store.CampaignPaused, why, nil) })
			continue
		}
		n, err := s.dispatchCampaign(ctx, c, lim, now)
		if err != nil {
			s.log.Warn("dispatch campaign failed", "campaign", c.ID, "err", err)
			continue
		}
		created += n
	}
	if created > 0 {
		s.nudge()
	}
	for i := range running {
		s.hub.publish(running[i].TenantID, running[i].ID)
	}
	return nil
}

// limits is what is free across the platform at the start of a pass.
type limits struct {
	campaignBusy map[uint64]int
	tenantFree   map[uint64]int
	trunkFree    map[uint64]int // concurrency left per trunk
	trunkCPS     map[uint64]int // setups left this pass per trunk
	trunkOf      map[uint64][]uint64
	nodeFree     int // -1 = no node rows (tests, single engine)
}

func (s *Service) loadLimits(ctx context.Context, tenantIDs []uint64) (*limits, error) {
	db := s.db.With(ctx)
	l := &limits{campaignBusy: map[uint64]int{}, tenantFree: map[uint64]int{}, trunkFree: map[uint64]int{}, trunkCPS: map[uint64]int{},
		trunkOf: map[uint64][]uint64{}, nodeFree: -1}
	type busy struct {
		CampaignID uint64
		TenantID   uint64
		TrunkID    uint64
		N          int
	}
	var rows []busy
	if err := db.Model(&store.CallAttempt{}).Select("campaign_id, tenant_id, trunk_id, COUNT(*) AS n").
		Where("state IN ?", inFlightStates).Group("campaign_id, tenant_id, trunk_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count calls in flight: %w", err)
	}
	tenantBusy := map[uint64]int{}
	trunkBusy := map[uint64]int{}
	total := 0
	for _, r := range rows {
		l.campaignBusy[r.CampaignID] += r.N
		tenantBusy[r.TenantID] += r.N
		trunkBusy[r.TrunkID] += r.N
		total += r.N
	}
	var tenants []store.Tenant
	if err := db.Where("id IN ?", tenantIDs).Find(&tenants).Error; err != nil {
		return nil, err
	}
	for _, t := range tenants {
		free := t.LineQuota - tenantBusy[t.ID]
		if t.Status != store.TenantActive {
			free = 0
		}
		l.tenantFree[t.ID] = free
	}
	var trunks []store.Trunk
	if err := db.Where("enabled = ?", true).Find(&trunks).Error; err != nil {
		return nil, err
	}
	for _, t := range trunks {
		l.trunkFree[t.ID] = t.MaxConcurrent - trunkBusy[t.ID]
		l.trunkCPS[t.ID] = max(1, int(float64(t.MaxCPS)*s.opt.TickEvery.Seconds()))
	}
	var assigns []store.TrunkAssignment
	if err := db.Where("tenant_id IN ?", tenantIDs).Order("trunk_id").Find(&assigns).Error; err != nil {
		return nil, err
	}
	for _, a := range assigns {
		if _, ok := l.trunkFree[a.TrunkID]; ok {
			l.trunkOf[a.TenantID] = append(l.trunkOf[a.TenantID], a.TrunkID)
		}
	}
	var nodes []store.Node
	if err := db.Where("state = ?", store.NodeEnabled).Find(&nodes).Error; err != nil {
		return nil, err
	}
	if len(nodes) > 0 {
		capacity := 0
		for _, n := range nodes {
			capacity += n.MaxCalls
		}
		l.nodeFree = capacity - total
	}
	return l, nil
}

// pickTrunk returns a trunk with room for the campaign, 0 when the tenant
// has no trunk rows at all (single-engine setups), or false when all its
// trunks are full.
func (l *limits) pickTrunk(c *store.Campaign) (uint64, bool) {
	cands := l.trunkOf[c.TenantID]
	if c.TrunkID != 0 {
		cands = []uint64{c.TrunkID}
	}
	if len(cands) == 0 {
		return 0, len(l.trunkOf[c.TenantID]) == 0 && c.TrunkID == 0
	}
	best, bestFree := uint64(0), 0
	for _, t := range cands {
		if f := min(l.trunkFree[t], l.trunkCPS[t]); f > bestFree {
			best, bestFree = t, f
		}
	}
	return best, best != 0
}

type dueContact struct {
	store.CampaignContact
	TZ       string
	AreaCode string
}

func (s *Service) dispatchCampaign(ctx context.Context, c *store.Campaign, lim *limits, now time.Time) (int, error) {
	tctx := store.WithTenant(ctx, c.TenantID)
	free := min(c.MaxConcurrent-lim.campaignBusy[c.ID], lim.tenantFree[c.TenantID])
	if lim.nodeFree >= 0 {
		free = min(free, lim.nodeFree)
	}
	if free <= 0 {
		return 0, nil
	}
	rules := parseRules(c.Rules)
	var due []dueContact
	err := s.db.With(tctx).Table("campaign_contacts AS cc").
		Select("cc.*, contacts.tz AS tz, contacts.area_code AS area_code").
		Joins("JOIN contacts ON contacts.id = cc.contact_id").
		Where("cc.tenant_id = ? AND cc.campaign_id = ? AND cc.state = ? AND cc.next_at <= ?", c.TenantID, c.ID, store.CCPending, now).
		Order("cc.next_at, cc.id").Limit(free * 2).Scan(&due).Error
	if err != nil {
		return 0, fmt.Errorf("read due contacts: %w", err)
	}
	if len(due) == 0 {
		return 0, s.maybeComplete(ctx, c)
	}
	phones := make([]string, len(due))
	for i := range due {
		phones[i] = due[i].Phone
	}
	blocked, err := s.blockedSet(tctx, phones)
	if err != nil {
		return 0, err
	}
	callerIDs, err := s.callerIDs(ctx, c.TenantID)
	if err != nil {
		return 0, err
	}
	calls, err := s.recentCalls(ctx, phones, now)
	if err != nil {
		return 0, err
	}
	created := 0
	var picks []pick
	for i := range due {
		if len(picks) >= free {
			break
		}
		d := &due[i]
		if blocked[d.Phone] {
			_ = s.db.With(tctx).Model(&store.CampaignContact{}).Where("id = ? AND state = ?", d.ID, store.CCPending).
				Updates(map[string]any{"state": store.CCSkipped, "skip_reason": ReasonDNC})
			continue
		}
		if !s.opt.IgnoreWindows {
			if ok, next := rules.InWindow(now, d.TZ); !ok {
				if next.IsZero() {
					next = now.Add(24 * time.Hour)
				}
				_ = s.db.With(tctx).Model(&store.CampaignContact{}).Where("id = ?", d.ID).Update("next_at", next)
				continue
			}
		}
		if capped, next := s.capFrom(calls[d.Phone], d.TZ, now); capped {
			_ = s.db.With(tctx).Model(&store.CampaignContact{}).Where("id = ?", d.ID).Update("next_at", next)
			continue
		}
		trunkID, ok := lim.pickTrunk(c)
		if !ok {
			break
		}
		a := &store.CallAttempt{UUID: uuid.NewString(), CampaignID: c.ID, ContactID: d.ContactID, AttemptNo: d.AttemptSeq + 1,
			Phone: d.Phone, CallerID: s.tick.pickCallerID(callerIDs, trunkID, d.AreaCode), TrunkID: trunkID,
			ScriptVersionID: c.ScriptVersionID, State: store.AttemptQueued, QueuedAt: now}
		a.TenantID = c.TenantID
		picks = append(picks, pick{a: a, ccID: d.ID, seq: d.AttemptSeq})
		lim.campaignBusy[c.ID]++
		lim.tenantFree[c.TenantID]--
		if lim.nodeFree >= 0 {
			lim.nodeFree--
		}
		if trunkID != 0 {
			lim.trunkFree[trunkID]--
			lim.trunkCPS[trunkID]--
		}
	}
	// One transaction per pass and campaign: each contact still moves only
	// from the state this pass read (another pass that took it wins), and
	// every attempt commits with its dial job.
	//
	// The contacts move one by one (each guarded by the state it was read
	// in); the attempts and their dial jobs are then written with
	// multi-row INSERTs, which is most of a pass's cost saved.
	err = s.db.Tx(tctx, func(tx *gorm.DB) error {
		attempts := make([]*store.CallAttempt, 0, len(picks))
		for _, p := range picks {
			res := tx.Model(&store.CampaignContact{}).Where("id = ? AND state = ? AND attempt_seq = ?", p.ccID, store.CCPending, p.seq).
				Updates(map[string]any{"state": store.CCActive, "attempt_seq": p.a.AttemptNo})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue // another pass took this contact
			}
			attempts = append(attempts, p.a)
		}
		if len(attempts) == 0 {
			return nil
		}
		if err := tx.CreateInBatches(attempts, 200).Error; err != nil {
			return fmt.Errorf("create attempts: %w", store.Translate(err))
		}
		js := make([]jobs.Job, len(attempts))
		for i, a := range attempts {
			js[i] = jobs.Job{Kind: JobDial, Key: a.UUID, Payload: dialPayload{UUID: a.UUID, TenantID: a.TenantID}}
		}
		if err := jobs.EnqueueMany(tctx, tx, js); err != nil {
			return err
		}
		created = len(attempts)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return created, nil
}

type pick struct {
	a    *store.CallAttempt
	ccID uint64
	seq  int
}

// maybeComplete ends a running campaign with nothing pending or in flight.
func (s *Service) maybeComplete(ctx context.Context, c *store.Campaign) error {
	tctx := store.WithTenant(ctx, c.TenantID)
	var n int64
	if err := s.db.With(tctx).Model(&store.CampaignContact{}).Where("campaign_id = ? AND state IN ?", c.ID,
		[]string{store.CCPending, store.CCActive}).Limit(1).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return s.db.Tx(tctx, func(tx *gorm.DB) error {
		return s.transition(tctx, tx, c, store.CampaignCompleted, "", map[string]any{"ended_at": s.now()})
	})
}

func (s *Service) callerIDs(ctx context.Context, tenantID uint64) ([]store.CallerIDNumber, error) {
	var rows []store.CallerIDNumber
	err := s.db.With(store.AsPlatform(ctx)).Where("tenant_id = ? AND enabled = ? AND flagged = ?", tenantID, true, false).Order("id").Find(&rows).Error
	return rows, err
}

// pickCallerID rotates through the tenant's numbers on the trunk,
// preferring one in the callee's area (local numbers are answered more).
func (t *ticker) pickCallerID(pool []store.CallerIDNumber, trunkID uint64, area string) string {
	var onTrunk, local []string
	for _, n := range pool {
		if trunkID != 0 && n.TrunkID != trunkID {
			continue
		}
		onTrunk = append(onTrunk, n.Number)
		if area != "" && n.AreaCode == area {
			local = append(local, n.Number)
		}
	}
	cands := onTrunk
	if len(local) > 0 {
		cands = local
	}
	if len(cands) == 0 {
		return ""
	}
	t.rot++
	return cands[t.rot%uint64(len(cands))]
}

// breaker trips when most of the campaign's recent dialed calls failed in
// the network (trunk down, carrier rejecting): calling on would only burn
// the list.
func (s *Service) breaker(ctx context.Context, c *store.Campaign) (bool, string, error) {
	var outcomes []string
	err := s.db.With(ctx).Model(&store.CallAttempt{}).Where("campaign_id = ? AND state = ? AND not_dialed = ?", c.ID, store.AttemptFinished, false).
		Order("id DESC").Limit(s.opt.BreakerMinCalls).Pluck("outcome", &outcomes).Error
	if err != nil || len(outcomes) < s.opt.BreakerMinCalls {
		return false, "", err
	}
	bad := 0
	for _, o := range outcomes {
		if o == callctl.OutcomeCarrierError || o == callctl.OutcomeFailed {
			bad++
		}
	}
	rate := float64(bad) / float64(len(outcomes))
	if rate >= s.opt.BreakerFailRate {
		return true, fmt.Sprintf("circuit breaker: %d of the last %d calls failed in the network (trunk down?)", bad, len(outcomes)), nil
	}
	return false, "", nil
}

// dialJob places one attempt. The attempt is committed as dialing (with
// DialedAt), the hold taken and the job marked done in one transaction
// BEFORE Dial, so a redelivered job, a restart or a second process finds it
// dialing and never calls the number again.
func (s *Service) dialJob(ctx context.Context, task *store.OutboxTask) error {
	var p dialPayload
	if err := json.Unmarshal([]byte(task.Payload), &p); err != nil {
		return fmt.Errorf("%w: bad dial payload: %v", jobs.ErrPermanent, err)
	}
	tctx := store.WithTenant(ctx, p.TenantID)
	var a store.CallAttempt
	dial := false
	err := s.db.Tx(tctx, func(tx *gorm.DB) error {
		if err := tx.Where("uuid = ?", p.UUID).First(&a).Error; err != nil {
			return store.Translate(err)
		}
		if a.State != store.AttemptQueued {
			return jobs.MarkDone(ctx, tx, task) // already dispatched once: never again
		}
		var c store.Campaign
		if err := tx.First(&c, a.CampaignID).Error; err != nil {
			return store.Translate(err)
		}
		if c.State != store.CampaignRunning {
			if err := s.notDialedTx(tctx, tx, &a, "campaign "+c.State, s.now()); err != nil {
				return err
			}
			return jobs.MarkDone(ctx, tx, task)
		}
		if s.opt.Funds != nil {
			if err := s.opt.Funds.Hold(tctx, tx, &a); err != nil {
				if !errors.Is(err, apperr.ErrInsufficientFunds) {
					return fmt.Errorf("hold funds: %w", err)
				}
				if err := s.notDialedTx(tctx, tx, &a, "insufficient funds", s.now()); err != nil {
					return err
				}
				if err := s.transition(tctx, tx, &c, store.CampaignPaused, "insufficient funds: recharge, then resume", nil); err != nil {
					return err
				}
				return jobs.MarkDone(ctx, tx, task)
			}
		}
		now := s.now()
		res := tx.Model(&store.CallAttempt{}).Where("id = ? AND state = ?", a.ID, store.AttemptQueued).
			Updates(map[string]any{"state": store.AttemptDialing, "dialed_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return jobs.MarkDone(ctx, tx, task)
		}
		a.State, a.DialedAt = store.AttemptDialing, &now
		dial = true
		return jobs.MarkDone(ctx, tx, task)
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: attempt %s not found", jobs.ErrPermanent, p.UUID)
	}
	if err != nil || !dial {
		return err
	}
	if s.opt.BeforeDial != nil {
		if err := s.opt.BeforeDial(&a); err != nil {
			return err // fault injection: the attempt stays dialing, as after a crash here
		}
	}
	derr := s.opt.Dialer.Dial(tctx, &a)
	switch {
	case derr == nil:
		return nil
	case errors.Is(derr, store.ErrNotDialed):
		return s.ReleaseNotDialed(tctx, &a, derr.Error())
	default:
		// Maybe placed, maybe not: reconciliation with FreeSWITCH decides.
		s.log.Warn("dial failed; left to reconciliation", "attempt", a.UUID, "phone", pii.MaskPhone(a.Phone), "err", derr)
		_ = s.db.With(tctx).Model(&store.CallAttempt{}).Where("id = ? AND state = ?", a.ID, store.AttemptDialing).
			Update("error", truncate(derr.Error(), 512)).Error
		return nil
	}
}

// ReleaseNotDialed ends an attempt that is known not to have reached
// FreeSWITCH (Dial returned store.ErrNotDialed, or reconciliation found no
// trace of it): it finishes as canceled and not dialed, its hold is
// released, and the contact is due again shortly without using a retry.
func (s *Service) ReleaseNotDialed(ctx context.Context, a *store.CallAttempt, reason string) error {
	tctx := store.WithTenant(ctx, a.TenantID)
	err := s.db.Tx(tctx, func(tx *gorm.DB) error {
		var cur store.CallAttempt
		if err := tx.First(&cur, a.ID).Error; err != nil {
			return store.Translate(err)
		}
		if cur.State != store.AttemptDialing && cur.State != store.AttemptQueued {
			return nil
		}
		if s.opt.Funds != nil && cur.State == store.AttemptDialing {
			if err := s.opt.Funds.Release(tctx, tx, &cur); err != nil {
				return fmt.Errorf("release hold: %w", err)
			}
		}
		return s.notDialedTx(tctx, tx, &cur, reason, s.now().Add(s.opt.NotDialedRetry))
	})
	s.nudge()
	return err
}

// notDialedTx finishes an attempt that never left waihu and makes its
// contact due again at retryAt.
func (s *Service) notDialedTx(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, reason string, retryAt time.Time) error {
	now := s.now()
	res := tx.Model(&store.CallAttempt{}).Where("id = ? AND state IN ?", a.ID, []string{store.AttemptQueued, store.AttemptDialing}).
		Updates(map[string]any{"state": store.AttemptFinished, "outcome": callctl.OutcomeCanceled, "not_dialed": true,
			"error": truncate("not dialed: "+reason, 512), "ended_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return nil
	}
	a.State, a.Outcome, a.NotDialed = store.AttemptFinished, callctl.OutcomeCanceled, true
	return tx.Model(&store.CampaignContact{}).Where("campaign_id = ? AND contact_id = ? AND state = ? AND attempt_seq = ?",
		a.CampaignID, a.ContactID, store.CCActive, a.AttemptNo).Updates(map[string]any{"state": store.CCPending, "next_at": retryAt}).Error
}

// ReconcileStuck hands attempts that stayed dialing longer than StuckAfter
// to the Reconciler, and releases queued attempts whose dial job gave up.
func (s *Service) ReconcileStuck(ctx context.Context) error {
	pctx := store.AsPlatform(ctx)
	cutoff := s.now().Add(-s.opt.StuckAfter)
	if s.opt.Reconciler != nil {
		var stuck []store.CallAttempt
		if err := s.db.With(pctx).Where("state = ? AND dialed_at < ?", store.AttemptDialing, cutoff).Order("id").Limit(500).Find(&stuck).Error; err != nil {
			return err
		}
		for i := range stuck {
			if err := s.opt.Reconciler.Reconcile(ctx, &stuck[i]); err != nil {
				s.log.Warn("reconcile attempt failed", "attempt", stuck[i].UUID, "err", err)
			}
		}
	}
	var queued []store.CallAttempt
	if err := s.db.With(pctx).Where("state = ? AND queued_at < ? AND uuid NOT IN (?)", store.AttemptQueued, cutoff,
		s.db.With(pctx).Model(&store.OutboxTask{}).Select("`key`").Where("kind = ? AND status = ?", JobDial, store.TaskPending)).
		Limit(500).Find(&queued).Error; err != nil {
		return err
	}
	for i := range queued {
		if err := s.ReleaseNotDialed(ctx, &queued[i], "dial job gave up"); err != nil {
			return err
		}
	}
	return nil
}

// Tags the dialogue may set that change what happens to a contact.
const (
	TagOptOut    = "opt_out"
	TagComplaint = "complaint"
	TagCallLater = "call_later"
)

func parseTags(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []string
	if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &out) == nil {
		return out
	}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// AttemptFinished is called by call control in the same transaction that
// writes the attempt's final state (a.State finished, a.Outcome set). It
// applies the campaign's retry rules, schedules a call_later callback, adds
// opt-out and complaint numbers to the tenant's do-not-call list, updates
// the statistics and records the webhook. A second call for the same
// attempt changes nothing.
func (s *Service) AttemptFinished(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error {
	if a.State != store.AttemptFinished {
		return fmt.Errorf("attempt %s finished in state %q", a.UUID, a.State)
	}
	tctx := store.WithTenant(ctx, a.TenantID)
	tx = tx.WithContext(tctx)
	var c store.Campaign
	if err := tx.First(&c, a.CampaignID).Error; err != nil {
		return fmt.Errorf("campaign of attempt %s: %w", a.UUID, store.Translate(err))
	}
	var cc store.CampaignContact
	if err := tx.Where("campaign_id = ? AND contact_id = ?", a.CampaignID, a.ContactID).First(&cc).Error; err != nil {
		return fmt.Errorf("campaign contact of attempt %s: %w", a.UUID, store.Translate(err))
	}
	if cc.State != store.CCActive || cc.AttemptSeq != a.AttemptNo {
		return nil // already applied
	}
	now := s.now()
	rules := parseRules(c.Rules)
	tags := parseTags(a.Tags)
	attempts := cc.Attempts + 1
	state, next := store.CCDone, now
	switch {
	case slices.Contains(tags, TagOptOut) || slices.Contains(tags, TagComplaint):
		reason := DNCOptOut
		if slices.Contains(tags, TagComplaint) {
			reason = DNCComplaint
		}
		if _, err := addDNCTx(tctx, tx, false, []string{a.Phone}, reason, fmt.Sprintf("campaign %d", c.ID)); err != nil {
			return err
		}
	case slices.Contains(tags, TagCallLater):
		state, next = store.CCPending, now.Add(time.Duration(rules.CallbackMin)*time.Minute)
		var vars map[string]string
		if json.Unmarshal([]byte(a.Vars), &vars) == nil {
			if t, err := time.Parse(time.RFC3339, vars["callback_at"]); err == nil && t.After(now) {
				next = t.UTC()
			}
		}
	default:
		if rr, ok := rules.retryFor(a.Outcome); ok && attempts < rr.MaxAttempts {
			state, next = store.CCPending, now.Add(time.Duration(rr.IntervalMin)*time.Minute)
		}
	}
	res := tx.Model(&store.CampaignContact{}).Where("id = ? AND state = ? AND attempt_seq = ?", cc.ID, store.CCActive, a.AttemptNo).
		Updates(map[string]any{"state": state, "next_at": next, "attempts": attempts, "last_outcome": a.Outcome, "last_grade": a.Grade})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return nil
	}
	answered := 0
	if a.Outcome == callctl.OutcomeAnswered {
		answered = 1
	}
	done := 0
	if state == store.CCDone {
		done = 1
	}
	if err := tx.Model(&store.Campaign{}).Where("id = ?", c.ID).Updates(map[string]any{
		"finished": gorm.Expr("finished + 1"), "answered": gorm.Expr("answered + ?", answered),
		"talk_sec_sum": gorm.Expr("talk_sec_sum + ?", a.TalkSec), "dialed": gorm.Expr("dialed + 1"),
		"contacts_done": gorm.Expr("contacts_done + ?", done)}).Error; err != nil {
		return err
	}
	if err := countFinished(tx, a, a.QueuedAt); err != nil {
		return err
	}
	s.hub.publish(c.TenantID, c.ID)
	return s.emit(tctx, tx, c.TenantID, EventCallFinished, map[string]any{
		"attempt_uuid": a.UUID, "campaign_id": c.ID, "contact_id": a.ContactID, "phone": a.Phone, "outcome": a.Outcome,
		"grade": a.Grade, "tags": tags, "talk_sec": a.TalkSec, "attempt_no": a.AttemptNo, "will_retry": state == store.CCPending,
	})
}
