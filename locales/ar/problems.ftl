## عناوين أخطاء problem+json وتفاصيلها

problem-bad-request-title = الطلب غير صالح
problem-bad-request-detail = تعذّرت قراءة الطلب. تحقّق من صيغته وحاول مرة أخرى.
problem-invalid-input-title = قيمة غير مقبولة
problem-invalid-input-detail = قيمة { $field } غير مقبولة.
problem-not-found-title = غير موجود
problem-not-found-detail = ما طلبته غير موجود أو غير متاح لك.
problem-slot-not-offered-title = هذا الوقت غير متاح
problem-slot-not-offered-detail = هذا الوقت غير متاح لهذه الخدمة. يُرجى اختيار أحد الأوقات المعروضة.
problem-slot-taken-title = تم حجز هذا الوقت
problem-slot-taken-detail = حجز شخص آخر هذا الوقت للتو. يُرجى اختيار وقت آخر.
problem-hold-invalid-title = لا يمكن استخدام الحجز المؤقت
problem-hold-invalid-detail = انتهت مدة الوقت المحجوز لك مؤقتًا أو أنه لا يطابق هذا الحجز. يُرجى اختيار الوقت من جديد.
problem-cut-off-passed-title = فات أوان التغيير عبر الإنترنت
problem-cut-off-passed-detail = الموعد قريب جدًا ولا يمكن تغييره عبر الإنترنت. يُرجى التواصل مع العيادة.
problem-refused-title = غير ممكن
problem-refused-detail = هذا التغيير غير ممكن.
problem-illegal-transition-title = لا يمكن تغيير الموعد بهذه الطريقة
problem-illegal-transition-detail = الموعد الذي حالته «{ $from }» لا يمكن أن يصبح «{ $to }».
problem-already-exists-title = موجود مسبقًا
problem-already-exists-detail = يوجد مسبقًا عنصر بالاسم أو العنوان نفسه.
problem-idempotency-key-reused-title = استُخدم مفتاح Idempotency-Key مع طلب آخر
problem-idempotency-key-reused-detail = سبق استخدام مفتاح Idempotency-Key هذا مع طلب مختلف؛ استخدم مفتاحًا جديدًا لكل طلب جديد.
problem-unavailable-title = غير متاح مؤقتًا
problem-unavailable-detail = الخدمة مشغولة أو قيد إعادة التشغيل؛ لم يتغير شيء. يُرجى المحاولة مرة أخرى.
problem-internal-title = خطأ داخلي
problem-internal-detail = حدث خطأ من جهتنا؛ لم يتغير شيء.
problem-payload-too-large-title = حجم الطلب كبير جدًا
problem-payload-too-large-detail = أرسل { $kib } كيلوبايت على الأكثر.
problem-method-not-allowed-title = الطريقة غير مسموح بها
problem-method-not-allowed-detail = هذا العنوان لا يقبل هذه الطريقة.
problem-unsupported-media-type-title = أرسل JSON
problem-unsupported-media-type-detail = يجب أن يكون محتوى الطلب بصيغة JSON مع Content-Type: application/json.
problem-unauthenticated-title = سجّل الدخول أولًا
problem-unauthenticated-detail = يُرجى تسجيل الدخول للمتابعة.
problem-invalid-credentials-title = البريد الإلكتروني أو كلمة المرور غير صحيحة
problem-invalid-credentials-detail = البريد الإلكتروني أو كلمة المرور غير صحيحة.
problem-account-locked-title = محاولات دخول فاشلة كثيرة
problem-account-locked-detail =
    هذا الحساب مقفل { $seconds ->
        [zero] لأقل من ثانية
        [one] لمدة ثانية واحدة
        [two] لمدة ثانيتين
        [few] لمدة { $seconds } ثوانٍ
        [many] لمدة { $seconds } ثانية
       *[other] لمدة { $seconds } ثانية
    } بعد محاولات دخول فاشلة متكررة.
problem-rate-limited-title = طلبات كثيرة جدًا
problem-rate-limited-detail =
    يُرجى التمهل والمحاولة مرة أخرى { $seconds ->
        [zero] بعد لحظة
        [one] بعد ثانية واحدة
        [two] بعد ثانيتين
        [few] بعد { $seconds } ثوانٍ
        [many] بعد { $seconds } ثانية
       *[other] بعد { $seconds } ثانية
    }.
problem-totp-required-title = مطلوب رمز التحقق بخطوتين
problem-totp-required-detail = يستخدم هذا الحساب التحقق بخطوتين: أدخل الرمز من تطبيق المصادقة أو رمز استرداد.
problem-totp-invalid-title = رمز غير صحيح
problem-totp-invalid-detail = الرمز غير صحيح أو قديم أو مستخدم من قبل. انتظر الرمز التالي.
problem-recovery-code-invalid-title = رمز الاسترداد غير صحيح
problem-recovery-code-invalid-detail = رمز الاسترداد هذا غير صحيح أو سبق استخدامه.
problem-session-required-title = سجّل الدخول بحسابك
problem-session-required-detail = تعمل رموز API لصالح عيادة واحدة؛ إعدادات الحساب تتطلب جلسة دخول بحسابك.
problem-forbidden-title = غير مسموح
problem-forbidden-detail = دورك لا يسمح بهذا الإجراء.
problem-csrf-token-missing-title = رمز CSRF مفقود
problem-csrf-token-missing-detail = أرسل رمز CSRF الخاص بالجلسة في الترويسة X-CSRF-Token.
problem-contact-unverified-title = أكّد رقم هاتفك أو بريدك الإلكتروني أولًا
problem-contact-unverified-detail = تتحقق هذه العيادة من هاتف المريض أو بريده الإلكتروني. اطلب رمزًا وأدخله ثم احجز مرة أخرى.
problem-link-expired-title = انتهت صلاحية هذا الرابط
problem-link-expired-detail = انتهى هذا الموعد. يُرجى التواصل مع العيادة.
problem-two-factor-already-on-title = التحقق بخطوتين مفعّل بالفعل
problem-two-factor-already-on-detail = أوقفه أولًا لإعداد تطبيق مصادقة جديد.
problem-no-enrolment-title = لا يوجد ما يمكن تأكيده
problem-no-enrolment-detail = ابدأ إعداد التحقق بخطوتين من جديد.
problem-not-ready-title = غير جاهز
problem-not-ready-detail = الخادم قيد التشغيل أو لا يمكنه الوصول إلى قاعدة البيانات.
problem-degraded-title = خدمة محدودة
problem-degraded-detail = يعمل الخادم بخدمة محدودة.
problem-not-a-member-title = لست عضوًا في هذه العيادة
problem-not-a-member-detail = أنت لا تعمل في هذه العيادة.
problem-wrong-clinic-title = رمز لعيادة أخرى
problem-wrong-clinic-detail = رمز API هذا يخص عيادة أخرى.
problem-two-factor-required-title = التحقق بخطوتين مطلوب
problem-two-factor-required-detail = تشترط هذه العيادة على الموظفين استخدام التحقق بخطوتين؛ فعّله من إعدادات حسابك.
problem-busy-title = الخادم مشغول
problem-busy-detail = لدى الخادم تغييرات في الانتظار أكثر مما يستوعب. لم يتغير شيء؛ حاول مرة أخرى بعد قليل.
problem-outcome-unknown-title = النتيجة غير معروفة
problem-outcome-unknown-detail = استغرق تأكيد التغيير وقتًا طويلًا: ربما تمّ وربما لم يتمّ. إعادة المحاولة بمفتاح Idempotency-Key نفسه آمنة.
problem-too-many-slots-title = عدد المواعيد كبير على إجابة واحدة
problem-too-many-slots-detail = اطلب أيامًا أقل، أو ممارسًا واحدًا في كل مرة.
problem-hold-not-yours-title = هذا الحجز المؤقت ليس لك
problem-hold-not-yours-detail = لا يمكن تأكيد هذا الحجز المؤقت أو إلغاؤه إلا لمن قام به.
problem-too-many-holds-title = لديك مواعيد محجوزة مؤقتًا كثيرة
problem-too-many-holds-detail = أكّد أو ألغِ أحد المواعيد المحجوزة مؤقتًا قبل حجز موعد آخر.
problem-clinic-holds-full-title = مواعيد كثيرة محجوزة مؤقتًا
problem-clinic-holds-full-detail = لدى هذه العيادة مواعيد كثيرة محجوزة مؤقتًا الآن؛ حاول مرة أخرى بعد بضع دقائق.
problem-wrong-account-title = أنت مسجّل الدخول بحساب آخر
problem-wrong-account-detail = هذه الدعوة لحساب آخر؛ سجّل الدخول بحساب الشخص المدعو.
problem-queue-empty-title = لا أحد في الانتظار
problem-queue-empty-detail = لا أحد ينتظر في هذا الطابور الآن.
problem-ticket-state-title = لا يمكن تنفيذ هذا الإجراء على التذكرة الآن
problem-ticket-state-detail = حالة هذه التذكرة لا تسمح بهذا الإجراء؛ أعد تحميل الطابور وحاول مرة أخرى.
problem-already-checked-in-title = تم تسجيل الحضور مسبقًا
problem-already-checked-in-detail = تم تسجيل حضور هذا الموعد مسبقًا؛ تذكرته في الطابور.

## Why a value was refused (errors[].detail of a 422 naming the field), by reason code.
invalid-name = اكتب اسم المريض (من ١ إلى { $max } حرفًا).
invalid-contact-missing = أعطِ رقم هاتف أو عنوان بريد إلكتروني.
invalid-phone = هذا ليس رقم هاتف مستخدمًا (مثلًا ‎+212 612 345 678).
invalid-phone-international = اكتب الرقم مع رمز البلد، مثلًا ‎+212 612 345 678.
invalid-email = لا يبدو هذا عنوان بريد إلكتروني.
invalid-language = استخدم إحدى اللغات en أو fa أو ar أو fr أو ru أو tr (الوسم مثل ar-MA يُعدّ ar).
invalid-country = استخدم رمز البلد المكوّن من حرفين وفق ISO 3166-1 مثل MA أو IR.
problem-queue-full-title = الطابور ممتلئ
problem-queue-full-detail = ينتظر الآن أقصى عدد من المرضى يمكنه الانضمام عبر الرابط؛ يرجى التوجه إلى الاستقبال.
problem-queue-closed-title = الطابور لا يستقبل مرضى
problem-queue-closed-detail = هذا الطابور مغلق اليوم أو لا يقبل الانضمام عبر الرابط؛ يرجى السؤال في الاستقبال.
problem-not-acceptable-title = لا يُقدَّم إلا JSON
problem-not-acceptable-detail = يجيب هذا الخادم بصيغة application/fhir+json أو application/json فقط.
problem-forms-required-title = يجب ملء النماذج أولاً
problem-forms-required-detail = تطلب العيادة بعض النماذج قبل تسجيل الحضور؛ يمكن للمريض ملؤها من رابط موعده أو في الاستقبال.
