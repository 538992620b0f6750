# The Telegram bot's texts (crates/bot).
bot-greeting = Merhaba { $name }! Bu klinik platformunun randevu asistanıyım.
bot-choose-language = Sizinle hangi dilde yazışayım?
bot-language-set = Bundan sonra Türkçe yazacağım.
bot-hint = Üzgünüm, anlayamadım. Yeniden başlamak için /start gönderin ya da mesajlarımın altındaki düğmeleri kullanın.
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
