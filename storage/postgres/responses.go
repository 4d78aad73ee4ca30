package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/routex/routex"
)

// expiredPerPut is how many expired responses each PutResponse deletes in
// its own transaction, so that the table stays within its retention
// without WithRetention's pruning, at a cost each write hardly notices.
const expiredPerPut = 4

// PutResponse creates or replaces the response with r.ID. A response
// larger than routex.MaxStoredResponseBytes is refused. Times are kept to
// the millisecond.
func (s *Store) PutResponse(ctx context.Context, r routex.StoredResponse) error {
	if r.Size() > routex.MaxStoredResponseBytes {
		return fmt.Errorf("postgres: response %q is %d bytes, over routex.MaxStoredResponseBytes", r.ID, r.Size())
	}
	return s.writeTx(ctx, "writing response", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO responses
			(id, previous_id, key_id, channel_id, model, store, created_at, expires_at, instructions, input, output)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (id) DO UPDATE SET previous_id = excluded.previous_id, key_id = excluded.key_id,
				channel_id = excluded.channel_id, model = excluded.model, store = excluded.store,
				created_at = excluded.created_at, expires_at = excluded.expires_at,
				instructions = excluded.instructions, input = excluded.input, output = excluded.output`,
			r.ID, r.PreviousID, r.KeyID, r.ChannelID, r.Model, r.Store, r.CreatedAt.UnixMilli(), r.ExpiresAt.UnixMilli(),
			bytes(r.Instructions), bytes(r.Input), bytes(r.Output))
		if err != nil {
			return s.fail("writing response", err)
		}
		if r.CreatedAt.IsZero() {
			return nil
		}
		// Expired when r was created: the Client's clock, which decides
		// expiry, is the one that wrote CreatedAt.
		_, err = tx.Exec(ctx, "DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE expires_at <= $1 LIMIT $2)",
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
	err := s.pool.QueryRow(ctx, `SELECT previous_id, key_id, channel_id, model, store, created_at, expires_at,
		instructions, input, output FROM responses WHERE id = $1 AND expires_at > $2`, id, now.UnixMilli()).
		Scan(&r.PreviousID, &r.KeyID, &r.ChannelID, &r.Model, &r.Store, &created, &expires, &instructions, &input, &output)
	if errors.Is(err, pgx.ErrNoRows) {
		return routex.StoredResponse{}, fmt.Errorf("postgres: response %q: %w", id, routex.ErrNotFound)
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

// bytes returns b, empty rather than nil: a nil slice would be NULL, and
// the columns hold bytes.
func bytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
