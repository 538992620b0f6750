# The Telegram bot's texts (crates/bot).
bot-greeting = Merhaba { $name }! Bu klinik platformunun randevu asistanıyım.
bot-choose-language = Sizinle hangi dilde yazışayım?
bot-language-set = Bundan sonra Türkçe yazacağım.
bot-booking-soon = Bu botta Telegram üzerinden randevu henüz açılmadı; şimdilik lütfen kliniğin web sayfasından randevu alın.
bot-hint = Üzgünüm, anlayamadım. Yeniden başlamak için /start gönderin ya da mesajlarımın altındaki düğmeleri kullanın.
