# The Telegram bot's texts (crates/bot). Language names on the buttons are each language's
# own name and are not translated.
bot-greeting = Hello, { $name }! I am the booking assistant of this clinic platform.
bot-choose-language = Which language should I use?
bot-language-set = From now on I will write in English.
bot-hint = Sorry, I did not understand that. Send /start to begin again, or use the buttons under my messages.
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
