-- Where seeded text comes from, exactly: {"file", "start", "end", "sha256"}, character offsets
-- into the source file and the SHA-256 of the quoted passage, so anyone with the source can check
-- the quote without this program.
ALTER TABLE recommendations ADD COLUMN provenance jsonb
    CHECK (provenance IS NULL OR provenance ?& ARRAY['file', 'start', 'end', 'sha256']);
ALTER TABLE evidence ADD COLUMN provenance jsonb
    CHECK (provenance IS NULL OR provenance ?& ARRAY['file', 'start', 'end', 'sha256']);
