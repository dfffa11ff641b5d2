# undersigned: the public pages and mails, in French. Every file in
# src/locales has exactly the messages of the English reference (a unit
# test checks). Variables: $title, $name, $count (a number, for plurals)
# with $shown (the same number formatted), $date, $duration, $url.
# French typography: U+00A0 before : ; ? ! % and inside « ».

## The frame of every page
site-name = Undersigned
skip-to-content = Aller au contenu
language-menu = Langue
footer-promise = Chaque signature est confirmée par courriel et comptée une seule fois. Votre adresse électronique n’est jamais affichée ni communiquée.

## Counts
signature-count = { $count ->
    [one] { $shown } signature
   *[other] { $shown } signatures
}
count-with-goal = { $count ->
    [one] { $shown } signature sur un objectif de { $goal }
   *[other] { $shown } signatures sur un objectif de { $goal }
}
goal-progress = { $percent } % de l’objectif
addressed-to = Destinataire : { $addressee }

## The list of petitions
petitions-title = Pétitions
no-open-petitions = Aucune pétition n’est ouverte pour le moment.
closed-petitions = Pétitions closes

## A petition and its sign form
text-changed = Le texte de cette pétition a été modifié le { $date } (UTC).
text-in-other-language = Cette pétition n’est pas encore disponible dans votre langue ; elle est affichée dans sa langue d’origine.
sign-heading = Signer cette pétition
error-summary-heading = Veuillez corriger les points suivants
field-name = Nom complet
field-email = Adresse électronique
field-email-hint = Nous vous enverrons un lien pour confirmer votre signature. Votre adresse n’est affichée nulle part.
field-country = Pays
field-country-choose = Choisissez votre pays
field-postcode = Code postal
field-optional = (facultatif)
field-keep-informed = Me tenir informé(e) de cette campagne par courriel
field-honeypot = Laissez ce champ vide
sign-button = Signer
petition-closed = Cette pétition est close et n’accepte plus de signatures.
open-until = Ouverte aux signatures jusqu’au { $date } inclus (UTC).

## Field errors
error-name-empty = Indiquez votre nom
error-name-too-long = Le nom ne doit pas dépasser 100 caractères
error-name-control = Le nom ne doit contenir ni caractères de contrôle ni sauts de ligne
error-name-link = Le nom ne doit contenir ni adresse web ni adresse électronique
error-name-formula = Le nom ne doit pas commencer par =, +, - ou @
error-email-empty = Indiquez votre adresse électronique
error-email-too-long = L’adresse électronique ne doit pas dépasser 254 caractères
error-email-invalid = Indiquez une adresse électronique valide, par exemple nom@example.com
error-email-disposable = Les adresses du domaine { $domain } sont des adresses jetables, que nous ne pouvons pas accepter : veuillez utiliser une adresse que vous aurez encore le mois prochain
error-country-empty = Choisissez votre pays
error-country-unknown = Choisissez un pays dans la liste
error-receipt-empty = Saisissez votre reçu
error-receipt-malformed = Un reçu compte 43 lettres, chiffres, « - » et « _ », tel qu’il a été affiché
error-postcode-too-long = Le code postal ne doit pas dépasser 16 caractères
error-postcode-invalid = Le code postal ne peut contenir que des lettres, des chiffres, des espaces et des tirets

## After signing
check-email-title = Consultez votre messagerie
check-email-sent = Merci. Nous avons envoyé un message à l’adresse que vous avez indiquée.
check-email-counts-once = Votre signature ne sera comptée qu’une fois que vous aurez ouvert le lien qu’il contient et cliqué sur « Confirmer ma signature ».
check-email-valid-for = Le lien est valable pendant { $duration }.
check-email-spam = Si rien n’arrive d’ici quelques minutes, vérifiez votre dossier de courrier indésirable.
check-email-sign-again = Toujours rien ? Signez à nouveau avec la même adresse et nous vous enverrons un nouveau lien.
sign-again-link = Signer à nouveau
back-to-petition = Retour à « { $title } »
held-title = Votre signature est en attente de vérification
held-explained = Merci. Nous avons bien enregistré votre signature, mais nous la mettons en attente pour un moment : un nombre inhabituel de signatures nous est parvenu de votre réseau en peu de temps, ou le formulaire a été renvoyé plus vite qu’on ne le remplit habituellement. C’est ainsi que nous garantissons un décompte honnête.
held-review = Les organisateurs vont l’examiner. Dès qu’ils l’auront validée, nous vous enverrons un courriel avec un lien pour confirmer votre signature.
held-sign-again = Vous pouvez aussi signer à nouveau dans quelques minutes avec la même adresse : si la situation s’est calmée, nous vous enverrons immédiatement le courriel de confirmation.

## Confirming and withdrawing (the pages behind the emailed links)
confirm-title = Confirmez votre signature
confirm-about = Vous êtes sur le point de confirmer votre signature de la pétition :
confirm-name = Nom
confirm-country = Pays
confirm-postcode = Code postal
confirm-language = Langue
confirm-keep-informed = Nouvelles de la campagne par e-mail
confirm-yes = Oui
confirm-no = Non
confirm-changed = Ces informations ont changé après l’envoi de ce lien ou l’affichage de cette page ; rien n’a donc été confirmé. Voici les informations telles qu’elles sont maintenant.
confirm-wrong-details = Si ces informations sont inexactes, signez à nouveau avec la même adresse électronique et les informations correctes.
confirm-button = Confirmer ma signature
confirm-not-you = Vous n’avez pas signé ? Supprimez plutôt ces informations.
remove-details-link = Supprimer ces informations
already-confirmed-title = Votre signature est déjà confirmée
already-confirmed-text = Vous avez signé cette pétition et votre signature est comptabilisée. Vous n’avez rien d’autre à faire.
thanks-title = Merci, votre signature est confirmée
thanks-text = Votre signature est désormais comptabilisée.
share-petition = Merci de partager la pétition :
changed-mind = Vous avez changé d’avis ?
withdraw-link = Retirer votre signature
link-expired-title = Ce lien a expiré
link-expired-text = Les liens de confirmation ne sont valables que pendant une durée limitée, et celui-ci est trop ancien. Votre signature n’a pas encore été comptabilisée.
link-expired-sign-again = Signez à nouveau avec la même adresse électronique et nous vous enverrons un nouveau lien.
link-broken-title = Ce lien ne fonctionne pas
link-broken-text = Il est peut-être incomplet (vérifiez que vous l’avez copié en entier), ou la signature à laquelle il correspondait a été retirée.
link-broken-find = Vous pouvez retrouver la pétition et signer à nouveau : nous vous enverrons un nouveau lien.
find-petition-link = Trouver la pétition
withdraw-title = Retirer votre signature
withdraw-text = Cette action retire votre signature de la pétition ci-dessous et efface votre nom, votre adresse électronique et votre code postal. Elle est irréversible, mais vous pourrez signer à nouveau plus tard.
withdraw-button = Retirer ma signature
withdraw-keep = Conserver ma signature et revenir à la pétition
withdrawn-title = Votre signature a été retirée
withdrawn-text = Elle n’est plus comptabilisée, et votre nom, votre adresse électronique et votre code postal ont été effacés.

## Error pages
error-not-found-title = Page introuvable
error-not-found-text = Il n’y a rien à cette adresse.
error-unavailable-title = Veuillez réessayer dans un instant
error-unavailable-text = Le service est surchargé ou en maintenance. Veuillez réessayer dans un moment.
error-internal-title = Une erreur s’est produite
error-internal-text = Une erreur s’est produite de notre côté. Elle a été enregistrée ; veuillez réessayer plus tard.
error-bad-request-title = Votre demande n’a pas pu être comprise
error-bad-request-text = La page n’a pas pu lire ce qui a été envoyé. Veuillez revenir en arrière, vérifier le formulaire et réessayer.
error-gone-title = Ce contenu n’est plus disponible
error-refused-title = Cette demande a été refusée
error-conflict-title = Cette action est impossible pour le moment
error-home-link = Aller à la liste des pétitions

## The embeddable form and the badge
embed-sign-on-site = Ouvrir la pétition sur sa propre page
badge-label = { $count ->
    [one] signature
   *[other] signatures
}

## Durations
duration-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
}
duration-hours = { $n ->
    [one] { $n } heure
   *[other] { $n } heures
}
duration-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
duration-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } secondes
}

## Mails
mail-confirm-subject = Veuillez confirmer votre signature : { $title }
mail-already-subject = Vous avez déjà signé : { $title }
mail-greeting = Bonjour { $name },
mail-confirm-thanks = Merci d’avoir signé la pétition « { $title } ».
mail-confirm-counts-once = Votre signature ne sera comptabilisée qu’une fois confirmée.
mail-confirm-open-link = Ouvrez ce lien et cliquez sur « Confirmer ma signature » :
mail-confirm-button = Confirmer ma signature
mail-confirm-copy = Ou copiez cette adresse dans votre navigateur :
mail-confirm-valid-for = Le lien est valable pendant { $duration }. S’il a expiré, signez à nouveau et nous vous en enverrons un nouveau :
mail-not-you = Si vous n’avez pas signé, ignorez ce courriel : rien n’est comptabilisé sans confirmation. Pour supprimer vos informations dès maintenant, ouvrez :
mail-already-text = Quelqu’un (probablement vous) vient d’essayer de signer la pétition « { $title } » avec cette adresse. Vous l’avez déjà signée et votre signature est comptabilisée : vous n’avez rien d’autre à faire.
mail-already-withdraw = Si vous souhaitez retirer votre signature, ouvrez :
mail-why = Ce courriel vous a été envoyé parce que quelqu’un a signé avec cette adresse sur { $url }

receipt-title = Votre reçu (facultatif)
receipt-proves = Ce code prouve que votre signature est comptée dans le registre public de la pétition, que chacun peut vérifier : personne d’autre que vous ne peut le relier à vous.
receipt-once = C’est la seule copie : il n’est pas conservé et ne sera plus affiché.
receipt-warning = Toute personne à qui vous le montrez apprend que vous avez signé. Le garder est facultatif ; si vous le gardez, gardez-le en lieu sûr.
receipt-check-link = Vérifier un reçu

## The public log on the petition page
log-last-checkpoint = Registre public des signatures : dernier point de contrôle { $ago }.
log-no-checkpoint = Registre public des signatures : pas encore de point de contrôle.
log-checkpoint-link = Dernier point de contrôle
ago-seconds = { $n ->
    [one] il y a { $n } seconde
   *[other] il y a { $n } secondes
}
ago-minutes = { $n ->
    [one] il y a { $n } minute
   *[other] il y a { $n } minutes
}
ago-hours = { $n ->
    [one] il y a { $n } heure
   *[other] il y a { $n } heures
}
ago-days = { $n ->
    [one] il y a { $n } jour
   *[other] il y a { $n } jours
}

## Checking a receipt
verify-title = Vérifier un reçu
verify-intro = Lorsque vous avez confirmé votre signature, la page de remerciement vous a montré un reçu : un code de 43 lettres, chiffres, « - » et « _ ». Saisissez-le ici pour retrouver votre signature dans le registre public de la pétition.
verify-proves = S’il est trouvé, vous voyez l’entrée qu’est devenue votre signature et la preuve que cette entrée fait partie du dernier point de contrôle signé du registre. Un point de contrôle fixe toutes les entrées qui le précèdent : ensuite, aucune entrée ne peut être supprimée ni modifiée sans que cela se voie pour quiconque a gardé un point de contrôle. L’entrée ne contient ni nom, ni adresse électronique, ni code postal : seulement le pays, le jour et un code auquel seul votre reçu correspond.
verify-private = Votre reçu est envoyé à ce serveur pour y être recherché ; il n’est ni conservé ni journalisé. Pour vérifier sans l’envoyer à personne, utilisez la ligne de commande ci-dessous.
field-receipt = Votre reçu
field-receipt-hint = Tel qu’il a été affiché sur la page de remerciement : 43 lettres, chiffres, « - » et « _ ».
verify-button = Vérifier
verify-another = Vérifier un autre reçu
verify-found-title = Votre signature est dans le registre
verify-entry-heading = Votre entrée
verify-entry-index = Numéro de l’entrée (à partir de 0)
verify-entry-kind = Nature
verify-kind-confirmed = Une signature confirmée
verify-entry-country = Pays
verify-entry-day = Confirmée le (UTC)
verify-counted = Elle compte : aucun retrait ne l’annule.
verify-withdrawn = Elle a été retirée : l’entrée { $index } l’annule, elle ne compte donc plus.
verify-checkpoint-heading = Le point de contrôle qui l’inclut
verify-checkpoint-size = Entrées du registre
verify-checkpoint-root = Hachage racine
verify-checkpoint-note = Le point de contrôle signé
verify-proof-heading = La preuve d’inclusion
verify-proof-explained = Hacher votre entrée, puis combiner le résultat avec chacun de ces hachages tour à tour (RFC 9162), donne le hachage racine du point de contrôle.
verify-proof-none = Aucun hachage n’est nécessaire : votre entrée est la seule du registre.
verify-server-checked = Ce serveur a vérifié la preuve par rapport au point de contrôle signé : elle tient.
verify-server-failed = La vérification de la preuve par ce serveur lui-même a échoué ({ $problem }). Le registre n’est pas ce qu’il devrait être : merci de prévenir les organisateurs.
verify-queued-title = Votre signature est confirmée et va entrer dans le registre
verify-queued-text = Elle attend d’y être ajoutée : le registre reçoit les confirmations quelques secondes après qu’elles ont eu lieu. Son dernier point de contrôle compte { $size } entrées. Veuillez réessayer dans une minute.
verify-not-found-title = Ce reçu n’est pas dans le registre
verify-not-found-text = Aucune entrée du registre de cette pétition ne le porte, à son dernier point de contrôle ({ $size } entrées).
verify-not-found-why = Le registre reçoit les confirmations quelques secondes après qu’elles ont eu lieu : si vous venez de confirmer, réessayez dans une minute. Sinon, vérifiez que vous avez saisi le reçu exactement comme il a été affiché, sur la pétition que vous avez signée.
verify-yourself-heading = Vérifier sans faire confiance à ce serveur
verify-yourself-text = La ligne de commande undersigned lit les fichiers publiés du registre, vérifie la signature du point de contrôle avec la clé de la campagne, retrouve votre entrée parmi toutes (le serveur n’apprend donc pas laquelle vous cherchez) et vérifie sa preuve. Le « - » lui fait demander votre reçu, qui reste ainsi hors de l’historique de votre terminal :
verify-yourself-key = Comparez cette clé avec celle que la campagne publie ailleurs : vérifié avec une clé prise sur cette seule page, le registre montre seulement qu’il est cohérent avec lui-même.
