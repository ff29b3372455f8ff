-- Migration: Add ownership and access control to sessions
-- Purpose: Sessions get an owner (created_by) and a visibility (private, shared or workspace);
--          session_permissions holds the per-user grants of shared sessions.
-- Rollback: rollbacks/001_add_session_permissions.sql
-- Safe to re-run: every step checks whether it was already done.

-- Add columns
ALTER TABLE user_sessions
    ADD COLUMN IF NOT EXISTS created_by text;

ALTER TABLE user_sessions
    ADD COLUMN IF NOT EXISTS visibility text NOT NULL DEFAULT 'private';

-- ADD CONSTRAINT has no IF NOT EXISTS form, so the check looks the constraint up first.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
         WHERE conrelid = 'user_sessions'::regclass
           AND conname = 'ck_user_sessions_visibility'
    ) THEN
        ALTER TABLE user_sessions
            ADD CONSTRAINT ck_user_sessions_visibility
            CHECK (visibility IN ('private', 'shared', 'workspace'));
    END IF;
END
$$;

-- Backfill the owner of existing sessions from user_id
UPDATE user_sessions
   SET created_by = user_id
 WHERE created_by IS NULL;

-- Create indexes
-- pgshift:allow index-not-concurrent built in this transaction so that a failure leaves neither the column nor its index half-made; if user_sessions is large, move this index to a -- pgshift:no-transaction file with CONCURRENTLY
CREATE INDEX IF NOT EXISTS ix_user_sessions_created_by
    ON user_sessions (created_by);

-- Access-control list of shared sessions
CREATE TABLE IF NOT EXISTS session_permissions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  text NOT NULL
                REFERENCES user_sessions (id) ON DELETE CASCADE,
    user_id     text NOT NULL,
    permission  text NOT NULL DEFAULT 'read'
                CONSTRAINT ck_session_permissions_permission CHECK (permission IN ('read', 'write')),
    granted_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Its index leads with session_id, so it also serves the foreign key.
    CONSTRAINT uq_session_permissions_session_user UNIQUE (session_id, user_id)
);

-- "Sessions shared with me" looks grants up by user
CREATE INDEX IF NOT EXISTS ix_session_permissions_user_id
    ON session_permissions (user_id);

-- Add comments
COMMENT ON COLUMN user_sessions.created_by IS 'User who created the session (its owner); backfilled from user_id';
COMMENT ON COLUMN user_sessions.visibility IS 'Who may open the session: private (owner only), shared (owner and the users in session_permissions), workspace (every user of the workspace)';
COMMENT ON TABLE session_permissions IS 'Per-user grants on shared sessions';
COMMENT ON COLUMN session_permissions.session_id IS 'The shared session; grants go with it when it is deleted';
COMMENT ON COLUMN session_permissions.user_id IS 'User the session is shared with';
COMMENT ON COLUMN session_permissions.permission IS 'read: may open the session; write: may also change it';
COMMENT ON COLUMN session_permissions.granted_by IS 'User who shared the session';
