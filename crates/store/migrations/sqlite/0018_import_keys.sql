-- Rows a CSV import has committed, by the file's own key (an appointment's id in the system
-- it came from, a practitioner's or service's name), written in the same transaction as the
-- row. Running the same file again — after an interruption, or twice by mistake — skips what
-- is here instead of adding it twice.
CREATE TABLE import_keys (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    kind            TEXT    NOT NULL,   -- 'practitioners', 'services', 'appointments'
    key             TEXT    NOT NULL,
    created_id      TEXT    NOT NULL,   -- the row it became
    created_at_us   INTEGER  NOT NULL,
    PRIMARY KEY (clinic_id, kind, key)
);
