package main

import (
	"log/slog"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/recordings"
	"github.com/waihu/waihu/app/store"
)

// startRecordingUploads wires S3 uploads of recordings when a bucket is
// configured (nil otherwise: recordings stay on local disk only).
func startRecordingUploads(cfg *config.Config, db *store.DB, runner *jobs.Runner, calls *callctl.Service, log *slog.Logger) (*recordings.Service, error) {
	if !cfg.S3.Enabled() {
		return nil, nil
	}
	s3, err := recordings.NewS3(recordings.S3Config{Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket, Region: cfg.S3.Region,
		AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, PathStyle: cfg.S3.PathStyle}, nil)
	if err != nil {
		return nil, err
	}
	recs := recordings.New(db, recordings.Options{S3: s3, Dir: cfg.RecordingsDir, Prefix: cfg.S3.Prefix,
		DeleteLocal: cfg.S3.DeleteLocal, URLTTL: cfg.S3.URLTTL, Log: log.With("component", "recordings")})
	runner.Handle(recordings.JobKind, recs.Handle)
	calls.OnFinish(recs.OnFinish)
	log.Info("recordings upload to S3-compatible storage", "endpoint", cfg.S3.Endpoint, "bucket", cfg.S3.Bucket, "path_style", cfg.S3.PathStyle)
	return recs, nil
}
