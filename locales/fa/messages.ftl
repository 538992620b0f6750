## پیام‌هایی که برای بیماران فرستاده می‌شود (ایمیل، پیامک، تلگرام، واتس‌اپ).
## کلیدها و جای‌نگهدارها همان‌های فایل انگلیسی‌اند.

appointment-confirmed-subject = نوبت شما ثبت شد: { $service }، { $date }
appointment-confirmed-body =
    سلام { $patient } عزیز،

    نوبت شما در { $clinic } ثبت شد.

    خدمت: { $service }
    نزد: { $practitioner }
    تاریخ: { $date }
    ساعت: { $time }
    نشانی: { $location }

    برای دیدن، جابه‌جا کردن یا لغو نوبت: { $link }

appointment-rescheduled-subject = نوبت شما جابه‌جا شد: { $service }، { $date }
appointment-rescheduled-body =
    سلام { $patient } عزیز،

    نوبت شما در { $clinic } به زمان تازه‌ای منتقل شد.

    خدمت: { $service }
    نزد: { $practitioner }
    تاریخ تازه: { $date }
    ساعت تازه: { $time }
    نشانی: { $location }

    برای دیدن، جابه‌جا کردن یا لغو نوبت: { $link }

appointment-cancelled-subject = نوبت شما لغو شد: { $service }، { $date }
appointment-cancelled-body =
    سلام { $patient } عزیز،

    نوبت شما در { $clinic } نزد { $practitioner } برای { $service } در تاریخ { $date } ساعت { $time } ({ $location }) لغو شد.

    برای گرفتن نوبت دیگر: { $link }

appointment-reminder-subject = یادآوری نوبت: { $service }، { $date } ساعت { $time }
appointment-reminder-body =
    سلام { $patient } عزیز،

    یادآوری می‌کنیم که نوبت شما در { $clinic } { $hours } ساعت دیگر است.

    خدمت: { $service }
    نزد: { $practitioner }
    تاریخ: { $date }
    ساعت: { $time }
    نشانی: { $location }

    اگر نمی‌توانید بیایید، لطفاً به ما خبر دهید: { $link }

verification-code =
    کد تأیید شما در { $clinic }: { $code }
    این کد تا { $minutes } دقیقه دیگر معتبر است. آن را به کسی ندهید.

queue-you-are-next = { $patient } عزیز، نوبت بعدی در { $clinic } با شماست. لطفاً آماده باشید.
queue-come-to-room = { $patient } عزیز، لطفاً به اتاق { $room } بیایید.
queue-people-ahead =
    { $count ->
        [0] کسی پیش از شما در صف نیست.
        [one] یک نفر پیش از شما در صف است.
       *[other] { $count } نفر پیش از شما در صف هستند.
    }

watch-offer-subject = زمانی آزاد شد: { $service }، { $date }
watch-offer-body =
    سلام { $patient } عزیز،

    زمانی که در { $clinic } منتظرش بودید آزاد شد: { $service } نزد { $practitioner }، { $date } ساعت { $time } ({ $location }).

    این زمان { $minutes } دقیقه برای شما نگه داشته می‌شود. برای گرفتن آن: { $link }

    برای توقف پیگیری: { $stop }

## وضعیت‌های نوبت
status-proposed = پیشنهادشده
status-pending = در انتظار تأیید
status-booked = ثبت‌شده
status-arrived = حاضر در مطب
status-fulfilled = انجام‌شده
status-cancelled = لغوشده
status-noshow = غایب
status-entered-in-error = ثبت اشتباه
status-checked-in = پذیرش‌شده
status-waitlist = در فهرست انتظار

## عنوان‌ها و پیام‌های افزوده برای فرستنده (issue 12).

verification-code-subject = کد تأیید شما در { $clinic }

staff-invitation-subject = دعوت به همکاری در { $clinic }
staff-invitation-body =
    سلام،

    از شما دعوت شده است که در نوبت به کارکنان { $clinic } بپیوندید.

    برای پذیرفتن دعوت و انتخاب گذرواژه: { $link }

    اگر انتظار این دعوت را نداشتید، این پیام را نادیده بگیرید.

admin-alert-subject = { $clinic }: موضوعی نیاز به رسیدگی شما دارد
admin-alert-body =
    { $alert }

    جزئیات: { $detail }

alert-message-dead = پیامی پس از چند بار تلاش فرستاده نشد و کنار گذاشته شد.
alert-sms-budget-exhausted = سهمیهٔ پیامک این ماه تمام شده است؛ از این پس پیام‌ها در صورت امکان از راه‌های دیگر بیمار فرستاده می‌شوند.
alert-worker-failing = یکی از کارهای پس‌زمینهٔ سرور پیوسته شکست می‌خورد؛ علت آن در گزارش سرور آمده است.

## Watches on outside publishers' slots (SMART Scheduling Links, FHIR).
source-slot-free-subject = زمانی در { $location } آزاد شد: { $date }
source-slot-free-body =
    سلام { $patient } عزیز،

    زمانی که منتظرش بودید در { $location } آزاد شد: { $date } ساعت { $time }.

    رزرو آن نزد خود آن‌هاست، نه ما، و ممکن است دیگران زودتر آن را بگیرند. برای رزرو: { $link }

    برای توقف پیگیری: { $stop }
## پیگیری زمان آزاد: زمان آزادشده، نوبت گرفته‌شده برای شما، پایان پیگیری
watch-free-subject = زمانی آزاد شد: { $service }، { $date }
watch-free-body =
    سلام { $patient } عزیز،

    زمانی که در { $clinic } منتظرش بودید آزاد شد: { $service } نزد { $practitioner }، { $date } ساعت { $time } ({ $location }).

    ممکن است به دیگران هم خبر داده شده باشد؛ نوبت از آنِ کسی است که زودتر رزرو کند. برای رزرو: { $link }

    برای توقف پیگیری: { $stop }
watch-booked-subject = برای شما نوبت گرفته شد: { $service }، { $date }
watch-booked-body =
    سلام { $patient } عزیز،

    همان‌طور که خواسته بودید، در { $clinic } برای شما نوبت گرفتیم: { $service } نزد { $practitioner }، { $date } ساعت { $time } ({ $location }).

    برای دیدن، جابه‌جایی یا لغو نوبت: { $link }

    پیگیری شما به پایان رسید. برای توقف پیام‌های دیگر: { $stop }
watch-expired-subject = پیگیری { $service } به پایان رسید
watch-expired-body =
    سلام { $patient } عزیز،

    تا { $last_day }، آخرین روزی که خواسته بودید، زمانی برای { $service } در { $clinic } آزاد نشد. پیگیری شما به پایان رسید.

    هر زمان بخواهید می‌توانید پیگیری تازه‌ای آغاز کنید: { $link }

    برای توقف پیام‌های دیگر: { $stop }
alert-telegram-token-revoked = تلگرام توکن ربات را نپذیرفت (باطل شده یا نادرست است)؛ ربات دیگر پاسخ نمی‌دهد. توکن تازه‌ای از @BotFather در NOBAT_TELEGRAM_BOT_TOKEN بگذارید و سرور را دوباره راه‌اندازی کنید.
# A secure message from the clinic: the notice never carries the message itself.
secure-message-subject = پیام تازه از { $clinic }
secure-message-body =
    { $patient } گرامی،

    { $clinic } برای شما پیامی فرستاده است. برای خواندن آن این پیوند را باز کنید: { $link }
