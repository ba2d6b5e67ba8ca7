// Package jobs runs waihu's background work on asynq. The database is the
// truth and Redis only carries work: every job is first an OutboxTask row,
// written in the same transaction as the change that needs it; a relay puts
// due rows on asynq with the row's business key as the TaskID (so a job is on
// the queue at most once), and re-puts them if Redis lost them. Handlers are
// idempotent by that key: a row already done is skipped.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waihu/waihu/app/store"
)

// Handler runs one job. Returning an error retries it with backoff until the
// row's MaxAttempts, after which the row is marked failed.
type Handler func(ctx context.Context, task *store.OutboxTask) error

// Periodic is a job put on the queue every Every by exactly one process: the
// TaskID carries the time bucket, so the other processes' copies conflict.
type Periodic struct {
	Kind  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Options configure a Runner.
type Options struct {
	// Redis is a redis:// URL or host:port; empty starts an in-process Redis.
	Redis string
	// Concurrency is the number of jobs this process runs at once.
	Concurrency int
	// RelayEvery is how often pending rows are checked; RequeueAfter is how
	// long an enqueued row may stay pending before it is re-put on the queue
	// (Redis may have lost it).
	RelayEvery   time.Duration
	RequeueAfter time.Duration
	// Queues weights asynq queues; the default has only "default".
	Queues map[string]int
	Log    *slog.Logger
}

// Runner owns the asynq client, server and the relay loop of one process.
type Runner struct {
	db       *store.DB
	opt      Options
	log      *slog.Logger
	redisOpt asynq.RedisConnOpt
	mini     *miniredis.Miniredis
	client   *asynq.Client
	server   *asynq.Server
	mux      *asynq.ServeMux

	mu       sync.Mutex
	handlers map[string]Handler
	queues   map[string]string // kind -> queue
	periodic []Periodic
	nudge    chan struct{}
	stop     context.CancelFunc
	done     sync.WaitGroup
}

// New connects to Redis (or starts the embedded one) and prepares a runner.
func New(db *store.DB, opt Options) (*Runner, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 20
	}
	if opt.RelayEvery <= 0 {
		opt.RelayEvery = 2 * time.Second
	}
	if opt.RequeueAfter <= 0 {
		opt.RequeueAfter = time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	r := &Runner{db: db, opt: opt, log: opt.Log, handlers: map[string]Handler{}, queues: map[string]string{}, nudge: make(chan struct{}, 1)}
	if opt.Redis == "" {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		r.mini = m
		r.redisOpt = asynq.RedisClientOpt{Addr: m.Addr()}
	} else {
		o, err := ParseRedis(opt.Redis)
		if err != nil {
			return nil, err
		}
		r.redisOpt = o
	}
	r.client = asynq.NewClient(r.redisOpt)
	if err := r.client.Ping(); err != nil {
		r.Close()
		return nil, fmt.Errorf("connect to redis %s: %w", redactRedis(opt.Redis), err)
	}
	return r, nil
}

// ParseRedis accepts redis://[:pass@]host:port/db, rediss://… or host:port.
func ParseRedis(s string) (asynq.RedisConnOpt, error) {
	if !strings.Contains(s, "://") {
		s = "redis://" + s
	}
	o, err := asynq.ParseRedisURI(s)
	if err != nil {
		return nil, fmt.Errorf("--redis %q: %w", redactRedis(s), err)
	}
	return o, nil
}

func redactRedis(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "***" + s[i:]
		}
	}
	if s == "" {
		return "(embedded)"
	}
	return s
}

// Embedded reports whether this runner uses the in-process Redis.
func (r *Runner) Embedded() bool { return r.mini != nil }

// RedisOpt exposes the connection for packages that keep their own counters
// in the same Redis (campaign concurrency limits).
func (r *Runner) RedisOpt() asynq.RedisConnOpt { return r.redisOpt }

// Handle registers the handler for a job kind, on the default queue.
func (r *Runner) Handle(kind string, h Handler) { r.HandleOn(kind, "default", h) }

// HandleOn registers the handler for a job kind on a named queue.
func (r *Runner) HandleOn(kind, queue string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
	r.queues[kind] = queue
}

// Every registers a periodic job.
func (r *Runner) Every(p Periodic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.periodic = append(r.periodic, p)
}

// Enqueue records a job in the database within tx. A job with the same key
// already recorded is left as it is, which makes enqueueing idempotent.
func Enqueue(ctx context.Context, tx *gorm.DB, kind, key string, payload any, runAt time.Time) error {
	if kind == "" || key == "" || len(key) > 191 {
		return fmt.Errorf("enqueue job: kind and a key of 1..191 bytes are required (kind %q)", kind)
	}
	var body string
	switch p := payload.(type) {
	case nil:
	case string:
		body = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", kind, err)
		}
		body = string(b)
	}
	if runAt.IsZero() {
		runAt = time.Now()
	}
	row := &store.OutboxTask{Kind: kind, Key: key, Payload: body, Status: store.TaskPending, RunAt: runAt.UTC(), MaxAttempts: 10}
	err := tx.WithContext(store.AsPlatform(ctx)).Clauses(clause.OnConflict{DoNothing: true}).Create(row).Error
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return nil
}

// Job is one job for EnqueueMany.
type Job struct {
	Kind, Key string
	Payload   any
	RunAt     time.Time
}

// EnqueueMany is Enqueue for many jobs with multi-row INSERTs: the campaign
// scheduler records hundreds of dial jobs per pass.
func EnqueueMany(ctx context.Context, tx *gorm.DB, jobs []Job) error {
	if len(jobs) == 0 {
		return nil
	}
	rows := make([]store.OutboxTask, 0, len(jobs))
	now := time.Now()
	for _, j := range jobs {
		if j.Kind == "" || j.Key == "" || len(j.Key) > 191 {
			return fmt.Errorf("enqueue job: kind and a key of 1..191 bytes are required (kind %q)", j.Kind)
		}
		var body string
		switch p := j.Payload.(type) {
		case nil:
		case string:
			body = p
		default:
			b, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("enqueue %s: %w", j.Kind, err)
			}
			body = string(b)
		}
		runAt := j.RunAt
		if runAt.IsZero() {
			runAt = now
		}
		rows = append(rows, store.OutboxTask{Kind: j.Kind, Key: j.Key, Payload: body, Status: store.TaskPending, RunAt: runAt.UTC(), MaxAttempts: 10})
	}
	err := tx.WithContext(store.AsPlatform(ctx)).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200).Error
	if err != nil {
		return fmt.Errorf("enqueue %d jobs: %w", len(rows), err)
	}
	return nil
}

// Submit is Enqueue in its own transaction followed by a nudge, for callers
// with no transaction of their own.
func (r *Runner) Submit(ctx context.Context, kind, key string, payload any, runAt time.Time) error {
	if err := Enqueue(ctx, r.db.With(ctx), kind, key, payload, runAt); err != nil {
		return err
	}
	r.Nudge()
	return nil
}

// Nudge asks the relay to look for due rows now rather than at its next tick.
func (r *Runner) Nudge() {
	select {
	case r.nudge <- struct{}{}:
	default:
	}
}

// Start runs the asynq server, the relay and the periodic jobs until Close.
// Its first relay pass re-enqueues everything pending in the database, which
// is how work survives a lost Redis or a restart.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	queues := map[string]int{"default": 5}
	for q, w := range r.opt.Queues {
		queues[q] = w
	}
	r.mux = asynq.NewServeMux()
	for kind := range r.handlers {
		r.mux.HandleFunc(kind, r.run)
	}
	for _, p := range r.periodic {
		p := p
		r.mux.HandleFunc(p.Kind, func(ctx context.Context, _ *asynq.Task) error { return p.Run(ctx) })
	}
	r.mu.Unlock()
	r.server = asynq.NewServer(r.redisOpt, asynq.Config{
		Concurrency:              r.opt.Concurrency,
		Queues:                   queues,
		TaskCheckInterval:        200 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		ShutdownTimeout:          10 * time.Second,
		Logger:                   asynqLogger{r.log},
		LogLevel:                 asynq.WarnLevel,
		// The database decides when a job has failed for good; asynq just
		// keeps retrying until the handler reports it done.
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			d := time.Duration(1<<min(n, 8)) * time.Second
			return min(d, 5*time.Minute)
		},
	})
	if err := r.server.Start(r.mux); err != nil {
		return fmt.Errorf("start job server: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.stop = cancel
	r.done.Add(2)
	go r.relayLoop(ctx)
	go r.periodicLoop(ctx)
	return nil
}

// Close stops the server and the loops, then the embedded Redis.
func (r *Runner) Close() {
	if r.stop != nil {
		r.stop()
		r.done.Wait()
	}
	if r.server != nil {
		r.server.Shutdown()
	}
	if r.client != nil {
		_ = r.client.Close()
	}
	if r.mini != nil {
		r.mini.Close()
	}
}

func (r *Runner) relayLoop(ctx context.Context) {
	defer r.done.Done()
	first := true
	t := time.NewTicker(r.opt.RelayEvery)
	defer t.Stop()
	for {
		if _, err := r.Relay(ctx, first); err != nil && ctx.Err() == nil {
			r.log.Warn("job relay pass failed", "err", err)
		} else {
			first = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.nudge:
		}
	}
}

// Relay puts due pending rows on the queue and returns how many it put.
// With all set it re-puts every pending row regardless of when it was last
// enqueued (the start-up pass); otherwise only rows never enqueued, or
// enqueued longer than RequeueAfter ago.
func (r *Runner) Relay(ctx context.Context, all bool) (int, error) {
	pctx := store.AsPlatform(ctx)
	now := time.Now().UTC()
	// Scheduled rows go to asynq up to a minute early so they fire on time.
	horizon := now.Add(time.Minute)
	put := 0
	var afterID uint64
	for {
		var rows []store.OutboxTask
		q := r.db.With(pctx).Where("status = ? AND run_at <= ? AND id > ?", store.TaskPending, horizon, afterID)
		if !all {
			q = q.Where("enqueued_at IS NULL OR enqueued_at < ?", now.Add(-r.opt.RequeueAfter))
		}
		if err := q.Order("id").Limit(500).Find(&rows).Error; err != nil {
			return put, fmt.Errorf("read due jobs: %w", err)
		}
		if len(rows) == 0 {
			return put, nil
		}
		var ids []uint64
		for i := range rows {
			row := &rows[i]
			afterID = row.ID
			queue := r.queueFor(row.Kind)
			if queue == "" {
				continue // a kind this process does not run; another process will
			}
			opts := []asynq.Option{asynq.TaskID(row.Key), asynq.Queue(queue), asynq.MaxRetry(1000), asynq.Retention(0)}
			if row.RunAt.After(now) {
				opts = append(opts, asynq.ProcessAt(row.RunAt))
			}
			_, err := r.client.EnqueueContext(ctx, asynq.NewTask(row.Kind, []byte(row.Key)), opts...)
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
				return put, fmt.Errorf("enqueue job %s: %w", row.Key, err)
			}
			if err == nil {
				put++
			}
			ids = append(ids, row.ID)
		}
		if len(ids) > 0 {
			if err := r.db.With(pctx).Model(&store.OutboxTask{}).Where("id IN ?", ids).Update("enqueued_at", now).Error; err != nil {
				return put, fmt.Errorf("mark jobs enqueued: %w", err)
			}
		}
	}
}

func (r *Runner) queueFor(kind string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queues[kind]
}

// run executes the job whose key the asynq task carries.
func (r *Runner) run(ctx context.Context, t *asynq.Task) error {
	key := string(t.Payload())
	pctx := store.AsPlatform(ctx)
	var row store.OutboxTask
	if err := r.db.With(pctx).Where("`key` = ?", key).First(&row).Error; err != nil {
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			r.log.Warn("job on the queue has no database row; dropped", "key", key)
			return nil
		}
		return err
	}
	if row.Status != store.TaskPending {
		return nil // already done or given up: a duplicate delivery
	}
	r.mu.Lock()
	h := r.handlers[row.Kind]
	r.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no handler for job kind %s", row.Kind)
	}
	err := h(ctx, &row)
	now := time.Now().UTC()
	if err == nil {
		if row.Status == store.TaskDone {
			return nil // the handler committed MarkDone with its work
		}
		return r.db.With(pctx).Model(&store.OutboxTask{}).Where("id = ? AND status = ?", row.ID, store.TaskPending).
			Updates(map[string]any{"status": store.TaskDone, "done_at": now, "attempts": gorm.Expr("attempts + 1"), "last_error": ""}).Error
	}
	attempts := row.Attempts + 1
	updates := map[string]any{"attempts": attempts, "last_error": truncate(err.Error(), 1024)}
	final := attempts >= row.MaxAttempts || errors.Is(err, ErrPermanent)
	if final {
		updates["status"] = store.TaskFailed
		updates["done_at"] = now
	}
	if uerr := r.db.With(pctx).Model(&store.OutboxTask{}).Where("id = ?", row.ID).Updates(updates).Error; uerr != nil {
		return uerr
	}
	if final {
		r.log.Error("job failed for good", "kind", row.Kind, "key", row.Key, "attempts", attempts, "err", err)
		return nil
	}
	return err
}

// ErrPermanent marks a job error that retrying cannot fix.
var ErrPermanent = errors.New("permanent job failure")

func (r *Runner) periodicLoop(ctx context.Context) {
	defer r.done.Done()
	r.mu.Lock()
	periodic := append([]Periodic(nil), r.periodic...)
	r.mu.Unlock()
	if len(periodic) == 0 {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		now := time.Now().UTC()
		for _, p := range periodic {
			bucket := now.Truncate(p.Every).Unix()
			id := fmt.Sprintf("%s:%d", p.Kind, bucket)
			_, err := r.client.EnqueueContext(ctx, asynq.NewTask(p.Kind, nil), asynq.TaskID(id), asynq.MaxRetry(0),
				asynq.Retention(p.Every), asynq.Timeout(max(p.Every, 30*time.Second)))
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && ctx.Err() == nil {
				r.log.Warn("enqueue periodic job failed", "kind", p.Kind, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// MarkDone marks the job done inside the handler's own transaction, so the
// job's effect and its completion commit together and a redelivery after a
// crash finds it done. A handler that calls it must return the
// transaction's error.
func MarkDone(ctx context.Context, tx *gorm.DB, task *store.OutboxTask) error {
	now := time.Now().UTC()
	err := tx.WithContext(store.AsPlatform(ctx)).Model(&store.OutboxTask{}).Where("id = ? AND status = ?", task.ID, store.TaskPending).
		Updates(map[string]any{"status": store.TaskDone, "done_at": now, "attempts": gorm.Expr("attempts + 1"), "last_error": ""}).Error
	if err == nil {
		// The runner then skips its own "done" update. A handler whose
		// transaction rolls back after this returns that error, and the
		// runner's error path does not look at the status.
		task.Status = store.TaskDone
	}
	return err
}

// Ping checks Redis answers; /readyz uses it.
func (r *Runner) Ping() error { return r.client.Ping() }
