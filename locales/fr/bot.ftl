# The Telegram bot's texts (crates/bot).
bot-greeting = Bonjour { $name } ! Je suis l'assistant de prise de rendez-vous de cette plateforme de cliniques.
bot-choose-language = Dans quelle langue voulez-vous que je vous écrive ?
bot-language-set = Désormais, je vous écrirai en français.
bot-booking-soon = La prise de rendez-vous par Telegram n'est pas encore ouverte sur ce bot ; pour l'instant, réservez sur la page web de la clinique.
bot-hint = Désolé, je n'ai pas compris. Envoyez /start pour recommencer, ou utilisez les boutons sous mes messages.
