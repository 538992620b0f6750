# The Telegram bot's texts (crates/bot).
bot-greeting = Здравствуйте, { $name }! Я помощник по записи на приём на этой платформе клиник.
bot-choose-language = На каком языке вам писать?
bot-language-set = Теперь я буду писать по-русски.
bot-hint = Извините, я не понял. Отправьте /start, чтобы начать заново, или воспользуйтесь кнопками под моими сообщениями.

# Staff on Telegram (crates/nobat/src/telegram_staff).
bot-staff-linked = Вы вошли как { $name }. /queue — очереди на сегодня · /today — записи на сегодня · /figures — цифры за сегодня · /alerts — включить или выключить оповещения · /logout — отвязать этот чат.
bot-staff-link-invalid = Эта ссылка больше не работает: она открывается один раз и в течение 10 минут. Создайте новую в своей учётной записи на сайте.
bot-staff-not-linked = Этот чат не привязан к учётной записи сотрудника. Создайте ссылку в своей учётной записи на сайте и откройте её здесь.
bot-staff-logged-out = Этот чат больше не привязан к вашей учётной записи.
bot-staff-queues-title = Очереди на сегодня:
bot-staff-queue-line = { $name }: ждут { $waiting }, вызваны { $called }, приняты { $served }
bot-staff-no-queues = Сегодня ни одна очередь не открыта.
bot-staff-btn-call = Вызвать следующего · { $name }
bot-staff-btn-walk-in = Без записи · { $name }
bot-staff-btn-absent = Не пришёл · { $code }
bot-staff-btn-return = Вернулся · { $code }
bot-staff-btn-refresh = Обновить
bot-staff-called = { $code } ({ $patient }) вызван.
bot-staff-queue-empty = В этой очереди никто не ждёт.
bot-staff-absent-done = { $code } отмечен как отсутствующий.
bot-staff-returned = { $code } снова в очереди.
bot-staff-walk-in-name = Пришлите имя пациента без записи.
bot-staff-walk-in-added = { $name } в очереди: талон { $code }.
bot-staff-refused = Извините, здесь вам это делать нельзя.
bot-staff-failed = Не получилось: очередь изменилась. Обновите и попробуйте снова.
bot-staff-appointments-title = Записи на сегодня:
bot-staff-no-appointments = Сегодня записей нет.
bot-staff-status-booked = записан
bot-staff-status-arrived = пришёл
bot-staff-status-fulfilled = принят
bot-staff-status-cancelled = отменено
bot-staff-status-noshow = не пришёл
bot-staff-figures = Сегодня в { $clinic }: записей { $booked } (отменено { $cancelled }, не пришли { $noshow }); в очередях ждут { $waiting }, приняты { $served }.
bot-staff-alerts-on = Оповещения включены: оповещения клиники будут приходить сюда.
bot-staff-alerts-off = Оповещения выключены.
bot-staff-alert = ⚠️ Оповещение: { $detail }
bot-menu = Что вы хотите сделать? Можно также написать, что вы ищете, например название услуги или клиники.
bot-menu-book = 📅 Записаться на приём
bot-choose-clinic = Выберите клинику:
bot-choose-service = Выберите услугу:
bot-choose-practitioner = К кому?
bot-any-practitioner = К первому свободному
bot-choose-day = Выберите день:
bot-choose-time = { $day }
    Выберите время:
bot-no-clinics = Здесь пока ни одна клиника не ведёт запись.
bot-no-services = В этой клинике пока нет услуг для записи.
bot-no-slots = В ближайшие две недели свободного времени нет. Попробуйте другую услугу или другого врача либо загляните позже.
bot-search-results = Вот что я нашёл по запросу «{ $query }»:
bot-ask-name = Вы выбрали { $when }.
    Пожалуйста, напишите ваши имя и фамилию.
bot-name-invalid = Пожалуйста, напишите ваши имя и фамилию (от 2 до 100 букв).
bot-ask-phone = Спасибо, { $name }. Поделитесь, пожалуйста, номером телефона кнопкой ниже, чтобы клиника могла с вами связаться.
bot-share-phone = 📱 Поделиться номером
bot-phone-saved = Спасибо, номер сохранён.
bot-booked = Вы записаны ✅
    { $service }, врач: { $practitioner }
    { $when }
    { $clinic }

    Отменить или перенести:
bot-slot-taken = Извините, это время только что занял кто-то другой. Вот ближайшее свободное:
bot-book-failed = Извините, записаться не удалось. Отправьте /book, чтобы выбрать другое время.
bot-stale = Это меню устарело. Отправьте /book, чтобы начать заново.
