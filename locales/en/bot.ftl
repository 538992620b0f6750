# The Telegram bot's texts (crates/bot). Language names on the buttons are each language's
# own name and are not translated.
bot-greeting = Hello, { $name }! I am the booking assistant of this clinic platform.
bot-choose-language = Which language should I use?
bot-language-set = From now on I will write in English.
bot-hint = Sorry, I did not understand that. Send /start to begin again, or use the buttons under my messages.

# Staff on Telegram (crates/nobat/src/telegram_staff).
bot-staff-linked = You are signed in as { $name }. /queue: today's queues · /today: today's appointments · /figures: today's figures · /alerts: alerts on or off · /logout: unlink this chat.
bot-staff-link-invalid = This link does not work any more: it opens once, within 10 minutes. Make a new one from your account on the web.
bot-staff-not-linked = This chat is not linked to a staff account. Make a link from your account on the web and open it here.
bot-staff-logged-out = This chat is no longer linked to your account.
bot-staff-queues-title = Today's queues:
bot-staff-queue-line = { $name }: { $waiting } waiting, { $called } called, { $served } served
bot-staff-no-queues = No queue is open today.
bot-staff-btn-call = Call next · { $name }
bot-staff-btn-walk-in = Walk-in · { $name }
bot-staff-btn-absent = Absent · { $code }
bot-staff-btn-return = Returned · { $code }
bot-staff-btn-refresh = Refresh
bot-staff-called = { $code } ({ $patient }) is called.
bot-staff-queue-empty = Nobody is waiting in this queue.
bot-staff-absent-done = { $code } is marked absent.
bot-staff-returned = { $code } is back in the line.
bot-staff-walk-in-name = Send the walk-in patient's name.
bot-staff-walk-in-added = { $name } is in the line: ticket { $code }.
bot-staff-refused = Sorry, you may not do that here.
bot-staff-failed = That could not be done: the line has changed. Refresh and try again.
bot-staff-appointments-title = Today's appointments:
bot-staff-no-appointments = No appointments today.
bot-staff-status-booked = booked
bot-staff-status-arrived = arrived
bot-staff-status-fulfilled = seen
bot-staff-status-cancelled = cancelled
bot-staff-status-noshow = no-show
bot-staff-figures = Today at { $clinic }: { $booked } appointments ({ $cancelled } cancelled, { $noshow } no-shows); in the queues { $waiting } waiting, { $served } served.
bot-staff-alerts-on = Alerts are on: you will get the clinic's alerts here.
bot-staff-alerts-off = Alerts are off.
bot-staff-alert = ⚠️ Alert: { $detail }
bot-menu = What would you like to do? You can also type what you are looking for, e.g. a service or a clinic's name.
bot-menu-book = 📅 Book an appointment
bot-choose-clinic = Choose a clinic:
bot-choose-service = Choose a service:
bot-choose-practitioner = With whom?
bot-any-practitioner = Whoever is free first
bot-choose-day = Choose a day:
bot-choose-time = { $day }
    Choose a time:
bot-no-clinics = No clinic takes bookings here yet.
bot-no-services = This clinic has no service to book yet.
bot-no-slots = There is no free time in the next two weeks. Please try another service or practitioner, or look again later.
bot-search-results = This is what I found for “{ $query }”:
bot-ask-name = You chose { $when }.
    Please write your full name.
bot-name-invalid = Please write your full name (2 to 100 letters).
bot-ask-phone = Thank you, { $name }. Please share your phone number with the button below, so the clinic can reach you.
bot-share-phone = 📱 Share my phone number
bot-phone-saved = Thank you, your number is saved.
bot-booked = Booked ✅
    { $service } with { $practitioner }
    { $when }
    { $clinic }

    To cancel or change it:
bot-slot-taken = Sorry, that time was just taken by someone else. Here are the next free ones:
bot-book-failed = Sorry, this booking could not be made. Please send /book to choose another time.
bot-stale = This menu is out of date. Send /book to start again.
