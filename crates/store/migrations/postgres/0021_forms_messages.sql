-- Intake forms, secure messages and their attachments (issue 17, the practice side). Kept in
-- lockstep with the other engine's 0021_forms_messages.sql.
--
-- intake_forms: one row per version of a clinic's form. Editing a form adds a version; answers
-- name the version they answered, so an old answer still reads against the questions it was
-- given. `spec` is the form's definition as JSON (labels in any of the six languages); it is
-- not patient data and is stored in clear. `required_before_check_in` is copied from the
-- newest version's spec so the check-in gate reads one column.
CREATE TABLE intake_forms (
    clinic_id                TEXT    NOT NULL REFERENCES clinics (id),
    id                       TEXT    NOT NULL,
    version                  BIGINT NOT NULL,
    spec                     TEXT    NOT NULL,
    required_before_check_in BIGINT NOT NULL,
    created_at_us            BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id, version)
);

-- form_answers: a patient's answers to one version of a form, sealed with the data key ring
-- (`answers_sealed`, bound to this row); a stolen database file alone reveals none of them.
CREATE TABLE form_answers (
    clinic_id      TEXT    NOT NULL REFERENCES clinics (id),
    id             TEXT    NOT NULL,
    form_id        TEXT    NOT NULL,
    form_version   BIGINT NOT NULL,
    patient_id     TEXT    NOT NULL,
    appointment_id TEXT,
    answers_sealed TEXT    NOT NULL,
    submitted_by   TEXT    NOT NULL,
    created_at_us  BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX form_answers_patient ON form_answers (clinic_id, patient_id, form_id);

-- secure_messages: between one patient and the clinic. The body is sealed; who wrote it is
-- kept in clear (`from_staff`, `author`) so unread counts need no key. `read_at_us` is set
-- when the other side first reads it.
CREATE TABLE secure_messages (
    clinic_id     TEXT    NOT NULL REFERENCES clinics (id),
    id            TEXT    NOT NULL,
    patient_id    TEXT    NOT NULL,
    from_staff    BIGINT NOT NULL,
    author        TEXT    NOT NULL,
    body_sealed   TEXT    NOT NULL,
    created_at_us BIGINT NOT NULL,
    read_at_us    BIGINT,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX secure_messages_patient ON secure_messages (clinic_id, patient_id, created_at_us);

-- message_attachments: the file's bytes live sealed in the data directory under the SHA-256
-- of what was written (content-addressed, outside the database file); the row keeps the
-- address, the sniffed media type, the size and the sealed original name.
CREATE TABLE message_attachments (
    clinic_id      TEXT    NOT NULL REFERENCES clinics (id),
    id             TEXT    NOT NULL,
    message_id     TEXT    NOT NULL,
    patient_id     TEXT    NOT NULL,
    address        TEXT    NOT NULL,
    media_type     TEXT    NOT NULL,
    size_bytes     BIGINT NOT NULL,
    name_sealed    TEXT    NOT NULL,
    created_at_us  BIGINT NOT NULL,
    PRIMARY KEY (clinic_id, id)
);
CREATE INDEX message_attachments_message ON message_attachments (clinic_id, message_id);
