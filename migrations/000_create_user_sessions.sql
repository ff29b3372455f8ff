-- Migration: Create user_sessions
-- Purpose: The application's sessions table, which 001 extends. Databases that predate pgshift
--          already have it, so it is created only if absent and nothing is changed when present.
-- Note: 001 references user_sessions(id) from session_permissions.session_id (text); if your
--       existing table's id has another type, give session_id that type before applying 001.
-- Rollback: none on purpose; reverting must never drop a table that existed before pgshift.

CREATE TABLE IF NOT EXISTS user_sessions (
    id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
    user_id     text NOT NULL,
    title       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS ix_user_sessions_user_id
    ON user_sessions (user_id);

COMMENT ON TABLE user_sessions IS 'User sessions of the application';
COMMENT ON COLUMN user_sessions.user_id IS 'User the session belongs to';
