# The Telegram bot's texts (crates/bot). Language names on the buttons are each language's
# own name and are not translated.
bot-greeting = Hello, { $name }! I am the booking assistant of this clinic platform.
bot-choose-language = Which language should I use?
bot-language-set = From now on I will write in English.
bot-booking-soon = Booking through Telegram is not open on this bot yet; for now, please book on the clinic's web page.
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
