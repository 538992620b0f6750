# Web sayfaları: klinik listesi, randevu alma, randevu yönetim sayfası.

pages-skip = İçeriğe geç
pages-language = Dil
pages-footer = Nobat, açık kaynaklı klinik randevu sistemi
pages-home = Tüm klinikler

pages-directory-title = Randevu al
pages-directory-intro = Hizmetlerini ve boş saatlerini görmek için bir klinik seçin.
pages-directory-empty = Bu sitede henüz klinik yok.
pages-directory-book = { $clinic } için randevu al

pages-book-title = { $clinic } randevusu
pages-step-service = Randevu ne için?
pages-step-practitioner = Kiminle?
pages-step-time = Ne zaman?
pages-step-details = Bilgileriniz
pages-any-practitioner = Müsait herhangi bir hekim
pages-duration = { $minutes } dk
pages-change = Değiştir
pages-chosen-service = Hizmet
pages-chosen-practitioner = Hekim
pages-days = Boş saati olan günler
pages-slots-on = { $date } için boş saatler
pages-no-slots = Önümüzdeki { $days } gün içinde boş saat yok.
pages-later = Sonraki günler
pages-earlier = Önceki günler
pages-hold-note = Bu saat { $time } saatine kadar sizin için ayrıldı. Onaylamak için bilgilerinizi girin.
pages-field-name = Ad soyad
pages-field-phone = Telefon
pages-field-email = E-posta
pages-field-note = Kliniğe not (isteğe bağlı)
pages-contact-hint = Kliniğin size ulaşabilmesi için bir telefon numarası veya e-posta adresi girin.
pages-confirm = Randevuyu onayla
pages-other-time = Başka bir saat seç
pages-form-errors = Lütfen aşağıda işaretlenen alanları düzeltin.

pages-booked-title = Randevunuz alındı
pages-manage-title = Randevunuz
pages-when = Ne zaman
pages-with = Hekim
pages-what = Hizmet
pages-where = Nerede
pages-status = Durum
pages-calendar = Takvimime ekle
pages-keep-link = Bu bağlantıyı saklayın: randevuyu değiştirmenizi veya iptal etmenizi sağlar.
pages-cancel = Bu randevuyu iptal et
pages-cancel-reason = Neden (isteğe bağlı)
pages-cancelled = Bu randevu iptal edildi.
pages-reschedule = Başka bir saate taşı
pages-moved = Randevunuz taşındı. Bu, yeni randevunun sayfası.
pages-access-title = Klinikte bu randevuyu kim gördü veya değiştirdi
pages-access-empty = Henüz kimse.
pages-access-at = Zaman
pages-access-who = Kim
pages-access-action = Ne yaptı

pages-status-proposed = Önerildi
pages-status-pending = Onay bekliyor
pages-status-booked = Onaylandı
pages-status-arrived = Geldi
pages-status-fulfilled = Tamamlandı
pages-status-cancelled = İptal edildi
pages-status-noshow = Gelmedi
pages-status-entered-in-error = Yanlışlıkla girildi
pages-status-checked-in = Kayıt yapıldı
pages-status-waitlist = Bekleme listesinde

pages-error-title = Bir sorun oluştu
pages-not-found = Böyle bir sayfa yok.
pages-back = Başa dön

pages-who-patient = Siz
pages-action-book = randevu aldı
pages-action-cancel = iptal etti
pages-action-reschedule = taşıdı
pages-action-view = görüntüledi
pages-action-set_status = durumu değiştirdi
pages-action-export = dışa aktardı

pages-board-title = Bekleme salonu
pages-board-called = Çağrılan
pages-board-go = Gidilecek yer
pages-board-next = Sıradakiler
pages-board-waiting = Bekleyen: { $count }
pages-board-empty = Bugün burada açık sıra yok.
pages-form-title = Formunuz
pages-form-submit = Gönder
pages-form-done = Teşekkürler, yanıtlarınız alındı.
pages-form-yes = Evet
pages-form-no = Hayır
pages-form-required = Zorunlu
pages-form-date-persian = Hicri şemsi tarih, örn. 1405/01/15
pages-form-signature = İmza olarak tam adınızı yazın
pages-forms-heading = Doldurulacak formlar
pages-form-filled = Dolduruldu
pages-messages-heading = Klinikle mesajlar
pages-messages-new = Klinikten yeni bir mesajınız var
