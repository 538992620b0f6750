## Сообщения пациентам (электронная почта, SMS, Telegram, WhatsApp).
## Ключи и переменные те же, что в английском файле. Названия клиники, услуги и имени
## врача не склоняются, поэтому они стоят после двоеточия, а не внутри фразы.

appointment-confirmed-subject = Запись подтверждена: { $service }, { $date }
appointment-confirmed-body =
    Здравствуйте, { $patient }!

    Ваша запись подтверждена.

    Клиника: { $clinic }
    Услуга: { $service }
    Специалист: { $practitioner }
    Дата: { $date }
    Время: { $time }
    Адрес: { $location }

    Посмотреть, перенести или отменить запись: { $link }

appointment-rescheduled-subject = Запись перенесена: { $service }, { $date }
appointment-rescheduled-body =
    Здравствуйте, { $patient }!

    Ваша запись перенесена на другое время.

    Клиника: { $clinic }
    Услуга: { $service }
    Специалист: { $practitioner }
    Новая дата: { $date }
    Новое время: { $time }
    Адрес: { $location }

    Посмотреть, перенести или отменить запись: { $link }

appointment-cancelled-subject = Запись отменена: { $service }, { $date }
appointment-cancelled-body =
    Здравствуйте, { $patient }!

    Ваша запись отменена.

    Клиника: { $clinic }
    Услуга: { $service }
    Специалист: { $practitioner }
    Дата: { $date }
    Время: { $time }
    Адрес: { $location }

    Записаться на другое время: { $link }

appointment-reminder-subject = Напоминание: { $service }, { $date }, { $time }
appointment-reminder-body =
    Здравствуйте, { $patient }!

    Напоминаем, что ваш приём через { $hours ->
        [one] { $hours } час
        [few] { $hours } часа
        [many] { $hours } часов
       *[other] { $hours } часа
    }.

    Клиника: { $clinic }
    Услуга: { $service }
    Специалист: { $practitioner }
    Дата: { $date }
    Время: { $time }
    Адрес: { $location }

    Если вы не сможете прийти, пожалуйста, сообщите нам: { $link }

verification-code =
    Ваш код подтверждения ({ $clinic }): { $code }. Он действует { $minutes ->
        [one] { $minutes } минуту
        [few] { $minutes } минуты
        [many] { $minutes } минут
       *[other] { $minutes } минуты
    }. Никому его не сообщайте.

queue-you-are-next = { $patient }, ваша очередь следующая ({ $clinic }). Пожалуйста, приготовьтесь.
queue-come-to-room = { $patient }, пожалуйста, пройдите в кабинет { $room }.
queue-people-ahead =
    { $count ->
        [0] Перед вами никого нет.
        [one] Перед вами { $count } человек.
        [few] Перед вами { $count } человека.
        [many] Перед вами { $count } человек.
       *[other] Перед вами { $count } человека.
    }

watch-offer-subject = Освободилось время: { $service }, { $date }
watch-offer-body =
    Здравствуйте, { $patient }!

    Освободилось время, которого вы ждали: { $service }, { $date }, { $time }.

    Клиника: { $clinic }
    Специалист: { $practitioner }
    Адрес: { $location }

    Мы сохраним его за вами на { $minutes ->
        [one] { $minutes } минуту
        [few] { $minutes } минуты
        [many] { $minutes } минут
       *[other] { $minutes } минуты
    }. Записаться: { $link }

    Чтобы больше не следить: { $stop }

## Статусы записи
status-proposed = предложена
status-pending = ожидает подтверждения
status-booked = подтверждена
status-arrived = пациент пришёл
status-fulfilled = приём состоялся
status-cancelled = отменена
status-noshow = неявка
status-entered-in-error = внесена по ошибке
status-checked-in = пациент зарегистрирован
status-waitlist = в листе ожидания

## Темы и сообщения, добавленные для рассылки (issue 12).

verification-code-subject = Ваш код подтверждения ({ $clinic })

staff-invitation-subject = Приглашение в команду: { $clinic }
staff-invitation-body =
    Здравствуйте!

    Вас пригласили в команду клиники в Nobat: { $clinic }.

    Чтобы принять приглашение и выбрать пароль: { $link }

    Если вы не ждали этого приглашения, просто проигнорируйте это письмо.

admin-alert-subject = { $clinic }: требуется ваше внимание
admin-alert-body =
    { $alert }

    Подробности: { $detail }

alert-message-dead = Сообщение не удалось доставить после нескольких попыток, и оно отложено.
alert-sms-budget-exhausted = Бюджет SMS на этот месяц исчерпан; сообщения теперь отправляются по другим каналам пациента, если они есть.
alert-worker-failing = Фоновая задача сервера постоянно завершается ошибкой; причина указана в журнале сервера.

## Watches on outside publishers' slots (SMART Scheduling Links, FHIR).
source-slot-free-subject = Освободилось время в { $location }: { $date }
source-slot-free-body =
    Здравствуйте, { $patient }!

    Освободилось время, которого вы ждали, в { $location }: { $date } в { $time }.

    Записаться можно у них, а не у нас, и другие могут успеть раньше. Записаться: { $link }

    Чтобы больше не следить: { $stop }
## Ожидание времени: освободилось время, запись сделана за вас, ожидание закончилось.
watch-free-subject = Освободилось время: { $service }, { $date }
watch-free-body =
    Здравствуйте, { $patient }!

    Освободилось время, которого вы ждали в { $clinic }: { $service }, специалист { $practitioner }, { $date }, { $time } ({ $location }).

    Возможно, сообщение получили и другие ожидающие: время достанется тому, кто запишется первым. Записаться: { $link }

    Чтобы больше не следить: { $stop }
watch-booked-subject = Мы записали вас: { $service }, { $date }
watch-booked-body =
    Здравствуйте, { $patient }!

    Как вы просили, мы записали вас в { $clinic }: { $service }, специалист { $practitioner }, { $date }, { $time } ({ $location }).

    Посмотреть, перенести или отменить запись: { $link }

    Ожидание завершено. Чтобы не получать о нём сообщений: { $stop }
watch-expired-subject = Ожидание времени для «{ $service }» закончилось
watch-expired-body =
    Здравствуйте, { $patient }!

    До { $last_day }, последнего дня, который вы указали, время для «{ $service }» в { $clinic } не освободилось. Ожидание закончилось.

    Вы можете начать новое в любой момент: { $link }

    Чтобы не получать о нём сообщений: { $stop }
alert-telegram-token-revoked = Telegram отклонил токен бота (отозван или неверен): бот перестал отвечать. Укажите новый токен от @BotFather в NOBAT_TELEGRAM_BOT_TOKEN и перезапустите сервер.
# A secure message from the clinic: the notice never carries the message itself.
secure-message-subject = Новое сообщение от { $clinic }
secure-message-body =
    Здравствуйте, { $patient }!

    { $clinic } отправила вам сообщение. Чтобы прочитать его, откройте: { $link }
