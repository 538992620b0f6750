# Les pages web : annuaire des cabinets, prise de rendez-vous, page de gestion.

pages-skip = Aller au contenu
pages-language = Langue
pages-footer = Nobat, la prise de rendez-vous libre pour les cabinets
pages-home = Tous les cabinets

pages-directory-title = Prendre rendez-vous
pages-directory-intro = Choisissez un cabinet pour voir ses prestations et ses créneaux libres.
pages-directory-empty = Aucun cabinet sur ce site pour l’instant.
pages-directory-book = Prendre rendez-vous chez { $clinic }

pages-book-title = Rendez-vous chez { $clinic }
pages-step-service = Pour quel motif ?
pages-step-practitioner = Avec qui ?
pages-step-time = Quand ?
pages-step-details = Vos coordonnées
pages-any-practitioner = N’importe quel praticien disponible
pages-duration = { $minutes } min
pages-change = Modifier
pages-chosen-service = Motif
pages-chosen-practitioner = Praticien
pages-days = Jours avec des créneaux libres
pages-slots-on = Créneaux libres le { $date }
pages-no-slots = Aucun créneau libre dans les { $days } prochains jours.
pages-later = Jours suivants
pages-earlier = Jours précédents
pages-hold-note = Ce créneau vous est réservé jusqu’à { $time }. Indiquez vos coordonnées pour le confirmer.
pages-field-name = Nom complet
pages-field-phone = Téléphone
pages-field-email = E-mail
pages-field-note = Message pour le cabinet (facultatif)
pages-contact-hint = Indiquez un numéro de téléphone ou une adresse e-mail pour que le cabinet puisse vous joindre.
pages-confirm = Confirmer le rendez-vous
pages-other-time = Choisir un autre créneau
pages-form-errors = Veuillez corriger les champs signalés ci-dessous.

pages-booked-title = Votre rendez-vous est confirmé
pages-manage-title = Votre rendez-vous
pages-when = Quand
pages-with = Avec
pages-what = Motif
pages-where = Où
pages-status = Statut
pages-calendar = Ajouter à mon agenda
pages-keep-link = Gardez ce lien : il permet de modifier ou d’annuler le rendez-vous.
pages-cancel = Annuler ce rendez-vous
pages-cancel-reason = Motif de l’annulation (facultatif)
pages-cancelled = Ce rendez-vous est annulé.
pages-reschedule = Déplacer à un autre créneau
pages-moved = Votre rendez-vous a été déplacé. Voici sa nouvelle page.
pages-access-title = Qui, au cabinet, a consulté ou modifié ce rendez-vous
pages-access-empty = Personne pour l’instant.
pages-access-at = Date
pages-access-who = Qui
pages-access-action = Action

pages-status-proposed = Proposé
pages-status-pending = En attente
pages-status-booked = Confirmé
pages-status-arrived = Arrivé
pages-status-fulfilled = Terminé
pages-status-cancelled = Annulé
pages-status-noshow = Absent
pages-status-entered-in-error = Saisi par erreur
pages-status-checked-in = Enregistré à l’accueil
pages-status-waitlist = Sur liste d’attente

pages-error-title = Un problème est survenu
pages-not-found = Cette page n’existe pas.
pages-back = Retour à l’accueil

pages-who-patient = Vous
pages-action-book = a réservé
pages-action-cancel = a annulé
pages-action-reschedule = a déplacé
pages-action-view = a consulté
pages-action-set_status = a changé le statut
pages-action-export = a exporté

pages-board-title = Salle d’attente
pages-board-called = Appelé
pages-board-go = Se rendre à
pages-board-next = Ensuite
pages-board-waiting = En attente : { $count }
pages-board-empty = Aucune file n’est ouverte ici aujourd’hui.
pages-form-title = Votre formulaire
pages-form-submit = Envoyer
pages-form-done = Merci, vos réponses ont bien été reçues.
pages-form-yes = Oui
pages-form-no = Non
pages-form-required = Obligatoire
pages-form-date-persian = Date du calendrier hégirien solaire, p. ex. 1405/01/15
pages-form-signature = Tapez votre nom complet en guise de signature
pages-forms-heading = Formulaires à remplir
pages-form-filled = Rempli
pages-messages-heading = Messages avec la clinique
pages-messages-new = Vous avez un nouveau message de la clinique
