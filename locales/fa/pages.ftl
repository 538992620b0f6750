# صفحه‌های وب: فهرست درمانگاه‌ها، نوبت‌گیری، صفحهٔ مدیریت نوبت.

pages-skip = رفتن به محتوا
pages-language = زبان
pages-footer = نوبت، نوبت‌دهی متن‌باز درمانگاه
pages-home = همهٔ درمانگاه‌ها

pages-directory-title = گرفتن نوبت
pages-directory-intro = درمانگاهی را انتخاب کنید تا خدمات و وقت‌های آزادش را ببینید.
pages-directory-empty = هنوز درمانگاهی در این سایت نیست.
pages-directory-book = نوبت در { $clinic }

pages-book-title = نوبت در { $clinic }
pages-step-service = نوبت برای چه کاری است؟
pages-step-practitioner = نزد چه کسی؟
pages-step-time = چه زمانی؟
pages-step-details = مشخصات شما
pages-any-practitioner = هر پزشکی که وقت آزاد دارد
pages-duration = { $minutes } دقیقه
pages-change = تغییر
pages-chosen-service = خدمت
pages-chosen-practitioner = پزشک
pages-days = روزهای دارای وقت آزاد
pages-slots-on = وقت‌های آزاد { $date }
pages-no-slots = در { $days } روز آینده وقت آزادی نیست.
pages-later = روزهای بعد
pages-earlier = روزهای قبل
pages-hold-note = این وقت تا ساعت { $time } برای شما نگه داشته می‌شود. برای قطعی شدن، مشخصات خود را وارد کنید.
pages-field-name = نام و نام خانوادگی
pages-field-phone = تلفن
pages-field-email = ایمیل
pages-field-note = یادداشت برای درمانگاه (اختیاری)
pages-contact-hint = شماره تلفن یا نشانی ایمیل بدهید تا درمانگاه بتواند با شما تماس بگیرد.
pages-confirm = ثبت نوبت
pages-other-time = انتخاب وقت دیگر
pages-form-errors = لطفاً خانه‌های مشخص‌شده را اصلاح کنید.

pages-booked-title = نوبت شما ثبت شد
pages-manage-title = نوبت شما
pages-when = زمان
pages-with = نزد
pages-what = خدمت
pages-where = مکان
pages-status = وضعیت
pages-calendar = افزودن به تقویم من
pages-keep-link = این پیوند را نگه دارید: با آن می‌توانید نوبت را تغییر دهید یا لغو کنید.
pages-cancel = لغو این نوبت
pages-cancel-reason = دلیل (اختیاری)
pages-cancelled = این نوبت لغو شده است.
pages-reschedule = جابه‌جایی به وقت دیگر
pages-moved = نوبت شما جابه‌جا شد. این صفحهٔ نوبت تازه است.
pages-access-title = چه کسانی در درمانگاه این نوبت را دیده یا تغییر داده‌اند
pages-access-empty = هنوز هیچ‌کس.
pages-access-at = زمان
pages-access-who = چه کسی
pages-access-action = چه کرد

pages-status-proposed = پیشنهادشده
pages-status-pending = در انتظار تأیید
pages-status-booked = ثبت‌شده
pages-status-arrived = رسیده
pages-status-fulfilled = انجام‌شده
pages-status-cancelled = لغوشده
pages-status-noshow = غایب
pages-status-entered-in-error = ثبت اشتباه
pages-status-checked-in = پذیرش‌شده
pages-status-waitlist = در فهرست انتظار

pages-error-title = مشکلی پیش آمد
pages-not-found = این صفحه وجود ندارد.
pages-back = بازگشت به آغاز

pages-who-patient = شما
pages-action-book = نوبت گرفت
pages-action-cancel = لغو کرد
pages-action-reschedule = جابه‌جا کرد
pages-action-view = مشاهده کرد
pages-action-set_status = وضعیت را تغییر داد
pages-action-export = خروجی گرفت

pages-board-title = سالن انتظار
pages-board-called = فراخوانده‌شده
pages-board-go = مراجعه به
pages-board-next = نوبت‌های بعدی
pages-board-waiting = در انتظار: { $count }
pages-board-empty = امروز صفی در اینجا باز نیست.
pages-form-title = فرم شما
pages-form-submit = ارسال
pages-form-done = سپاس، پاسخ‌های شما دریافت شد.
pages-form-yes = بله
pages-form-no = خیر
pages-form-required = الزامی
pages-form-date-persian = تاریخ شمسی، مثلاً ۱۴۰۵/۰۱/۱۵
pages-form-signature = برای امضا نام کامل خود را بنویسید
pages-forms-heading = فرم‌هایی برای پر کردن
pages-form-filled = پر شده
pages-messages-heading = پیام‌ها با مطب
pages-messages-new = پیام تازه‌ای از مطب دارید
