-- Issue 13 (performance): what the server's in-memory caches need to notice changes made by other processes.
--
-- The server keeps client records in memory. Every change to `clients` or `client_redirect_uris`, by this
-- process or another (the CLI), bumps the `clients` generation in the same transaction, through these
-- triggers; the server re-reads the generation at most every 100 ms and drops its copies when it moved.
CREATE TABLE cache_generations (
    name        TEXT PRIMARY KEY,
    generation  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO cache_generations (name, generation) VALUES ('clients', 1);

CREATE TRIGGER clients_generation_insert AFTER INSERT ON clients
BEGIN UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients'; END;
CREATE TRIGGER clients_generation_update AFTER UPDATE ON clients
BEGIN UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients'; END;
CREATE TRIGGER clients_generation_delete AFTER DELETE ON clients
BEGIN UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients'; END;
CREATE TRIGGER client_redirect_uris_generation_insert AFTER INSERT ON client_redirect_uris
BEGIN UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients'; END;
CREATE TRIGGER client_redirect_uris_generation_update AFTER UPDATE ON client_redirect_uris
BEGIN UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients'; END;
CREATE TRIGGER client_redirect_uris_generation_delete AFTER DELETE ON client_redirect_uris
BEGIN UPDATE cache_generations SET generation = generation + 1 WHERE name = 'clients'; END;
