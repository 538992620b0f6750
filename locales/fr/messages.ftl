## Messages envoyés aux patients (e-mail, SMS, Telegram, WhatsApp).
## Mêmes clés et mêmes variables que le fichier anglais.

appointment-confirmed-subject = Rendez-vous confirmé : { $service } le { $date }
appointment-confirmed-body =
    Bonjour { $patient },

    Votre rendez-vous est confirmé.

    Établissement : { $clinic }
    Prestation : { $service }
    Avec : { $practitioner }
    Date : { $date }
    Heure : { $time }
    Lieu : { $location }

    Pour le consulter, le déplacer ou l'annuler : { $link }

appointment-rescheduled-subject = Rendez-vous déplacé : { $service } le { $date }
appointment-rescheduled-body =
    Bonjour { $patient },

    Votre rendez-vous a été déplacé.

    Établissement : { $clinic }
    Prestation : { $service }
    Avec : { $practitioner }
    Nouvelle date : { $date }
    Nouvelle heure : { $time }
    Lieu : { $location }

    Pour le consulter, le déplacer ou l'annuler : { $link }

appointment-cancelled-subject = Rendez-vous annulé : { $service } le { $date }
appointment-cancelled-body =
    Bonjour { $patient },

    Votre rendez-vous a été annulé.

    Établissement : { $clinic }
    Prestation : { $service }
    Avec : { $practitioner }
    Date : { $date }
    Heure : { $time }
    Lieu : { $location }

    Pour prendre un autre rendez-vous : { $link }

appointment-reminder-subject = Rappel : { $service } le { $date } à { $time }
appointment-reminder-body =
    Bonjour { $patient },

    Nous vous rappelons que votre rendez-vous a lieu dans { $hours ->
        [one] { $hours } heure
       *[other] { $hours } heures
    }.

    Établissement : { $clinic }
    Prestation : { $service }
    Avec : { $practitioner }
    Date : { $date }
    Heure : { $time }
    Lieu : { $location }

    Si vous ne pouvez pas venir, merci de nous prévenir : { $link }

verification-code =
    Votre code de vérification ({ $clinic }) : { $code }. Il expire dans { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }. Ne le communiquez à personne.

queue-you-are-next = { $patient }, c'est bientôt à vous ({ $clinic }) : vous passez juste après. Merci de vous préparer.
queue-come-to-room = { $patient }, merci de vous présenter en salle { $room }.
queue-people-ahead =
    { $count ->
        [0] Personne ne passe avant vous.
        [one] { $count } personne passe avant vous.
       *[other] { $count } personnes passent avant vous.
    }

watch-offer-subject = Un créneau s'est libéré : { $service } le { $date }
watch-offer-body =
    Bonjour { $patient },

    Un créneau que vous attendiez s'est libéré : { $service }, le { $date } à { $time }.

    Établissement : { $clinic }
    Avec : { $practitioner }
    Lieu : { $location }

    Nous le gardons pour vous pendant { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }. Pour le réserver : { $link }

    Pour ne plus être prévenu : { $stop }

## Statuts d'un rendez-vous
status-proposed = proposé
status-pending = en attente de confirmation
status-booked = réservé
status-arrived = arrivé
status-fulfilled = effectué
status-cancelled = annulé
status-noshow = absent
status-entered-in-error = saisi par erreur
status-checked-in = enregistré à l'accueil
status-waitlist = sur liste d'attente

## Objets et messages ajoutés pour l'envoi des messages (issue 12).

verification-code-subject = Votre code de vérification ({ $clinic })

staff-invitation-subject = Invitation à rejoindre { $clinic }
staff-invitation-body =
    Bonjour,

    Vous êtes invité(e) à rejoindre l'équipe de { $clinic } sur Nobat.

    Pour accepter et choisir votre mot de passe : { $link }

    Si vous n'attendiez pas cette invitation, vous pouvez ignorer ce message.

admin-alert-subject = { $clinic } : un point demande votre attention
admin-alert-body =
    { $alert }

    Détails : { $detail }

alert-message-dead = Un message n'a pas pu être remis après plusieurs tentatives et a été mis de côté.
alert-sms-budget-exhausted = Le budget SMS du mois est épuisé ; les messages partent désormais par les autres canaux du patient lorsqu'il en a.
alert-worker-failing = Une tâche de fond du serveur échoue sans cesse ; le journal du serveur en donne la raison.

## Watches on outside publishers' slots (SMART Scheduling Links, FHIR).
source-slot-free-subject = Un créneau est libre à { $location } le { $date }
source-slot-free-body =
    Bonjour { $patient },

    Un créneau que vous surveilliez est libre à { $location } : { $date } à { $time }.

    La réservation se fait chez eux, pas chez nous, et d'autres peuvent le prendre avant vous. Pour réserver : { $link }

    Pour ne plus être prévenu : { $stop }
## Alertes de créneau : un créneau libre, un rendez-vous pris pour vous, la fin de l'alerte.
watch-free-subject = Un créneau s'est libéré : { $service } le { $date }
watch-free-body =
    Bonjour { $patient },

    Un créneau que vous attendiez chez { $clinic } s'est libéré : { $service } avec { $practitioner }, le { $date } à { $time } ({ $location }).

    D'autres personnes ont peut-être été prévenues : le premier qui réserve l'obtient. Pour réserver : { $link }

    Pour ne plus être prévenu : { $stop }
watch-booked-subject = Rendez-vous pris pour vous : { $service } le { $date }
watch-booked-body =
    Bonjour { $patient },

    Comme vous l'avez demandé, nous avons réservé pour vous chez { $clinic } : { $service } avec { $practitioner }, le { $date } à { $time } ({ $location }).

    Pour voir, déplacer ou annuler ce rendez-vous : { $link }

    Votre alerte est terminée. Pour ne plus recevoir de message à son sujet : { $stop }
watch-expired-subject = Votre alerte pour { $service } est terminée
watch-expired-body =
    Bonjour { $patient },

    Aucun créneau pour { $service } chez { $clinic } ne s'est libéré avant le { $last_day }, dernier jour demandé. Votre alerte est terminée.

    Vous pouvez en créer une nouvelle à tout moment : { $link }

    Pour ne plus recevoir de message à son sujet : { $stop }
alert-telegram-token-revoked = Telegram a refusé le jeton du bot (révoqué ou erroné) : le bot ne répond plus. Placez un nouveau jeton obtenu auprès de @BotFather dans NOBAT_TELEGRAM_BOT_TOKEN et redémarrez le serveur.
# A secure message from the clinic: the notice never carries the message itself.
secure-message-subject = Nouveau message de { $clinic }
secure-message-body =
    Bonjour { $patient },

    { $clinic } vous a envoyé un message. Pour le lire, ouvrez : { $link }
