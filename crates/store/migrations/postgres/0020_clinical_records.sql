-- Clinical records (issue 17): visit notes in SOAP form, their versions, note templates per
-- service, and merges of duplicate patient records. Note bodies are sealed with the data key
-- ring (`at_rest.rs`): the columns hold `nb1.{key id}.{ciphertext}`, never the text, so a
-- stolen database file reveals none of it. Only what is needed to list and authorise is in
-- the clear (who, when, which appointment, draft or signed, which SOAP fields changed).
CREATE TABLE clinical_notes (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    id              TEXT    NOT NULL,
    patient_id      TEXT    NOT NULL,
    appointment_id  TEXT    NOT NULL,
    practitioner_id TEXT    NOT NULL,   -- the appointment's practitioner (who may write it)
    status          TEXT    NOT NULL,   -- 'draft' or 'signed'
    version         BIGINT NOT NULL,   -- the current version
    created_by      TEXT    NOT NULL,   -- audit actor id
    created_at_us   BIGINT NOT NULL,
    updated_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id),
    FOREIGN KEY (clinic_id, patient_id) REFERENCES patients (clinic_id, id),
    FOREIGN KEY (clinic_id, appointment_id) REFERENCES appointments (clinic_id, id)
);
CREATE INDEX clinical_notes_by_patient ON clinical_notes (clinic_id, patient_id, created_at_us);
CREATE INDEX clinical_notes_by_time ON clinical_notes (clinic_id, created_at_us);

-- Every version of a note. A draft's version 1 is rewritten until signed; a signed version is
-- never changed again: an amendment is a new signed version naming what changed and why.
CREATE TABLE clinical_note_versions (
    clinic_id       TEXT    NOT NULL,
    note_id         TEXT    NOT NULL,
    version         BIGINT NOT NULL,
    body            TEXT    NOT NULL,   -- sealed JSON {subjective, objective, assessment, plan, reason}
    changed         TEXT    NOT NULL,   -- SOAP fields changed from the previous version, comma-separated
    author          TEXT    NOT NULL,   -- audit actor id
    author_label    TEXT    NOT NULL,
    signed_by       TEXT,
    signed_by_label TEXT,
    signed_at_us    BIGINT,
    created_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, note_id, version),
    FOREIGN KEY (clinic_id, note_id) REFERENCES clinical_notes (clinic_id, id)
);

-- A note template per service: the SOAP headings a practitioner starts from. Not patient
-- data, so kept in the clear.
CREATE TABLE note_templates (
    clinic_id       TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    body            TEXT    NOT NULL,   -- JSON {subjective, objective, assessment, plan}
    updated_at_us   BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, service_id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES services (clinic_id, id)
);

-- A duplicate record folded into another. What moved is listed so an unmerge puts back
-- exactly that; the duplicate keeps its row (hidden by `merged_into`).
ALTER TABLE patients ADD COLUMN merged_into TEXT;
CREATE TABLE patient_merges (
    clinic_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    kept_id         TEXT    NOT NULL,
    merged_id       TEXT    NOT NULL,
    moved           TEXT    NOT NULL,   -- JSON {table: [ids]} of rows moved to the kept record
    merged_by       TEXT    NOT NULL,
    merged_at_us    BIGINT NOT NULL,
    undone_at_us    BIGINT,
    PRIMARY KEY (clinic_id, id)
);
