-- Issue 11 item 5: the named action a code (and the grant it became) was issued for, so tokens minted for
-- that action can carry its shorter lifetime.
ALTER TABLE authorization_codes ADD COLUMN action TEXT;
ALTER TABLE grants ADD COLUMN action TEXT;
