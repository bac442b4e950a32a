-- Issue 13 (performance): every lockout check and every silent authorize's risk history counts attempts of one
-- outcome, but the indexes held only (subject | ip_address, started_at). Each count then read every attempt
-- of the account, or of the address, in its window from the table to test its outcome; the last success was
-- found by reading every attempt the account made in the last two days. Behind a shared address (a NAT) or for
-- an account that signs in often, that grew with traffic. With the outcome in the index, every query of
-- AttemptSQL is answered from the index alone, and the last success is one index lookup.
DROP INDEX verification_attempts_subject;
DROP INDEX verification_attempts_ip;
CREATE INDEX verification_attempts_subject ON verification_attempts(subject, outcome, started_at);
CREATE INDEX verification_attempts_ip ON verification_attempts(ip_address, outcome, started_at);
