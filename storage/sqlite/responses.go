package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/routex/routex"
)

var _ routex.ResponseStore = (*Store)(nil)

// expiredPerPut is how many expired responses each PutResponse deletes in
// its own transaction, so that the table stays within its retention
// without WithRetention's pruning, at a cost each write hardly notices.
const expiredPerPut = 4

// PutResponse creates or replaces the response with r.ID. A response
// larger than routex.MaxStoredResponseBytes is refused. Times are kept to
// the millisecond.
func (s *Store) PutResponse(ctx context.Context, r routex.StoredResponse) error {
	if r.Size() > routex.MaxStoredResponseBytes {
		return fmt.Errorf("sqlite: response %q is %d bytes, over routex.MaxStoredResponseBytes", r.ID, r.Size())
	}
	return s.writeTx(ctx, "writing response", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO responses
			(id, previous_id, key_id, channel_id, model, store, created_at, expires_at, instructions, input, output)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET previous_id = excluded.previous_id, key_id = excluded.key_id,
				channel_id = excluded.channel_id, model = excluded.model, store = excluded.store,
				created_at = excluded.created_at, expires_at = excluded.expires_at,
				instructions = excluded.instructions, input = excluded.input, output = excluded.output`,
			r.ID, r.PreviousID, r.KeyID, r.ChannelID, r.Model, r.Store, r.CreatedAt.UnixMilli(), r.ExpiresAt.UnixMilli(),
			string(r.Instructions), string(r.Input), string(r.Output))
		if err != nil {
			return s.fail("writing response", err)
		}
		if r.CreatedAt.IsZero() {
			return nil
		}
		// Expired when r was created: the Client's clock, which decides
		// expiry, is the one that wrote CreatedAt.
		_, err = tx.ExecContext(ctx, "DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE expires_at <= ? LIMIT ?)",
			r.CreatedAt.UnixMilli(), expiredPerPut)
		return s.failed("pruning responses", err)
	})
}

// Response returns the response with the given id, or an error wrapping
// routex.ErrNotFound if there is none or it has expired at now.
func (s *Store) Response(ctx context.Context, id string, now time.Time) (routex.StoredResponse, error) {
	if err := s.usable(ctx); err != nil {
		return routex.StoredResponse{}, err
	}
	r := routex.StoredResponse{ID: id}
	var created, expires int64
	var instructions, input, output []byte
	err := s.r.QueryRowContext(ctx, `SELECT previous_id, key_id, channel_id, model, store, created_at, expires_at,
		instructions, input, output FROM responses WHERE id = ? AND expires_at > ?`, id, now.UnixMilli()).
		Scan(&r.PreviousID, &r.KeyID, &r.ChannelID, &r.Model, &r.Store, &created, &expires, &instructions, &input, &output)
	if errors.Is(err, sql.ErrNoRows) {
		return routex.StoredResponse{}, fmt.Errorf("sqlite: response %q: %w", id, routex.ErrNotFound)
	}
	if err != nil {
		return routex.StoredResponse{}, s.fail("reading response "+quote(id), err)
	}
	r.CreatedAt, r.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	if len(instructions) > 0 {
		r.Instructions = instructions
	}
	r.Input, r.Output = input, output
	return r, nil
}

// pruneResponses deletes the responses expired at now, in chunks.
func (s *Store) pruneResponses(ctx context.Context, now time.Time) error {
	_, err := s.pruneChunks(ctx, "pruning responses", "DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE expires_at <= ? LIMIT ?)",
		now.UnixMilli(), s.cfg.pruneChunk)
	return err
}
