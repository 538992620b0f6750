# The Telegram bot's texts (crates/bot). Language names on the buttons are each language's
# own name and are not translated.
bot-greeting = Hello, { $name }! I am the booking assistant of this clinic platform.
bot-choose-language = Which language should I use?
bot-language-set = From now on I will write in English.
bot-booking-soon = Booking through Telegram is not open on this bot yet; for now, please book on the clinic's web page.
bot-hint = Sorry, I did not understand that. Send /start to begin again, or use the buttons under my messages.
