# undersigned: the public pages and mails, in English (the reference
# language). Every other file in src/locales has exactly these messages
# (a unit test checks). Variables: $title, $name, $count (a number, for
# plurals) with $shown (the same number formatted), $date, $duration, $url.

## The frame of every page
site-name = Undersigned
skip-to-content = Skip to content
language-menu = Language
footer-promise = Each signature is confirmed by email and counted once. Your email address is never shown or shared.

## Counts
signature-count = { $count ->
    [one] { $shown } signature
   *[other] { $shown } signatures
}
count-with-goal = { $count ->
    [one] { $shown } signature of a goal of { $goal }
   *[other] { $shown } signatures of a goal of { $goal }
}
goal-progress = { $percent }% of the goal
addressed-to = To: { $addressee }

## The list of petitions
petitions-title = Petitions
no-open-petitions = There are no open petitions at the moment.
closed-petitions = Closed petitions

## A petition and its sign form
text-changed = The text of this petition was changed on { $date } (UTC).
text-in-other-language = This petition is not yet available in your language; it is shown in its original language.
sign-heading = Sign this petition
error-summary-heading = Please correct the following
field-name = Full name
field-email = Email address
field-email-hint = We send you a link to confirm your signature. Your address is not shown anywhere.
field-country = Country
field-country-choose = Choose your country
field-postcode = Postcode
field-optional = (optional)
field-keep-informed = Keep me informed about this campaign by email
field-honeypot = Leave this field empty
sign-button = Sign
petition-closed = This petition is closed and no longer takes signatures.
open-until = Open for signatures until { $date } (UTC).

## Field errors
error-name-empty = Enter your name
error-name-too-long = Name must be 100 characters or fewer
error-name-control = Name must not contain control characters or line breaks
error-name-link = Name must not contain a web or email address
error-name-formula = Name must not start with =, +, - or @
error-email-empty = Enter your email address
error-email-too-long = Email address must be 254 characters or fewer
error-email-invalid = Enter a valid email address, like name@example.com
error-email-disposable = Addresses at { $domain } are temporary (disposable), so the signature could not be confirmed for long. Please use an address you keep.
error-country-empty = Choose your country
error-country-unknown = Choose a country from the list
error-receipt-empty = Enter your receipt
error-receipt-malformed = A receipt is 43 letters, digits, '-' and '_', as it was shown
error-postcode-too-long = Postcode must be 16 characters or fewer
error-postcode-invalid = Postcode can only contain letters, numbers, spaces and hyphens

## After signing
check-email-title = Check your email
check-email-sent = Thank you. We have sent a message to the address you gave.
check-email-counts-once = Your signature counts only once you open the link in it and press "Confirm my signature".
check-email-valid-for = The link works for { $duration }.
check-email-spam = If nothing arrives within a few minutes, look in your spam or junk folder.
check-email-sign-again = Still nothing? Sign again with the same address and we will send a new link.
sign-again-link = Sign again
back-to-petition = Back to "{ $title }"
held-title = Your signature is held for review
held-explained = Thank you. We have kept your signature, but we are holding it back for a moment: an unusual number of signatures reached us from your network in a short time, or the form came back faster than people usually fill it in. This is how we keep the count honest.
held-review = The organisers will review it. Once they release it, we send you an email with a link to confirm your signature.
held-sign-again = You can also sign again in a few minutes with the same address: if things have calmed down, we send the confirmation email straight away.

## Confirming and withdrawing (the pages behind the emailed links)
confirm-title = Confirm your signature
confirm-about = You are about to confirm your signature on:
confirm-name = Name
confirm-country = Country
confirm-postcode = Postcode
confirm-language = Language
confirm-keep-informed = News of the campaign by email
confirm-yes = Yes
confirm-no = No
confirm-changed = These details changed after this link was emailed or this page was shown, so nothing was confirmed. Below are the details as they are now.
confirm-wrong-details = If these details are wrong, sign again with the same email address and the correct details.
confirm-button = Confirm my signature
confirm-not-you = Did not sign? Remove these details instead.
remove-details-link = Remove these details
already-confirmed-title = Your signature is already confirmed
already-confirmed-text = You have signed this petition and your signature is counted. There is nothing more to do.
thanks-title = Thank you, your signature is confirmed
thanks-text = Your signature is now counted.
share-petition = Please share the petition:
changed-mind = Changed your mind?
withdraw-link = Withdraw your signature
link-expired-title = This link has expired
link-expired-text = Confirmation links work for a limited time, and this one is too old. Your signature has not been counted yet.
link-expired-sign-again = Sign again with the same email address and we will send you a fresh link.
link-broken-title = This link does not work
link-broken-text = It may be incomplete (check that you copied all of it), or the signature it belonged to has been withdrawn.
link-broken-find = You can find the petition and sign again: we will send a new link.
find-petition-link = Find the petition
withdraw-title = Withdraw your signature
withdraw-text = This removes your signature from the petition below and erases your name, email address and postcode. It cannot be undone, but you may sign again later.
withdraw-button = Withdraw my signature
withdraw-keep = Keep my signature and go back to the petition
withdrawn-title = Your signature has been withdrawn
withdrawn-text = It is no longer counted, and your name, email address and postcode have been erased.

## Error pages
error-not-found-title = Page not found
error-not-found-text = There is nothing at this address.
error-unavailable-title = Please try again shortly
error-unavailable-text = The service is busy or under maintenance. Please try again in a moment.
error-internal-title = Something went wrong
error-internal-text = Something went wrong on our side. It has been logged; please try again later.
error-bad-request-title = Your request could not be understood
error-bad-request-text = The page could not read what was sent. Please go back, check the form and try again.
error-gone-title = No longer available
error-refused-title = This request was refused
error-conflict-title = This cannot be done now
error-home-link = Go to the list of petitions

## The embeddable form and the badge
embed-sign-on-site = Open the petition on its own page
badge-label = { $count ->
    [one] signature
   *[other] signatures
}

## Durations
duration-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
duration-hours = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
}
duration-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
duration-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}

## Mails
mail-confirm-subject = Please confirm your signature: { $title }
mail-already-subject = You have already signed: { $title }
mail-greeting = Dear { $name },
mail-confirm-thanks = Thank you for signing the petition "{ $title }".
mail-confirm-counts-once = Your signature counts only once you confirm it.
mail-confirm-open-link = Open this link and press "Confirm my signature":
mail-confirm-button = Confirm my signature
mail-confirm-copy = Or copy this address into your browser:
mail-confirm-valid-for = The link works for { $duration }. If it has expired, sign again and we will send you a new one:
mail-not-you = If you did not sign, ignore this mail: nothing is counted without confirmation. To remove your details now, open:
mail-already-text = Someone (probably you) just tried to sign the petition "{ $title }" with this address. You have already signed it and your signature is counted: there is nothing more to do.
mail-already-withdraw = If you want to take your signature back, open:
mail-why = This mail was sent because someone signed with this address at { $url }

receipt-title = Your receipt (optional)
receipt-proves = This code proves that your signature is counted in the petition's public log, which anyone can check: nobody but you can link it to you.
receipt-once = This is the only copy: it is not stored and will not be shown again.
receipt-warning = Anyone you show it to learns that you signed. Keeping it is optional; if you keep it, keep it somewhere private.
receipt-check-link = Check a receipt

## The public log on the petition page
log-last-checkpoint = Public log of signatures: last checkpoint { $ago }.
log-no-checkpoint = Public log of signatures: no checkpoint yet.
log-checkpoint-link = Latest checkpoint
ago-seconds = { $n ->
    [one] { $n } second ago
   *[other] { $n } seconds ago
}
ago-minutes = { $n ->
    [one] { $n } minute ago
   *[other] { $n } minutes ago
}
ago-hours = { $n ->
    [one] { $n } hour ago
   *[other] { $n } hours ago
}
ago-days = { $n ->
    [one] { $n } day ago
   *[other] { $n } days ago
}

## Checking a receipt
verify-title = Check a receipt
verify-intro = When you confirmed your signature, the thank-you page showed you a receipt: a code of 43 letters, digits, "-" and "_". Enter it here to find your signature in the petition's public log.
verify-proves = If it is found, you see the entry your signature became and the proof that this entry is part of the log's latest signed checkpoint. A checkpoint fixes every entry before it: after that, no entry can be removed or changed without it showing to anyone who kept a checkpoint. The entry holds no name, email address or postcode, only the country, the day and a code that only your receipt matches.
verify-private = Your receipt is sent to this server to be looked up; it is not stored or logged. To check without sending it to anyone, use the command line below.
field-receipt = Your receipt
field-receipt-hint = As it was shown on the thank-you page: 43 letters, digits, "-" and "_".
verify-button = Check
verify-another = Check another receipt
verify-found-title = Your signature is in the log
verify-entry-heading = Your entry
verify-entry-index = Entry number (counting from 0)
verify-entry-kind = Kind
verify-kind-confirmed = A confirmed signature
verify-entry-country = Country
verify-entry-day = Confirmed on (UTC)
verify-counted = It counts: no withdrawal cancels it.
verify-withdrawn = It was withdrawn: entry { $index } cancels it, so it no longer counts.
verify-checkpoint-heading = The checkpoint that includes it
verify-checkpoint-size = Entries in the log
verify-checkpoint-root = Root hash
verify-checkpoint-note = The signed checkpoint
verify-proof-heading = The inclusion proof
verify-proof-explained = Hashing your entry, then combining the result with each of these hashes in turn (RFC 9162), gives the checkpoint's root hash.
verify-proof-none = No hash is needed: your entry is the only one in the log.
verify-server-checked = This server checked the proof against the signed checkpoint: it holds.
verify-server-failed = This server's own check of the proof failed ({ $problem }). The log is not as it should be: please tell the organisers.
verify-queued-title = Your signature is confirmed and about to enter the log
verify-queued-text = It is waiting to be added: the log takes in confirmations a few seconds after they are made. Its latest checkpoint has { $size } entries. Please try again in a minute.
verify-not-found-title = This receipt is not in the log
verify-not-found-text = No entry of this petition's log carries it, as of its latest checkpoint ({ $size } entries).
verify-not-found-why = The log takes in confirmations a few seconds after they are made: if you confirmed just now, try again in a minute. Otherwise, check that you entered the receipt exactly as it was shown, on the petition you signed.
verify-yourself-heading = Check without trusting this server
verify-yourself-text = The undersigned command line reads the log's published files, checks the checkpoint's signature with the campaign's key, finds your entry among all of them (so the server does not learn which one you look for) and checks its proof. The "-" makes it ask for your receipt, so that it stays out of your shell's history:
verify-yourself-key = Compare this key with the one the campaign publishes elsewhere: checked with a key taken from this page alone, the log only shows that it agrees with itself.
