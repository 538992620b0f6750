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

    To stop watching: { $stop }

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

## Subjects and messages added for the dispatcher (issue 12).
## staff-invitation: $clinic, $link. admin-alert: $clinic, $alert (one of the alert-* sentences
## below, already rendered), $detail (free text from the server).

verification-code-subject = Your { $clinic } verification code

staff-invitation-subject = You are invited to { $clinic }
staff-invitation-body =
    Hello,

    You have been invited to join the staff of { $clinic } on Nobat.

    To accept and choose your password: { $link }

    If you did not expect this invitation, you can ignore this message.

admin-alert-subject = { $clinic }: something needs your attention
admin-alert-body =
    { $alert }

    Details: { $detail }

alert-message-dead = A message could not be delivered after several attempts and was set aside.
alert-sms-budget-exhausted = This month's SMS budget is used up; messages now go by other channels where the patient has one.
alert-worker-failing = A background task of the server keeps failing; the server's log says why.

## Watches on outside publishers' slots (SMART Scheduling Links, FHIR).
source-slot-free-subject = A time is free at { $location } on { $date }
source-slot-free-body =
    Hello { $patient },

    A time you were watching for is free at { $location }: { $date } at { $time }.

    It is booked with them, not with us, and others may take it first. To book it: { $link }

    To stop watching: { $stop }
## Watches: a free time (notify), a booking made for the watcher (auto-book), the window's end.
watch-free-subject = A time is free: { $service } on { $date }
watch-free-body =
    Hello { $patient },

    A time you were waiting for at { $clinic } is free: { $service } with { $practitioner } on { $date } at { $time } ({ $location }).

    Others waiting may have been told too: the first to book it has it. To book: { $link }

    To stop watching: { $stop }
watch-booked-subject = Booked for you: { $service } on { $date }
watch-booked-body =
    Hello { $patient },

    As you asked, we booked a time that was waiting for you at { $clinic }: { $service } with { $practitioner } on { $date } at { $time } ({ $location }).

    To see, move or cancel it: { $link }

    Your watch is over. To stop any other message about it: { $stop }
watch-expired-subject = Your watch for { $service } has ended
watch-expired-body =
    Hello { $patient },

    No time for { $service } at { $clinic } freed up before { $last_day }, the last day you asked for. Your watch has ended.

    You can start a new one at any time: { $link }

    To stop any other message about it: { $stop }
# The instance Telegram bot was refused by Telegram (crates/nobat/src/telegram_bot.rs).
alert-telegram-token-revoked = Telegram refused the bot's token (revoked or wrong): the bot stopped answering. Set a new token from @BotFather in NOBAT_TELEGRAM_BOT_TOKEN and restart the server.
# A secure message from the clinic: the notice never carries the message itself.
secure-message-subject = New message from { $clinic }
secure-message-body =
    Hello { $patient },

    { $clinic } sent you a message. To read it, open: { $link }
