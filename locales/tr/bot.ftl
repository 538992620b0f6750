# The Telegram bot's texts (crates/bot).
bot-greeting = Merhaba { $name }! Bu klinik platformunun randevu asistanıyım.
bot-choose-language = Sizinle hangi dilde yazışayım?
bot-language-set = Bundan sonra Türkçe yazacağım.
bot-hint = Üzgünüm, anlayamadım. Yeniden başlamak için /start gönderin ya da mesajlarımın altındaki düğmeleri kullanın.

# Staff on Telegram (crates/nobat/src/telegram_staff).
bot-staff-linked = { $name } olarak giriş yaptınız. /queue: bugünün sıraları · /today: bugünün randevuları · /figures: bugünün rakamları · /alerts: uyarıları aç veya kapat · /logout: bu sohbetin bağlantısını kaldır.
bot-staff-link-invalid = Bu bağlantı artık çalışmıyor: yalnızca bir kez ve 10 dakika içinde açılır. Web'deki hesabınızdan yeni bir bağlantı oluşturun.
bot-staff-not-linked = Bu sohbet bir personel hesabına bağlı değil. Web'deki hesabınızdan bir bağlantı oluşturup burada açın.
bot-staff-logged-out = Bu sohbet artık hesabınıza bağlı değil.
bot-staff-queues-title = Bugünün sıraları:
bot-staff-queue-line = { $name }: { $waiting } bekliyor, { $called } çağrıldı, { $served } hizmet aldı
bot-staff-no-queues = Bugün açık sıra yok.
bot-staff-btn-call = Sıradakini çağır · { $name }
bot-staff-btn-walk-in = Randevusuz · { $name }
bot-staff-btn-absent = Gelmedi · { $code }
bot-staff-btn-return = Döndü · { $code }
bot-staff-btn-refresh = Yenile
bot-staff-called = { $code } ({ $patient }) çağrıldı.
bot-staff-queue-empty = Bu sırada bekleyen kimse yok.
bot-staff-absent-done = { $code } gelmedi olarak işaretlendi.
bot-staff-returned = { $code } sıraya geri döndü.
bot-staff-walk-in-name = Randevusuz hastanın adını gönderin.
bot-staff-walk-in-added = { $name } sırada: bilet { $code }.
bot-staff-refused = Üzgünüm, bunu burada yapma yetkiniz yok.
bot-staff-failed = Yapılamadı: sıra değişti. Yenileyip tekrar deneyin.
bot-staff-appointments-title = Bugünün randevuları:
bot-staff-no-appointments = Bugün randevu yok.
bot-staff-status-booked = rezerve
bot-staff-status-arrived = geldi
bot-staff-status-fulfilled = muayene edildi
bot-staff-status-cancelled = iptal
bot-staff-status-noshow = gelmedi
bot-staff-figures = Bugün { $clinic }: { $booked } randevu ({ $cancelled } iptal, { $noshow } gelmedi); sıralarda { $waiting } bekliyor, { $served } hizmet aldı.
bot-staff-alerts-on = Uyarılar açık: kliniğin uyarıları buraya gelecek.
bot-staff-alerts-off = Uyarılar kapalı.
bot-staff-alert = ⚠️ Uyarı: { $detail }
bot-menu = Ne yapmak istersiniz? Aradığınızı da yazabilirsiniz, örneğin bir hizmetin ya da kliniğin adını.
bot-menu-book = 📅 Randevu al
bot-choose-clinic = Bir klinik seçin:
bot-choose-service = Bir hizmet seçin:
bot-choose-practitioner = Kiminle?
bot-any-practitioner = İlk müsait olan
bot-choose-day = Bir gün seçin:
bot-choose-time = { $day }
    Bir saat seçin:
bot-no-clinics = Burada henüz randevu veren bir klinik yok.
bot-no-services = Bu kliniğin henüz randevu alınabilecek bir hizmeti yok.
bot-no-slots = Önümüzdeki iki hafta içinde boş saat yok. Başka bir hizmet ya da hekim deneyin veya daha sonra tekrar bakın.
bot-search-results = “{ $query }” için bulduklarım:
bot-ask-name = { $when } seçtiniz.
    Lütfen adınızı ve soyadınızı yazın.
bot-name-invalid = Lütfen adınızı ve soyadınızı yazın (2 ile 100 harf arası).
bot-ask-phone = Teşekkürler { $name }. Klinik size ulaşabilsin diye lütfen aşağıdaki düğmeyle telefon numaranızı paylaşın.
bot-share-phone = 📱 Numaramı paylaş
bot-phone-saved = Teşekkürler, numaranız kaydedildi.
bot-booked = Randevunuz alındı ✅
    { $service }, { $practitioner }
    { $when }
    { $clinic }

    İptal etmek ya da değiştirmek için:
bot-slot-taken = Üzgünüm, bu saat az önce başka biri tarafından alındı. Sıradaki boş saatler:
bot-book-failed = Üzgünüm, bu randevu alınamadı. Başka bir saat seçmek için /book gönderin.
bot-stale = Bu menü güncel değil. Yeniden başlamak için /book gönderin.
