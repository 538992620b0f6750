## Заголовки и описания ошибок problem+json

problem-bad-request-title = Некорректный запрос
problem-bad-request-detail = Не удалось прочитать запрос. Проверьте его формат и повторите попытку.
problem-invalid-input-title = Недопустимое значение
problem-invalid-input-detail = Недопустимое значение поля { $field }.
problem-not-found-title = Не найдено
problem-not-found-detail = Запрошенное не существует или недоступно вам.
problem-slot-not-offered-title = Это время недоступно
problem-slot-not-offered-detail = На это время нельзя записаться на эту услугу. Пожалуйста, выберите одно из показанных времён.
problem-slot-taken-title = Время уже занято
problem-slot-taken-detail = Кто-то только что записался на это время. Пожалуйста, выберите другое.
problem-hold-invalid-title = Бронь недействительна
problem-hold-invalid-detail = Срок брони истёк или она не соответствует этой записи. Пожалуйста, выберите время заново.
problem-cut-off-passed-title = Изменить онлайн уже нельзя
problem-cut-off-passed-detail = До приёма осталось слишком мало времени, чтобы изменить запись онлайн. Пожалуйста, свяжитесь с клиникой.
problem-refused-title = Невозможно
problem-refused-detail = Такое изменение невозможно.
problem-illegal-transition-title = Запись нельзя изменить таким образом
problem-illegal-transition-detail = Статус записи «{ $from }» нельзя сменить на «{ $to }».
problem-already-exists-title = Уже существует
problem-already-exists-detail = Объект с таким именем или адресом уже существует.
problem-idempotency-key-reused-title = Idempotency-Key уже использован с другим запросом
problem-idempotency-key-reused-detail = Этот Idempotency-Key уже использовался с другим запросом; для нового запроса нужен новый ключ.
problem-unavailable-title = Временно недоступно
problem-unavailable-detail = Сервис перегружен или перезапускается; ничего не изменено. Пожалуйста, повторите попытку.
problem-internal-title = Внутренняя ошибка
problem-internal-detail = На нашей стороне что-то пошло не так; ничего не изменено.
problem-payload-too-large-title = Слишком большой запрос
problem-payload-too-large-detail = Отправляйте не более { $kib } КиБ.
problem-method-not-allowed-title = Метод не разрешён
problem-method-not-allowed-detail = Этот адрес не принимает такой метод.
problem-unsupported-media-type-title = Отправьте JSON
problem-unsupported-media-type-detail = Тело запроса должно быть в формате JSON с Content-Type: application/json.
problem-unauthenticated-title = Сначала войдите
problem-unauthenticated-detail = Пожалуйста, войдите, чтобы продолжить.
problem-invalid-credentials-title = Неверный адрес почты или пароль
problem-invalid-credentials-detail = Адрес электронной почты или пароль неверны.
problem-account-locked-title = Слишком много неудачных попыток входа
problem-account-locked-detail =
    После нескольких неудачных попыток входа учётная запись заблокирована на { $seconds ->
        [one] { $seconds } секунду
        [few] { $seconds } секунды
        [many] { $seconds } секунд
       *[other] { $seconds } секунды
    }.
problem-rate-limited-title = Слишком много запросов
problem-rate-limited-detail =
    Пожалуйста, не так часто: повторите попытку через { $seconds ->
        [one] { $seconds } секунду
        [few] { $seconds } секунды
        [many] { $seconds } секунд
       *[other] { $seconds } секунды
    }.
problem-totp-required-title = Нужен код двухфакторной аутентификации
problem-totp-required-detail = Для этой учётной записи включена двухфакторная аутентификация: введите код из приложения-аутентификатора или код восстановления.
problem-totp-invalid-title = Неверный код
problem-totp-invalid-detail = Код неверен, устарел или уже использован. Дождитесь следующего кода.
problem-recovery-code-invalid-title = Неверный код восстановления
problem-recovery-code-invalid-detail = Этот код восстановления неверен или уже использован.
problem-session-required-title = Войдите под своей учётной записью
problem-session-required-detail = API-токены действуют от имени одной клиники; для настроек учётной записи нужен вход под своей учётной записью.
problem-forbidden-title = Нет доступа
problem-forbidden-detail = Ваша роль не позволяет это сделать.
problem-csrf-token-missing-title = Нет CSRF-токена
problem-csrf-token-missing-detail = Передайте CSRF-токен сессии в заголовке X-CSRF-Token.
problem-contact-unverified-title = Сначала подтвердите телефон или почту
problem-contact-unverified-detail = Эта клиника подтверждает телефон или почту пациентов. Запросите код, введите его и запишитесь снова.
problem-link-expired-title = Срок действия ссылки истёк
problem-link-expired-detail = Приём уже прошёл. Пожалуйста, свяжитесь с клиникой.
problem-two-factor-already-on-title = Двухфакторная аутентификация уже включена
problem-two-factor-already-on-detail = Чтобы подключить новый аутентификатор, сначала отключите её.
problem-no-enrolment-title = Нечего подтверждать
problem-no-enrolment-detail = Начните настройку двухфакторной аутентификации заново.
problem-not-ready-title = Не готов
problem-not-ready-detail = Сервер запускается или не может подключиться к базе данных.
problem-degraded-title = Работа с ограничениями
problem-degraded-detail = Сервер работает в ограниченном режиме.
problem-not-a-member-title = Вы не сотрудник этой клиники
problem-not-a-member-detail = Вы не работаете в этой клинике.
problem-wrong-clinic-title = Токен другой клиники
problem-wrong-clinic-detail = Этот API-токен принадлежит другой клинике.
problem-two-factor-required-title = Требуется двухфакторная аутентификация
problem-two-factor-required-detail = Эта клиника требует, чтобы сотрудники использовали двухфакторную аутентификацию; включите её в настройках учётной записи.
problem-busy-title = Сервер занят
problem-busy-detail = У сервера в очереди больше изменений, чем он принимает за раз. Ничего не изменено; повторите попытку чуть позже.
problem-outcome-unknown-title = Результат неизвестен
problem-outcome-unknown-detail = Подтверждение изменения заняло слишком много времени: оно могло быть выполнено, а могло и нет. Повтор с тем же Idempotency-Key безопасен.
problem-too-many-slots-title = Слишком много слотов для одного ответа
problem-too-many-slots-detail = Запросите меньше дней или одного специалиста за раз.
problem-hold-not-yours-title = Это не ваша бронь
problem-hold-not-yours-detail = Подтвердить или снять временную бронь может только тот, кто её поставил.
problem-too-many-holds-title = Вы держите слишком много слотов
problem-too-many-holds-detail = Подтвердите или снимите одну из временных броней, прежде чем ставить новую.
problem-clinic-holds-full-title = Слишком много временных броней
problem-clinic-holds-full-detail = Сейчас в этой клинике слишком много временных броней; повторите через несколько минут.
problem-wrong-account-title = Вы вошли под другой учётной записью
problem-wrong-account-detail = Это приглашение для другой учётной записи; войдите как приглашённый человек.
problem-queue-empty-title = Никто не ждёт
problem-queue-empty-detail = Сейчас в этой очереди никто не ждёт.
problem-ticket-state-title = С этим талоном сейчас так нельзя
problem-ticket-state-detail = Статус талона не допускает это действие; обновите очередь и попробуйте снова.
problem-already-checked-in-title = Уже отмечен
problem-already-checked-in-detail = Пациент по этой записи уже отмечен; его талон в очереди.

## Why a value was refused (errors[].detail of a 422 naming the field), by reason code.
invalid-name = Укажите имя пациента (от 1 до { $max } символов).
invalid-contact-missing = Укажите номер телефона или адрес электронной почты.
invalid-phone = Такого номера телефона не существует (пример: +7 916 123-45-67).
invalid-phone-international = Укажите номер с кодом страны, например +7 916 123-45-67.
invalid-email = Это не похоже на адрес электронной почты.
invalid-language = Используйте один из языков en, fa, ar, fr, ru, tr (тег вида ru-RU означает ru).
invalid-country = Используйте двухбуквенный код страны ISO 3166-1, например RU или MA.
problem-queue-full-title = Очередь заполнена
problem-queue-full-detail = Уже ждут столько пациентов, сколько может встать в очередь по ссылке; пожалуйста, подойдите к стойке регистрации.
problem-queue-closed-title = Очередь не принимает пациентов
problem-queue-closed-detail = Эта очередь на сегодня закрыта или не принимает запись по ссылке; обратитесь, пожалуйста, к регистратуре.
problem-not-acceptable-title = Отдаётся только JSON
problem-not-acceptable-detail = Этот сервер отвечает только в формате application/fhir+json или application/json.
problem-forms-required-title = Сначала заполните анкеты
problem-forms-required-detail = Перед регистрацией прихода клиника просит заполнить анкеты; пациент может сделать это по ссылке на запись или в регистратуре.
