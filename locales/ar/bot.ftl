# The Telegram bot's texts (crates/bot).
bot-greeting = مرحبًا { $name }! أنا مساعد حجز المواعيد في منصة العيادات هذه.
bot-choose-language = بأي لغة تفضّل أن أتحدث معك؟
bot-language-set = سأكتب لك بالعربية من الآن فصاعدًا.
bot-hint = عذرًا، لم أفهم ذلك. أرسل /start للبدء من جديد، أو استخدم الأزرار أسفل رسائلي.
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
