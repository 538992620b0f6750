# The Telegram bot's texts (crates/bot).
bot-greeting = Bonjour { $name } ! Je suis l'assistant de prise de rendez-vous de cette plateforme de cliniques.
bot-choose-language = Dans quelle langue voulez-vous que je vous écrive ?
bot-language-set = Désormais, je vous écrirai en français.
bot-hint = Désolé, je n'ai pas compris. Envoyez /start pour recommencer, ou utilisez les boutons sous mes messages.

# Staff on Telegram (crates/nobat/src/telegram_staff).
bot-staff-linked = Vous êtes connecté·e en tant que { $name }. /queue : files du jour · /today : rendez-vous du jour · /figures : chiffres du jour · /alerts : alertes activées ou non · /logout : délier cette discussion.
bot-staff-link-invalid = Ce lien ne fonctionne plus : il s'ouvre une seule fois, dans les 10 minutes. Créez-en un nouveau depuis votre compte sur le web.
bot-staff-not-linked = Cette discussion n'est liée à aucun compte du personnel. Créez un lien depuis votre compte sur le web et ouvrez-le ici.
bot-staff-logged-out = Cette discussion n'est plus liée à votre compte.
bot-staff-queues-title = Files du jour :
bot-staff-queue-line = { $name } : { $waiting } en attente, { $called } appelés, { $served } servis
bot-staff-no-queues = Aucune file n'est ouverte aujourd'hui.
bot-staff-btn-call = Appeler le suivant · { $name }
bot-staff-btn-walk-in = Sans rendez-vous · { $name }
bot-staff-btn-absent = Absent · { $code }
bot-staff-btn-return = Revenu · { $code }
bot-staff-btn-refresh = Actualiser
bot-staff-called = { $code } ({ $patient }) est appelé.
bot-staff-queue-empty = Personne n'attend dans cette file.
bot-staff-absent-done = { $code } est noté absent.
bot-staff-returned = { $code } est de retour dans la file.
bot-staff-walk-in-name = Envoyez le nom du patient sans rendez-vous.
bot-staff-walk-in-added = { $name } est dans la file : ticket { $code }.
bot-staff-refused = Désolé, vous ne pouvez pas faire cela ici.
bot-staff-failed = Impossible : la file a changé. Actualisez et réessayez.
bot-staff-appointments-title = Rendez-vous du jour :
bot-staff-no-appointments = Aucun rendez-vous aujourd'hui.
bot-staff-status-booked = réservé
bot-staff-status-arrived = arrivé
bot-staff-status-fulfilled = vu
bot-staff-status-cancelled = annulé
bot-staff-status-noshow = absent
bot-staff-figures = Aujourd'hui à { $clinic } : { $booked } rendez-vous ({ $cancelled } annulés, { $noshow } absents) ; dans les files { $waiting } en attente, { $served } servis.
bot-staff-alerts-on = Alertes activées : vous recevrez ici les alertes de la clinique.
bot-staff-alerts-off = Alertes désactivées.
bot-staff-alert = ⚠️ Alerte : { $detail }
bot-menu = Que souhaitez-vous faire ? Vous pouvez aussi écrire ce que vous cherchez, par exemple le nom d'un service ou d'une clinique.
bot-menu-book = 📅 Prendre rendez-vous
bot-choose-clinic = Choisissez une clinique :
bot-choose-service = Choisissez un service :
bot-choose-practitioner = Avec qui ?
bot-any-practitioner = Le premier disponible
bot-choose-day = Choisissez un jour :
bot-choose-time = { $day }
    Choisissez une heure :
bot-no-clinics = Aucune clinique ne prend encore de rendez-vous ici.
bot-no-services = Cette clinique n'a pas encore de service à réserver.
bot-no-slots = Aucun créneau libre dans les deux prochaines semaines. Essayez un autre service ou praticien, ou revenez plus tard.
bot-search-results = Voici ce que j'ai trouvé pour « { $query } » :
bot-ask-name = Vous avez choisi { $when }.
    Veuillez écrire vos nom et prénom.
bot-name-invalid = Veuillez écrire vos nom et prénom (2 à 100 lettres).
bot-ask-phone = Merci, { $name }. Partagez votre numéro de téléphone avec le bouton ci-dessous, pour que la clinique puisse vous joindre.
bot-share-phone = 📱 Partager mon numéro
bot-phone-saved = Merci, votre numéro est enregistré.
bot-booked = Rendez-vous pris ✅
    { $service } avec { $practitioner }
    { $when }
    { $clinic }

    Pour l'annuler ou le modifier :
bot-slot-taken = Désolé, ce créneau vient d'être pris par quelqu'un d'autre. Voici les suivants :
bot-book-failed = Désolé, ce rendez-vous n'a pas pu être pris. Envoyez /book pour choisir un autre créneau.
bot-stale = Ce menu n'est plus à jour. Envoyez /book pour recommencer.
