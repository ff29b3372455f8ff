-- Rollback migration 001
DROP TABLE IF EXISTS session_permissions;
ALTER TABLE user_sessions DROP COLUMN IF EXISTS created_by;
ALTER TABLE user_sessions DROP COLUMN IF EXISTS visibility;
