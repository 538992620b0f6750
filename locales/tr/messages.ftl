## Hastalara gönderilen mesajlar (e-posta, SMS, Telegram, WhatsApp).
## Anahtarlar ve değişkenler İngilizce dosyadakilerle aynıdır. Klinik, hizmet ve hekim adları
## ek almasın diye (…'de, …'e) iki noktadan sonra yazılır.

appointment-confirmed-subject = Randevunuz onaylandı: { $service }, { $date }
appointment-confirmed-body =
    Merhaba { $patient },

    Randevunuz onaylandı.

    Klinik: { $clinic }
    Hizmet: { $service }
    Hekim: { $practitioner }
    Tarih: { $date }
    Saat: { $time }
    Yer: { $location }

    Randevunuzu görmek, değiştirmek veya iptal etmek için: { $link }

appointment-rescheduled-subject = Randevunuz değiştirildi: { $service }, { $date }
appointment-rescheduled-body =
    Merhaba { $patient },

    Randevunuz yeni bir saate taşındı.

    Klinik: { $clinic }
    Hizmet: { $service }
    Hekim: { $practitioner }
    Yeni tarih: { $date }
    Yeni saat: { $time }
    Yer: { $location }

    Randevunuzu görmek, değiştirmek veya iptal etmek için: { $link }

appointment-cancelled-subject = Randevunuz iptal edildi: { $service }, { $date }
appointment-cancelled-body =
    Merhaba { $patient },

    Randevunuz iptal edildi.

    Klinik: { $clinic }
    Hizmet: { $service }
    Hekim: { $practitioner }
    Tarih: { $date }
    Saat: { $time }
    Yer: { $location }

    Yeni bir randevu almak için: { $link }

appointment-reminder-subject = Hatırlatma: { $service }, { $date }, { $time }
appointment-reminder-body =
    Merhaba { $patient },

    Randevunuzun { $hours } saat sonra olduğunu hatırlatırız.

    Klinik: { $clinic }
    Hizmet: { $service }
    Hekim: { $practitioner }
    Tarih: { $date }
    Saat: { $time }
    Yer: { $location }

    Gelemeyecekseniz lütfen bize bildirin: { $link }

verification-code =
    { $clinic } doğrulama kodunuz: { $code }. Kod { $minutes } dakika geçerlidir. Kimseyle paylaşmayın.

queue-you-are-next = { $patient }, sıradaki kişi sizsiniz ({ $clinic }). Lütfen hazır olun.
queue-come-to-room = { $patient }, lütfen { $room } numaralı odaya gelin.
queue-people-ahead =
    { $count ->
        [0] Önünüzde kimse yok.
       *[other] Önünüzde { $count } kişi var.
    }

watch-offer-subject = Bir randevu saati boşaldı: { $service }, { $date }
watch-offer-body =
    Merhaba { $patient },

    Beklediğiniz bir saat boşaldı: { $service }, { $date }, { $time }.

    Klinik: { $clinic }
    Hekim: { $practitioner }
    Yer: { $location }

    Bu saat { $minutes } dakika boyunca sizin için ayrıldı. Randevu almak için: { $link }

    Takibi durdurmak için: { $stop }

## Randevu durumları
status-proposed = önerildi
status-pending = onay bekliyor
status-booked = alındı
status-arrived = hasta geldi
status-fulfilled = gerçekleşti
status-cancelled = iptal edildi
status-noshow = gelmedi
status-entered-in-error = hatalı girildi
status-checked-in = kayıt yapıldı
status-waitlist = bekleme listesinde

## Mesaj gönderimi için eklenen konular ve mesajlar (issue 12).

verification-code-subject = { $clinic } doğrulama kodunuz

staff-invitation-subject = Ekibe katılma daveti: { $clinic }
staff-invitation-body =
    Merhaba,

    Nobat üzerinde şu kliniğin ekibine katılmaya davet edildiniz: { $clinic }.

    Daveti kabul edip şifrenizi belirlemek için: { $link }

    Bu daveti beklemiyorsanız bu mesajı yok sayabilirsiniz.

admin-alert-subject = { $clinic }: ilgilenmeniz gereken bir durum var
admin-alert-body =
    { $alert }

    Ayrıntılar: { $detail }

alert-message-dead = Bir mesaj birkaç denemeden sonra iletilemedi ve bir kenara ayrıldı.
alert-sms-budget-exhausted = Bu ayın SMS bütçesi bitti; mesajlar artık hastanın varsa diğer kanallarından gönderiliyor.
alert-worker-failing = Sunucunun bir arka plan görevi sürekli başarısız oluyor; nedeni sunucu günlüğünde yazıyor.

## Watches on outside publishers' slots (SMART Scheduling Links, FHIR).
source-slot-free-subject = { $location } için { $date } tarihinde boş bir saat var
source-slot-free-body =
    Merhaba { $patient },

    Beklediğiniz bir saat { $location } için boşaldı: { $date }, saat { $time }.

    Randevu bizde değil, onlarda alınır ve başkaları sizden önce alabilir. Randevu almak için: { $link }

    Takibi durdurmak için: { $stop }
## Boş saat takibi: boşalan saat, sizin için alınan randevu, takibin sonu.
watch-free-subject = Bir randevu saati boşaldı: { $service }, { $date }
watch-free-body =
    Merhaba { $patient },

    { $clinic } için beklediğiniz bir saat boşaldı: { $service }, { $practitioner }, { $date }, { $time } ({ $location }).

    Bekleyen başkalarına da haber verilmiş olabilir: saat, önce randevu alanındır. Randevu almak için: { $link }

    Takibi durdurmak için: { $stop }
watch-booked-subject = Sizin için randevu alındı: { $service }, { $date }
watch-booked-body =
    Merhaba { $patient },

    İstediğiniz gibi { $clinic } için beklediğiniz saatte randevunuzu aldık: { $service }, { $practitioner }, { $date }, { $time } ({ $location }).

    Randevuyu görmek, değiştirmek veya iptal etmek için: { $link }

    Takibiniz sona erdi. Bununla ilgili başka mesaj almamak için: { $stop }
watch-expired-subject = { $service } takibiniz sona erdi
watch-expired-body =
    Merhaba { $patient },

    İstediğiniz son gün olan { $last_day } tarihine kadar { $clinic } için { $service } saati boşalmadı. Takibiniz sona erdi.

    İstediğiniz zaman yeni bir takip başlatabilirsiniz: { $link }

    Bununla ilgili başka mesaj almamak için: { $stop }
alert-telegram-token-revoked = Telegram botun jetonunu reddetti (iptal edilmiş ya da yanlış): bot yanıt vermeyi bıraktı. @BotFather'dan alınan yeni jetonu NOBAT_TELEGRAM_BOT_TOKEN içine yazın ve sunucuyu yeniden başlatın.
# A secure message from the clinic: the notice never carries the message itself.
secure-message-subject = { $clinic } size mesaj gönderdi
secure-message-body =
    Merhaba { $patient },

    { $clinic } size bir mesaj gönderdi. Okumak için açın: { $link }
