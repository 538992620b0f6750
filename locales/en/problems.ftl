## problem+json titles and details, one pair per problem code (`urn:nobat:problem:<code>`).
## Rendered as problem-<code>-title and problem-<code>-detail with the arguments shown.

problem-bad-request-title = The request is malformed
problem-bad-request-detail = The request could not be read. Check its format and try again.
problem-invalid-input-title = A value is not acceptable
problem-invalid-input-detail = The value of { $field } is not acceptable.
problem-not-found-title = Not found
problem-not-found-detail = What you asked for does not exist or is not visible to you.
problem-slot-not-offered-title = This time is not offered
problem-slot-not-offered-detail = This time is not offered for this service. Please choose one of the times shown.
problem-slot-taken-title = The slot is taken
problem-slot-taken-detail = Someone else has just booked this time. Please choose another one.
problem-hold-invalid-title = The hold cannot be used
problem-hold-invalid-detail = The time held for you has expired or does not match this booking. Please choose the time again.
problem-cut-off-passed-title = Too late to change online
problem-cut-off-passed-detail = This appointment is too close to change online. Please contact the clinic.
problem-refused-title = Not possible
problem-refused-detail = This change is not possible.
problem-illegal-transition-title = The appointment cannot change that way
problem-illegal-transition-detail = An appointment that is { $from } cannot become { $to }.
problem-already-exists-title = Already exists
problem-already-exists-detail = Something with the same name or address already exists.
problem-idempotency-key-reused-title = Idempotency-Key reused with another request
problem-idempotency-key-reused-detail = This Idempotency-Key was already used with a different request; use a new key for a new request.
problem-unavailable-title = Temporarily unavailable
problem-unavailable-detail = The service is busy or restarting; nothing was changed. Please try again.
problem-internal-title = Internal error
problem-internal-detail = Something went wrong on our side; nothing was changed.
problem-payload-too-large-title = The body is too large
problem-payload-too-large-detail = Send at most { $kib } KiB.
problem-method-not-allowed-title = Method not allowed
problem-method-not-allowed-detail = This address does not accept that method.
problem-unsupported-media-type-title = Send JSON
problem-unsupported-media-type-detail = The body must be JSON with Content-Type: application/json.
problem-unauthenticated-title = Sign in first
problem-unauthenticated-detail = Please sign in to continue.
problem-invalid-credentials-title = Wrong email or password
problem-invalid-credentials-detail = The email or password is wrong.
problem-account-locked-title = Too many failed sign-ins
problem-account-locked-detail =
    This account is locked for { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    } after repeated failed sign-ins.
problem-rate-limited-title = Too many requests
problem-rate-limited-detail =
    Please slow down and try again in { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }.
problem-totp-required-title = Two-factor code needed
problem-totp-required-detail = This account uses two-factor authentication: enter the code from your authenticator app or a recovery code.
problem-totp-invalid-title = Wrong code
problem-totp-invalid-detail = The code is wrong, too old or already used. Wait for the next code.
problem-recovery-code-invalid-title = Wrong recovery code
problem-recovery-code-invalid-detail = This recovery code is wrong or was already used.
problem-session-required-title = Sign in as yourself
problem-session-required-detail = API tokens act for one clinic; account settings need a signed-in session.
problem-forbidden-title = Not allowed
problem-forbidden-detail = Your role does not allow this.
problem-csrf-token-missing-title = Missing CSRF token
problem-csrf-token-missing-detail = Send the session's CSRF token in the X-CSRF-Token header.
problem-contact-unverified-title = Confirm your phone or email first
problem-contact-unverified-detail = This clinic confirms patients' phone or email. Request a code, enter it, then book again.
problem-link-expired-title = This link has expired
problem-link-expired-detail = The appointment is over. Please contact the clinic.
problem-two-factor-already-on-title = Two-factor is already on
problem-two-factor-already-on-detail = Turn it off first to set up a new authenticator.
problem-no-enrolment-title = Nothing to confirm
problem-no-enrolment-detail = Start two-factor setup again.
problem-not-ready-title = Not ready
problem-not-ready-detail = The server is starting or cannot reach its database.
problem-degraded-title = Degraded
problem-degraded-detail = The server is running with reduced service.
problem-not-a-member-title = Not a member of this clinic
problem-not-a-member-detail = You do not work for this clinic.
problem-wrong-clinic-title = Token for another clinic
problem-wrong-clinic-detail = This API token belongs to another clinic.
problem-two-factor-required-title = Two-factor authentication required
problem-two-factor-required-detail = This clinic requires staff to use two-factor authentication; turn it on in your account settings.
problem-busy-title = Busy
problem-busy-detail = The server has more changes waiting than it takes at once. Nothing was changed; try again in a moment.
problem-outcome-unknown-title = Outcome unknown
problem-outcome-unknown-detail = The change took too long to confirm: it may or may not have been made. Retrying with the same Idempotency-Key is safe.
problem-too-many-slots-title = Too many slots for one answer
problem-too-many-slots-detail = Ask for fewer days, or for one practitioner at a time.
problem-hold-not-yours-title = The hold is someone else's
problem-hold-not-yours-detail = Only whoever placed this hold can book or release it.
problem-too-many-holds-title = You hold too many slots
problem-too-many-holds-detail = Book or release one of the slots you are holding before holding another.
problem-clinic-holds-full-title = Too many slots are on hold
problem-clinic-holds-full-detail = This clinic has too many slots on hold right now; try again in a few minutes.
problem-wrong-account-title = Signed in as someone else
problem-wrong-account-detail = This invitation is for another account; sign in as the person invited.
problem-queue-empty-title = Nobody is waiting
problem-queue-empty-detail = Nobody is waiting in this queue right now.
problem-ticket-state-title = The ticket cannot do that now
problem-ticket-state-detail = This ticket's status does not allow that action; reload the queue and try again.
problem-already-checked-in-title = Already checked in
problem-already-checked-in-detail = This appointment is already checked in; its ticket is in the queue.

## Why a value was refused (errors[].detail of a 422 naming the field), by reason code.
invalid-name = Give the patient's name (1 to { $max } characters).
invalid-contact-missing = Give a phone number or an email address.
invalid-phone = This is not a phone number in use (e.g. +212 612 345 678).
invalid-phone-international = Write the number with its country code, e.g. +212 612 345 678.
invalid-email = This does not look like an email address.
invalid-language = Use one of the languages en, fa, ar, fr, ru, tr (a tag such as fa-IR counts as fa).
invalid-country = Use a two-letter ISO 3166-1 country code such as MA or IR.
problem-queue-full-title = The queue is full
problem-queue-full-detail = As many patients are already waiting as may join by link; please come to the desk.
problem-queue-closed-title = The queue is not taking patients
problem-queue-closed-detail = This queue is closed for today or does not take patients by link; please ask at the desk.
problem-not-acceptable-title = Only JSON is served
problem-not-acceptable-detail = This server answers application/fhir+json or application/json only.
problem-forms-required-title = Forms to fill in first
problem-forms-required-detail = The clinic asks for some forms before check-in; the patient can fill them from their appointment link or at the desk.
