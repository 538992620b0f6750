# The web pages people use: the clinic directory, booking, the manage page.
# Every text a page shows comes from here; language names are endonyms and stay as written.

pages-skip = Skip to the content
pages-language = Language
pages-footer = Nobat, open-source clinic booking
pages-home = All clinics

pages-directory-title = Book an appointment
pages-directory-intro = Choose a clinic to see its services and free times.
pages-directory-empty = There are no clinics on this site yet.
pages-directory-book = Book at { $clinic }

pages-book-title = Book at { $clinic }
pages-step-service = What is the appointment for?
pages-step-practitioner = With whom?
pages-step-time = When?
pages-step-details = Your details
pages-any-practitioner = Any available practitioner
pages-duration = { $minutes } min
pages-change = Change
pages-chosen-service = Service
pages-chosen-practitioner = Practitioner
pages-days = Days with free times
pages-slots-on = Free times on { $date }
pages-no-slots = No free times in the next { $days } days.
pages-later = Later days
pages-earlier = Earlier days
pages-hold-note = This time is kept for you until { $time }. Fill in your details to confirm it.
pages-field-name = Full name
pages-field-phone = Phone
pages-field-email = Email
pages-field-note = Note for the clinic (optional)
pages-contact-hint = Give a phone number or an email address, so the clinic can reach you.
pages-confirm = Confirm the appointment
pages-other-time = Choose another time
pages-form-errors = Please correct the fields marked below.

pages-booked-title = Your appointment is booked
pages-manage-title = Your appointment
pages-when = When
pages-with = With
pages-what = What
pages-where = Where
pages-status = Status
pages-calendar = Add to my calendar
pages-keep-link = Keep this link: it lets you change or cancel the appointment.
pages-cancel = Cancel this appointment
pages-cancel-reason = Reason (optional)
pages-cancelled = This appointment is cancelled.
pages-reschedule = Move to another time
pages-moved = Your appointment was moved. This is its new page.
pages-access-title = Who at the clinic saw or changed this appointment
pages-access-empty = No one yet.
pages-access-at = Time
pages-access-who = Who
pages-access-action = What they did

pages-status-proposed = Proposed
pages-status-pending = Pending
pages-status-booked = Booked
pages-status-arrived = Arrived
pages-status-fulfilled = Done
pages-status-cancelled = Cancelled
pages-status-noshow = Missed
pages-status-entered-in-error = Entered in error
pages-status-checked-in = Checked in
pages-status-waitlist = On the waiting list

pages-error-title = Something went wrong
pages-not-found = This page does not exist.
pages-back = Back to the start

pages-who-patient = You
pages-action-book = booked
pages-action-cancel = cancelled
pages-action-reschedule = moved
pages-action-view = viewed
pages-action-set_status = changed the status
pages-action-export = exported

pages-board-title = Waiting room
pages-board-called = Called
pages-board-go = Go to
pages-board-next = Next
pages-board-waiting = Waiting: { $count }
pages-board-empty = No queue is open here today.
pages-form-title = Your form
pages-form-submit = Send
pages-form-done = Thank you, your answers were received.
pages-form-yes = Yes
pages-form-no = No
pages-form-required = Required
pages-form-date-persian = Solar Hijri date, e.g. 1405/01/15
pages-form-signature = Type your full name as your signature
pages-forms-heading = Forms to fill in
pages-form-filled = Filled in
pages-messages-heading = Messages with the clinic
pages-messages-new = You have a new message from the clinic
