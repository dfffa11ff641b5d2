# undersigned: the public pages and mails, in Russian. Every file in
# src/locales has exactly the messages of the English reference (a unit
# test checks). Variables: $title, $name, $count (a number, for plurals)
# with $shown (the same number formatted), $date, $duration, $url.
# Durations are in the nominative case ("Срок действия ссылки — 3 дня").

## The frame of every page
site-name = Undersigned
skip-to-content = Перейти к содержанию
language-menu = Язык
footer-promise = Каждая подпись подтверждается по электронной почте и учитывается только один раз. Ваш адрес электронной почты никогда не публикуется и не передаётся третьим лицам.

## Counts
signature-count = { $count ->
    [one] { $shown } подпись
    [few] { $shown } подписи
    [many] { $shown } подписей
   *[other] { $shown } подписи
}
count-with-goal = { $count ->
    [one] { $shown } подпись (цель — { $goal })
    [few] { $shown } подписи (цель — { $goal })
    [many] { $shown } подписей (цель — { $goal })
   *[other] { $shown } подписи (цель — { $goal })
}
goal-progress = { $percent }% от цели
addressed-to = Адресат: { $addressee }

## The list of petitions
petitions-title = Петиции
no-open-petitions = В настоящее время открытых петиций нет.
closed-petitions = Закрытые петиции

## A petition and its sign form
text-changed = Текст этой петиции был изменён { $date } (UTC).
text-in-other-language = Эта петиция пока недоступна на Вашем языке, поэтому она показана на языке оригинала.
sign-heading = Подпишите эту петицию
error-summary-heading = Пожалуйста, исправьте следующее
field-name = Имя и фамилия
field-email = Адрес электронной почты
field-email-hint = Мы отправим Вам ссылку для подтверждения подписи. Ваш адрес нигде не публикуется.
field-country = Страна
field-country-choose = Выберите страну
field-postcode = Почтовый индекс
field-optional = (необязательно)
field-keep-informed = Сообщать мне о ходе этой кампании по электронной почте
field-honeypot = Оставьте это поле пустым
sign-button = Подписать
petition-closed = Эта петиция закрыта, подписи больше не принимаются.
open-until = Подписи принимаются по { $date } включительно (UTC).

## Field errors
error-name-empty = Укажите имя
error-name-too-long = Имя должно содержать не более 100 символов
error-name-control = Имя не должно содержать управляющих символов или переносов строк
error-name-link = Имя не должно содержать веб-адреса или адреса электронной почты
error-name-formula = Имя не должно начинаться с символов =, +, - или @
error-email-empty = Укажите адрес электронной почты
error-email-too-long = Адрес электронной почты должен содержать не более 254 символов
error-email-invalid = Укажите действительный адрес электронной почты, например name@example.com
error-email-disposable = Адреса на домене { $domain } — одноразовые, и мы не можем их принять: пожалуйста, укажите адрес, которым Вы будете пользоваться и в следующем месяце
error-country-empty = Выберите страну
error-country-unknown = Выберите страну из списка
error-receipt-empty = Введите вашу квитанцию
error-receipt-malformed = Квитанция состоит из 43 букв, цифр, «-» и «_», как она была показана
error-postcode-too-long = Почтовый индекс должен содержать не более 16 символов
error-postcode-invalid = Почтовый индекс может содержать только буквы, цифры, пробелы и дефисы

## After signing
check-email-title = Проверьте электронную почту
check-email-sent = Спасибо. Мы отправили письмо на указанный Вами адрес.
check-email-counts-once = Ваша подпись будет учтена только после того, как Вы откроете ссылку из письма и нажмёте «Подтвердить подпись».
check-email-valid-for = Срок действия ссылки — { $duration }.
check-email-spam = Если письмо не придёт в течение нескольких минут, проверьте папку «Спам».
check-email-sign-again = Письмо так и не пришло? Подпишите петицию ещё раз с тем же адресом, и мы отправим новую ссылку.
sign-again-link = Подписать ещё раз
back-to-petition = Вернуться к петиции «{ $title }»
held-title = Ваша подпись ожидает проверки
held-explained = Спасибо. Мы сохранили Вашу подпись, но ненадолго отложили её учёт: за короткое время из Вашей сети поступило необычно много подписей или форма была отправлена быстрее, чем её обычно заполняют. Так мы обеспечиваем честный подсчёт.
held-review = Организаторы её проверят. Как только они её одобрят, мы отправим Вам письмо со ссылкой для подтверждения подписи.
held-sign-again = Вы также можете через несколько минут подписать петицию ещё раз с тем же адресом: если ситуация нормализуется, мы сразу отправим письмо для подтверждения.

## Confirming and withdrawing (the pages behind the emailed links)
confirm-title = Подтвердите подпись
confirm-about = Вы собираетесь подтвердить свою подпись под петицией:
confirm-name = Имя
confirm-country = Страна
confirm-postcode = Почтовый индекс
confirm-language = Язык
confirm-keep-informed = Новости кампании по электронной почте
confirm-yes = Да
confirm-no = Нет
confirm-changed = Эти данные изменились после отправки этой ссылки или показа этой страницы, поэтому ничего не подтверждено. Ниже указаны данные в их нынешнем виде.
confirm-wrong-details = Если эти данные неверны, подпишите петицию ещё раз с тем же адресом электронной почты, указав правильные данные.
confirm-button = Подтвердить подпись
confirm-not-you = Вы не подписывали петицию? Тогда удалите эти данные.
remove-details-link = Удалить эти данные
already-confirmed-title = Ваша подпись уже подтверждена
already-confirmed-text = Вы подписали эту петицию, и Ваша подпись учтена. Больше ничего делать не нужно.
thanks-title = Спасибо, Ваша подпись подтверждена
thanks-text = Теперь Ваша подпись учтена.
share-petition = Пожалуйста, поделитесь петицией:
changed-mind = Передумали?
withdraw-link = Отозвать подпись
link-expired-title = Срок действия ссылки истёк
link-expired-text = Ссылки для подтверждения действуют ограниченное время, а эта ссылка устарела. Ваша подпись ещё не учтена.
link-expired-sign-again = Подпишите петицию ещё раз с тем же адресом электронной почты, и мы отправим Вам новую ссылку.
link-broken-title = Эта ссылка не работает
link-broken-text = Возможно, она неполная (проверьте, что Вы скопировали её целиком), или подпись, к которой она относилась, была отозвана.
link-broken-find = Вы можете найти петицию и подписать её ещё раз: мы отправим новую ссылку.
find-petition-link = Найти петицию
withdraw-title = Отозвать подпись
withdraw-text = Ваша подпись будет удалена из приведённой ниже петиции, а Ваши имя, адрес электронной почты и почтовый индекс будут стёрты. Это действие нельзя отменить, но позже Вы сможете подписать петицию снова.
withdraw-button = Отозвать мою подпись
withdraw-keep = Сохранить подпись и вернуться к петиции
withdrawn-title = Ваша подпись отозвана
withdrawn-text = Она больше не учитывается, а Ваши имя, адрес электронной почты и почтовый индекс стёрты.

## Error pages
error-not-found-title = Страница не найдена
error-not-found-text = По этому адресу ничего нет.
error-unavailable-title = Пожалуйста, повторите попытку чуть позже
error-unavailable-text = Сервис перегружен или находится на техническом обслуживании. Пожалуйста, повторите попытку через некоторое время.
error-internal-title = Произошла ошибка
error-internal-text = На нашей стороне произошла ошибка. Она зарегистрирована; пожалуйста, повторите попытку позже.
error-bad-request-title = Не удалось распознать Ваш запрос
error-bad-request-text = Не удалось прочитать отправленные данные. Вернитесь назад, проверьте форму и попробуйте ещё раз.
error-gone-title = Больше недоступно
error-refused-title = Этот запрос отклонён
error-conflict-title = Сейчас это действие невозможно
error-home-link = Перейти к списку петиций

## The embeddable form and the badge
embed-sign-on-site = Открыть петицию на отдельной странице
badge-label = { $count ->
    [one] подпись
    [few] подписи
    [many] подписей
   *[other] подписи
}

## Durations
duration-days = { $n ->
    [one] { $n } день
    [few] { $n } дня
    [many] { $n } дней
   *[other] { $n } дня
}
duration-hours = { $n ->
    [one] { $n } час
    [few] { $n } часа
    [many] { $n } часов
   *[other] { $n } часа
}
duration-minutes = { $n ->
    [one] { $n } минута
    [few] { $n } минуты
    [many] { $n } минут
   *[other] { $n } минуты
}
duration-seconds = { $n ->
    [one] { $n } секунда
    [few] { $n } секунды
    [many] { $n } секунд
   *[other] { $n } секунды
}

## Mails
mail-confirm-subject = Пожалуйста, подтвердите подпись: { $title }
mail-already-subject = Вы уже подписали петицию: { $title }
mail-greeting = Здравствуйте, { $name }!
mail-confirm-thanks = Благодарим Вас за подпись под петицией «{ $title }».
mail-confirm-counts-once = Ваша подпись будет учтена только после подтверждения.
mail-confirm-open-link = Откройте эту ссылку и нажмите «Подтвердить подпись»:
mail-confirm-button = Подтвердить подпись
mail-confirm-copy = Или скопируйте этот адрес в адресную строку браузера:
mail-confirm-valid-for = Срок действия ссылки — { $duration }. Если он истёк, подпишите петицию ещё раз, и мы отправим Вам новую ссылку:
mail-not-you = Если Вы не подписывали петицию, просто проигнорируйте это письмо: без подтверждения подпись не учитывается. Чтобы удалить Ваши данные прямо сейчас, откройте ссылку:
mail-already-text = Кто-то (вероятно, Вы) только что попытался подписать петицию «{ $title }», указав этот адрес. Вы уже подписали её, и Ваша подпись учтена: больше ничего делать не нужно.
mail-already-withdraw = Если Вы хотите отозвать подпись, откройте ссылку:
mail-why = Это письмо отправлено, потому что кто-то подписал петицию, указав этот адрес, на сайте { $url }

receipt-title = Ваша квитанция (по желанию)
receipt-proves = Этот код доказывает, что ваша подпись учтена в открытом журнале петиции, который может проверить любой: никто, кроме вас, не может связать его с вами.
receipt-once = Это единственная копия: она не хранится и больше не будет показана.
receipt-warning = Любой, кому вы её покажете, узнает, что вы подписали. Хранить её не обязательно; если храните, то в надёжном месте.
receipt-check-link = Проверить квитанцию
