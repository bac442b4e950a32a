-- Issue 13 (performance): what the server's in-memory caches need to notice changes made by other processes.
--
-- The server keeps client records in memory. Every change to `clients` or `client_redirect_uris`, by this
-- process or another (the CLI), bumps the `clients` generation in the same transaction, through these
-- triggers; the server re-reads the generation at most every 100 ms and drops its copies when it moved.
CREATE TABLE cache_generations (
    name        TEXT PRIMARY KEY,
    generation  BIGINT NOT NULL
);
INSERT INTO cache_generations (name, generation) VALUES ('clients', 1);

-- One statement-level trigger per table (SQLite has row triggers per event): a statement bumps the generation
-- once however many rows it touched (even none), which is all a reader needs to notice the change.
CREATE FUNCTION bump_clients_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients';
    RETURN NULL;
END;
$$;

CREATE TRIGGER clients_generation AFTER INSERT OR UPDATE OR DELETE ON clients
    FOR EACH STATEMENT EXECUTE FUNCTION bump_clients_generation();
CREATE TRIGGER client_redirect_uris_generation AFTER INSERT OR UPDATE OR DELETE ON client_redirect_uris
    FOR EACH STATEMENT EXECUTE FUNCTION bump_clients_generation();
