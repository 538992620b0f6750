# صفحات الويب: دليل العيادات، الحجز، صفحة إدارة الموعد.

pages-skip = انتقل إلى المحتوى
pages-language = اللغة
pages-footer = نوبت، نظام مفتوح المصدر لحجز مواعيد العيادات
pages-home = كل العيادات

pages-directory-title = احجز موعدًا
pages-directory-intro = اختر عيادة لترى خدماتها والأوقات المتاحة.
pages-directory-empty = لا توجد عيادات على هذا الموقع بعد.
pages-directory-book = احجز في { $clinic }

pages-book-title = احجز في { $clinic }
pages-step-service = ما سبب الموعد؟
pages-step-practitioner = مع من؟
pages-step-time = متى؟
pages-step-details = بياناتك
pages-any-practitioner = أي طبيب متاح
pages-duration = { $minutes } دقيقة
pages-change = تغيير
pages-chosen-service = الخدمة
pages-chosen-practitioner = الطبيب
pages-days = أيام فيها أوقات متاحة
pages-slots-on = الأوقات المتاحة يوم { $date }
pages-no-slots = لا توجد أوقات متاحة في الأيام الـ{ $days } القادمة.
pages-later = أيام لاحقة
pages-earlier = أيام سابقة
pages-hold-note = هذا الوقت محجوز لك حتى { $time }. أكمل بياناتك لتأكيده.
pages-field-name = الاسم الكامل
pages-field-phone = الهاتف
pages-field-email = البريد الإلكتروني
pages-field-note = ملاحظة للعيادة (اختياري)
pages-contact-hint = أدخل رقم هاتف أو بريدًا إلكترونيًا لتتمكن العيادة من التواصل معك.
pages-confirm = تأكيد الموعد
pages-other-time = اختر وقتًا آخر
pages-form-errors = يُرجى تصحيح الحقول المشار إليها أدناه.

pages-booked-title = تم حجز موعدك
pages-manage-title = موعدك
pages-when = الوقت
pages-with = مع
pages-what = الخدمة
pages-where = المكان
pages-status = الحالة
pages-calendar = أضف إلى تقويمي
pages-keep-link = احتفظ بهذا الرابط: يمكنك به تغيير الموعد أو إلغاؤه.
pages-cancel = إلغاء هذا الموعد
pages-cancel-reason = السبب (اختياري)
pages-cancelled = هذا الموعد ملغى.
pages-reschedule = نقل إلى وقت آخر
pages-moved = نُقل موعدك. هذه صفحته الجديدة.
pages-access-title = من في العيادة اطّلع على هذا الموعد أو غيّره
pages-access-empty = لا أحد بعد.
pages-access-at = الوقت
pages-access-who = من
pages-access-action = ماذا فعل

pages-status-proposed = مقترح
pages-status-pending = بانتظار التأكيد
pages-status-booked = محجوز
pages-status-arrived = وصل
pages-status-fulfilled = تم
pages-status-cancelled = ملغى
pages-status-noshow = لم يحضر
pages-status-entered-in-error = أُدخل خطأً
pages-status-checked-in = سُجّل حضوره
pages-status-waitlist = على قائمة الانتظار

pages-error-title = حدث خطأ ما
pages-not-found = هذه الصفحة غير موجودة.
pages-back = العودة إلى البداية

pages-who-patient = أنت
pages-action-book = حجز
pages-action-cancel = ألغى
pages-action-reschedule = نقل الموعد
pages-action-view = اطّلع
pages-action-set_status = غيّر الحالة
pages-action-export = صدّر البيانات

pages-board-title = قاعة الانتظار
pages-board-called = تم النداء
pages-board-go = توجّه إلى
pages-board-next = التالي
pages-board-waiting = في الانتظار: { $count }
pages-board-empty = لا يوجد طابور مفتوح هنا اليوم.
pages-form-title = استمارتك
pages-form-submit = إرسال
pages-form-done = شكراً، وصلتنا إجاباتك.
pages-form-yes = نعم
pages-form-no = لا
pages-form-required = مطلوب
pages-form-date-persian = تاريخ هجري شمسي، مثلاً 1405/01/15
pages-form-signature = اكتب اسمك الكامل توقيعاً
pages-forms-heading = استمارات للتعبئة
pages-form-filled = مُعبّأة
pages-messages-heading = الرسائل مع العيادة
pages-messages-new = لديك رسالة جديدة من العيادة
