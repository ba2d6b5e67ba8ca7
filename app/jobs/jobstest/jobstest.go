// Package jobstest gives tests a real Redis. Redis is not optional: when it
// cannot be reached the test fails (CI's .ci/run starts it). Each package
// passes its own database number so packages tested in parallel do not
// flush each other's queues. WAIHU_TEST_REDIS overrides host:port.
package jobstest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the test Redis server.
func Addr() string {
	if v := os.Getenv("WAIHU_TEST_REDIS"); v != "" {
		return v
	}
	return "127.0.0.1:6379"
}

// URL returns redis://addr/db after flushing that database.
func URL(t testing.TB, db int) string {
	t.Helper()
	Flush(t, db)
	return fmt.Sprintf("redis://%s/%d", Addr(), db)
}

// Flush empties one Redis database (used to simulate losing Redis).
func Flush(t testing.TB, db int) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(), DB: db})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("Redis is required and is not reachable at %s (start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no): %v", Addr(), err)
	}
}
