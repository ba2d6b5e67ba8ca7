package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/jobs/jobstest"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

const redisDB = 10

type counter struct {
	mu   sync.Mutex
	runs map[string]int
}

func (c *counter) handler(failFirst map[string]bool) jobs.Handler {
	return func(ctx context.Context, t *store.OutboxTask) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.runs[t.Key]++
		if failFirst[t.Key] && c.runs[t.Key] == 1 {
			return fmt.Errorf("transient failure")
		}
		return nil
	}
}

// waitDone waits until at least want jobs are done.
func waitDone(t *testing.T, db *store.DB, want int64) {
	t.Helper()
	ctx := store.AsPlatform(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for {
		var done int64
		db.With(ctx).Model(&store.OutboxTask{}).Where("status = ?", store.TaskDone).Count(&done)
		if done >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs done after 30s", done, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestJobsSurviveRestartAndLostRedis enqueues jobs in the database, lets a
// runner take some, stops it, loses Redis's contents, starts a new runner and
// checks every job ran to completion, each effect once.
func TestJobsSurviveRestartAndLostRedis(t *testing.T) {
	for _, redisKind := range []string{"embedded", "redis"} {
		t.Run(redisKind, func(t *testing.T) {
			db := storetest.Open(t, store.SQLite)
			ctx := context.Background()
			url := ""
			if redisKind == "redis" {
				url = jobstest.URL(t, redisDB)
			}
			c := &counter{runs: map[string]int{}}
			fail := map[string]bool{"job:3": true}
			newRunner := func() *jobs.Runner {
				r, err := jobs.New(db, jobs.Options{Redis: url, Concurrency: 4, RelayEvery: 100 * time.Millisecond, Log: storetest.Logger()})
				if err != nil {
					t.Fatal(err)
				}
				r.Handle("test.job", c.handler(fail))
				return r
			}
			// Twenty jobs due now, five scheduled a little later.
			for i := range 25 {
				runAt := time.Now()
				if i >= 20 {
					runAt = runAt.Add(1500 * time.Millisecond)
				}
				if err := jobs.Enqueue(ctx, db.With(ctx), "test.job", fmt.Sprintf("job:%d", i), map[string]int{"i": i}, runAt); err != nil {
					t.Fatal(err)
				}
			}
			// Enqueueing the same key again is a no-op.
			if err := jobs.Enqueue(ctx, db.With(ctx), "test.job", "job:0", nil, time.Now()); err != nil {
				t.Fatal(err)
			}
			r1 := newRunner()
			if err := r1.Start(ctx); err != nil {
				t.Fatal(err)
			}
			waitDone(t, db, 20)
			r1.Close()
			// Redis loses everything (the embedded one dies with its process anyway).
			if redisKind == "redis" {
				jobstest.Flush(t, redisDB)
			}
			r2 := newRunner()
			if err := r2.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer r2.Close()
			waitDone(t, db, 25)
			c.mu.Lock()
			defer c.mu.Unlock()
			for i := range 25 {
				key := fmt.Sprintf("job:%d", i)
				want := 1
				if fail[key] {
					want = 2
				}
				if c.runs[key] != want {
					t.Errorf("%s ran %d times, want %d", key, c.runs[key], want)
				}
			}
		})
	}
}

func TestPermanentFailureStopsRetrying(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	r, err := jobs.New(db, jobs.Options{Concurrency: 1, RelayEvery: 50 * time.Millisecond, Log: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	runs := 0
	r.Handle("test.bad", func(ctx context.Context, _ *store.OutboxTask) error {
		runs++
		return fmt.Errorf("bad payload: %w", jobs.ErrPermanent)
	})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Submit(ctx, "test.bad", "bad:1", nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	pctx := store.AsPlatform(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var row store.OutboxTask
		db.With(pctx).Where("`key` = ?", "bad:1").First(&row)
		if row.Status == store.TaskFailed {
			if row.Attempts != 1 || row.LastError == "" {
				t.Fatalf("failed row %+v", row)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not marked failed: %+v", row)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if runs != 1 {
		t.Fatalf("permanent failure ran %d times", runs)
	}
}

func TestPeriodicRunsOncePerBucketAcrossProcesses(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	url := jobstest.URL(t, redisDB+1)
	var mu sync.Mutex
	runs := 0
	var runners []*jobs.Runner
	for range 2 {
		r, err := jobs.New(db, jobs.Options{Redis: url, Concurrency: 2, Log: storetest.Logger()})
		if err != nil {
			t.Fatal(err)
		}
		r.Every(jobs.Periodic{Kind: "test.tick", Every: time.Hour, Run: func(context.Context) error {
			mu.Lock()
			runs++
			mu.Unlock()
			return nil
		}})
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	time.Sleep(2500 * time.Millisecond)
	for _, r := range runners {
		r.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if runs != 1 {
		t.Fatalf("an hourly job ran %d times across two processes in one bucket", runs)
	}
}

func TestParseRedis(t *testing.T) {
	for _, s := range []string{"127.0.0.1:6379", "redis://127.0.0.1:6379/2", "redis://:pw@h:6379/0"} {
		if _, err := jobs.ParseRedis(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := jobs.ParseRedis("http://x"); err == nil {
		t.Error("http:// accepted as redis")
	}
}
