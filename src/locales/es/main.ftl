# undersigned: the public pages and mails, in Spanish. Every file in
# src/locales has exactly the messages of the English reference (a unit
# test checks). Variables: $title, $name, $count (a number, for plurals)
# with $shown (the same number formatted), $date, $duration, $url.

## The frame of every page
site-name = Undersigned
skip-to-content = Saltar al contenido
language-menu = Idioma
footer-promise = Cada firma se confirma por correo electrónico y se cuenta una sola vez. Su dirección de correo electrónico nunca se muestra ni se comparte.

## Counts
signature-count = { $count ->
    [one] { $shown } firma
   *[other] { $shown } firmas
}
count-with-goal = { $count ->
    [one] { $shown } firma de un objetivo de { $goal }
   *[other] { $shown } firmas de un objetivo de { $goal }
}
goal-progress = { $percent } % del objetivo
addressed-to = Destinatario: { $addressee }

## The list of petitions
petitions-title = Peticiones
no-open-petitions = En este momento no hay peticiones abiertas.
closed-petitions = Peticiones cerradas

## A petition and its sign form
text-changed = El texto de esta petición se modificó el { $date } (UTC).
text-in-other-language = Esta petición aún no está disponible en su idioma; se muestra en su idioma original.
sign-heading = Firme esta petición
error-summary-heading = Por favor, corrija lo siguiente
field-name = Nombre completo
field-email = Correo electrónico
field-email-hint = Le enviaremos un enlace para confirmar su firma. Su dirección no se muestra en ningún lugar.
field-country = País
field-country-choose = Elija su país
field-postcode = Código postal
field-optional = (opcional)
field-keep-informed = Deseo recibir información sobre esta campaña por correo electrónico
field-honeypot = Deje este campo vacío
sign-button = Firmar
petition-closed = Esta petición está cerrada y ya no admite firmas.
open-until = Abierta a firmas hasta el { $date } (UTC).

## Field errors
error-name-empty = Escriba su nombre
error-name-too-long = El nombre no puede tener más de 100 caracteres
error-name-control = El nombre no puede contener caracteres de control ni saltos de línea
error-name-link = El nombre no puede contener una dirección web ni de correo electrónico
error-name-formula = El nombre no puede empezar por =, +, - o @
error-email-empty = Escriba su dirección de correo electrónico
error-email-too-long = La dirección de correo electrónico no puede tener más de 254 caracteres
error-email-invalid = Escriba una dirección de correo electrónico válida, como nombre@example.com
error-email-disposable = Las direcciones de { $domain } son direcciones desechables, que no podemos aceptar: utilice una dirección que siga teniendo el mes que viene
error-country-empty = Elija su país
error-country-unknown = Elija un país de la lista
error-receipt-empty = Introduzca su recibo
error-receipt-malformed = Un recibo tiene 43 letras, cifras, «-» y «_», tal como se mostró
error-postcode-too-long = El código postal no puede tener más de 16 caracteres
error-postcode-invalid = El código postal solo puede contener letras, números, espacios y guiones

## After signing
check-email-title = Revise su correo electrónico
check-email-sent = Gracias. Hemos enviado un mensaje a la dirección que nos indicó.
check-email-counts-once = Su firma solo se contabilizará cuando abra el enlace que contiene y pulse «Confirmar mi firma».
check-email-valid-for = El enlace es válido durante { $duration }.
check-email-spam = Si no recibe nada en unos minutos, revise su carpeta de correo no deseado.
check-email-sign-again = ¿Sigue sin recibir nada? Vuelva a firmar con la misma dirección y le enviaremos un nuevo enlace.
sign-again-link = Volver a firmar
back-to-petition = Volver a «{ $title }»
held-title = Su firma está pendiente de revisión
held-explained = Gracias. Hemos guardado su firma, pero la hemos retenido por un momento: en poco tiempo nos ha llegado un número inusual de firmas desde su red, o el formulario se envió más rápido de lo que se suele tardar en rellenarlo. Así garantizamos que el recuento sea fiable.
held-review = Los organizadores la revisarán. En cuanto la aprueben, le enviaremos un correo electrónico con un enlace para confirmar su firma.
held-sign-again = También puede volver a firmar dentro de unos minutos con la misma dirección: si la situación se ha normalizado, le enviaremos el correo de confirmación de inmediato.

## Confirming and withdrawing (the pages behind the emailed links)
confirm-title = Confirme su firma
confirm-about = Está a punto de confirmar su firma en:
confirm-name = Nombre
confirm-country = País
confirm-postcode = Código postal
confirm-language = Idioma
confirm-keep-informed = Noticias de la campaña por correo electrónico
confirm-yes = Sí
confirm-no = No
confirm-changed = Estos datos cambiaron después de que se enviara este enlace o se mostrara esta página, así que no se ha confirmado nada. A continuación figuran los datos tal como están ahora.
confirm-wrong-details = Si estos datos no son correctos, vuelva a firmar con la misma dirección de correo electrónico y los datos correctos.
confirm-button = Confirmar mi firma
confirm-not-you = ¿No ha firmado usted? En ese caso, elimine estos datos.
remove-details-link = Eliminar estos datos
already-confirmed-title = Su firma ya está confirmada
already-confirmed-text = Ha firmado esta petición y su firma se ha contabilizado. No tiene que hacer nada más.
thanks-title = Gracias, su firma está confirmada
thanks-text = Su firma ya se ha contabilizado.
share-petition = Por favor, comparta la petición:
changed-mind = ¿Ha cambiado de opinión?
withdraw-link = Retirar su firma
link-expired-title = Este enlace ha caducado
link-expired-text = Los enlaces de confirmación son válidos durante un tiempo limitado, y este es demasiado antiguo. Su firma aún no se ha contabilizado.
link-expired-sign-again = Vuelva a firmar con la misma dirección de correo electrónico y le enviaremos un enlace nuevo.
link-broken-title = Este enlace no funciona
link-broken-text = Puede que esté incompleto (compruebe que lo ha copiado entero) o que la firma a la que correspondía se haya retirado.
link-broken-find = Puede buscar la petición y volver a firmar: le enviaremos un nuevo enlace.
find-petition-link = Buscar la petición
withdraw-title = Retirar su firma
withdraw-text = Esta acción retira su firma de la petición que figura a continuación y borra su nombre, su dirección de correo electrónico y su código postal. No se puede deshacer, pero podrá volver a firmar más adelante.
withdraw-button = Retirar mi firma
withdraw-keep = Mantener mi firma y volver a la petición
withdrawn-title = Su firma se ha retirado
withdrawn-text = Ya no se contabiliza, y su nombre, su dirección de correo electrónico y su código postal se han borrado.

## Error pages
error-not-found-title = Página no encontrada
error-not-found-text = No hay nada en esta dirección.
error-unavailable-title = Vuelva a intentarlo en breve
error-unavailable-text = El servicio está saturado o en mantenimiento. Vuelva a intentarlo dentro de un momento.
error-internal-title = Se ha producido un error
error-internal-text = Se ha producido un error por nuestra parte. Ha quedado registrado; vuelva a intentarlo más tarde.
error-bad-request-title = No se ha podido entender su solicitud
error-bad-request-text = La página no ha podido leer lo que se envió. Vuelva atrás, revise el formulario e inténtelo de nuevo.
error-gone-title = Ya no está disponible
error-refused-title = Se ha rechazado esta solicitud
error-conflict-title = No es posible hacerlo en este momento
error-home-link = Ir a la lista de peticiones

## The embeddable form and the badge
embed-sign-on-site = Abrir la petición en su propia página
badge-label = { $count ->
    [one] firma
   *[other] firmas
}

## Durations
duration-days = { $n ->
    [one] { $n } día
   *[other] { $n } días
}
duration-hours = { $n ->
    [one] { $n } hora
   *[other] { $n } horas
}
duration-minutes = { $n ->
    [one] { $n } minuto
   *[other] { $n } minutos
}
duration-seconds = { $n ->
    [one] { $n } segundo
   *[other] { $n } segundos
}

## Mails
mail-confirm-subject = Confirme su firma: { $title }
mail-already-subject = Ya ha firmado: { $title }
mail-greeting = Estimado/a { $name }:
mail-confirm-thanks = Gracias por firmar la petición «{ $title }».
mail-confirm-counts-once = Su firma solo se contabilizará cuando la confirme.
mail-confirm-open-link = Abra este enlace y pulse «Confirmar mi firma»:
mail-confirm-button = Confirmar mi firma
mail-confirm-copy = O copie esta dirección en su navegador:
mail-confirm-valid-for = El enlace es válido durante { $duration }. Si ha caducado, vuelva a firmar y le enviaremos uno nuevo:
mail-not-you = Si usted no ha firmado, ignore este correo: nada se contabiliza sin confirmación. Para eliminar sus datos ahora, abra:
mail-already-text = Alguien (probablemente usted) acaba de intentar firmar la petición «{ $title }» con esta dirección. Usted ya la había firmado y su firma se ha contabilizado: no tiene que hacer nada más.
mail-already-withdraw = Si desea retirar su firma, abra:
mail-why = Ha recibido este correo porque alguien firmó con esta dirección en { $url }

receipt-title = Su recibo (opcional)
receipt-proves = Este código prueba que su firma está contada en el registro público de la petición, que cualquiera puede comprobar: nadie salvo usted puede vincularlo a usted.
receipt-once = Es la única copia: no se guarda y no volverá a mostrarse.
receipt-warning = Quien lo vea sabrá que usted firmó. Guardarlo es opcional; si lo guarda, hágalo en un lugar privado.
receipt-check-link = Comprobar un recibo

## The public log on the petition page
log-last-checkpoint = Registro público de firmas: último punto de control { $ago }.
log-no-checkpoint = Registro público de firmas: aún no hay punto de control.
log-checkpoint-link = Último punto de control
ago-seconds = { $n ->
    [one] hace { $n } segundo
   *[other] hace { $n } segundos
}
ago-minutes = { $n ->
    [one] hace { $n } minuto
   *[other] hace { $n } minutos
}
ago-hours = { $n ->
    [one] hace { $n } hora
   *[other] hace { $n } horas
}
ago-days = { $n ->
    [one] hace { $n } día
   *[other] hace { $n } días
}

## Checking a receipt
verify-title = Comprobar un recibo
verify-intro = Cuando confirmó su firma, la página de agradecimiento le mostró un recibo: un código de 43 letras, cifras, «-» y «_». Introdúzcalo aquí para encontrar su firma en el registro público de la petición.
verify-proves = Si se encuentra, verá la entrada en que se convirtió su firma y la prueba de que esa entrada forma parte del último punto de control firmado del registro. Un punto de control fija todas las entradas anteriores: a partir de entonces, ninguna entrada puede eliminarse ni modificarse sin que lo note quien haya guardado un punto de control. La entrada no contiene nombre, dirección de correo electrónico ni código postal: solo el país, el día y un código con el que solo su recibo coincide.
verify-private = Su recibo se envía a este servidor para buscarlo; no se guarda ni se registra. Para comprobarlo sin enviarlo a nadie, use la línea de órdenes de abajo.
field-receipt = Su recibo
field-receipt-hint = Tal como se mostró en la página de agradecimiento: 43 letras, cifras, «-» y «_».
verify-button = Comprobar
verify-another = Comprobar otro recibo
verify-found-title = Su firma está en el registro
verify-entry-heading = Su entrada
verify-entry-index = Número de entrada (contando desde 0)
verify-entry-kind = Tipo
verify-kind-confirmed = Una firma confirmada
verify-entry-country = País
verify-entry-day = Confirmada el (UTC)
verify-counted = Cuenta: ninguna retirada la anula.
verify-withdrawn = Fue retirada: la entrada { $index } la anula, así que ya no cuenta.
verify-checkpoint-heading = El punto de control que la incluye
verify-checkpoint-size = Entradas del registro
verify-checkpoint-root = Hash raíz
verify-checkpoint-note = El punto de control firmado
verify-proof-heading = La prueba de inclusión
verify-proof-explained = Calcular el hash de su entrada y combinar el resultado con cada uno de estos hashes por turno (RFC 9162) da el hash raíz del punto de control.
verify-proof-none = No hace falta ningún hash: su entrada es la única del registro.
verify-server-checked = Este servidor comprobó la prueba frente al punto de control firmado: se cumple.
verify-server-failed = La comprobación de la prueba por este mismo servidor falló ({ $problem }). El registro no está como debería: avise a los organizadores.
verify-queued-title = Su firma está confirmada y a punto de entrar en el registro
verify-queued-text = Está esperando a ser añadida: el registro recoge las confirmaciones unos segundos después de que se producen. Su último punto de control tiene { $size } entradas. Vuelva a intentarlo dentro de un minuto.
verify-not-found-title = Este recibo no está en el registro
verify-not-found-text = Ninguna entrada del registro de esta petición lo lleva, según su último punto de control ({ $size } entradas).
verify-not-found-why = El registro recoge las confirmaciones unos segundos después de que se producen: si acaba de confirmar, vuelva a intentarlo dentro de un minuto. Si no, compruebe que introdujo el recibo exactamente como se mostró, en la petición que firmó.
verify-yourself-heading = Comprobar sin confiar en este servidor
verify-yourself-text = La línea de órdenes undersigned lee los archivos publicados del registro, comprueba la firma del punto de control con la clave de la campaña, encuentra su entrada entre todas (así el servidor no sabe cuál busca) y comprueba su prueba. El «-» hace que le pida el recibo, que así queda fuera del historial de su terminal:
verify-yourself-key = Compare esta clave con la que la campaña publica en otro lugar: comprobado con una clave tomada solo de esta página, el registro solo muestra que es coherente consigo mismo.
