-- What messages say and when reminders go (issue 12).
--
-- A clinic's own wording of a message template, per language. The text is Fluent pattern
-- text, validated when saved (it may use only the placeables the template offers).
CREATE TABLE message_templates (
    clinic_id       TEXT    NOT NULL REFERENCES clinics (id),
    key             TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    updated_at_us   BIGINT  NOT NULL,
    PRIMARY KEY (clinic_id, key, lang)
);

-- A clinic's reminder settings; a clinic without a row has the defaults (24 h and 2 h before,
-- quiet hours 22:00-08:00). offsets: a JSON array of minutes before the start ([] = none).
-- quiet_start_min/quiet_end_min: wall-clock minutes in the location's zone; NULL = no quiet hours.
CREATE TABLE reminder_settings (
    clinic_id       TEXT    NOT NULL PRIMARY KEY REFERENCES clinics (id),
    offsets         TEXT    NOT NULL,
    quiet_start_min BIGINT,
    quiet_end_min   BIGINT,
    updated_at_us   BIGINT  NOT NULL
);

-- A service's own reminder offsets; a service without a row uses its clinic's.
CREATE TABLE service_reminder_settings (
    clinic_id       TEXT    NOT NULL,
    service_id      TEXT    NOT NULL,
    offsets         TEXT    NOT NULL,
    updated_at_us   BIGINT  NOT NULL,
    PRIMARY KEY (clinic_id, service_id),
    FOREIGN KEY (clinic_id, service_id) REFERENCES services (clinic_id, id)
);
