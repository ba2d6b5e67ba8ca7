package esl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Pool errors.
var (
	ErrUnknownNode = errors.New("esl: unknown node")
	ErrNodeDown    = errors.New("esl: node not connected")
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	// Client is the template for every node connection (its Router and
	// OnEvent are set by the pool).
	Client ClientOptions
	// MinBackoff/MaxBackoff bound the redial delay (defaults 200 ms, 30 s);
	// it doubles per failed attempt, with ±20 % jitter so a restarted
	// FreeSWITCH is not hit by every waihu process at once.
	MinBackoff, MaxBackoff time.Duration
	// ProbeInterval is how often `api status` checks a connected node
	// (default 15 s; negative disables). A probe without reply closes the
	// connection like any reply timeout, and the pool redials.
	ProbeInterval time.Duration
	Log           *slog.Logger
	Metrics       *Metrics
}

// NodeHealth is what the pool knows about one node.
type NodeHealth struct {
	ID            uint64
	Addr          string
	Up            bool
	Since         time.Time // when Up last changed
	LastError     string
	LastErrorAt   time.Time
	Reconnects    int
	CoreUUID      string
	LastHeartbeat time.Time // receipt time of the last HEARTBEAT
	SessionCount  int64     // from the last HEARTBEAT
	MaxSessions   int64
	SessionPerSec int64
	IdleCPU       float64
}

// Pool keeps one reconnecting inbound connection per FreeSWITCH node.
type Pool struct {
	o      PoolOptions
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	nodes   map[uint64]*poolNode
	onEvent atomic.Pointer[func(nodeID uint64, e *Event)]
	onState func(nodeID uint64, up bool, err error)
}

type poolNode struct {
	id       uint64
	addr     string
	password string
	router   *Router
	cancel   context.CancelFunc
	done     chan struct{}

	mu     sync.Mutex
	client *Client
	health NodeHealth
}

// NewPool makes an empty pool.
func NewPool(o PoolOptions) *Pool {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = 15 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Client.Metrics == nil {
		o.Client.Metrics = o.Metrics
	}
	if o.Client.Log == nil {
		o.Client.Log = o.Log
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Pool{o: o, ctx: ctx, cancel: cancel, nodes: map[uint64]*poolNode{}}
}

// OnEvent sets the handler called for every event of every node, in each
// node's wire order, from that node's read loop: it must not block.
func (p *Pool) OnEvent(fn func(nodeID uint64, e *Event)) {
	p.onEvent.Store(&fn)
}

// OnState sets the handler called when a node connects (up, nil) or its
// connection ends (down, reason). Call control reconciles on both.
func (p *Pool) OnState(fn func(nodeID uint64, up bool, err error)) {
	p.mu.Lock()
	p.onState = fn
	p.mu.Unlock()
}

// Add starts keeping a connection to a node. Adding an existing id is an
// error: Remove it first (that is how an address or password changes).
func (p *Pool) Add(id uint64, addr, password string) error {
	if err := checkLine("password", password); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return ErrClosed
	}
	if _, ok := p.nodes[id]; ok {
		return fmt.Errorf("esl: node %d already in the pool", id)
	}
	ctx, cancel := context.WithCancel(p.ctx)
	n := &poolNode{id: id, addr: addr, password: password, router: NewRouter(p.o.Metrics), cancel: cancel, done: make(chan struct{})}
	n.health = NodeHealth{ID: id, Addr: addr, Since: time.Now()}
	p.nodes[id] = n
	p.wg.Add(1)
	go p.run(ctx, n)
	return nil
}

// Remove closes and forgets a node. Its mailboxes and pending jobs fail.
func (p *Pool) Remove(id uint64) {
	p.mu.Lock()
	n := p.nodes[id]
	delete(p.nodes, id)
	p.mu.Unlock()
	if n == nil {
		return
	}
	n.cancel()
	<-n.done
	n.router.failJobs(fmt.Errorf("%w: node removed", ErrOutcomeUnknown))
	n.router.closeAll(fmt.Errorf("%w: node removed", ErrClosed))
}

// Close closes every node connection and waits for the loops to end.
func (p *Pool) Close() error {
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	nodes := p.nodes
	p.nodes = map[uint64]*poolNode{}
	p.mu.Unlock()
	for _, n := range nodes {
		n.router.failJobs(fmt.Errorf("%w: pool closed", ErrOutcomeUnknown))
		n.router.closeAll(fmt.Errorf("%w: pool closed", ErrClosed))
	}
	return nil
}

func (p *Pool) node(id uint64) (*poolNode, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.nodes[id]
	if n == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownNode, id)
	}
	return n, nil
}

// Client returns the node's live connection.
func (p *Pool) Client(id uint64) (*Client, error) {
	n, err := p.node(id)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	c := n.client
	n.mu.Unlock()
	if c == nil || c.Err() != nil {
		return nil, fmt.Errorf("%w: %d", ErrNodeDown, id)
	}
	return c, nil
}

// API runs an api command on a node (ErrNotSent when it is down).
func (p *Pool) API(ctx context.Context, id uint64, cmd Command) (string, error) {
	c, err := p.Client(id)
	if err != nil {
		return "", errors.Join(ErrNotSent, err)
	}
	return c.API(ctx, cmd)
}

// BgAPI runs a bgapi command on a node. The job's result is delivered even
// if the connection is redialed before BACKGROUND_JOB arrives (the node's
// router outlives its connections).
func (p *Pool) BgAPI(ctx context.Context, id uint64, cmd Command) (*Job, error) {
	c, err := p.Client(id)
	if err != nil {
		return nil, errors.Join(ErrNotSent, err)
	}
	return c.BgAPI(ctx, cmd)
}

// Watch opens a call's mailbox on a node; it survives reconnects.
func (p *Pool) Watch(id uint64, uuid string) (*Mailbox, error) {
	n, err := p.node(id)
	if err != nil {
		return nil, err
	}
	return n.router.Watch(uuid), nil
}

// Unwatch closes a call's mailbox.
func (p *Pool) Unwatch(id uint64, uuid string) {
	if n, err := p.node(id); err == nil {
		n.router.Unwatch(uuid)
	}
}

// Health reports a node's state.
func (p *Pool) Health(id uint64) (NodeHealth, bool) {
	n, err := p.node(id)
	if err != nil {
		return NodeHealth{}, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.health, true
}

// Nodes reports every node, by id.
func (p *Pool) Nodes() []NodeHealth {
	p.mu.Lock()
	nodes := make([]*poolNode, 0, len(p.nodes))
	for _, n := range p.nodes {
		nodes = append(nodes, n)
	}
	p.mu.Unlock()
	out := make([]NodeHealth, 0, len(nodes))
	for _, n := range nodes {
		n.mu.Lock()
		out = append(out, n.health)
		n.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (p *Pool) state(id uint64, up bool, err error) {
	p.mu.Lock()
	fn := p.onState
	p.mu.Unlock()
	if fn != nil {
		fn(id, up, err)
	}
}

// run is one node's connect / serve / redial loop.
func (p *Pool) run(ctx context.Context, n *poolNode) {
	defer p.wg.Done()
	defer close(n.done)
	backoff := p.o.MinBackoff
	first := true
	for ctx.Err() == nil {
		if !first {
			p.o.Metrics.reconnect()
			n.mu.Lock()
			n.health.Reconnects++
			n.mu.Unlock()
		}
		first = false
		o := p.o.Client
		o.Router = n.router
		o.OnEvent = func(e *Event) { p.onNodeEvent(n, e) }
		c, err := Dial(ctx, n.addr, n.password, o)
		if err != nil {
			p.down(n, err, false)
			if !sleepCtx(ctx, jitter(backoff)) {
				return
			}
			backoff = min(backoff*2, p.o.MaxBackoff)
			continue
		}
		started := time.Now()
		n.mu.Lock()
		n.client = c
		n.health.Up = true
		n.health.Since = started
		n.mu.Unlock()
		p.o.Log.Info("esl: node connected", "node", n.id, "addr", n.addr)
		p.state(n.id, true, nil)
		p.serve(ctx, c)
		err = c.Err()
		if ctx.Err() != nil {
			c.Close()
			p.down(n, ErrClosed, false)
			return
		}
		p.down(n, err, true)
		// A connection that lived a while resets the backoff; one that
		// dies at once (bad filter, FreeSWITCH shutting down) keeps growing.
		if time.Since(started) > 10*time.Second {
			backoff = p.o.MinBackoff
		}
		if !sleepCtx(ctx, jitter(backoff)) {
			return
		}
		backoff = min(backoff*2, p.o.MaxBackoff)
	}
}

// serve waits for the connection to end, probing it with `status`.
func (p *Pool) serve(ctx context.Context, c *Client) {
	var tick <-chan time.Time
	if p.o.ProbeInterval > 0 {
		t := time.NewTicker(p.o.ProbeInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-c.Done():
			return
		case <-ctx.Done():
			c.Close()
			return
		case <-tick:
			// A failed probe that is a timeout closes c itself; an -ERR
			// answer to `status` means nothing is wrong with the socket.
			_, _ = c.API(ctx, Status())
		}
	}
}

func (p *Pool) down(n *poolNode, err error, wasUp bool) {
	n.mu.Lock()
	n.client = nil
	if n.health.Up {
		n.health.Since = time.Now()
	}
	n.health.Up = false
	if err != nil {
		n.health.LastError = err.Error()
		n.health.LastErrorAt = time.Now()
	}
	n.mu.Unlock()
	if wasUp {
		p.o.Log.Warn("esl: node connection lost", "node", n.id, "addr", n.addr, "err", err)
		p.state(n.id, false, err)
	}
}

func (p *Pool) onNodeEvent(n *poolNode, e *Event) {
	if hb, ok := e.AsHeartbeat(); ok {
		n.mu.Lock()
		n.health.LastHeartbeat = e.Received
		n.health.SessionCount = hb.SessionCount
		n.health.MaxSessions = hb.MaxSessions
		n.health.SessionPerSec = hb.SessionPerSec
		n.health.IdleCPU = hb.IdleCPU
		n.health.CoreUUID = hb.CoreUUID
		n.mu.Unlock()
	}
	if fn := p.onEvent.Load(); fn != nil {
		(*fn)(n.id, e)
	}
}

func jitter(d time.Duration) time.Duration {
	f := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * f)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
