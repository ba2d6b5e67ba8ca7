package esl_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/waihu/waihu/esl"
)

// How call control places a call: build the originate, send it with bgapi
// on the node's pooled connection, watch the call's mailbox, and read the
// BACKGROUND_JOB result.
func Example_dial() {
	pool := esl.NewPool(esl.PoolOptions{})
	defer pool.Close()
	_ = pool.Add(1, "10.0.0.2:8021", "secret")

	cmd, err := esl.Originate(esl.OriginateRequest{
		UUID:       "0010ba80-58b1-4a81-8594-03e24f3699bc", // the attempt UUID
		Endpoint:   "sofia/gateway/waihu_3/013800138000",
		TimeoutSec: 30,
		Vars:       map[string]string{"waihu_attempt": "0010ba80-58b1-4a81-8594-03e24f3699bc"},
		SocketAddr: "10.0.0.5:8084",
	})
	if err != nil {
		return // *esl.ArgumentError names the refused field
	}
	fmt.Println(cmd)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	mb, _ := pool.Watch(1, "0010ba80-58b1-4a81-8594-03e24f3699bc") // before sending: no event is missed
	defer pool.Unwatch(1, mb.UUID)
	job, err := pool.BgAPI(ctx, 1, cmd)
	switch {
	case errors.Is(err, esl.ErrNotSent):
		// nothing reached FreeSWITCH: safe to requeue
	case err != nil:
		// esl.ErrOutcomeUnknown: reconcile with uuid_exists before redialing
	default:
		_, err = job.Wait(ctx) // *esl.CommandError{Reason: "USER_BUSY"} on failure
		_ = err
	}
	// Output:
	// originate {origination_uuid=0010ba80-58b1-4a81-8594-03e24f3699bc,originate_timeout=30,ignore_early_media=false,waihu_attempt=0010ba80-58b1-4a81-8594-03e24f3699bc}sofia/gateway/waihu_3/013800138000 '&socket(10.0.0.5:8084 async full)'
}
