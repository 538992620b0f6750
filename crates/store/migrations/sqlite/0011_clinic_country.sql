-- The clinic's country (ISO 3166-1 alpha-2, upper case): the region a phone number typed the
-- national way is read in, so `0612345678` at a Casablanca desk is stored as +212612345678.
-- NULL for clinics created before: their staff set it (PATCH /clinics/{clinic}); until then
-- numbers must be given with their country code. Existing bare-digit numbers cannot be
-- parsed here (SQL has no numbering plans); they are rewritten in E.164 the next time the
-- patient books (see commands/booking.rs).
ALTER TABLE clinics ADD COLUMN country TEXT;
