## Titres et détails des erreurs problem+json

problem-bad-request-title = La requête est mal formée
problem-bad-request-detail = La requête n'a pas pu être lue. Vérifiez son format et réessayez.
problem-invalid-input-title = Une valeur n'est pas acceptable
problem-invalid-input-detail = La valeur de { $field } n'est pas acceptable.
problem-not-found-title = Introuvable
problem-not-found-detail = Ce que vous demandez n'existe pas ou ne vous est pas accessible.
problem-slot-not-offered-title = Cet horaire n'est pas proposé
problem-slot-not-offered-detail = Cet horaire n'est pas proposé pour cette prestation. Merci de choisir l'un des horaires affichés.
problem-slot-taken-title = Ce créneau est pris
problem-slot-taken-detail = Quelqu'un vient de réserver cet horaire. Merci d'en choisir un autre.
problem-hold-invalid-title = La réservation provisoire n'est plus valable
problem-hold-invalid-detail = Le créneau gardé pour vous a expiré ou ne correspond pas à cette réservation. Merci de choisir à nouveau l'horaire.
problem-cut-off-passed-title = Trop tard pour modifier en ligne
problem-cut-off-passed-detail = Ce rendez-vous est trop proche pour être modifié en ligne. Merci de contacter le cabinet.
problem-refused-title = Impossible
problem-refused-detail = Cette modification n'est pas possible.
problem-illegal-transition-title = Le rendez-vous ne peut pas changer ainsi
problem-illegal-transition-detail = Un rendez-vous « { $from } » ne peut pas devenir « { $to } ».
problem-already-exists-title = Existe déjà
problem-already-exists-detail = Un élément portant le même nom ou la même adresse existe déjà.
problem-idempotency-key-reused-title = Idempotency-Key déjà utilisée pour une autre requête
problem-idempotency-key-reused-detail = Cette Idempotency-Key a déjà servi pour une requête différente ; utilisez une nouvelle clé pour une nouvelle requête.
problem-unavailable-title = Temporairement indisponible
problem-unavailable-detail = Le service est occupé ou redémarre ; rien n'a été modifié. Merci de réessayer.
problem-internal-title = Erreur interne
problem-internal-detail = Un problème est survenu de notre côté ; rien n'a été modifié.
problem-payload-too-large-title = Le corps de la requête est trop volumineux
problem-payload-too-large-detail = Envoyez au plus { $kib } Kio.
problem-method-not-allowed-title = Méthode non autorisée
problem-method-not-allowed-detail = Cette adresse n'accepte pas cette méthode.
problem-unsupported-media-type-title = Envoyez du JSON
problem-unsupported-media-type-detail = Le corps doit être du JSON avec Content-Type: application/json.
problem-unauthenticated-title = Connectez-vous d'abord
problem-unauthenticated-detail = Merci de vous connecter pour continuer.
problem-invalid-credentials-title = E-mail ou mot de passe incorrect
problem-invalid-credentials-detail = L'e-mail ou le mot de passe est incorrect.
problem-account-locked-title = Trop de connexions échouées
problem-account-locked-detail =
    Ce compte est verrouillé pendant { $seconds ->
        [one] { $seconds } seconde
       *[other] { $seconds } secondes
    } après plusieurs tentatives de connexion échouées.
problem-rate-limited-title = Trop de requêtes
problem-rate-limited-detail =
    Merci de ralentir et de réessayer dans { $seconds ->
        [one] { $seconds } seconde
       *[other] { $seconds } secondes
    }.
problem-totp-required-title = Code à deux facteurs requis
problem-totp-required-detail = Ce compte utilise l'authentification à deux facteurs : saisissez le code de votre application d'authentification ou un code de récupération.
problem-totp-invalid-title = Code incorrect
problem-totp-invalid-detail = Le code est incorrect, trop ancien ou déjà utilisé. Attendez le code suivant.
problem-recovery-code-invalid-title = Code de récupération incorrect
problem-recovery-code-invalid-detail = Ce code de récupération est incorrect ou a déjà été utilisé.
problem-session-required-title = Connectez-vous avec votre compte
problem-session-required-detail = Les jetons d'API agissent pour un seul cabinet ; les réglages du compte demandent une session connectée.
problem-forbidden-title = Non autorisé
problem-forbidden-detail = Votre rôle ne permet pas cette action.
problem-csrf-token-missing-title = Jeton CSRF manquant
problem-csrf-token-missing-detail = Envoyez le jeton CSRF de la session dans l'en-tête X-CSRF-Token.
problem-contact-unverified-title = Confirmez d'abord votre téléphone ou votre e-mail
problem-contact-unverified-detail = Ce cabinet vérifie le téléphone ou l'e-mail des patients. Demandez un code, saisissez-le, puis réservez à nouveau.
problem-link-expired-title = Ce lien a expiré
problem-link-expired-detail = Le rendez-vous est passé. Merci de contacter le cabinet.
problem-two-factor-already-on-title = L'authentification à deux facteurs est déjà activée
problem-two-factor-already-on-detail = Désactivez-la d'abord pour configurer une nouvelle application d'authentification.
problem-no-enrolment-title = Rien à confirmer
problem-no-enrolment-detail = Recommencez la configuration de l'authentification à deux facteurs.
problem-not-ready-title = Pas prêt
problem-not-ready-detail = Le serveur démarre ou ne peut pas joindre sa base de données.
problem-degraded-title = Service dégradé
problem-degraded-detail = Le serveur fonctionne avec un service réduit.
problem-not-a-member-title = Vous ne faites pas partie de ce cabinet
problem-not-a-member-detail = Vous ne travaillez pas dans ce cabinet.
problem-wrong-clinic-title = Jeton d'un autre cabinet
problem-wrong-clinic-detail = Ce jeton d'API appartient à un autre cabinet.
problem-two-factor-required-title = Authentification à deux facteurs requise
problem-two-factor-required-detail = Ce cabinet demande au personnel d'utiliser l'authentification à deux facteurs ; activez-la dans les réglages de votre compte.
problem-busy-title = Serveur occupé
problem-busy-detail = Le serveur a plus de modifications en attente qu'il ne peut en prendre. Rien n'a été modifié ; réessayez dans un instant.
problem-outcome-unknown-title = Résultat inconnu
problem-outcome-unknown-detail = La confirmation a pris trop de temps : la modification a peut-être été faite, peut-être pas. Réessayer avec la même Idempotency-Key est sans risque.
problem-too-many-slots-title = Trop de créneaux pour une seule réponse
problem-too-many-slots-detail = Demandez moins de jours, ou un praticien à la fois.
problem-hold-not-yours-title = Cette réservation provisoire n'est pas la vôtre
problem-hold-not-yours-detail = Seule la personne qui l'a posée peut la confirmer ou la libérer.
problem-too-many-holds-title = Vous bloquez trop de créneaux
problem-too-many-holds-detail = Confirmez ou libérez un des créneaux que vous bloquez avant d'en bloquer un autre.
problem-clinic-holds-full-title = Trop de créneaux bloqués
problem-clinic-holds-full-detail = Cet établissement a trop de créneaux bloqués en ce moment ; réessayez dans quelques minutes.
problem-wrong-account-title = Connecté avec un autre compte
problem-wrong-account-detail = Cette invitation est destinée à un autre compte ; connectez-vous en tant que personne invitée.
problem-queue-empty-title = Personne n'attend
problem-queue-empty-detail = Personne n'attend dans cette file pour le moment.
problem-ticket-state-title = Le ticket ne permet pas cette action maintenant
problem-ticket-state-detail = L'état de ce ticket ne permet pas cette action ; rechargez la file et réessayez.
problem-already-checked-in-title = Déjà enregistré
problem-already-checked-in-detail = Ce rendez-vous est déjà enregistré ; son ticket est dans la file.

## Why a value was refused (errors[].detail of a 422 naming the field), by reason code.
invalid-name = Indiquez le nom du patient (1 à { $max } caractères).
invalid-contact-missing = Indiquez un numéro de téléphone ou une adresse e-mail.
invalid-phone = Ce n'est pas un numéro de téléphone attribué (par ex. +212 612 345 678).
invalid-phone-international = Écrivez le numéro avec son indicatif pays, par ex. +212 612 345 678.
invalid-email = Cela ne ressemble pas à une adresse e-mail.
invalid-language = Utilisez l'une des langues en, fa, ar, fr, ru, tr (une étiquette comme fr-MA compte comme fr).
invalid-country = Utilisez un code pays ISO 3166-1 à deux lettres, comme MA ou IR.
problem-queue-full-title = La file est pleine
problem-queue-full-detail = Autant de patients attendent déjà que la file en accepte par lien ; veuillez vous présenter à l'accueil.
problem-queue-closed-title = La file ne prend pas de patients
problem-queue-closed-detail = Cette file est fermée pour aujourd'hui ou n'accepte pas d'inscription par lien ; adressez-vous à l'accueil.
problem-not-acceptable-title = Seul le JSON est servi
problem-not-acceptable-detail = Ce serveur ne répond qu'en application/fhir+json ou application/json.
problem-forms-required-title = Formulaires à remplir d'abord
problem-forms-required-detail = La clinique demande certains formulaires avant l'enregistrement de l'arrivée ; le patient peut les remplir depuis le lien de son rendez-vous ou à l'accueil.
