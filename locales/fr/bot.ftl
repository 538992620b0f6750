# The Telegram bot's texts (crates/bot).
bot-greeting = Bonjour { $name } ! Je suis l'assistant de prise de rendez-vous de cette plateforme de cliniques.
bot-choose-language = Dans quelle langue voulez-vous que je vous écrive ?
bot-language-set = Désormais, je vous écrirai en français.
bot-hint = Désolé, je n'ai pas compris. Envoyez /start pour recommencer, ou utilisez les boutons sous mes messages.
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
