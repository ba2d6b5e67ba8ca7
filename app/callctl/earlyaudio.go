package callctl

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/esl"
)

// The fingerprint layer of early-media classification. While a call is in
// early media (183), the session runs FreeSWITCH's `record` application on
// the early leg: it writes the callee's audio (the announcement) to the
// recordings directory shared with waihu, for at most EarlyRecordSeconds.
// When the recording ends (time limit, hangup after the announcement, or a
// break because another layer heard something) waihu fingerprints the file
// and matches it against the operator's reference clips for the trunk's
// carrier (Announcements). No recognizer is involved.
//
// Precedence of the layers, strongest first:
//  1. a fingerprint match: the announcement is a known recording, so its
//     outcome is taken as is;
//  2. keywords in a transcript of the early audio (ClassifyAnnouncement):
//     when a transcript verdict arrives while the recording runs, the
//     recording is cut there and fingerprinted first, and the keyword
//     verdict stands only if no reference matched;
//  3. FreeSWITCH's tone checks (monitor_early_media_fail) and the SIP cause:
//     they end the call themselves, and the cause maps to an outcome
//     (outcome.go) only when neither waihu layer reached a verdict.
//
// Each layer works alone: without references there is no recording and
// the keyword layer behaves as before; without a recognizer the
// fingerprint layer still classifies.

// defaultEarlyRecordSeconds covers one pass of the usual announcement
// (4–8 s) after a short colour ring tone or ringback.
const defaultEarlyRecordSeconds = 10

// earlyRecorder is one early-media recording in progress.
type earlyRecorder struct {
	path    string
	carrier string
	x       *esl.Execution
	judged  bool
}

// startEarlyRecord starts recording the early audio when the fingerprint
// layer has references for the call's carrier; nil otherwise.
func (ss *session) startEarlyRecord(ctx context.Context) *earlyRecorder {
	o := ss.e.o
	if o.Announcements == nil || o.RecordDir == "" {
		return nil
	}
	carrier := ""
	if id := ss.lc.attempt.TrunkID; id != 0 {
		var t store.Trunk
		if err := ss.e.db.With(store.AsPlatform(ctx)).Select("carrier").Take(&t, id).Error; err == nil {
			carrier = t.Carrier
		}
	}
	ix, err := o.Announcements.Index(ctx, carrier)
	if err != nil {
		ss.e.log.Warn("announcement references", "attempt", ss.uuid, "err", err)
		return nil
	}
	if ix.Len() == 0 {
		return nil
	}
	dir := filepath.Join(o.RecordDir, "early", strconv.FormatUint(ss.lc.attempt.TenantID, 10))
	p := filepath.Join(dir, ss.uuid+".wav")
	if err := esl.ValidatePath("record path", p); err != nil {
		ss.e.log.Warn("early media recording path", "attempt", ss.uuid, "err", err)
		return nil
	}
	// FreeSWITCH creates the file but not its directory; on a shared
	// volume waihu can make it (a remote FreeSWITCH needs it pre-made).
	_ = os.MkdirAll(dir, 0o755)
	secs := o.EarlyRecordSeconds
	if secs <= 0 {
		secs = defaultEarlyRecordSeconds
	}
	x, err := ss.s.ExecuteAsync(ctx, "record", p+" "+strconv.Itoa(secs))
	if err != nil {
		ss.e.log.Warn("record early media", "attempt", ss.uuid, "err", err)
		return nil
	}
	return &earlyRecorder{path: p, carrier: carrier, x: x}
}

// done is closed when the recording has ended (nil: never).
func (r *earlyRecorder) done() <-chan struct{} {
	if r == nil || r.judged {
		return nil
	}
	return r.x.Done()
}

// stop cuts the recording short (uuid_break) and waits briefly for
// FreeSWITCH to close the file.
func (ss *session) stopEarlyRecord(ctx context.Context, r *earlyRecorder) {
	if r == nil {
		return
	}
	select {
	case <-r.x.Done():
		return
	default:
	}
	if cmd, err := esl.UUIDBreak(ss.uuid, true); err == nil {
		if _, err := ss.s.API(ctx, cmd); err != nil {
			ss.e.log.Warn("uuid_break early recording", "attempt", ss.uuid, "err", err)
		}
	}
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-r.x.Done():
	case <-ss.s.HungUp():
	case <-t.C:
	case <-ctx.Done():
	}
}

// judgeEarly decides the early-media verdict from the recording (if any)
// and a keyword verdict (if any), by the precedence above. It reports
// whether a verdict was reached; the caller then ends the call.
func (ss *session) judgeEarly(ctx context.Context, r *earlyRecorder, keyword string) bool {
	outcome, layer := "", ""
	if r != nil && !r.judged {
		if keyword != "" {
			ss.stopEarlyRecord(ctx, r)
		} else {
			// After a hangup FreeSWITCH ends the record application and
			// closes the file; give it a moment.
			t := time.NewTimer(time.Second)
			select {
			case <-r.x.Done():
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		r.judged = true
		m, ok, err := ss.e.o.Announcements.MatchFile(ctx, r.carrier, r.path)
		if err != nil {
			ss.e.log.Warn("fingerprint early media", "attempt", ss.uuid, "err", err)
		}
		if ok {
			outcome, layer = m.Reference.Outcome, "fingerprint"
			ss.e.log.Info("early media fingerprint", "attempt", ss.uuid, "reference", m.Reference.ID, "name", m.Reference.Name, "score", m.Score, "offset_ms", m.OffsetMs)
		}
		// The file served its purpose; early audio of every unanswered
		// call would otherwise pile up.
		_ = os.Remove(r.path)
	}
	if outcome == "" && keyword != "" {
		outcome, layer = keyword, "keyword"
	}
	if outcome == "" {
		return false
	}
	ss.lc.mu.Lock()
	ss.lc.early = outcome
	ss.lc.mu.Unlock()
	ss.e.log.Info("early media announcement", "attempt", ss.uuid, "outcome", outcome, "layer", layer)
	return true
}

// dropEarlyRecord ends an early recording the answered call no longer
// needs, so the dialogue's applications are not queued behind it.
func (ss *session) dropEarlyRecord(ctx context.Context, r *earlyRecorder) {
	if r == nil || r.judged {
		return
	}
	ss.stopEarlyRecord(ctx, r)
	r.judged = true
	_ = os.Remove(r.path)
}
