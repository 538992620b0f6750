-- A location's phone number (E.164), published as SMART Scheduling Links' `booking-phone`
-- and as the FHIR Location's `telecom`. NULL: the location gives no number.
ALTER TABLE locations ADD COLUMN phone TEXT;
