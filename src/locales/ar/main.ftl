# undersigned: the public pages and mails, in Arabic. Every file in
# src/locales has exactly the messages of the English reference (a unit
# test checks). Variables: $title, $name, $count (a number, for plurals)
# with $shown (the same number formatted), $date, $duration, $url.
# Durations follow "لمدة" in the mails and pages, so the dual is in the
# genitive ("يومين", "ساعتين").

## The frame of every page
site-name = Undersigned
skip-to-content = الانتقال إلى المحتوى
language-menu = اللغة
footer-promise = يُؤكَّد كل توقيع عبر البريد الإلكتروني ويُحتسَب مرة واحدة فقط. ولا يُعرَض عنوان بريدك الإلكتروني أبدًا ولا يُشارَك مع أي جهة.

## Counts
signature-count = { $count ->
    [zero] { $shown } توقيع
    [one] توقيع واحد
    [two] توقيعان
    [few] { $shown } توقيعات
    [many] { $shown } توقيعًا
   *[other] { $shown } توقيع
}
count-with-goal = { $count ->
    [zero] { $shown } توقيع من أصل هدف قدره { $goal }
    [one] توقيع واحد من أصل هدف قدره { $goal }
    [two] توقيعان من أصل هدف قدره { $goal }
    [few] { $shown } توقيعات من أصل هدف قدره { $goal }
    [many] { $shown } توقيعًا من أصل هدف قدره { $goal }
   *[other] { $shown } توقيع من أصل هدف قدره { $goal }
}
goal-progress = { $percent }% من الهدف
addressed-to = إلى: { $addressee }

## The list of petitions
petitions-title = العرائض
no-open-petitions = لا توجد عرائض مفتوحة للتوقيع في الوقت الحالي.
closed-petitions = العرائض المغلقة

## A petition and its sign form
text-changed = عُدِّل نص هذه العريضة في { $date } (UTC).
text-in-other-language = هذه العريضة غير متاحة بلغتك بعد، ولذلك تُعرَض بلغتها الأصلية.
sign-heading = وقِّع هذه العريضة
error-summary-heading = يُرجى تصحيح ما يلي
field-name = الاسم الكامل
field-email = عنوان البريد الإلكتروني
field-email-hint = سنرسل إليك رابطًا لتأكيد توقيعك. ولن يُعرَض عنوانك في أي مكان.
field-country = البلد
field-country-choose = اختر بلدك
field-postcode = الرمز البريدي
field-optional = (اختياري)
field-keep-informed = أرغب في تلقي المستجدات عن هذه الحملة عبر البريد الإلكتروني
field-honeypot = اترك هذا الحقل فارغًا
sign-button = وقِّع
petition-closed = هذه العريضة مغلقة ولم تعد تقبل التوقيعات.
open-until = باب التوقيع مفتوح حتى { $date } (UTC).

## Field errors
error-name-empty = أدخل اسمك
error-name-too-long = يجب ألا يتجاوز الاسم 100 حرف
error-name-control = يجب ألا يحتوي الاسم على محارف تحكم أو فواصل أسطر
error-name-link = يجب ألا يحتوي الاسم على عنوان موقع إلكتروني أو عنوان بريد إلكتروني
error-name-formula = يجب ألا يبدأ الاسم بالرمز = أو + أو - أو @
error-email-empty = أدخل عنوان بريدك الإلكتروني
error-email-too-long = يجب ألا يتجاوز عنوان البريد الإلكتروني 254 حرفًا
error-email-invalid = أدخل عنوان بريد إلكتروني صالحًا، مثل name@example.com
error-email-disposable = العناوين التابعة للنطاق { $domain } عناوين مؤقتة لا يمكننا قبولها: يُرجى استخدام عنوان ستظل تستخدمه في الشهر المقبل
error-country-empty = اختر بلدك
error-country-unknown = اختر بلدًا من القائمة
error-receipt-empty = أدخل إيصالك
error-receipt-malformed = يتكون الإيصال من 43 حرفًا ورقمًا و«-» و«_» كما عُرض
error-postcode-too-long = يجب ألا يتجاوز الرمز البريدي 16 حرفًا
error-postcode-invalid = لا يجوز أن يحتوي الرمز البريدي إلا على حروف وأرقام ومسافات وشرطات

## After signing
check-email-title = تحقق من بريدك الإلكتروني
check-email-sent = شكرًا لك. لقد أرسلنا رسالة إلى العنوان الذي قدمته.
check-email-counts-once = لن يُحتسَب توقيعك إلا بعد أن تفتح الرابط الوارد فيها وتضغط على «تأكيد توقيعي».
check-email-valid-for = يظل الرابط صالحًا لمدة { $duration }.
check-email-spam = إذا لم يصلك شيء خلال بضع دقائق، فتحقق من مجلد الرسائل غير المرغوب فيها.
check-email-sign-again = ألم يصلك شيء بعد؟ وقِّع مرة أخرى بالعنوان نفسه وسنرسل إليك رابطًا جديدًا.
sign-again-link = وقِّع مرة أخرى
back-to-petition = العودة إلى «{ $title }»
held-title = توقيعك قيد المراجعة
held-explained = شكرًا لك. لقد حفظنا توقيعك، لكننا علّقناه مؤقتًا: فقد وصلنا عدد غير معتاد من التوقيعات من شبكتك خلال وقت قصير، أو أُرسلت الاستمارة أسرع مما يستغرقه الناس عادةً لملئها. وبهذا نحافظ على نزاهة العدّ.
held-review = سيراجعه المنظمون. وبمجرد أن يعتمدوه، سنرسل إليك رسالة بالبريد الإلكتروني تتضمن رابطًا لتأكيد توقيعك.
held-sign-again = يمكنك أيضًا التوقيع مرة أخرى بعد بضع دقائق بالعنوان نفسه: فإذا عادت الأمور إلى طبيعتها، سنرسل إليك رسالة التأكيد فورًا.

## Confirming and withdrawing (the pages behind the emailed links)
confirm-title = أكِّد توقيعك
confirm-about = أنت على وشك تأكيد توقيعك على العريضة التالية:
confirm-name = الاسم
confirm-country = البلد
confirm-postcode = الرمز البريدي
confirm-language = اللغة
confirm-keep-informed = أخبار الحملة بالبريد الإلكتروني
confirm-yes = نعم
confirm-no = لا
confirm-changed = تغيّرت هذه البيانات بعد إرسال هذا الرابط أو عرض هذه الصفحة، لذلك لم يُؤكَّد شيء. في ما يلي البيانات كما هي الآن.
confirm-wrong-details = إذا كانت هذه البيانات غير صحيحة، فوقِّع مرة أخرى بعنوان البريد الإلكتروني نفسه مع البيانات الصحيحة.
confirm-button = تأكيد توقيعي
confirm-not-you = لم توقِّع؟ احذف هذه البيانات إذن.
remove-details-link = حذف هذه البيانات
already-confirmed-title = توقيعك مؤكَّد بالفعل
already-confirmed-text = لقد وقّعت هذه العريضة وتم احتساب توقيعك. لا يلزمك القيام بأي شيء آخر.
thanks-title = شكرًا لك، تم تأكيد توقيعك
thanks-text = لقد احتُسب توقيعك الآن.
share-petition = يُرجى مشاركة العريضة:
changed-mind = هل غيّرت رأيك؟
withdraw-link = سحب توقيعك
link-expired-title = انتهت صلاحية هذا الرابط
link-expired-text = تظل روابط التأكيد صالحة لمدة محدودة، وهذا الرابط قديم جدًا. ولم يُحتسب توقيعك بعد.
link-expired-sign-again = وقِّع مرة أخرى بعنوان البريد الإلكتروني نفسه وسنرسل إليك رابطًا جديدًا.
link-broken-title = هذا الرابط لا يعمل
link-broken-text = ربما يكون الرابط غير مكتمل (تحقق من أنك نسخته بالكامل)، أو ربما سُحب التوقيع المرتبط به.
link-broken-find = يمكنك العثور على العريضة والتوقيع مرة أخرى، وسنرسل إليك رابطًا جديدًا.
find-petition-link = العثور على العريضة
withdraw-title = سحب توقيعك
withdraw-text = يؤدي هذا الإجراء إلى إزالة توقيعك من العريضة أدناه ومحو اسمك وعنوان بريدك الإلكتروني ورمزك البريدي. ولا يمكن التراجع عنه، لكن يمكنك التوقيع مرة أخرى لاحقًا.
withdraw-button = سحب توقيعي
withdraw-keep = الإبقاء على توقيعي والعودة إلى العريضة
withdrawn-title = تم سحب توقيعك
withdrawn-text = لم يعد توقيعك محتسبًا، وقد مُحي اسمك وعنوان بريدك الإلكتروني ورمزك البريدي.

## Error pages
error-not-found-title = الصفحة غير موجودة
error-not-found-text = لا يوجد شيء على هذا العنوان.
error-unavailable-title = يُرجى المحاولة مرة أخرى بعد قليل
error-unavailable-text = الخدمة مشغولة أو قيد الصيانة. يُرجى المحاولة مرة أخرى بعد لحظات.
error-internal-title = حدث خطأ ما
error-internal-text = حدث خطأ من جهتنا، وقد سُجِّل؛ يُرجى المحاولة مرة أخرى لاحقًا.
error-bad-request-title = تعذّر فهم طلبك
error-bad-request-text = تعذّرت قراءة ما أُرسل. يُرجى الرجوع والتحقق من الاستمارة ثم المحاولة مرة أخرى.
error-gone-title = لم يعد متاحًا
error-refused-title = رُفض هذا الطلب
error-conflict-title = لا يمكن تنفيذ ذلك الآن
error-home-link = الانتقال إلى قائمة العرائض

## The embeddable form and the badge
embed-sign-on-site = فتح العريضة في صفحتها الخاصة
badge-label = { $count ->
    [zero] توقيع
    [one] توقيع
    [two] توقيعان
    [few] توقيعات
    [many] توقيعًا
   *[other] توقيع
}

## Durations
duration-days = { $n ->
    [zero] { $n } يوم
    [one] يوم واحد
    [two] يومين
    [few] { $n } أيام
    [many] { $n } يومًا
   *[other] { $n } يوم
}
duration-hours = { $n ->
    [zero] { $n } ساعة
    [one] ساعة واحدة
    [two] ساعتين
    [few] { $n } ساعات
    [many] { $n } ساعة
   *[other] { $n } ساعة
}
duration-minutes = { $n ->
    [zero] { $n } دقيقة
    [one] دقيقة واحدة
    [two] دقيقتين
    [few] { $n } دقائق
    [many] { $n } دقيقة
   *[other] { $n } دقيقة
}
duration-seconds = { $n ->
    [zero] { $n } ثانية
    [one] ثانية واحدة
    [two] ثانيتين
    [few] { $n } ثوانٍ
    [many] { $n } ثانية
   *[other] { $n } ثانية
}

## Mails
mail-confirm-subject = يُرجى تأكيد توقيعك: { $title }
mail-already-subject = لقد وقّعت بالفعل: { $title }
mail-greeting = مرحبًا { $name }،
mail-confirm-thanks = شكرًا لك على توقيع العريضة «{ $title }».
mail-confirm-counts-once = لن يُحتسَب توقيعك إلا بعد تأكيده.
mail-confirm-open-link = افتح هذا الرابط واضغط على «تأكيد توقيعي»:
mail-confirm-button = تأكيد توقيعي
mail-confirm-copy = أو انسخ هذا العنوان والصقه في متصفحك:
mail-confirm-valid-for = يظل الرابط صالحًا لمدة { $duration }. وإذا انتهت صلاحيته، فوقِّع مرة أخرى وسنرسل إليك رابطًا جديدًا:
mail-not-you = إذا لم تكن أنت من وقّع، فتجاهل هذه الرسالة: لا يُحتسَب أي توقيع دون تأكيد. ولحذف بياناتك الآن، افتح:
mail-already-text = حاول شخص ما (على الأرجح أنت) للتو توقيع العريضة «{ $title }» بهذا العنوان. لقد وقّعتها من قبل وتم احتساب توقيعك: لا يلزمك القيام بأي شيء آخر.
mail-already-withdraw = إذا كنت ترغب في سحب توقيعك، فافتح:
mail-why = أُرسلت هذه الرسالة لأن شخصًا ما وقّع بهذا العنوان على الموقع { $url }

receipt-title = إيصالك (اختياري)
receipt-proves = يثبت هذا الرمز أن توقيعك محسوب في السجل العام للعريضة الذي يمكن لأي شخص التحقق منه: لا أحد غيرك يستطيع ربطه بك.
receipt-once = هذه هي النسخة الوحيدة: لا تُحفظ ولن تُعرض مرة أخرى.
receipt-warning = كل من تُريه إياه يعرف أنك وقّعت. الاحتفاظ به اختياري؛ وإن احتفظت به فاحفظه في مكان خاص.
receipt-check-link = التحقق من إيصال

## The public log on the petition page
log-last-checkpoint = السجل العام للتوقيعات: آخر نقطة تحقق { $ago }.
log-no-checkpoint = السجل العام للتوقيعات: لا توجد نقطة تحقق بعد.
log-checkpoint-link = آخر نقطة تحقق
ago-seconds = { $n ->
    [zero] منذ { $n } ثانية
    [one] منذ ثانية واحدة
    [two] منذ ثانيتين
    [few] منذ { $n } ثوانٍ
    [many] منذ { $n } ثانية
   *[other] منذ { $n } ثانية
}
ago-minutes = { $n ->
    [zero] منذ { $n } دقيقة
    [one] منذ دقيقة واحدة
    [two] منذ دقيقتين
    [few] منذ { $n } دقائق
    [many] منذ { $n } دقيقة
   *[other] منذ { $n } دقيقة
}
ago-hours = { $n ->
    [zero] منذ { $n } ساعة
    [one] منذ ساعة واحدة
    [two] منذ ساعتين
    [few] منذ { $n } ساعات
    [many] منذ { $n } ساعة
   *[other] منذ { $n } ساعة
}
ago-days = { $n ->
    [zero] منذ { $n } يوم
    [one] منذ يوم واحد
    [two] منذ يومين
    [few] منذ { $n } أيام
    [many] منذ { $n } يومًا
   *[other] منذ { $n } يوم
}

## Checking a receipt
verify-title = التحقق من إيصال
verify-intro = عندما أكّدت توقيعك، عرضت عليك صفحة الشكر إيصالًا: رمزًا من 43 حرفًا ورقمًا و«-» و«_». أدخله هنا لتجد توقيعك في السجل العام للعريضة.
verify-proves = إذا عُثر عليه، ترى المُدخَل الذي صار إليه توقيعك والدليل على أن هذا المُدخَل جزء من آخر نقطة تحقق موقَّعة في السجل. تُثبّت نقطة التحقق كل المُدخَلات التي قبلها: بعد ذلك لا يمكن حذف أي مُدخَل أو تغييره دون أن يظهر ذلك لكل من احتفظ بنقطة تحقق. لا يحوي المُدخَل اسمًا ولا عنوان بريد إلكتروني ولا رمزًا بريديًا، بل البلد واليوم ورمزًا لا يطابقه إلا إيصالك.
verify-private = يُرسَل إيصالك إلى هذا الخادم للبحث عنه، ولا يُحفَظ ولا يُسجَّل. للتحقق دون إرساله إلى أحد، استخدم سطر الأوامر أدناه.
field-receipt = إيصالك
field-receipt-hint = كما عُرض في صفحة الشكر: 43 حرفًا ورقمًا و«-» و«_».
verify-button = تحقّق
verify-another = التحقق من إيصال آخر
verify-found-title = توقيعك موجود في السجل
verify-entry-heading = مُدخَلك
verify-entry-index = رقم المُدخَل (بدءًا من 0)
verify-entry-kind = النوع
verify-kind-confirmed = توقيع مؤكَّد
verify-entry-country = البلد
verify-entry-day = تاريخ التأكيد (UTC)
verify-counted = إنه محسوب: لا يلغيه أي سحب.
verify-withdrawn = سُحب: يلغيه المُدخَل { $index }، فلم يعد محسوبًا.
verify-checkpoint-heading = نقطة التحقق التي تتضمّنه
verify-checkpoint-size = عدد المُدخَلات في السجل
verify-checkpoint-root = تجزئة الجذر
verify-checkpoint-note = نقطة التحقق الموقَّعة
verify-proof-heading = دليل التضمين
verify-proof-explained = حساب تجزئة مُدخَلك ثم دمج الناتج مع كل واحدة من هذه التجزئات بالترتيب (RFC 9162) يعطي تجزئة جذر نقطة التحقق.
verify-proof-none = لا حاجة إلى أي تجزئة: مُدخَلك هو الوحيد في السجل.
verify-server-checked = تحقّق هذا الخادم من الدليل مقابل نقطة التحقق الموقَّعة: الدليل صحيح.
verify-server-failed = فشل تحقّق هذا الخادم نفسه من الدليل ({ $problem }). السجل ليس كما ينبغي: يُرجى إبلاغ المنظمين.
verify-queued-title = توقيعك مؤكَّد وعلى وشك أن يدخل السجل
verify-queued-text = إنه ينتظر الإضافة: يستقبل السجل التأكيدات بعد ثوانٍ قليلة من حدوثها. عدد المُدخَلات في آخر نقطة تحقق: { $size }. يُرجى المحاولة مرة أخرى بعد دقيقة.
verify-not-found-title = هذا الإيصال ليس في السجل
verify-not-found-text = لا يحمله أي مُدخَل في سجل هذه العريضة حتى آخر نقطة تحقق (عدد المُدخَلات: { $size }).
verify-not-found-why = يستقبل السجل التأكيدات بعد ثوانٍ قليلة من حدوثها: إذا كنت قد أكّدت للتو، فحاول مرة أخرى بعد دقيقة. وإلا فتأكّد من أنك أدخلت الإيصال كما عُرض تمامًا، في صفحة العريضة التي وقّعتها.
verify-yourself-heading = التحقق دون الوثوق بهذا الخادم
verify-yourself-text = يقرأ سطر أوامر undersigned ملفات السجل المنشورة، ويتحقق من توقيع نقطة التحقق بمفتاح الحملة، ويجد مُدخَلك بين جميع المُدخَلات (فلا يعرف الخادم أيها تبحث عنه)، ويتحقق من دليله. تجعله «-» يطلب منك الإيصال، فيبقى خارج سجل أوامر الطرفية:
verify-yourself-key = قارن هذا المفتاح بالمفتاح الذي تنشره الحملة في مكان آخر: عند التحقق بمفتاح مأخوذ من هذه الصفحة وحدها، لا يُظهر السجل إلا أنه متّسق مع نفسه.
