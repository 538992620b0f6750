# The Telegram bot's texts (crates/bot).
bot-greeting = مرحبًا { $name }! أنا مساعد حجز المواعيد في منصة العيادات هذه.
bot-choose-language = بأي لغة تفضّل أن أتحدث معك؟
bot-language-set = سأكتب لك بالعربية من الآن فصاعدًا.
bot-hint = عذرًا، لم أفهم ذلك. أرسل /start للبدء من جديد، أو استخدم الأزرار أسفل رسائلي.

# Staff on Telegram (crates/nobat/src/telegram_staff).
bot-staff-linked = سجّلت الدخول باسم { $name }. ‏/queue: طوابير اليوم · ‏/today: مواعيد اليوم · ‏/figures: أرقام اليوم · ‏/alerts: تشغيل التنبيهات أو إيقافها · ‏/logout: فصل هذه المحادثة.
bot-staff-link-invalid = هذا الرابط لم يعد يعمل: يُفتح مرة واحدة خلال 10 دقائق. أنشئ رابطًا جديدًا من حسابك على الويب.
bot-staff-not-linked = هذه المحادثة غير مرتبطة بحساب موظف. أنشئ رابطًا من حسابك على الويب وافتحه هنا.
bot-staff-logged-out = لم تعد هذه المحادثة مرتبطة بحسابك.
bot-staff-queues-title = طوابير اليوم:
bot-staff-queue-line = { $name }: { $waiting } في الانتظار، { $called } تم نداؤهم، { $served } تمت خدمتهم
bot-staff-no-queues = لا يوجد طابور مفتوح اليوم.
bot-staff-btn-call = نداء التالي · { $name }
bot-staff-btn-walk-in = حضور بلا موعد · { $name }
bot-staff-btn-absent = غائب · { $code }
bot-staff-btn-return = عاد · { $code }
bot-staff-btn-refresh = تحديث
bot-staff-called = تم نداء { $code } ({ $patient }).
bot-staff-queue-empty = لا أحد ينتظر في هذا الطابور.
bot-staff-absent-done = سُجّل { $code } غائبًا.
bot-staff-returned = عاد { $code } إلى الطابور.
bot-staff-walk-in-name = أرسل اسم المريض الحاضر بلا موعد.
bot-staff-walk-in-added = { $name } في الطابور: التذكرة { $code }.
bot-staff-refused = عذرًا، لا يُسمح لك بذلك هنا.
bot-staff-failed = تعذّر ذلك: تغيّر الطابور. حدّث وحاول مرة أخرى.
bot-staff-appointments-title = مواعيد اليوم:
bot-staff-no-appointments = لا مواعيد اليوم.
bot-staff-status-booked = محجوز
bot-staff-status-arrived = وصل
bot-staff-status-fulfilled = تمت المعاينة
bot-staff-status-cancelled = ملغى
bot-staff-status-noshow = لم يحضر
bot-staff-figures = اليوم في { $clinic }: { $booked } موعدًا ({ $cancelled } ملغاة، { $noshow } لم يحضروا)؛ في الطوابير { $waiting } في الانتظار، { $served } تمت خدمتهم.
bot-staff-alerts-on = التنبيهات مفعّلة: ستصلك تنبيهات العيادة هنا.
bot-staff-alerts-off = التنبيهات متوقفة.
bot-staff-alert = ⚠️ تنبيه: { $detail }
bot-menu = ماذا تريد أن تفعل؟ يمكنك أيضًا كتابة ما تبحث عنه، مثل اسم خدمة أو عيادة.
bot-menu-book = 📅 حجز موعد
bot-choose-clinic = اختر عيادة:
bot-choose-service = اختر خدمة:
bot-choose-practitioner = مع من؟
bot-any-practitioner = أول من يكون متاحًا
bot-choose-day = اختر يومًا:
bot-choose-time = { $day }
    اختر وقتًا:
bot-no-clinics = لا توجد عيادة تقبل الحجز هنا بعد.
bot-no-services = لا توجد لدى هذه العيادة خدمة للحجز بعد.
bot-no-slots = لا يوجد وقت متاح خلال الأسبوعين القادمين. جرّب خدمة أو طبيبًا آخر، أو عُد لاحقًا.
bot-search-results = هذا ما وجدته لـ «{ $query }»:
bot-ask-name = اخترت { $when }.
    من فضلك اكتب اسمك الكامل.
bot-name-invalid = من فضلك اكتب اسمك الكامل (من 2 إلى 100 حرف).
bot-ask-phone = شكرًا { $name }. من فضلك شارك رقم هاتفك بالزر أدناه لتتمكن العيادة من التواصل معك.
bot-share-phone = 📱 مشاركة رقم هاتفي
bot-phone-saved = شكرًا، تم حفظ رقمك.
bot-booked = تم الحجز ✅
    { $service } مع { $practitioner }
    { $when }
    { $clinic }

    للإلغاء أو التغيير:
bot-slot-taken = عذرًا، حجز شخص آخر هذا الوقت للتو. هذه هي الأوقات المتاحة التالية:
bot-book-failed = عذرًا، تعذّر إتمام هذا الحجز. أرسل /book لاختيار وقت آخر.
bot-stale = هذه القائمة قديمة. أرسل /book للبدء من جديد.
