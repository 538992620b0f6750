## Messages sent to patients (email, SMS, Telegram, WhatsApp).
## Every key here exists in every language; placeables: $patient, $clinic, $practitioner,
## $service, $date, $time, $location, $link are plain strings the caller formats first
## ($date and $time through ICU4X in the location's zone); $hours, $minutes, $count are numbers.

appointment-confirmed-subject = Appointment confirmed: { $service } on { $date }
appointment-confirmed-body =
    Hello { $patient },

    Your appointment at { $clinic } is confirmed.

    Service: { $service }
    With: { $practitioner }
    Date: { $date }
    Time: { $time }
    Place: { $location }

    To see, reschedule or cancel it: { $link }

appointment-rescheduled-subject = Appointment moved: { $service } on { $date }
appointment-rescheduled-body =
    Hello { $patient },

    Your appointment at { $clinic } has been moved to a new time.

    Service: { $service }
    With: { $practitioner }
    New date: { $date }
    New time: { $time }
    Place: { $location }

    To see, reschedule or cancel it: { $link }

appointment-cancelled-subject = Appointment cancelled: { $service } on { $date }
appointment-cancelled-body =
    Hello { $patient },

    Your appointment at { $clinic } with { $practitioner } for { $service } on { $date } at { $time } ({ $location }) has been cancelled.

    To book another time: { $link }

appointment-reminder-subject = Reminder: { $service } on { $date } at { $time }
appointment-reminder-body =
    Hello { $patient },

    This is a reminder that your appointment at { $clinic } is in { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }.

    Service: { $service }
    With: { $practitioner }
    Date: { $date }
    Time: { $time }
    Place: { $location }

    If you cannot come, please let us know: { $link }

verification-code =
    { $code } is your { $clinic } verification code. It expires in { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }. Do not share it with anyone.

queue-you-are-next = { $patient }, you are next at { $clinic }. Please get ready.
queue-come-to-room = { $patient }, please come to room { $room }.
queue-people-ahead =
    { $count ->
        [0] Nobody is ahead of you.
        [one] { $count } person is ahead of you.
       *[other] { $count } people are ahead of you.
    }

watch-offer-subject = A time is free: { $service } on { $date }
watch-offer-body =
    Hello { $patient },

    A time you were waiting for at { $clinic } is free: { $service } with { $practitioner } on { $date } at { $time } ({ $location }).

    It is held for you for { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }. To book it: { $link }

## Appointment statuses, for messages that name one.
status-proposed = proposed
status-pending = pending
status-booked = booked
status-arrived = arrived
status-fulfilled = fulfilled
status-cancelled = cancelled
status-noshow = no-show
status-entered-in-error = entered in error
status-checked-in = checked in
status-waitlist = on the waiting list
