# The Telegram bot's texts (crates/bot).
bot-greeting = سلام { $name }! من دستیار نوبت‌دهی این سامانهٔ درمانگاه‌ها هستم.
bot-choose-language = به چه زبانی با شما صحبت کنم؟
bot-language-set = از این پس به فارسی می‌نویسم.
bot-hint = ببخشید، متوجه نشدم. برای شروع دوباره /start را بفرستید یا از دکمه‌های زیر پیام‌هایم استفاده کنید.

# Staff on Telegram (crates/nobat/src/telegram_staff).
bot-staff-linked = با حساب { $name } وارد شدید. ‏/queue: صف‌های امروز · ‏/today: نوبت‌های امروز · ‏/figures: آمار امروز · ‏/alerts: روشن یا خاموش کردن هشدارها · ‏/logout: جدا کردن این گفتگو.
bot-staff-link-invalid = این پیوند دیگر کار نمی‌کند: فقط یک بار و تا ۱۰ دقیقه باز می‌شود. از حساب خود در وب پیوند تازه‌ای بسازید.
bot-staff-not-linked = این گفتگو به حساب کارمندی وصل نیست. از حساب خود در وب یک پیوند بسازید و اینجا بازش کنید.
bot-staff-logged-out = این گفتگو دیگر به حساب شما وصل نیست.
bot-staff-queues-title = صف‌های امروز:
bot-staff-queue-line = { $name }: { $waiting } در انتظار، { $called } فراخوانده، { $served } پذیرفته
bot-staff-no-queues = امروز هیچ صفی باز نیست.
bot-staff-btn-call = نفر بعدی · { $name }
bot-staff-btn-walk-in = مراجعه حضوری · { $name }
bot-staff-btn-absent = غایب · { $code }
bot-staff-btn-return = برگشت · { $code }
bot-staff-btn-refresh = تازه‌سازی
bot-staff-called = { $code } ({ $patient }) فراخوانده شد.
bot-staff-queue-empty = کسی در این صف منتظر نیست.
bot-staff-absent-done = { $code } غایب ثبت شد.
bot-staff-returned = { $code } به صف برگشت.
bot-staff-walk-in-name = نام بیمار حضوری را بفرستید.
bot-staff-walk-in-added = { $name } در صف است: نوبت { $code }.
bot-staff-refused = متأسفم، اجازهٔ این کار را اینجا ندارید.
bot-staff-failed = انجام نشد: صف تغییر کرده است. تازه‌سازی کنید و دوباره امتحان کنید.
bot-staff-appointments-title = نوبت‌های امروز:
bot-staff-no-appointments = امروز نوبتی نیست.
bot-staff-status-booked = رزرو شده
bot-staff-status-arrived = رسیده
bot-staff-status-fulfilled = ویزیت شده
bot-staff-status-cancelled = لغو شده
bot-staff-status-noshow = نیامده
bot-staff-figures = امروز در { $clinic }: { $booked } نوبت ({ $cancelled } لغو، { $noshow } نیامده)؛ در صف‌ها { $waiting } در انتظار، { $served } پذیرفته.
bot-staff-alerts-on = هشدارها روشن است: هشدارهای درمانگاه را اینجا دریافت می‌کنید.
bot-staff-alerts-off = هشدارها خاموش است.
bot-staff-alert = ⚠️ هشدار: { $detail }
bot-menu = چه کاری برایتان انجام دهم؟ می‌توانید آنچه را دنبالش هستید هم بنویسید، مثلاً نام یک خدمت یا درمانگاه.
bot-menu-book = 📅 گرفتن نوبت
bot-choose-clinic = یک درمانگاه انتخاب کنید:
bot-choose-service = یک خدمت انتخاب کنید:
bot-choose-practitioner = نزد چه کسی؟
bot-any-practitioner = هر کس زودتر وقت دارد
bot-choose-day = یک روز انتخاب کنید:
bot-choose-time = { $day }
    یک ساعت انتخاب کنید:
bot-no-clinics = هنوز هیچ درمانگاهی اینجا نوبت نمی‌دهد.
bot-no-services = این درمانگاه هنوز خدمتی برای نوبت‌گیری ندارد.
bot-no-slots = در دو هفتهٔ آینده وقت خالی نیست. لطفاً خدمت یا پزشک دیگری را امتحان کنید یا بعداً دوباره سر بزنید.
bot-search-results = برای «{ $query }» این‌ها را پیدا کردم:
bot-ask-name = شما { $when } را انتخاب کردید.
    لطفاً نام و نام خانوادگی خود را بنویسید.
bot-name-invalid = لطفاً نام و نام خانوادگی خود را بنویسید (۲ تا ۱۰۰ حرف).
bot-ask-phone = ممنون { $name }. لطفاً با دکمهٔ زیر شمارهٔ تلفن خود را بفرستید تا درمانگاه بتواند با شما تماس بگیرد.
bot-share-phone = 📱 فرستادن شمارهٔ تلفنم
bot-phone-saved = ممنون، شماره‌تان ذخیره شد.
bot-booked = نوبت شما ثبت شد ✅
    { $service } نزد { $practitioner }
    { $when }
    { $clinic }

    برای لغو یا تغییر آن:
bot-slot-taken = ببخشید، همین حالا کس دیگری این وقت را گرفت. این‌ها وقت‌های خالی بعدی‌اند:
bot-book-failed = ببخشید، این نوبت ثبت نشد. لطفاً /book را بفرستید و وقت دیگری انتخاب کنید.
bot-stale = این فهرست قدیمی شده است. برای شروع دوباره /book را بفرستید.
