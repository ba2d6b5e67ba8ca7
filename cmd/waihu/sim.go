package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/waihu/waihu/esl/switchsim"
)

// runSim runs the switch simulator alone: a FreeSWITCH stand-in speaking
// ESL with scripted callees, for demos, benchmarks and manual testing.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("waihu sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("esl", "127.0.0.1:8021", "inbound ESL listen address")
	password := fs.String("password", "ClueCon", "ESL password")
	personas := fs.String("personas", "", "persona YAML file (default: personas by the number's last digit)")
	cdrURL := fs.String("cdr-url", "", "URL to POST CDRs to, as mod_xml_cdr does (e.g. http://127.0.0.1:8080/fs/cdr)")
	cdrRetries := fs.Int("cdr-retries", 2, "extra CDR post tries after a failure (mod_xml_cdr retries)")
	cdrDelay := fs.Duration("cdr-delay", time.Second, "pause between CDR tries (mod_xml_cdr delay)")
	heartbeat := fs.Duration("heartbeat", 20*time.Second, "HEARTBEAT event interval")
	maxSessions := fs.Int("max-sessions", 1000, "max concurrent channels (FS max-sessions)")
	sps := fs.Int("sps", 30, "max new channels per second (FS sessions-per-second)")
	scale := fs.Float64("time-scale", 1, "multiply every simulated duration (0.1 = ten times faster)")
	verbose := fs.Bool("v", false, "log each call")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: waihu sim [options]\n\nRun the FreeSWITCH simulator: it speaks the ESL protocol on --esl, places calls\n"+
			"to scripted callees (personas), connects their '&socket(host:port async full)' back,\n"+
			"and posts CDRs like mod_xml_cdr. See esl/switchsim/doc.go for the persona format.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := switchsim.Options{ESLAddr: *addr, Password: *password, CDRURL: *cdrURL, HeartbeatEvery: *heartbeat,
		CDRRetries: *cdrRetries, CDRRetryDelay: *cdrDelay,
		MaxSessions: *maxSessions, SessionsPerSecond: *sps, TimeScale: *scale}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if o.CDRRetries == 0 {
		o.CDRRetries = -1 // Options: 0 means the default, negative means none
	}
	if *personas != "" {
		p, err := switchsim.LoadPersonas(*personas)
		if err != nil {
			return err
		}
		o.Personas = p
	}
	sim, err := switchsim.New(o)
	if err != nil {
		return err
	}
	if err := sim.Start(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "switch simulator listening on %s (ESL)\n", sim.ESLAddr())
	<-ctx.Done()
	return sim.Close()
}
