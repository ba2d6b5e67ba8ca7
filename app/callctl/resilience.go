package callctl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/esl"
)

// CauseLostTrack is the hangup cause recorded when neither FreeSWITCH's
// events nor its CDR said how a call ended: the node crashed, restarted or
// stayed unreachable. Its outcome is failed (or answered, when the answer
// was seen), which the campaign's retry rules may retry as a new attempt.
const CauseLostTrack = "WAIHU_LOST_TRACK"

// A call this process follows becomes suspect when its node's event socket
// went down or came back (events may have been lost in between), or when
// its outbound socket died without a hangup. Its tracker then checks it
// against the node until the call proves alive or ends:
//
//   - the attempt was finished by someone else (FinishFromCDRs, another
//     process): stop following it;
//   - its CDR arrived: finish from the CDR (FreeSWITCH's own account);
//   - uuid_exists true: it is alive and its events flow again; if its
//     session socket was lost nobody runs its dialogue, so uuid_kill it and
//     let its CHANNEL_HANGUP_COMPLETE (or CDR) finish it;
//   - uuid_exists false for CDRGrace with no CDR: the switch lost it
//     (crash, restart); finish with CauseLostTrack;
//   - node unreachable for ReconcileAfter: finish with CauseLostTrack too,
//     so a node that stays down does not leave attempts open for ever.
//
// Nothing here dials: a retry is a new attempt decided by the campaign.

// suspicion is the tracker's state while a call is suspect.
type suspicion struct {
	since  time.Time // zero: not suspect
	goneAt time.Time // first "uuid_exists false"
	tick   *time.Ticker
}

func (s *suspicion) start(every time.Duration) {
	if s.since.IsZero() {
		s.since = time.Now()
		s.tick = time.NewTicker(every)
	}
}

func (s *suspicion) clear() {
	if s.tick != nil {
		s.tick.Stop()
	}
	*s = suspicion{}
}

func (s *suspicion) C() <-chan time.Time {
	if s.tick == nil {
		return nil
	}
	return s.tick.C
}

// suspect asks the call's tracker to check it against FreeSWITCH.
func (lc *liveCall) suspect() {
	select {
	case lc.verify <- struct{}{}:
	default:
	}
}

// suspectNode makes every call this process follows on a node suspect.
func (e *Engine) suspectNode(nodeID uint64) {
	e.mu.Lock()
	var calls []*liveCall
	for _, lc := range e.calls {
		if lc.nodeID == nodeID {
			calls = append(calls, lc)
		}
	}
	e.mu.Unlock()
	for _, lc := range calls {
		lc.suspect()
	}
}

// checkEvery is how often a suspect call is checked.
func (e *Engine) checkEvery() time.Duration {
	return min(max(e.o.CDRGrace/5, 50*time.Millisecond), 5*time.Second)
}

// sessionLost handles an outbound socket that closed with no hangup seen
// on it: FreeSWITCH keeps such a channel parked until it is killed (the
// traces' README), so waihu kills it over the inbound connection. When the
// node cannot be reached the tracker keeps trying.
func (e *Engine) sessionLost(lc *liveCall) {
	lc.sockLost.Store(true)
	e.log.Warn("call socket closed without a hangup; ending the call", "attempt", lc.attempt.UUID)
	if e.ctx == nil {
		lc.suspect()
		return
	}
	go func() {
		if err := e.kill(e.ctx, lc); err != nil {
			e.log.Warn("uuid_kill after a lost socket", "attempt", lc.attempt.UUID, "err", err)
		}
		lc.suspect()
	}()
}

func (e *Engine) kill(ctx context.Context, lc *liveCall) error {
	cmd, err := esl.UUIDKill(lc.attempt.UUID, "NORMAL_CLEARING")
	if err != nil {
		return err
	}
	_, err = e.pool.API(ctx, lc.nodeID, cmd)
	return err
}

// checkCall runs one check of a suspect call; it reports true when the
// call is settled and its tracker can stop.
func (e *Engine) checkCall(ctx context.Context, lc *liveCall, s *suspicion) bool {
	db := e.db.With(store.AsPlatform(ctx))
	id := lc.attempt.UUID
	var a store.CallAttempt
	if err := db.Select("state", "answered_at").Where("uuid = ?", id).Take(&a).Error; err != nil {
		return false // the database is the problem; try again
	}
	if a.State == store.AttemptFinished {
		return true
	}
	var cdr store.CDR
	if err := db.Where("uuid = ? OR attempt_uuid = ?", id, id).Order("id").Limit(1).Find(&cdr).Error; err == nil && cdr.ID != 0 {
		e.waitSession(lc)
		e.finish(ctx, lc, finalFromCDR(&cdr))
		return true
	}
	cmd, err := esl.UUIDExists(id)
	if err != nil {
		return false
	}
	out, err := e.pool.API(ctx, lc.nodeID, cmd)
	now := time.Now()
	switch {
	case err != nil:
		if now.Sub(s.since) >= e.o.ReconcileAfter {
			e.finishLost(ctx, lc, a.AnsweredAt, fmt.Sprintf("FreeSWITCH node %d unreachable for %s; no CDR", lc.nodeID, e.o.ReconcileAfter))
			return true
		}
	case strings.TrimSpace(out) == "true":
		s.goneAt = time.Time{}
		if !lc.sockLost.Load() {
			s.clear() // alive, and its events flow on the new connection
			return false
		}
		if err := e.kill(ctx, lc); err != nil {
			e.log.Warn("uuid_kill a call whose socket was lost", "attempt", id, "err", err)
		}
	default:
		if s.goneAt.IsZero() {
			s.goneAt = now
		}
		if now.Sub(s.goneAt) >= e.o.CDRGrace {
			e.finishLost(ctx, lc, a.AnsweredAt, fmt.Sprintf("FreeSWITCH node %d has no channel and sent no CDR within %s (switch lost the call)", lc.nodeID, e.o.CDRGrace))
			return true
		}
	}
	return false
}

func (e *Engine) finishLost(ctx context.Context, lc *liveCall, answeredRow *time.Time, reason string) {
	e.waitSession(lc)
	lc.mu.Lock()
	answered := lc.answeredAt
	lc.mu.Unlock()
	if answered == nil {
		answered = answeredRow
	}
	e.log.Warn("call lost with its switch", "attempt", lc.attempt.UUID, "reason", reason)
	e.finish(ctx, lc, Final{Ending: Ending{Answered: answered != nil, HangupCause: CauseLostTrack}, AnsweredAt: answered, Error: reason})
}

// waitSession gives a running dialogue a moment to write its result, which
// belongs in the same final write.
func (e *Engine) waitSession(lc *liveCall) {
	lc.mu.Lock()
	sess, on := lc.sessDone, lc.sessionOn
	lc.mu.Unlock()
	if on && sess != nil {
		select {
		case <-sess:
		case <-time.After(5 * time.Second):
		}
	}
}

// finalFromCDR is FreeSWITCH's account of how a call ended.
func finalFromCDR(c *store.CDR) Final {
	f := Final{
		Ending:     Ending{Answered: c.AnswerAt != nil, HangupCause: c.HangupCause, SIPStatus: c.SIPTermStatus},
		AnsweredAt: c.AnswerAt,
		BillSec:    c.BillSec,
		RecordPath: c.RecordPath,
	}
	if c.EndAt != nil {
		f.EndedAt = *c.EndAt
	}
	return f
}
