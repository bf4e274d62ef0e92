package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jobs"
)

// AuditCheckpointEvery is how often the checkpoint job signs the audit
// entries appended since its last run and writes a signed checkpoint of the
// head. Its unique key per period makes it run once across processes.
const AuditCheckpointEvery = 5 * time.Minute

// registerAuditCheckpoints loads the audit signing key and schedules the
// checkpoint job. Each checkpoint is also logged (msg "audit checkpoint")
// so that shipping the log ships the checkpoints off the machine.
func registerAuditCheckpoints(cfg config.Config, d *db.DB, q *jobs.Queue, o Options) (*audit.Key, error) {
	key := o.AuditKey
	if key == nil {
		var err error
		if key, err = audit.LoadKey(cfg.AuditKeyFile, cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if c, ok, err := audit.LatestCheckpoint(context.Background(), d); err == nil && ok && c.KeyID != key.ID {
		// Not fatal (a rotated key is legitimate), but with several
		// processes it usually means they were given different keys.
		o.Log.Error("audit: the last checkpoint was signed by another key; give every process the same LIAISON_AUDIT_KEY_FILE",
			"checkpoint_key_id", c.KeyID, "key_id", key.ID)
	}
	q.Every("audit.checkpoint", AuditCheckpointEvery, func(ctx context.Context, _ json.RawMessage) error {
		c, n, err := audit.Sign(ctx, d, key, o.Now())
		if err != nil {
			return err
		}
		if c.Seq > 0 {
			o.Log.Info("audit checkpoint", "seq", c.Seq, "hash", c.Hash, "at", c.At, "key_id", c.KeyID,
				"public_key", c.PublicKey, "sig", c.Sig, "signed", n)
		}
		return nil
	})
	return key, nil
}
