## الرسائل المرسلة إلى المرضى (البريد الإلكتروني، الرسائل النصية، تيليجرام، واتساب).
## المفاتيح والمتغيرات هي نفسها في الملف الإنجليزي.

appointment-confirmed-subject = تأكيد الموعد: { $service }، { $date }
appointment-confirmed-body =
    مرحبًا { $patient }،

    تم تأكيد موعدك في { $clinic }.

    الخدمة: { $service }
    مع: { $practitioner }
    التاريخ: { $date }
    الوقت: { $time }
    المكان: { $location }

    لعرض الموعد أو تغيير وقته أو إلغائه: { $link }

appointment-rescheduled-subject = تغيير موعدك: { $service }، { $date }
appointment-rescheduled-body =
    مرحبًا { $patient }،

    تم نقل موعدك في { $clinic } إلى وقت جديد.

    الخدمة: { $service }
    مع: { $practitioner }
    التاريخ الجديد: { $date }
    الوقت الجديد: { $time }
    المكان: { $location }

    لعرض الموعد أو تغيير وقته أو إلغائه: { $link }

appointment-cancelled-subject = إلغاء الموعد: { $service }، { $date }
appointment-cancelled-body =
    مرحبًا { $patient }،

    تم إلغاء موعدك في { $clinic } مع { $practitioner } لـ { $service } يوم { $date } الساعة { $time } ({ $location }).

    لحجز موعد آخر: { $link }

appointment-reminder-subject = تذكير: { $service } يوم { $date } الساعة { $time }
appointment-reminder-body =
    مرحبًا { $patient }،

    نذكّرك بأن موعدك في { $clinic } { $hours ->
        [zero] بعد أقل من ساعة
        [one] بعد ساعة واحدة
        [two] بعد ساعتين
        [few] بعد { $hours } ساعات
        [many] بعد { $hours } ساعة
       *[other] بعد { $hours } ساعة
    }.

    الخدمة: { $service }
    مع: { $practitioner }
    التاريخ: { $date }
    الوقت: { $time }
    المكان: { $location }

    إذا لم تتمكن من الحضور، يُرجى إبلاغنا: { $link }

verification-code =
    رمز التحقق الخاص بك في { $clinic } هو { $code }. تنتهي صلاحيته { $minutes ->
        [zero] خلال أقل من دقيقة
        [one] بعد دقيقة واحدة
        [two] بعد دقيقتين
        [few] بعد { $minutes } دقائق
        [many] بعد { $minutes } دقيقة
       *[other] بعد { $minutes } دقيقة
    }. لا تشاركه مع أي أحد.

queue-you-are-next = { $patient }، دورك هو التالي في { $clinic }. يُرجى الاستعداد.
queue-come-to-room = { $patient }، يُرجى التوجه إلى الغرفة { $room }.
queue-people-ahead =
    { $count ->
        [zero] لا يوجد أحد قبلك.
        [one] يوجد شخص واحد قبلك.
        [two] يوجد شخصان قبلك.
        [few] يوجد { $count } أشخاص قبلك.
        [many] يوجد { $count } شخصًا قبلك.
       *[other] يوجد { $count } شخص قبلك.
    }

watch-offer-subject = يتوفر وقت: { $service }، { $date }
watch-offer-body =
    مرحبًا { $patient }،

    أصبح الوقت الذي كنت تنتظره في { $clinic } متاحًا: { $service } مع { $practitioner } يوم { $date } الساعة { $time } ({ $location }).

    سنحتفظ به لك { $minutes ->
        [zero] لأقل من دقيقة
        [one] لمدة دقيقة واحدة
        [two] لمدة دقيقتين
        [few] لمدة { $minutes } دقائق
        [many] لمدة { $minutes } دقيقة
       *[other] لمدة { $minutes } دقيقة
    }. للحجز: { $link }

    لإيقاف المتابعة: { $stop }

## حالات الموعد
status-proposed = مقترح
status-pending = بانتظار التأكيد
status-booked = محجوز
status-arrived = وصل المريض
status-fulfilled = تم
status-cancelled = ملغى
status-noshow = لم يحضر
status-entered-in-error = أُدخل خطأً
status-checked-in = تم تسجيل الحضور
status-waitlist = على قائمة الانتظار

## عناوين ورسائل أضيفت لمرسل الرسائل (issue 12).

verification-code-subject = رمز التحقق الخاص بك في { $clinic }

staff-invitation-subject = دعوة للانضمام إلى { $clinic }
staff-invitation-body =
    مرحبًا،

    تمت دعوتك للانضمام إلى فريق عمل { $clinic } على نوبت.

    لقبول الدعوة واختيار كلمة المرور: { $link }

    إذا لم تكن تتوقع هذه الدعوة، فيمكنك تجاهل هذه الرسالة.

admin-alert-subject = { $clinic }: أمر يحتاج إلى انتباهك
admin-alert-body =
    { $alert }

    التفاصيل: { $detail }

alert-message-dead = تعذّر تسليم رسالة بعد عدة محاولات، فوُضعت جانبًا.
alert-sms-budget-exhausted = نفدت ميزانية الرسائل النصية لهذا الشهر؛ تُرسل الرسائل الآن عبر قنوات أخرى متاحة للمريض.
alert-worker-failing = تفشل إحدى المهام الخلفية للخادم باستمرار؛ يوضح سجل الخادم السبب.

## Watches on outside publishers' slots (SMART Scheduling Links, FHIR).
source-slot-free-subject = موعد متاح في { $location } يوم { $date }
source-slot-free-body =
    مرحبًا { $patient }،

    أصبح موعد كنت تنتظره متاحًا في { $location }: { $date } الساعة { $time }.

    يتم الحجز لديهم لا لدينا، وقد يسبقك إليه آخرون. للحجز: { $link }

    لإيقاف المتابعة: { $stop }
## المتابعة: وقت متاح، حجز تمّ لك، انتهاء المتابعة
watch-free-subject = يتوفر وقت: { $service }، { $date }
watch-free-body =
    مرحبًا { $patient }،

    أصبح الوقت الذي كنت تنتظره في { $clinic } متاحًا: { $service } مع { $practitioner } يوم { $date } الساعة { $time } ({ $location }).

    ربما أُبلغ منتظرون آخرون أيضًا: الوقت لمن يحجزه أولًا. للحجز: { $link }

    لإيقاف المتابعة: { $stop }
watch-booked-subject = حُجز لك موعد: { $service }، { $date }
watch-booked-body =
    مرحبًا { $patient }،

    كما طلبت، حجزنا لك في { $clinic } وقتًا كنت تنتظره: { $service } مع { $practitioner } يوم { $date } الساعة { $time } ({ $location }).

    لعرض الموعد أو تغييره أو إلغائه: { $link }

    انتهت متابعتك. لإيقاف أي رسالة أخرى عنها: { $stop }
watch-expired-subject = انتهت متابعتك لـ { $service }
watch-expired-body =
    مرحبًا { $patient }،

    لم يتوفر وقت لـ { $service } في { $clinic } قبل { $last_day }، آخر يوم طلبته. انتهت متابعتك.

    يمكنك بدء متابعة جديدة في أي وقت: { $link }

    لإيقاف أي رسالة أخرى عنها: { $stop }
alert-telegram-token-revoked = رفض تيليغرام رمز البوت (أُلغي أو غير صحيح)، فتوقف البوت عن الرد. ضع رمزًا جديدًا من @BotFather في NOBAT_TELEGRAM_BOT_TOKEN وأعد تشغيل الخادم.
# A secure message from the clinic: the notice never carries the message itself.
secure-message-subject = رسالة جديدة من { $clinic }
secure-message-body =
    مرحباً { $patient }،

    أرسلت إليك { $clinic } رسالة. لقراءتها افتح: { $link }
