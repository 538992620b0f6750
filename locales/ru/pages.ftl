# Веб-страницы: список клиник, запись на приём, страница управления записью.

pages-skip = Перейти к содержимому
pages-language = Язык
pages-footer = Nobat — открытая система записи в клиники
pages-home = Все клиники

pages-directory-title = Записаться на приём
pages-directory-intro = Выберите клинику, чтобы увидеть её услуги и свободное время.
pages-directory-empty = На этом сайте пока нет клиник.
pages-directory-book = Записаться в { $clinic }

pages-book-title = Запись в { $clinic }
pages-step-service = Цель визита
pages-step-practitioner = К кому?
pages-step-time = Когда?
pages-step-details = Ваши данные
pages-any-practitioner = Любой свободный специалист
pages-duration = { $minutes } мин
pages-change = Изменить
pages-chosen-service = Услуга
pages-chosen-practitioner = Специалист
pages-days = Дни со свободным временем
pages-slots-on = Свободное время на { $date }
pages-no-slots = В ближайшие дни ({ $days }) свободного времени нет.
pages-later = Следующие дни
pages-earlier = Предыдущие дни
pages-hold-note = Это время закреплено за вами до { $time }. Заполните данные, чтобы подтвердить запись.
pages-field-name = Имя и фамилия
pages-field-phone = Телефон
pages-field-email = Электронная почта
pages-field-note = Комментарий для клиники (необязательно)
pages-contact-hint = Укажите телефон или адрес электронной почты, чтобы клиника могла с вами связаться.
pages-confirm = Подтвердить запись
pages-other-time = Выбрать другое время
pages-form-errors = Исправьте отмеченные ниже поля.

pages-booked-title = Вы записаны
pages-manage-title = Ваша запись
pages-when = Когда
pages-with = Специалист
pages-what = Услуга
pages-where = Где
pages-status = Статус
pages-calendar = Добавить в мой календарь
pages-keep-link = Сохраните эту ссылку: по ней можно перенести или отменить запись.
pages-cancel = Отменить запись
pages-cancel-reason = Причина (необязательно)
pages-cancelled = Эта запись отменена.
pages-reschedule = Перенести на другое время
pages-moved = Запись перенесена. Это её новая страница.
pages-access-title = Кто в клинике просматривал или менял эту запись
pages-access-empty = Пока никто.
pages-access-at = Время
pages-access-who = Кто
pages-access-action = Действие

pages-status-proposed = Предложена
pages-status-pending = Ожидает подтверждения
pages-status-booked = Подтверждена
pages-status-arrived = Пациент пришёл
pages-status-fulfilled = Состоялась
pages-status-cancelled = Отменена
pages-status-noshow = Неявка
pages-status-entered-in-error = Внесена по ошибке
pages-status-checked-in = Регистрация пройдена
pages-status-waitlist = В листе ожидания

pages-error-title = Что-то пошло не так
pages-not-found = Такой страницы нет.
pages-back = Вернуться в начало

pages-who-patient = Вы
pages-action-book = записал(а)
pages-action-cancel = отменил(а)
pages-action-reschedule = перенёс(ла)
pages-action-view = просмотрел(а)
pages-action-set_status = изменил(а) статус
pages-action-export = выгрузил(а)

pages-board-title = Зал ожидания
pages-board-called = Вызваны
pages-board-go = Пройдите в
pages-board-next = Следующие
pages-board-waiting = Ожидают: { $count }
pages-board-empty = Сегодня здесь нет открытой очереди.
pages-form-title = Ваша анкета
pages-form-submit = Отправить
pages-form-done = Спасибо, ваши ответы получены.
pages-form-yes = Да
pages-form-no = Нет
pages-form-required = Обязательно
pages-form-date-persian = Дата по солнечной хиджре, например 1405/01/15
pages-form-signature = Впишите полное имя в качестве подписи
pages-forms-heading = Анкеты для заполнения
pages-form-filled = Заполнена
pages-messages-heading = Сообщения с клиникой
pages-messages-new = У вас новое сообщение от клиники
