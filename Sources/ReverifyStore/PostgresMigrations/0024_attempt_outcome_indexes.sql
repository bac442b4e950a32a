-- The twin of migrations/0024_attempt_outcome_indexes.sql: attempts are counted by outcome, so the outcome is in
-- the index, and every query of AttemptSQL is answered from the index alone.
DROP INDEX verification_attempts_subject;
DROP INDEX verification_attempts_ip;
CREATE INDEX verification_attempts_subject ON verification_attempts(subject, outcome, started_at);
CREATE INDEX verification_attempts_ip ON verification_attempts(ip_address, outcome, started_at);
