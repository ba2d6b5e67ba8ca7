package esl

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrMailboxOverflow closes a mailbox whose consumer fell too far behind:
// dropping single events would silently break the per-call order, so the
// whole mailbox is failed and call control must reconcile that call.
var ErrMailboxOverflow = errors.New("esl: mailbox overflow")

// DefaultMailboxLimit is how many undelivered events one call may queue.
const DefaultMailboxLimit = 4096

// Router hands events to per-call mailboxes and background-job results to
// their waiters. The Pool shares one Router across a node's reconnects, so a
// Watch and a pending Job survive a redial (FreeSWITCH fires BACKGROUND_JOB
// to every subscriber, so a job may well complete on the new connection).
type Router struct {
	metrics *Metrics
	limit   int

	mu    sync.Mutex
	boxes map[string]*Mailbox
	jobs  map[string]*Job
	swept time.Time
}

// NewRouter makes a router; m may be nil.
func NewRouter(m *Metrics) *Router {
	return &Router{metrics: m, limit: DefaultMailboxLimit, boxes: map[string]*Mailbox{}, jobs: map[string]*Job{}}
}

// Watch opens the mailbox for one channel UUID. Events for it are delivered
// on Mailbox.C in wire order. Watching a UUID that is already watched closes
// the previous mailbox (one owner per call).
func (r *Router) Watch(uuid string) *Mailbox {
	m := newMailbox(uuid, r.limit, r.metrics)
	r.mu.Lock()
	old := r.boxes[uuid]
	r.boxes[uuid] = m
	r.mu.Unlock()
	if old != nil {
		old.close(nil)
	}
	return m
}

// Unwatch closes and forgets the mailbox for uuid.
func (r *Router) Unwatch(uuid string) {
	r.mu.Lock()
	m := r.boxes[uuid]
	delete(r.boxes, uuid)
	r.mu.Unlock()
	if m != nil {
		m.close(nil)
	}
}

// Watching reports how many mailboxes are open.
func (r *Router) Watching() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.boxes)
}

func (r *Router) dispatch(e *Event) {
	uuid := e.UUID()
	if uuid == "" {
		return
	}
	r.mu.Lock()
	m := r.boxes[uuid]
	r.mu.Unlock()
	if m != nil && !m.push(e) {
		r.metrics.drop("mailbox_overflow")
		r.mu.Lock()
		if r.boxes[uuid] == m {
			delete(r.boxes, uuid)
		}
		r.mu.Unlock()
	}
}

// JobTTL bounds how long a bgapi job waits for its BACKGROUND_JOB. An
// originate ends within originate_timeout; a job older than this will never
// complete (FreeSWITCH restarted, the event was filtered) and is failed with
// ErrOutcomeUnknown so the router does not grow without bound.
const JobTTL = 10 * time.Minute

func (r *Router) addJob(j *Job) {
	now := time.Now()
	j.created = now
	var expired []*Job
	r.mu.Lock()
	r.jobs[j.ID] = j
	if now.Sub(r.swept) > time.Minute {
		r.swept = now
		for id, old := range r.jobs {
			if now.Sub(old.created) > JobTTL {
				expired = append(expired, old)
				delete(r.jobs, id)
			}
		}
	}
	r.mu.Unlock()
	for _, old := range expired {
		old.finish(nil, fmt.Errorf("%w: no BACKGROUND_JOB within %s", ErrOutcomeUnknown, JobTTL))
	}
}

// PendingJobs is the number of bgapi jobs waiting for their result.
func (r *Router) PendingJobs() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.jobs)
}

func (r *Router) dropJob(id string) {
	r.mu.Lock()
	delete(r.jobs, id)
	r.mu.Unlock()
}

// completeJob delivers a BACKGROUND_JOB; false when no waiter has that
// Job-UUID (another client's job: FreeSWITCH broadcasts them).
func (r *Router) completeJob(e *Event) bool {
	id := e.Get("Job-UUID")
	r.mu.Lock()
	j := r.jobs[id]
	delete(r.jobs, id)
	r.mu.Unlock()
	if j == nil {
		return false
	}
	j.finish(e, nil)
	return true
}

// closeAll closes every mailbox with err (the connection or node is gone
// for good; consumers see Err on their mailbox).
func (r *Router) closeAll(err error) {
	r.mu.Lock()
	boxes := r.boxes
	r.boxes = map[string]*Mailbox{}
	r.mu.Unlock()
	for _, m := range boxes {
		m.close(err)
	}
}

// failJobs fails every pending job (a standalone client closing).
func (r *Router) failJobs(err error) {
	r.mu.Lock()
	jobs := r.jobs
	r.jobs = map[string]*Job{}
	r.mu.Unlock()
	for _, j := range jobs {
		j.finish(nil, err)
	}
}

// Mailbox is one call's ordered event queue. Its queue is unbounded up to the
// router's limit so the connection's read loop never waits on a slow call.
//
// A pump goroutine hands queued events to C, but only while some are queued:
// it starts when an event is pushed and exits once the queue is empty. An
// idle call (the usual state: waiting on a prompt or a silence timer) costs
// no goroutine, which at thousands of concurrent calls is most of the
// mailbox's memory (a goroutine stack is 8 KiB or more, the struct ~200 B).
type Mailbox struct {
	UUID    string
	metrics *Metrics
	limit   int

	mu         sync.Mutex
	queue      []*Event
	closed     bool // no more pushes
	draining   bool // closed, but deliver what is queued first
	quitClosed bool
	pumping    bool // a pump goroutine owns delivery
	outClosed  bool
	err        error
	quit       chan struct{}
	out        chan *Event
}

func newMailbox(uuid string, limit int, m *Metrics) *Mailbox {
	return &Mailbox{UUID: uuid, metrics: m, limit: limit, quit: make(chan struct{}), out: make(chan *Event)}
}

// C delivers the call's events in order; it is closed when the mailbox is
// closed (Unwatch, overflow, client closed). Err says why.
func (m *Mailbox) C() <-chan *Event { return m.out }

// Next waits for the next event.
func (m *Mailbox) Next(ctx context.Context) (*Event, error) {
	select {
	case e, ok := <-m.out:
		if !ok {
			if err := m.Err(); err != nil {
				return nil, err
			}
			return nil, ErrClosed
		}
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Err is why the mailbox closed (nil for Unwatch).
func (m *Mailbox) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Len is the number of queued, undelivered events.
func (m *Mailbox) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue)
}

func (m *Mailbox) push(e *Event) bool {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return true
	}
	if len(m.queue) >= m.limit {
		m.mu.Unlock()
		m.close(ErrMailboxOverflow)
		return false
	}
	m.queue = append(m.queue, e)
	if !m.pumping {
		m.pumping = true
		go m.pump()
	}
	m.mu.Unlock()
	return true
}

// closeOutLocked closes C unless a pump still delivers (it closes C when it
// exits). m.mu is held.
func (m *Mailbox) closeOutLocked() {
	if !m.pumping && !m.outClosed {
		m.outClosed = true
		close(m.out)
	}
}

func (m *Mailbox) close(err error) {
	m.mu.Lock()
	if m.quitClosed {
		m.mu.Unlock()
		return
	}
	m.quitClosed = true
	if !m.closed {
		m.err = err
	}
	m.closed = true
	m.queue = nil
	m.closeOutLocked()
	m.mu.Unlock()
	close(m.quit)
}

// closeDrain stops accepting events but lets the consumer read what is
// queued; the channel closes after the last one. Whoever calls it must make
// sure close follows eventually (a pump nobody reads would otherwise stay).
func (m *Mailbox) closeDrain(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	m.draining = true
	m.err = err
	m.closeOutLocked()
}

// pump delivers queued events in order and exits when the queue is empty;
// after the mailbox closed it closes C on its way out.
func (m *Mailbox) pump() {
	for {
		m.mu.Lock()
		if len(m.queue) == 0 {
			m.pumping = false
			if m.closed {
				m.closeOutLocked()
			}
			m.mu.Unlock()
			return
		}
		e := m.queue[0]
		m.queue[0] = nil
		m.queue = m.queue[1:]
		if len(m.queue) == 0 {
			m.queue = m.queue[:0:0] // let the backing array go
		}
		m.mu.Unlock()
		select {
		case m.out <- e:
			if !e.Received.IsZero() {
				m.metrics.lag(time.Since(e.Received))
			}
		case <-m.quit:
			m.mu.Lock()
			m.pumping = false
			m.closeOutLocked()
			m.mu.Unlock()
			return
		}
	}
}

// Job is a bgapi command whose result arrives later as BACKGROUND_JOB.
type Job struct {
	// ID is the Job-UUID waihu minted and sent with the bgapi.
	ID      string
	Command Command

	once    sync.Once
	done    chan struct{}
	ev      *Event
	err     error
	created time.Time
}

func newJob(id string, c Command) *Job {
	return &Job{ID: id, Command: c, done: make(chan struct{})}
}

func (j *Job) finish(e *Event, err error) {
	j.once.Do(func() {
		j.ev, j.err = e, err
		close(j.done)
	})
}

// Done is closed when the result (or a failure) is known.
func (j *Job) Done() <-chan struct{} { return j.done }

// Wait returns the BACKGROUND_JOB body ("+OK <uuid>\n", "-ERR USER_BUSY\n").
// A "-ERR" body also returns a *CommandError whose Reason is the cause
// (USER_BUSY …) together with the body. If the connection was lost before
// the result came, the error wraps ErrOutcomeUnknown: the command may have
// run (a call may have been placed).
func (j *Job) Wait(ctx context.Context) (string, error) {
	select {
	case <-j.done:
	case <-ctx.Done():
		return "", errors.Join(ctx.Err(), ErrOutcomeUnknown)
	}
	if j.err != nil {
		return "", j.err
	}
	ok, rest := splitReply(j.ev.Body)
	if !ok {
		return j.ev.Body, &CommandError{Command: j.Command.String(), Reply: j.ev.Body, Reason: rest}
	}
	return j.ev.Body, nil
}

// Event is the BACKGROUND_JOB event once Done is closed (nil on failure).
func (j *Job) Event() *Event {
	select {
	case <-j.done:
		return j.ev
	default:
		return nil
	}
}
