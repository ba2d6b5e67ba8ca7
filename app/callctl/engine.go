package callctl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/pii"
	"github.com/waihu/waihu/app/speech"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/esl"
)

// ScriptSource loads a published script version (dialog's script store).
type ScriptSource interface {
	LoadVersion(ctx context.Context, id uint64) (*dialog.Script, error)
}

// VarsSource returns the contact's columns for the script's ${variables}.
type VarsSource func(ctx context.Context, a *store.CallAttempt) (map[string]string, error)

// PromptSource turns a line of the script into a playback argument
// FreeSWITCH can play: an http_cache:// URL of waihu's TTS cache, a file
// on a shared directory, or say:/tts text. simulated says the call runs on
// the switch simulator.
type PromptSource interface {
	Prompt(ctx context.Context, text, lang string, simulated bool) (string, error)
}

// Funds keeps a long call covered (billing implements it): MaxTalkSeconds
// is the wall given to FreeSWITCH's sched_hangup when the call is answered,
// ExtendHold grows the hold minute by minute and refuses with
// apperr.ErrInsufficientFunds when the money has run out.
type Funds interface {
	MaxTalkSeconds(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, limit int) (int, error)
	ExtendHold(ctx context.Context, tx *gorm.DB, a *store.CallAttempt, coverSec int) error
}

// EngineOptions configure the calling engine.
type EngineOptions struct {
	Log *slog.Logger
	// Advertise is host:port of the outbound-socket listener as FreeSWITCH
	// reaches it: the argument of '&socket(... async full)'.
	Advertise string
	// RingTimeout is originate_timeout (default 30 s).
	RingTimeout time.Duration
	// RecordDir is where FreeSWITCH writes stereo recordings (its path; a
	// volume shared with waihu). Empty: calls are not recorded.
	RecordDir string
	Scripts   ScriptSource
	Vars      VarsSource
	Prompts   PromptSource
	// SimTimeScale is the switch simulator's time scale, to turn its
	// simulated milliseconds into waihu's wall clock (1 for the demo).
	SimTimeScale float64
	// ReconcileAfter is how long a call lost with its node waits for its
	// CDR before it is finished as failed (default 2 min).
	ReconcileAfter time.Duration
	// CDRGrace is how long after its CDR an attempt nobody finished is
	// finished from the CDR (default 30 s).
	CDRGrace time.Duration
	// NodeRefresh is how often the node table is re-read (default 10 s).
	NodeRefresh time.Duration
	// ReleaseNotDialed puts back an attempt reconciliation proved never
	// became a call (campaign's ReleaseNotDialed).
	ReleaseNotDialed func(ctx context.Context, a *store.CallAttempt, reason string) error
	// Streams, when set, carries the callee's audio from FreeSWITCH's
	// mod_audio_stream to a streaming recognizer (the fast path of the
	// speech issue). StreamURL is the WebSocket base FreeSWITCH dials
	// (ws://waihu:8080/fs/audio); Recognizer picks the engine for a call.
	Streams    *stream.Registry
	StreamURL  string
	Recognizer func(a *store.CallAttempt, lang string) speech.StreamingRecognizer
	// DialogOptions, when set, adds options to each call's dialogue: the
	// deployment's chat model (dialog.WithClassifier, WithChatModel).
	DialogOptions func(a *store.CallAttempt) []dialog.Option
	// SpeechTurns, when set, returns (and forgets) the per-turn engine and
	// latency records of a call (speech.TurnLog.Take); they are stored in
	// the call's timeline as "speech_turns" for the console's transcript.
	SpeechTurns func(callUUID string) []speech.TurnRecord
	// FileRecognizer picks the batch recognizer of utterance mode: when a
	// call has no working audio stream (streaming not configured, or the
	// stream failed twice), each answer is recorded by FreeSWITCH's record
	// application into UtteranceDir and recognized from the file.
	// UtteranceDir must be the same path for FreeSWITCH and waihu (a
	// shared volume); default RecordDir/utterances.
	FileRecognizer func(a *store.CallAttempt, lang string) speech.FileRecognizer
	UtteranceDir   string
	// Funds, when set, bounds each answered call by the tenant's money.
	Funds Funds
	// MaxCallSec caps any call (default 1 hour).
	MaxCallSec int
	// OnTurnLatency, when set, receives the time from a call event that
	// made the dialogue act (speech, silence, end of a prompt) to the
	// command that carries the act out: waihu's own share of a turn.
	OnTurnLatency func(time.Duration)
	// Announcements, when set, are the carrier announcement references the
	// early audio is fingerprinted against (earlyaudio.go); it needs
	// RecordDir. EarlyRecordSeconds bounds that recording (default 10).
	Announcements      *Announcements
	EarlyRecordSeconds int
	// Pool overrides the ESL pool options (tests shorten timeouts).
	Pool esl.PoolOptions
}

// Engine places calls through FreeSWITCH nodes and runs their sessions:
// it implements campaign's Dialer. One Engine per waihu process; several
// processes share the nodes, each tracking the calls it placed.
type Engine struct {
	svc      *Service
	db       *store.DB
	o        EngineOptions
	log      *slog.Logger
	pool     *esl.Pool
	outbound *esl.OutboundServer
	ln       net.Listener

	mu    sync.Mutex
	nodes map[uint64]*nodeRuntime
	// trunkNext is when each trunk's next originate may leave (paceSlot).
	trunkNext map[uint64]time.Time
	// trunkSent holds each trunk's last originates (admitSend).
	trunkSent map[uint64]*sendWindow
	calls     map[string]*liveCall

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type nodeRuntime struct {
	row   store.Node
	calls int
	// next is when the node's next originate may leave: originates are
	// spaced 1/MaxCPS apart (cpsPacer), so no one-second window, however
	// it is cut, carries more than MaxCPS of them.
	next time.Time
	// sent holds the node's last originates (admitSend).
	sent sendWindow
}

// liveCall is an attempt this process placed and still follows.
type liveCall struct {
	attempt   store.CallAttempt
	nodeID    uint64
	simulated bool
	trunk     *store.Trunk

	mu         sync.Mutex
	answeredAt *time.Time
	early      string // early-media verdict
	sessionOn  bool
	sessDone   chan struct{}
	result     *sessionResult
	finished   chan struct{}
	finishOnce sync.Once
	// verify makes the tracker check the call against FreeSWITCH (node
	// reconnected or lost, socket lost: resilience.go); sockLost says its
	// outbound socket closed with no hangup seen.
	verify   chan struct{}
	sockLost atomic.Bool
}

// sessionResult is what the call's dialogue produced.
type sessionResult struct {
	grade, tags, vars, timeline, recordPath, err string
	usage                                        Usage
}

// NewEngine builds the engine; Start connects it.
func NewEngine(svc *Service, o EngineOptions) *Engine {
	if o.Log == nil {
		o.Log = svc.log
	}
	if o.RingTimeout <= 0 {
		o.RingTimeout = 30 * time.Second
	}
	if o.SimTimeScale <= 0 {
		o.SimTimeScale = 1
	}
	if o.ReconcileAfter <= 0 {
		o.ReconcileAfter = 2 * time.Minute
	}
	if o.MaxCallSec <= 0 {
		o.MaxCallSec = 3600
	}
	if o.CDRGrace <= 0 {
		o.CDRGrace = 30 * time.Second
	}
	if o.NodeRefresh <= 0 {
		o.NodeRefresh = 10 * time.Second
	}
	po := o.Pool
	po.Log = o.Log
	e := &Engine{svc: svc, db: svc.db, o: o, log: o.Log, nodes: map[uint64]*nodeRuntime{}, calls: map[string]*liveCall{}}
	e.pool = esl.NewPool(po)
	e.outbound = esl.NewOutboundServer(esl.OutboundOptions{Log: o.Log, KeepChannelData: keepChannelData})
	e.pool.OnState(e.nodeState)
	return e
}

// keepChannelData picks what a session keeps of the outbound `connect`
// reply for the call's life: the headers call control reads and waihu's
// own channel variables, not the ~170 headers FreeSWITCH sends (about
// 15 KiB per concurrent call once parsed).
func keepChannelData(name string) bool {
	switch name {
	case "Answer-State", "Channel-State", "Channel-Call-State", "Call-Direction", "Channel-Name",
		"Caller-Destination-Number", "Caller-Caller-ID-Number", "Reply-Text":
		return true
	}
	return strings.HasPrefix(name, "variable_waihu_")
}

// Start listens for FreeSWITCH's outbound sockets on listen, connects to
// every enabled node and keeps the node set in step with the database.
func (e *Engine) Start(ctx context.Context, listen string) error {
	e.ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	ln, err := e.outbound.Listen(listen)
	if err != nil {
		return fmt.Errorf("listen for FreeSWITCH sockets on %s: %w", listen, err)
	}
	e.ln = ln
	if e.o.Advertise == "" {
		e.o.Advertise = advertiseOf(ln.Addr())
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		_ = e.outbound.Serve(ln, func(ctx context.Context, s *esl.OutboundSession) {
			e.runSession(e.withAttempt(ctx, s.UUID()), s)
		})
	}()
	if err := e.refreshNodes(e.ctx); err != nil {
		return err
	}
	e.wg.Add(1)
	go e.refreshLoop()
	return nil
}

// SocketAddr is the outbound-socket address put into originates.
func (e *Engine) SocketAddr() string { return e.o.Advertise }

func advertiseOf(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Close stops taking calls: it closes node connections and the listener.
// Calls in flight end on FreeSWITCH; their CDRs finish their attempts.
func (e *Engine) Close() {
	if e.cancel != nil {
		e.cancel()
	}
	_ = e.outbound.Close()
	_ = e.pool.Close()
	e.wg.Wait()
}

func (e *Engine) refreshLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.o.NodeRefresh)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
			if err := e.refreshNodes(e.ctx); err != nil {
				e.log.Warn("refresh FreeSWITCH nodes", "err", err)
			}
			e.reconcileLost(e.ctx)
		}
	}
}

// refreshNodes adds enabled and draining nodes to the pool, removes
// disabled and deleted ones, and takes limit changes.
func (e *Engine) refreshNodes(ctx context.Context) error {
	var rows []store.Node
	if err := e.db.With(store.AsPlatform(ctx)).Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("load FreeSWITCH nodes: %w", err)
	}
	seen := map[uint64]bool{}
	for _, r := range rows {
		if r.State == store.NodeDisabled {
			continue
		}
		seen[r.ID] = true
		e.mu.Lock()
		n, ok := e.nodes[r.ID]
		if ok && (n.row.ESLAddr != r.ESLAddr || n.row.ESLPassword != r.ESLPassword) {
			e.pool.Remove(r.ID)
			ok = false
		}
		if !ok {
			if n == nil {
				n = &nodeRuntime{}
				e.nodes[r.ID] = n
			}
			if err := e.pool.Add(r.ID, r.ESLAddr, r.ESLPassword); err != nil {
				e.log.Warn("add FreeSWITCH node", "node", r.Name, "err", err)
			}
		}
		n.row = r
		e.mu.Unlock()
	}
	e.mu.Lock()
	for id := range e.nodes {
		if !seen[id] {
			e.pool.Remove(id)
			delete(e.nodes, id)
		}
	}
	e.mu.Unlock()
	return nil
}

// nodeState records a node connection going up or down where the operator
// sees it, and reconciles the node's calls when it comes back.
func (e *Engine) nodeState(id uint64, up bool, err error) {
	ctx := store.AsPlatform(context.Background())
	now := time.Now().UTC()
	upd := map[string]any{"updated_at": now}
	if up {
		upd["last_seen_at"] = now
		upd["last_error"] = ""
	} else if err != nil {
		upd["last_error"] = clip(err.Error(), 512)
	}
	if dbErr := e.db.With(ctx).Model(&store.Node{}).Where("id = ?", id).Updates(upd).Error; dbErr != nil {
		e.log.Warn("record node state", "node", id, "err", dbErr)
	}
	// Events of this node's calls may have been lost while it was away:
	// every call followed on it checks itself (resilience.go).
	e.suspectNode(id)
	if up && e.ctx != nil {
		go e.ReconcileNode(e.ctx, id)
	}
}

// NodeLoads reports every node this process knows, for the picker and the
// back office.
func (e *Engine) NodeLoads() []NodeLoad {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]NodeLoad, 0, len(e.nodes))
	for id, n := range e.nodes {
		h, _ := e.pool.Health(id)
		_, free := paceSlot(n.next, n.row.MaxCPS, now)
		out = append(out, NodeLoad{ID: id, Healthy: h.Up, State: n.row.State, Simulated: n.row.Simulated,
			MaxCalls: n.row.MaxCalls, Calls: n.calls, CPSFree: free})
	}
	return out
}

// reserve picks a node whose CPS has room within maxPaceWait and counts
// the call against its capacity; the CPS slot itself is taken by pace,
// right before the originate leaves.
func (e *Engine) reserve(simulated bool) (uint64, bool) {
	loads := e.NodeLoads()
	id, ok := PickNode(loads, simulated)
	if !ok {
		return 0, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.nodes[id]
	if n == nil || n.calls >= n.row.MaxCalls {
		return 0, false
	}
	n.calls++
	return id, true
}

// pace takes the call's CPS slot on its node and trunk and returns how
// long to wait for it. Slots are spaced 1/MaxCPS apart, so no one-second
// window, however a carrier cuts it, holds more than MaxCPS originates.
// It refuses when the slot is more than maxPaceWait away.
func (e *Engine) pace(nodeID uint64, t *store.Trunk) (time.Duration, bool) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.nodes[nodeID]
	if n == nil {
		return 0, false
	}
	nodeAt, ok := paceSlot(n.next, n.row.MaxCPS, now)
	if !ok {
		return 0, false
	}
	trunkAt, ok := paceSlot(e.trunkNext[t.ID], t.MaxCPS, now)
	if !ok {
		return 0, false
	}
	at := nodeAt
	if trunkAt.After(at) {
		at = trunkAt
	}
	if n.row.MaxCPS > 0 {
		n.next = at.Add(time.Second / time.Duration(n.row.MaxCPS))
	}
	if t.MaxCPS > 0 {
		if e.trunkNext == nil {
			e.trunkNext = map[uint64]time.Time{}
		}
		e.trunkNext[t.ID] = at.Add(time.Second / time.Duration(t.MaxCPS))
	}
	return at.Sub(now), true
}

// maxPaceWait bounds how long an originate waits for its CPS slot; past
// it the dial is refused (not dialed) and the campaign tries again later.
const maxPaceWait = time.Second

// paceSlot is the cpsPacer: originates under a limit of cps per second
// leave 1/cps apart, the next at next (or now if that has passed). It
// reports the slot and whether it falls within maxPaceWait. cps <= 0 is
// no limit.
func paceSlot(next time.Time, cps int, now time.Time) (time.Time, bool) {
	if cps <= 0 || !next.After(now) {
		return now, true
	}
	return next, next.Sub(now) <= maxPaceWait
}

func (e *Engine) release(nodeID uint64) {
	e.mu.Lock()
	if n := e.nodes[nodeID]; n != nil && n.calls > 0 {
		n.calls--
	}
	e.mu.Unlock()
}

// trunkFor returns the attempt's trunk, or the first enabled trunk
// assigned to its tenant when the campaign left the choice to call control.
func (e *Engine) trunkFor(ctx context.Context, a *store.CallAttempt) (*store.Trunk, error) {
	db := e.db.With(store.AsPlatform(ctx))
	var t store.Trunk
	if a.TrunkID != 0 {
		if err := db.Where("id = ?", a.TrunkID).Take(&t).Error; err != nil {
			return nil, fmt.Errorf("trunk %d: %w", a.TrunkID, store.Translate(err))
		}
	} else {
		err := db.Joins("JOIN trunk_assignments ta ON ta.trunk_id = trunks.id").
			Where("ta.tenant_id = ? AND trunks.enabled = ?", a.TenantID, true).Order("trunks.id").Take(&t).Error
		if err != nil {
			return nil, fmt.Errorf("no trunk assigned to tenant %d: %w", a.TenantID, store.Translate(err))
		}
	}
	if !t.Enabled {
		return nil, fmt.Errorf("trunk %s is disabled", t.Name)
	}
	return &t, nil
}

// Dial places the call for an attempt that the campaign has committed as
// dialing. Errors wrapping store.ErrNotDialed guarantee nothing reached
// FreeSWITCH; any other error means the originate may have been sent, and
// the attempt is left to the event tracker, its CDR or reconciliation.
func (e *Engine) Dial(ctx context.Context, a *store.CallAttempt) error {
	t, err := e.trunkFor(ctx, a)
	if err != nil {
		return errors.Join(store.ErrNotDialed, err)
	}
	number, err := DialNumber(a.Phone, t)
	if err != nil {
		return errors.Join(store.ErrNotDialed, err)
	}
	nodeID, ok := e.reserve(t.Simulated)
	if !ok {
		return errors.Join(store.ErrNotDialed, errors.New("no FreeSWITCH node can take a call now"))
	}
	vars := map[string]string{
		VarAttempt:              a.UUID,
		VarTenant:               strconv.FormatUint(a.TenantID, 10),
		VarCampaign:             strconv.FormatUint(a.CampaignID, 10),
		VarNode:                 strconv.FormatUint(nodeID, 10),
		"waihu_number":          a.Phone,
		"RECORD_STEREO":         "true",
		"hangup_after_bridge":   "true",
		"sip_cid_type":          "none",
		"absolute_codec_string": strings.ReplaceAll(t.Codecs, ",", ":"),
	}
	for k, v := range EarlyMediaToneVars() {
		vars[k] = v
	}
	if vars["absolute_codec_string"] == "" {
		delete(vars, "absolute_codec_string")
	}
	cmd, err := esl.Originate(esl.OriginateRequest{
		UUID: a.UUID, Endpoint: "sofia/gateway/" + GatewayName(t.ID) + "/" + number,
		CallerIDNumber: a.CallerID, CallerIDName: a.CallerID,
		TimeoutSec: int(e.o.RingTimeout / time.Second), Vars: vars, SocketAddr: e.o.Advertise,
	})
	if err != nil {
		e.release(nodeID)
		return errors.Join(store.ErrNotDialed, err)
	}
	// The node and trunk are on the row before the originate leaves, so a
	// crash from here on is reconciled against the right node.
	res := e.db.With(store.AsPlatform(ctx)).Model(&store.CallAttempt{}).
		Where("uuid = ? AND state = ?", a.UUID, store.AttemptDialing).
		Updates(map[string]any{"node_id": nodeID, "trunk_id": t.ID, "simulated": t.Simulated, "updated_at": time.Now().UTC()})
	if res.Error != nil || res.RowsAffected == 0 {
		e.release(nodeID)
		if res.Error == nil {
			res.Error = fmt.Errorf("attempt %s is not in state dialing", a.UUID)
		}
		return errors.Join(store.ErrNotDialed, res.Error)
	}
	a.NodeID, a.TrunkID, a.Simulated = nodeID, t.ID, t.Simulated

	lc := &liveCall{attempt: *a, nodeID: nodeID, simulated: t.Simulated, trunk: t, finished: make(chan struct{}), verify: make(chan struct{}, 1)}
	mb, err := e.pool.Watch(nodeID, a.UUID)
	if err != nil {
		e.release(nodeID)
		return errors.Join(store.ErrNotDialed, err)
	}
	e.mu.Lock()
	e.calls[a.UUID] = lc
	e.mu.Unlock()

	// The call's CPS slot (node and trunk), taken last so the database
	// write above cannot bunch originates that were spaced before it.
	wait, ok := e.pace(nodeID, t)
	if !ok {
		e.forget(lc)
		return errors.Join(store.ErrNotDialed, errors.New("the trunk's or node's calls per second are taken for the next second"))
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			e.forget(lc)
			return errors.Join(store.ErrNotDialed, ctx.Err())
		}
	}
	if err := e.admitSend(ctx, nodeID, t); err != nil {
		e.forget(lc)
		return errors.Join(store.ErrNotDialed, err)
	}
	job, err := e.pool.BgAPI(ctx, nodeID, cmd)
	if err != nil {
		var ce *esl.CommandError
		if errors.Is(err, esl.ErrNotSent) || errors.As(err, &ce) {
			// Refused before it became a call: -ERR on the bgapi itself, or
			// never written to the socket.
			e.forget(lc)
			return errors.Join(store.ErrNotDialed, err)
		}
		e.log.Warn("originate may have been sent", "attempt", a.UUID, "err", err)
	}
	e.log.Debug("originate sent", "attempt", a.UUID, "node", nodeID, "phone", pii.MaskPhone(a.Phone))
	e.wg.Add(1)
	go e.track(lc, mb, job)
	return nil
}

func (e *Engine) forget(lc *liveCall) {
	e.mu.Lock()
	if e.calls[lc.attempt.UUID] == lc {
		delete(e.calls, lc.attempt.UUID)
	}
	e.mu.Unlock()
	e.pool.Unwatch(lc.nodeID, lc.attempt.UUID)
	e.release(lc.nodeID)
}

func (e *Engine) call(uuid string) *liveCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[uuid]
}

// track follows one call's inbound events, in order, to its final state.
func (e *Engine) track(lc *liveCall, mb *esl.Mailbox, job *esl.Job) {
	defer e.wg.Done()
	defer e.forget(lc)
	ctx := e.ctx
	jobErr := make(chan string, 1)
	if job != nil {
		go func() {
			body, err := job.Wait(ctx)
			var ce *esl.CommandError
			if errors.As(err, &ce) || strings.HasPrefix(body, "-ERR") {
				jobErr <- strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(body), "-ERR"))
			}
		}()
	}
	var errCause string
	var errAt <-chan time.Time
	var sus suspicion
	defer sus.clear()
	// A call that never produces a final event (node lost) is left to
	// reconciliation: the loop ends with the mailbox.
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-jobErr:
			// BACKGROUND_JOB -ERR comes at no fixed place among the channel
			// events (traces); give CHANNEL_HANGUP_COMPLETE, which carries
			// sip_term_status, a moment before finishing from the cause alone.
			errCause = c
			errAt = time.After(2 * time.Second)
		case <-errAt:
			cause := errCause
			if i := strings.IndexAny(cause, " \n"); i > 0 {
				cause = cause[:i]
			}
			e.finish(ctx, lc, Final{Ending: Ending{HangupCause: cause}})
			return
		case <-lc.verify:
			sus.start(e.checkEvery())
			if e.checkCall(ctx, lc, &sus) {
				return
			}
		case <-sus.C():
			if e.checkCall(ctx, lc, &sus) {
				return
			}
		case ev, ok := <-mb.C():
			if !ok {
				return
			}
			if done := e.onCallEvent(ctx, lc, ev); done {
				return
			}
		}
	}
}

// onCallEvent moves the attempt along; it reports true at the final event.
func (e *Engine) onCallEvent(ctx context.Context, lc *liveCall, ev *esl.Event) bool {
	db := e.db.With(store.AsPlatform(ctx))
	step := func(state string, extra map[string]any) {
		upd := map[string]any{"state": state, "updated_at": time.Now().UTC()}
		for k, v := range extra {
			upd[k] = v
		}
		// Only forward: a late PROGRESS never undoes ANSWER.
		from := map[string][]string{
			store.AttemptRinging: {store.AttemptDialing},
			store.AttemptEarly:   {store.AttemptDialing, store.AttemptRinging},
			store.AttemptTalking: {store.AttemptDialing, store.AttemptRinging, store.AttemptEarly},
		}[state]
		if err := db.Model(&store.CallAttempt{}).Where("uuid = ? AND state IN ?", lc.attempt.UUID, from).Updates(upd).Error; err != nil {
			e.log.Warn("record call progress", "attempt", lc.attempt.UUID, "state", state, "err", err)
		}
	}
	switch ev.Name() {
	case esl.EvChannelProgress:
		step(store.AttemptRinging, nil)
	case esl.EvChannelProgressMedia:
		step(store.AttemptEarly, nil)
	case esl.EvChannelAnswer:
		now := time.Now().UTC()
		lc.mu.Lock()
		lc.answeredAt = &now
		lc.mu.Unlock()
		step(store.AttemptTalking, map[string]any{"answered_at": now})
	case esl.EvChannelHangupComplete:
		lc.mu.Lock()
		answered := lc.answeredAt
		sess, wait := lc.sessDone, lc.sessionOn
		lc.mu.Unlock()
		if wait && sess != nil {
			// The dialogue's result (grade, timeline) belongs in the same
			// final write; the session ends within moments of the hangup.
			select {
			case <-sess:
			case <-time.After(5 * time.Second):
			}
		}
		f := Final{
			Ending:     Ending{Answered: answered != nil || ev.Var("answered") == "true", HangupCause: ev.Get("Hangup-Cause"), SIPStatus: ParseSIPStatus(ev.Var("sip_term_status"))},
			AnsweredAt: answered,
			BillSec:    int(ev.Int("variable_billsec")),
		}
		e.finish(ctx, lc, f)
		return true
	}
	return false
}

// finish writes the final state once, with what the session produced.
func (e *Engine) finish(ctx context.Context, lc *liveCall, f Final) {
	lc.finishOnce.Do(func() {
		lc.mu.Lock()
		f.EarlyMedia = lc.early
		if r := lc.result; r != nil {
			f.Grade, f.Tags, f.Vars, f.Timeline, f.RecordPath = r.grade, r.tags, r.vars, r.timeline, r.recordPath
			f.Usage = r.usage
			if r.err != "" {
				f.Error = r.err
			}
		}
		if f.Error == "" && lc.sockLost.Load() {
			f.Error = "the call's socket to waihu closed without a hangup; waihu ended the call"
		}
		lc.mu.Unlock()
		if e.o.SpeechTurns != nil {
			f.Timeline = withSpeechTurns(f.Timeline, e.o.SpeechTurns(lc.attempt.UUID))
		}
		if _, err := e.svc.Finish(ctx, lc.attempt.UUID, f); err != nil {
			e.log.Error("finish call", "attempt", lc.attempt.UUID, "err", err)
		}
		close(lc.finished)
	})
}

// ReconcileNode compares the attempts a node should be carrying with the
// channels it has, after a (re)connect or a waihu restart: calls still up
// are hung up (no session can take them over safely), calls gone wait for
// their CDR. Nothing is dialled again here: a retry is a new attempt
// decided by the campaign's rules.
func (e *Engine) ReconcileNode(ctx context.Context, nodeID uint64) {
	var open []store.CallAttempt
	err := e.db.With(store.AsPlatform(ctx)).
		Where("node_id = ? AND state IN ?", nodeID, []string{store.AttemptDialing, store.AttemptRinging, store.AttemptEarly, store.AttemptTalking}).
		Find(&open).Error
	if err != nil {
		e.log.Warn("reconcile: load open attempts", "node", nodeID, "err", err)
		return
	}
	for i := range open {
		a := &open[i]
		if e.call(a.UUID) != nil {
			continue // this process follows it
		}
		cmd, err := esl.UUIDExists(a.UUID)
		if err != nil {
			continue
		}
		out, err := e.pool.API(ctx, nodeID, cmd)
		if err != nil {
			e.log.Warn("reconcile: uuid_exists", "attempt", a.UUID, "err", err)
			continue
		}
		if strings.TrimSpace(out) == "true" {
			kill, _ := esl.UUIDKill(a.UUID, "NORMAL_CLEARING")
			if _, err := e.pool.API(ctx, nodeID, kill); err != nil {
				e.log.Warn("reconcile: hang up orphan call", "attempt", a.UUID, "err", err)
			} else {
				e.log.Info("reconcile: hung up a call no session follows", "attempt", a.UUID)
			}
		}
		// Gone (or going): its CDR finishes it; reconcileLost covers a CDR
		// that never comes.
	}
}

// reconcileLost finishes attempts that no process follows and whose CDR
// did not arrive within ReconcileAfter of their last change.
func (e *Engine) reconcileLost(ctx context.Context) {
	// A CDR comes moments before CHANNEL_HANGUP_COMPLETE; half a minute
	// later an attempt still open has nobody following it.
	if _, err := e.svc.FinishFromCDRs(ctx, time.Now().UTC().Add(-e.o.CDRGrace)); err != nil {
		e.log.Warn("reconcile: finish from CDRs", "err", err)
	}
	cutoff := time.Now().UTC().Add(-e.o.ReconcileAfter)
	var stale []store.CallAttempt
	err := e.db.With(store.AsPlatform(ctx)).
		Where("state IN ? AND updated_at < ?", []string{store.AttemptDialing, store.AttemptRinging, store.AttemptEarly, store.AttemptTalking}, cutoff).
		Limit(500).Find(&stale).Error
	if err != nil {
		return
	}
	for _, a := range stale {
		if e.call(a.UUID) != nil {
			continue
		}
		if a.NodeID != 0 {
			if cmd, err := esl.UUIDExists(a.UUID); err == nil {
				if out, err := e.pool.API(ctx, a.NodeID, cmd); err == nil && strings.TrimSpace(out) == "true" {
					continue // still up somewhere: Reconcile hangs it up
				}
			}
		}
		f := Final{Ending: Ending{HangupCause: "WAIHU_LOST_TRACK"}, Error: "no CDR from FreeSWITCH; finished by reconciliation"}
		if a.AnsweredAt != nil {
			f.Answered = true
			f.AnsweredAt = a.AnsweredAt
		}
		if _, err := e.svc.Finish(ctx, a.UUID, f); err != nil {
			e.log.Warn("reconcile: finish lost call", "attempt", a.UUID, "err", err)
		}
	}
}

// Reconcile settles one attempt stuck in dialing (the campaign's
// Reconciler): a call this process follows is left alone; one that never
// got a node, or that FreeSWITCH has no channel and no CDR for, never
// became a call and is released; a channel still up with nobody following
// it is hung up, and its CDR finishes it.
func (e *Engine) Reconcile(ctx context.Context, a *store.CallAttempt) error {
	if e.call(a.UUID) != nil {
		return nil
	}
	release := func(reason string) error {
		if e.o.ReleaseNotDialed == nil {
			return nil
		}
		return e.o.ReleaseNotDialed(ctx, a, reason)
	}
	if a.NodeID == 0 {
		return release("the originate was never sent")
	}
	var cdrs int64
	if err := e.db.With(store.AsPlatform(ctx)).Model(&store.CDR{}).Where("uuid = ? OR attempt_uuid = ?", a.UUID, a.UUID).Count(&cdrs).Error; err != nil {
		return err
	}
	if cdrs > 0 {
		_, err := e.svc.FinishFromCDRs(ctx, time.Now().UTC().Add(time.Second))
		return err
	}
	cmd, err := esl.UUIDExists(a.UUID)
	if err != nil {
		return err
	}
	out, err := e.pool.API(ctx, a.NodeID, cmd)
	if err != nil {
		return fmt.Errorf("reconcile %s: node %d unreachable: %w", a.UUID, a.NodeID, err)
	}
	if strings.TrimSpace(out) == "true" {
		kill, _ := esl.UUIDKill(a.UUID, "NORMAL_CLEARING")
		_, err := e.pool.API(ctx, a.NodeID, kill)
		return err
	}
	// No channel and no CDR prove the number was never called only if the
	// node has been up since the dial: a crashed FreeSWITCH loses its
	// channels and the CDRs it had not posted yet. Otherwise the attempt
	// ends as lost, and the campaign's retry rules decide (never a blind
	// redial).
	if a.DialedAt != nil {
		reply, err := e.pool.API(ctx, a.NodeID, esl.Status())
		if err != nil {
			return fmt.Errorf("reconcile %s: node %d unreachable: %w", a.UUID, a.NodeID, err)
		}
		up, err := esl.ParseStatusUptime(reply)
		if err != nil {
			return fmt.Errorf("reconcile %s: %w", a.UUID, err)
		}
		if startedAt := time.Now().Add(-up); startedAt.After(*a.DialedAt) {
			reason := fmt.Sprintf("FreeSWITCH node %d restarted at %s, after the dial; its channel and CDR are gone", a.NodeID, startedAt.UTC().Format(time.RFC3339))
			e.log.Warn("attempt lost with a restarted switch", "attempt", a.UUID, "reason", reason)
			_, err := e.svc.Finish(ctx, a.UUID, Final{Ending: Ending{Answered: a.AnsweredAt != nil, HangupCause: CauseLostTrack}, AnsweredAt: a.AnsweredAt, Error: reason})
			return err
		}
	}
	return release("FreeSWITCH has no channel and no CDR for it")
}

// NodeHealth is what this process knows of a node's connection.
func (e *Engine) NodeHealth(id uint64) (esl.NodeHealth, bool) { return e.pool.Health(id) }

// GatewayStatus runs `sofia status gateway` for a trunk on a connected node
// of the trunk's kind and returns that node and FreeSWITCH's answer.
func (e *Engine) GatewayStatus(ctx context.Context, trunkID uint64) (uint64, string, error) {
	var t store.Trunk
	if err := e.db.With(store.AsPlatform(ctx)).Where("id = ?", trunkID).Take(&t).Error; err != nil {
		return 0, "", fmt.Errorf("trunk %d: %w", trunkID, store.Translate(err))
	}
	cmd, err := esl.Raw("sofia status gateway " + GatewayName(t.ID))
	if err != nil {
		return 0, "", err
	}
	for _, n := range e.NodeLoads() {
		if !n.Healthy || n.Simulated != t.Simulated {
			continue
		}
		out, err := e.pool.API(ctx, n.ID, cmd)
		if err != nil {
			continue
		}
		return n.ID, out, nil
	}
	return 0, "", errors.New("no connected FreeSWITCH node to ask")
}

// TrunksChanged makes every connected node re-read its gateways from
// waihu (mod_xml_curl) after a trunk was added, changed or removed;
// removed gateways are killed so they stop registering.
func (e *Engine) TrunksChanged(ctx context.Context, removed ...uint64) error {
	var errs []error
	for _, n := range e.NodeLoads() {
		if !n.Healthy {
			continue
		}
		for _, id := range removed {
			if cmd, err := esl.SofiaKillGW(SofiaProfile, GatewayName(id)); err == nil {
				if _, err := e.pool.API(ctx, n.ID, cmd); err != nil {
					errs = append(errs, err)
				}
			}
		}
		cmd, err := esl.SofiaProfileRescan(SofiaProfile)
		if err != nil {
			return err
		}
		if _, err := e.pool.API(ctx, n.ID, cmd); err != nil {
			errs = append(errs, fmt.Errorf("node %d: %w", n.ID, err))
		}
	}
	return errors.Join(errs...)
}
